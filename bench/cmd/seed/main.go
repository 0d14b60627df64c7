// Command seed fills a SQLite database with benchmark data through the
// store (see bench/seed), in bulk-load mode, and prints how long it took.
//
//	go run ./bench/cmd/seed -db /tmp/omi-bench/omi.db -memories 1000000
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"time"

	"github.com/omi-devapi/omi-devapi/bench/load"
	"github.com/omi-devapi/omi-devapi/bench/seed"
	"github.com/omi-devapi/omi-devapi/search"
	"github.com/omi-devapi/omi-devapi/sqlite"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "seed:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	path := fs.String("db", "", "SQLite database file to create or add to (the server's is $OMI_DATA_DIR/omi.db), or a postgres:// URL (required)")
	var cfg seed.Config
	fs.IntVar(&cfg.Users, "users", 1, "users")
	fs.IntVar(&cfg.Memories, "memories", 10_000, "memories per user")
	fs.IntVar(&cfg.Conversations, "conversations", 1_000, "conversations per user (each with a transcript)")
	fs.IntVar(&cfg.ActionItems, "action-items", 1_000, "action items per user, besides those from conversations")
	fs.IntVar(&cfg.Goals, "goals", 5, "goals per user (each with a month of progress history)")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "random seed: the same flags write the same data")
	fs.IntVar(&cfg.Batch, "batch", 10_000, "rows per transaction")
	vectors := fs.Bool("vectors", false, "store a vector per memory and conversation (offline hashing embedder), for vector and fused search")
	bulk := fs.Bool("bulk", true, "SQLite bulk-load mode: no fsync per commit, big page cache (throwaway data only)")
	keysOut := fs.String("keys", "", "write a key with every scope per user to this JSON file ({uid: key})")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the seeding to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" {
		fs.Usage()
		return errors.New("-db is required")
	}
	if *vectors {
		cfg.Embedder = search.NewHashing(search.DefaultDimensions)
	}
	db, err := load.OpenStore(ctx, *path)
	if err != nil {
		return err
	}
	defer db.Close()
	done := func(context.Context) error { return nil }
	if bl, ok := db.(*sqlite.DB); ok && *bulk {
		if done, err = bl.BulkLoad(ctx); err != nil {
			return err
		}
	}
	last := time.Now()
	cfg.Progress = func(st seed.Stats) {
		if time.Since(last) < 2*time.Second {
			return
		}
		last = time.Now()
		fmt.Fprintf(os.Stderr, "%6.1fs  users %d  memories %d  conversations %d  action items %d\n",
			st.Elapsed.Seconds(), st.Users, st.Memories, st.Conversations, st.ActionItems)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	st, err := seed.Seed(ctx, db, cfg)
	if err != nil {
		return err
	}
	finish := time.Now()
	if err := done(ctx); err != nil {
		return err
	}
	fmt.Printf("seeded %d users: %d memories, %d conversations, %d action items, %d goals in %.1fs (%.0f memories/s); checkpoint %.1fs\n",
		st.Users, st.Memories, st.Conversations, st.ActionItems, st.Goals, st.Elapsed.Seconds(),
		float64(st.Memories)/st.Elapsed.Seconds(), time.Since(finish).Seconds())
	if fi, err := os.Stat(*path); err == nil && !load.IsPostgres(*path) {
		fmt.Printf("database file %s: %.1f MiB\n", *path, float64(fi.Size())/(1<<20))
	}
	if *keysOut != "" {
		keys := map[string]string{}
		for u := range cfg.Users {
			raw, err := seed.Key(ctx, db, seed.UID(u))
			if err != nil {
				return err
			}
			keys[seed.UID(u)] = raw
		}
		b, _ := json.MarshalIndent(keys, "", "  ")
		if err := os.WriteFile(*keysOut, append(b, '\n'), 0o600); err != nil {
			return fmt.Errorf("write keys: %w", err)
		}
		fmt.Printf("keys written to %s\n", *keysOut)
	}
	return nil
}
