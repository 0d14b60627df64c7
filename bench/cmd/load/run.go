package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/omi-devapi/omi-devapi/bench/load"
)

func runLoad(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var c common
	c.register(fs)
	dataDir := fs.String("data-dir", "", "directory holding a seeded omi.db (default: seed a temporary one, unless -database-url)")
	memories := fs.Int("memories", 10_000, "memories to seed when no -data-dir is given")
	names := fs.String("workloads", "all", "comma-separated workloads: list-memories, list-conversations, create-memory, batch-create, search, mixed")
	var o load.Options
	fs.IntVar(&o.Workers, "workers", 16, "concurrent requests (closed loop: each worker sends when answered)")
	fs.IntVar(&o.Requests, "requests", 20_000, "requests per workload and target, at most")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "time per workload and target, at most")
	fs.IntVar(&o.Warmup, "warmup", 500, "uncounted requests before each measurement")
	runs := fs.Int("runs", 3, "repetitions, alternating omi-devapi and the ceiling")
	ceiling := fs.Bool("ceiling", true, "also run every workload against the ceiling server")
	cpuProfile := fs.String("cpuprofile", "", "with -server inproc: CPU profile of the omi-devapi measurements")
	if err := fs.Parse(args); err != nil {
		return err
	}
	workloads, err := pickWorkloads(*names)
	if err != nil {
		return err
	}
	if *cpuProfile != "" && (c.server != "inproc" || len(workloads) != 1) {
		return fmt.Errorf("-cpuprofile needs -server inproc and one workload")
	}
	tmp, err := os.MkdirTemp("", "omi-load-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if *dataDir == "" {
		*dataDir = tmp
		if c.dsn == "" {
			if err := seedTemp(ctx, tmp, *memories); err != nil {
				return err
			}
		}
	}

	srv, omi, _, err := c.start(ctx, tmp, *dataDir, c.search)
	if err != nil {
		return err
	}
	defer srv.Close()
	// The ceiling answers what the real server answers to the list.
	code, body, _, err := omi.Do(ctx, load.Request{Method: "GET", Path: load.ListMemoriesPath})
	if err != nil || code != 200 {
		return fmt.Errorf("GET %s: %d %v %s", load.ListMemoriesPath, code, err, body)
	}
	var ceil *load.Server
	if *ceiling {
		if c.server == "exec" {
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			ceil, err = load.StartCeilingProcess(ctx, exe, []string{"ceiling"}, body)
			if err != nil {
				return err
			}
		} else if ceil, err = load.StartCeiling(body); err != nil {
			return err
		}
		defer ceil.Close()
	}

	fmt.Fprintf(out, "machine: %s\n", machine())
	fmt.Fprintf(out, "server: %s (%s), data %s, ceiling body %d bytes; %d workers, <= %d requests or %s each, %d warm-up\n\n",
		c.server, srv.URL, *dataDir, len(body), o.Workers, o.Requests, o.Duration, o.Warmup)

	// The server's resident set, sampled through the runs.
	var (
		mu      sync.Mutex
		peakRSS int64
	)
	sampleCtx, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-sampleCtx.Done():
				return
			case <-t.C:
				if m, err := load.ReadMemory(srv.PID); err == nil {
					mu.Lock()
					peakRSS = max(peakRSS, m.RSS)
					mu.Unlock()
				}
			}
		}
	}()

	type pair struct{ omi, ceiling []load.Result }
	results := map[string]*pair{}
	fmt.Fprintf(out, "%-20s %-10s %4s %9s %8s %9s %9s %9s %6s\n", "workload", "target", "run", "req/s", "items/s", "p50", "p99", "max", "ok")
	for r := 1; r <= *runs; r++ {
		for _, w := range workloads {
			p := results[w.Name]
			if p == nil {
				p = &pair{}
				results[w.Name] = p
			}
			targets := []load.Target{omi}
			if ceil != nil {
				ct := load.Target{Name: "ceiling", URL: ceil.URL, Key: omi.Key}
				// Alternate which goes first, so drift in the machine's load
				// does not always favour one.
				if r%2 == 0 {
					targets = []load.Target{ct, omi}
				} else {
					targets = append(targets, ct)
				}
			}
			skipped := false
			for _, t := range targets {
				if skipped {
					continue
				}
				profiling := *cpuProfile != "" && t.Name == "omi-devapi" && r == 1
				if profiling {
					f, err := os.Create(*cpuProfile)
					if err != nil {
						return err
					}
					if err := pprof.StartCPUProfile(f); err != nil {
						return err
					}
					defer f.Close()
				}
				res, err := load.Run(ctx, t, w, o)
				if profiling {
					pprof.StopCPUProfile()
				}
				if err != nil {
					return err
				}
				if res.Skipped != "" {
					fmt.Fprintf(out, "%-20s skipped: %s\n", w.Name, res.Skipped)
					skipped = true
					continue
				}
				fmt.Fprintf(out, "%-20s %-10s %4d %9.0f %8.0f %9s %9s %9s %5.1f%%\n", w.Name, t.Name, r, res.Throughput, res.Units,
					ms(res.P50), ms(res.P99), ms(res.Max), 100*res.Success)
				if res.Success < 1 {
					fmt.Fprintf(out, "    codes %v errors %v\n", res.Codes, res.Errors)
				}
				if t.Name == "ceiling" {
					p.ceiling = append(p.ceiling, res)
				} else {
					p.omi = append(p.omi, res)
				}
			}
			if skipped {
				delete(results, w.Name)
			}
		}
	}
	stopSampling()
	mem, _ := load.ReadMemory(srv.PID)
	mu.Lock()
	rss := peakRSS
	mu.Unlock()

	fmt.Fprintf(out, "\nSummary (median of %d runs, [min-max]); ratio = omi-devapi / ceiling requests per second, per run, median\n\n", *runs)
	fmt.Fprintln(out, "| workload | omi-devapi req/s | items/s | p50 | p99 | ceiling req/s | ratio |")
	fmt.Fprintln(out, "| --- | --- | --- | --- | --- | --- | --- |")
	for _, w := range workloads {
		p := results[w.Name]
		if p == nil {
			continue
		}
		rps := field(p.omi, func(r load.Result) float64 { return r.Throughput })
		items := field(p.omi, func(r load.Result) float64 { return r.Units })
		p50 := field(p.omi, func(r load.Result) float64 { return float64(r.P50) })
		p99 := field(p.omi, func(r load.Result) float64 { return float64(r.P99) })
		line := fmt.Sprintf("| %s | %s | %.0f | %s | %s |", w.Name, spread(rps, "%.0f"), median(items),
			ms(time.Duration(median(p50))), ms(time.Duration(median(p99))))
		if len(p.ceiling) > 0 {
			ceil := field(p.ceiling, func(r load.Result) float64 { return r.Throughput })
			var ratios []float64
			for i := range min(len(p.omi), len(p.ceiling)) {
				ratios = append(ratios, p.omi[i].Throughput/p.ceiling[i].Throughput)
			}
			line += fmt.Sprintf(" %s | %s |", spread(ceil, "%.0f"), spread(ratios, "%.2f"))
		} else {
			line += " - | - |"
		}
		fmt.Fprintln(out, line)
	}
	if srv.PID != os.Getpid() {
		fmt.Fprintf(out, "\nomi-devapi resident set: peak sampled %.1f MiB, VmHWM %.1f MiB, now %.1f MiB\n",
			mib(rss), mib(mem.Peak), mib(mem.RSS))
	}
	fmt.Fprintf(out, "load average after: %s\n", machine())
	return nil
}

func pickWorkloads(names string) ([]load.Workload, error) {
	if names == "all" {
		return load.Workloads(), nil
	}
	var out []load.Workload
	for _, n := range strings.Split(names, ",") {
		w, ok := load.WorkloadByName(strings.TrimSpace(n))
		if !ok {
			return nil, fmt.Errorf("unknown workload %q", n)
		}
		out = append(out, w)
	}
	return out, nil
}

func field(rs []load.Result, f func(load.Result) float64) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// spread is "median [min-max]".
func spread(xs []float64, format string) string {
	if len(xs) == 0 {
		return "-"
	}
	if len(xs) == 1 {
		return fmt.Sprintf(format, xs[0])
	}
	return fmt.Sprintf(format+" ["+format+"-"+format+"]", median(xs), slices.Min(xs), slices.Max(xs))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func mib(b int64) float64 { return float64(b) / (1 << 20) }
