// Command load runs the load driver (bench/load) against omi-devapi and a
// ceiling server and prints both and their ratio. See bench/README.md.
//
//	go run ./bench/cmd/load run   -data-dir /tmp/omi-bench/10k
//	go run ./bench/cmd/load scale -data-dirs /tmp/omi-bench/10k,/tmp/omi-bench/1m
//	go run ./bench/cmd/load coldstart -data-dir /tmp/omi-bench/1m
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/omi-devapi/omi-devapi/bench/load"
	"github.com/omi-devapi/omi-devapi/bench/seed"
	"github.com/omi-devapi/omi-devapi/search"
	"github.com/omi-devapi/omi-devapi/sqlite"
)

const usage = `load: HTTP load against omi-devapi and a ceiling server, with their ratio.

Usage:
  load run       [-data-dir D] [-workloads a,b] [-workers 16] [-requests N] [-duration 10s] [-runs 3] [-server exec|inproc]
  load scale     -data-dirs D1,D2 [-requests N] [-rounds 3]
  load coldstart -data-dir D [-n 10]

A data dir holds omi.db, seeded with go run ./bench/cmd/seed -db D/omi.db; without
-data-dir, run seeds a fresh one with -memories memories. -server exec (default) runs the
real binary (built from ./cmd/omi-devapi unless -binary is given); inproc serves from this
process (for -cpuprofile). Rate limits are on, with budgets raised out of reach.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "load:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errors.New("missing subcommand")
	}
	switch args[0] {
	case "run":
		return runLoad(ctx, args[1:], out)
	case "scale":
		return runScale(ctx, args[1:], out)
	case "coldstart":
		return runColdStart(ctx, args[1:], out)
	case "ceiling":
		return serveCeiling(ctx, args[1:])
	default:
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("unknown subcommand %q", args[0])
	}
}

// common are the flags every subcommand that starts omi-devapi shares.
type common struct {
	binary string
	server string
	uid    string
	env    multi
	log    string
	search string
	dsn    string
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.binary, "binary", "", "omi-devapi executable (default: go build ./cmd/omi-devapi into a temp dir)")
	fs.StringVar(&c.server, "server", "exec", "exec: the real binary in its own process; inproc: httpapi.NewServer in this process")
	fs.StringVar(&c.uid, "uid", seed.UID(0), "user whose data the requests read and write")
	fs.Var(&c.env, "env", "extra KEY=VALUE for the binary's environment (repeatable)")
	fs.StringVar(&c.log, "server-log", "", "append the binary's output (access log) to this file instead of discarding it")
	fs.StringVar(&c.dsn, "database-url", "", "a seeded PostgreSQL database (postgres://...) instead of the data dir's omi.db")
	fs.StringVar(&c.search, "search", load.SearchFused, "with -server inproc: search engine off, lexical (FTS only) or fused (lexical + offline vectors, the binary's default)")
}

// buildBinary builds ./cmd/omi-devapi once per invocation.
func (c *common) buildBinary(ctx context.Context, dir string) (string, error) {
	if c.binary != "" {
		return c.binary, nil
	}
	exe := filepath.Join(dir, "omi-devapi")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", exe, "./cmd/omi-devapi")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build omi-devapi (run from the repository root, or pass -binary): %w", err)
	}
	c.binary = exe
	return exe, nil
}

// start serves dataDir's database and returns it with a key for c.uid.
// env is added to the binary's environment; searchMode is for inproc.
func (c *common) start(ctx context.Context, tmp, dataDir, searchMode string, env ...string) (*load.Server, load.Target, time.Duration, error) {
	var t load.Target
	dsn := c.dsn
	if dsn == "" {
		dsn = filepath.Join(dataDir, "omi.db")
	} else {
		env = append(env, "OMI_DATABASE_URL="+dsn)
	}
	key, err := load.CreateKey(ctx, dsn, c.uid)
	if err != nil {
		return nil, t, 0, err
	}
	var (
		srv     *load.Server
		startup time.Duration
	)
	switch c.server {
	case "exec":
		exe, err := c.buildBinary(ctx, tmp)
		if err != nil {
			return nil, t, 0, err
		}
		var logw io.Writer
		if c.log != "" {
			f, err := os.OpenFile(c.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
			if err != nil {
				return nil, t, 0, err
			}
			defer f.Close() // the child has its own descriptor once started
			logw = f
		}
		env = append(append(append([]string{}, load.RaisedLimits...), c.env...), env...)
		srv, startup, err = load.Binary{Path: exe, DataDir: dataDir, Env: env, Log: logw}.Start(ctx)
		if err != nil {
			return nil, t, 0, err
		}
		// A binary just started may still be busy (embedding missing
		// vectors, checkpointing): measure it at rest.
		waited, err := load.WaitIdle(ctx, srv.PID, 5*time.Minute)
		if err != nil {
			srv.Close()
			return nil, t, 0, err
		}
		fmt.Fprintf(os.Stderr, "omi-devapi (pid %d) idle %.1fs after starting\n", srv.PID, waited.Seconds())
	case "inproc":
		srv, err = load.StartInProcess(ctx, dsn, searchMode)
		if err != nil {
			return nil, t, 0, err
		}
	default:
		return nil, t, 0, fmt.Errorf("-server must be exec or inproc, not %q", c.server)
	}
	return srv, load.Target{Name: "omi-devapi", URL: srv.URL, Key: key}, startup, nil
}

// seedTemp seeds a fresh data dir for a run without one.
func seedTemp(ctx context.Context, dir string, memories int) error {
	db, err := sqlite.Open(ctx, filepath.Join(dir, "omi.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	done, err := db.BulkLoad(ctx)
	if err != nil {
		return err
	}
	st, err := seed.Seed(ctx, db, seed.Config{Memories: memories, Conversations: max(memories/100, 10), ActionItems: 200, Goals: 3, Seed: 1,
		Embedder: search.NewHashing(search.DefaultDimensions)})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "seeded %d memories, %d conversations in %.1fs\n", st.Memories, st.Conversations, st.Elapsed.Seconds())
	return done(ctx)
}

func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	load := "?"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return fmt.Sprintf("nproc %d, %s, %s, load average %s", runtime.NumCPU(), model, runtime.Version(), load)
}

// serveCeiling is the ceiling server's own process (started by run).
func serveCeiling(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("ceiling", flag.ContinueOnError)
	bodyFile := fs.String("body", "", "file with the response body")
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		return err
	}
	hs := &http.Server{Addr: *addr, Handler: load.Ceiling(body), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	if err := hs.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
