package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/omi-devapi/omi-devapi/bench/load"
)

// runColdStart execs the binary on an existing database n times and reports
// the time from exec to its first 200 on /healthz.
func runColdStart(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("coldstart", flag.ContinueOnError)
	var c common
	c.register(fs)
	dataDir := fs.String("data-dir", "", "directory holding a seeded omi.db (required)")
	n := fs.Int("n", 10, "starts")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dataDir == "" {
		return fmt.Errorf("-data-dir is required")
	}
	tmp, err := os.MkdirTemp("", "omi-cold-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	exe, err := c.buildBinary(ctx, tmp)
	if err != nil {
		return err
	}
	db := filepath.Join(*dataDir, "omi.db")
	if fi, err := os.Stat(db); err == nil {
		fmt.Fprintf(out, "database %s: %.1f MiB\n", db, mib(fi.Size()))
	}
	fmt.Fprintf(out, "machine: %s\n", machine())
	var times []float64
	for i := range *n {
		srv, startup, err := load.Binary{Path: exe, DataDir: *dataDir, Env: append(load.RaisedLimits, c.env...)}.Start(ctx)
		if err != nil {
			return err
		}
		mem, _ := load.ReadMemory(srv.PID)
		srv.Close()
		times = append(times, float64(startup)/float64(time.Millisecond))
		fmt.Fprintf(out, "start %2d: %7.1f ms to first 200 on /healthz, resident %.1f MiB\n", i+1, times[i], mib(mem.RSS))
	}
	fmt.Fprintf(out, "cold start: %s ms (median [min-max] of %d)\n", spread(times, "%.1f"), *n)
	return nil
}
