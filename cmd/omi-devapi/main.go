// Command omi-devapi serves the Omi Developer API on your own machine.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "omi-devapi:", err)
		}
		os.Exit(1)
	}
}

const usage = `omi-devapi: a self-hostable Omi Developer API server.

Usage:
  omi-devapi serve   [--addr host:port] [--data-dir dir]   run the server
  omi-devapi migrate [--data-dir dir] [--database-url url] apply database migrations
  omi-devapi reindex [--all]                                rebuild the search index and missing or stale vectors
  omi-devapi token   --uid U [--ttl 1h]                     print a local-mode ID token for U
  omi-devapi keys    create --uid U --name N [--scopes a,b] [--expires-in 720h]
                     list   --uid U
                     revoke --uid U --id KEY_ID
  omi-devapi copy    --from SRC --to DST [--batch 500]      copy a whole installation between stores
                     (SQLite path or postgres:// URL; resumable; verified by checksums)
  omi-devapi version

Configuration comes from OMI_* environment variables (see README.md).
`

// run is main without the process: tests call it with their own args,
// environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return errors.New("missing subcommand")
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	cmd, rest := args[1], args[2:]
	switch cmd {
	case "serve":
		return serve(ctx, cfg, rest, stdout, stderr)
	case "migrate":
		return migrate(ctx, cfg, rest, stdout, stderr)
	case "reindex":
		return reindex(ctx, cfg, rest, stdout, stderr)
	case "token":
		return token(cfg, rest, stdout, stderr)
	case "copy":
		return copyStore(ctx, cfg, rest, stdout, stderr)
	case "keys":
		return keys(ctx, cfg, rest, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "omi-devapi", buildVersion())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown subcommand %q", cmd)
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("omi-devapi "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
