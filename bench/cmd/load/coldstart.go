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
	key, err := load.CreateKey(ctx, db, c.uid)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var health, list, floor []float64
	for i := range *n {
		// Baseline: the same exec-to-first-200 of a bare Go HTTP server
		// (this driver's ceiling), on the same machine at the same time.
		began := time.Now()
		ceil, err := load.StartCeilingProcess(ctx, self, []string{"ceiling"}, []byte("{}"))
		if err != nil {
			return err
		}
		floor = append(floor, float64(time.Since(began))/float64(time.Millisecond))
		ceil.Close()

		srv, startup, err := load.Binary{Path: exe, DataDir: *dataDir, Env: append(load.RaisedLimits, c.env...)}.Start(ctx)
		if err != nil {
			return err
		}
		// Then the first real request: key lookup in the store, first
		// query on a cold connection.
		code, body, _, err := load.Target{URL: srv.URL, Key: key}.Do(ctx, load.Request{Method: "GET", Path: load.ListMemoriesPath})
		first := time.Since(srv.Started)
		mem, _ := load.ReadMemory(srv.PID)
		srv.Close()
		if err != nil || code != 200 {
			return fmt.Errorf("first list: %d %v %.200s", code, err, body)
		}
		health = append(health, float64(startup)/float64(time.Millisecond))
		list = append(list, float64(first)/float64(time.Millisecond))
		fmt.Fprintf(out, "start %2d: %7.1f ms to first 200 on /healthz, %7.1f ms to the first memory list; resident %.1f MiB; bare Go server %.1f ms\n",
			i+1, health[i], list[i], mib(mem.RSS), floor[i])
	}
	fmt.Fprintf(out, "cold start: %s ms to /healthz, %s ms to the first list; bare Go server %s ms; ratio %.1f (median [min-max] of %d)\n",
		spread(health, "%.1f"), spread(list, "%.1f"), spread(floor, "%.1f"), median(health)/median(floor), *n)
	return nil
}
