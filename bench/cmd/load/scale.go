package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/omi-devapi/omi-devapi/bench/load"
)

// probe is one request shape of the scale run.
type probe struct {
	name string
	req  load.Request
	// n scales the request count: deep offset pages and searches are slow,
	// so they get fewer.
	n float64
	// lexical: sent to the server whose search has no embedder.
	lexical bool
	search  bool
}

func runScale(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	var c common
	c.register(fs)
	lexicalEnv := fs.String("lexical-env", "", "with -server exec: KEY=VALUE that turns the binary's embedder off, for lexical search (default: lexical search is not measured)")
	dirs := fs.String("data-dirs", "", "comma-separated seeded data dirs, smallest first (e.g. 10k and 1M memories)")
	requests := fs.Int("requests", 1000, "sequential requests per page probe (offset pages: a fifth)")
	searchRequests := fs.Int("search-requests", 100, "sequential requests per search probe")
	rounds := fs.Int("rounds", 3, "rounds, each running every size in turn")
	depth := fs.Int("depth", 10_000, "depth of the offset and cursor pages")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dirs == "" {
		return fmt.Errorf("-data-dirs is required")
	}
	if !isSet(fs, "server") {
		// Both search modes need a server each; in process they are wired
		// here, whatever the binary's configuration offers.
		c.server = "inproc"
	}
	tmp, err := os.MkdirTemp("", "omi-scale-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	type sized struct {
		dir             string
		target, lexical load.Target
		probes          []probe
	}
	var sizes []*sized
	for _, d := range strings.Split(*dirs, ",") {
		srv, t, _, err := c.start(ctx, tmp, d, load.SearchFused)
		if err != nil {
			return err
		}
		defer srv.Close()
		s := &sized{dir: d, target: t}
		switch {
		case c.server == "inproc":
			lex, lt, _, err := c.start(ctx, tmp, d, load.SearchLexical)
			if err != nil {
				return err
			}
			defer lex.Close()
			s.lexical = lt
		case *lexicalEnv != "":
			lex, lt, _, err := c.start(ctx, tmp, d, load.SearchLexical, *lexicalEnv)
			if err != nil {
				return err
			}
			defer lex.Close()
			s.lexical = lt
		}
		if s.probes, err = scaleProbes(ctx, t, *depth, s.lexical.URL != ""); err != nil {
			return fmt.Errorf("%s: %w", d, err)
		}
		sizes = append(sizes, s)
	}
	fmt.Fprintf(out, "machine: %s\n", machine())
	fmt.Fprintf(out, "server: %s; sequential requests (1 worker), %d per page probe (offset pages %d, searches %d), %d rounds\n\n",
		c.server, *requests, *requests/5, *searchRequests, *rounds)
	// results[size][probe] = per-round results
	results := make([]map[string][]load.Result, len(sizes))
	for i := range results {
		results[i] = map[string][]load.Result{}
	}
	fmt.Fprintf(out, "%-28s %-14s %5s %9s %9s %9s\n", "data", "probe", "round", "p50", "p99", "req/s")
	for r := 1; r <= *rounds; r++ {
		for i, s := range sizes {
			for _, p := range s.probes {
				n := max(int(float64(*requests)*p.n), 20)
				if p.search {
					n = max(*searchRequests, 10)
				}
				req := p.req
				w := load.Workload{Name: p.name, Probe: &req, Next: func(uint64) load.Request { return req }}
				t := s.target
				if p.lexical {
					t = s.lexical
				}
				res, err := load.Run(ctx, t, w, load.Options{Workers: 1, Requests: n, Duration: time.Minute, Warmup: max(n/10, 5)})
				if err != nil {
					return err
				}
				if res.Skipped != "" {
					fmt.Fprintf(out, "%-28s %-14s skipped: %s\n", filepath.Base(s.dir), p.name, res.Skipped)
					continue
				}
				if res.Success < 1 {
					return fmt.Errorf("%s %s: codes %v errors %v", s.dir, p.name, res.Codes, res.Errors)
				}
				results[i][p.name] = append(results[i][p.name], res)
				fmt.Fprintf(out, "%-28s %-14s %5d %9s %9s %9.0f\n", filepath.Base(s.dir), p.name, r, ms(res.P50), ms(res.P99), res.Throughput)
			}
		}
	}
	if len(sizes) < 2 {
		return nil
	}
	small, large := results[0], results[len(results)-1]
	fmt.Fprintf(out, "\n%s vs %s: median of rounds [min-max]; ratio = large/small, per round, median\n\n",
		filepath.Base(sizes[len(sizes)-1].dir), filepath.Base(sizes[0].dir))
	fmt.Fprintln(out, "| probe | small p50 | small p99 | large p50 | large p99 | p50 ratio | p99 ratio |")
	fmt.Fprintln(out, "| --- | --- | --- | --- | --- | --- | --- |")
	for _, p := range sizes[0].probes {
		a, b := small[p.name], large[p.name]
		if len(a) == 0 || len(b) == 0 {
			continue
		}
		var r50, r99 []float64
		for i := range min(len(a), len(b)) {
			r50 = append(r50, float64(b[i].P50)/float64(a[i].P50))
			r99 = append(r99, float64(b[i].P99)/float64(a[i].P99))
		}
		p50 := func(r load.Result) float64 { return float64(r.P50) / 1e6 }
		p99 := func(r load.Result) float64 { return float64(r.P99) / 1e6 }
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s | %s | %s |\n", p.name,
			spread(field(a, p50), "%.2f"), spread(field(a, p99), "%.2f"),
			spread(field(b, p50), "%.2f"), spread(field(b, p99), "%.2f"),
			spread(r50, "%.2f"), spread(r99, "%.2f"))
	}
	fmt.Fprintln(out, "\n(latencies in ms)")
	fmt.Fprintf(out, "load average after: %s\n", machine())
	return nil
}

// scaleProbes are the requests of a scale run: the first page, a page at
// depth by offset and the same page by cursor, and searches.
func scaleProbes(ctx context.Context, t load.Target, depth int, lexical bool) ([]probe, error) {
	// The cursor after the depth-th memory: the Link of the page that ends
	// there (limit is at most 1000).
	lim := min(depth, 1000)
	path := load.Query(load.MemoriesPath, "limit", fmt.Sprint(lim), "offset", fmt.Sprint(depth-lim))
	code, body, h, err := t.Do(ctx, load.Request{Method: "GET", Path: path})
	if err != nil || code != 200 {
		return nil, fmt.Errorf("GET %s: %d %v %.200s", path, code, err, body)
	}
	link := h.Get("Link")
	raw, _, ok := strings.Cut(strings.TrimPrefix(link, "<"), ">")
	if !ok {
		return nil, fmt.Errorf("GET %s: no Link header (fewer than %d memories?)", path, depth+1)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	cursor := u.Query().Get("cursor")
	get := func(p string) load.Request { return load.Request{Method: "GET", Path: p} }
	probes := []probe{
		{name: "first-page", req: get(load.ListMemoriesPath), n: 1},
		{name: "offset-page", req: get(load.Query(load.MemoriesPath, "limit", "25", "offset", fmt.Sprint(depth))), n: 0.2},
		{name: "cursor-page", req: get(load.Query(load.MemoriesPath, "limit", "25", "cursor", cursor)), n: 1},
	}
	// One common word, and several words (more postings to merge). Each
	// query is one request shape, so its p50 is that query's.
	for _, q := range []struct {
		name string
		i    uint64
	}{{"1-term", 0}, {"4-terms", 4}} {
		if lexical {
			probes = append(probes, probe{name: "lexical-" + q.name, req: load.SearchRequest(q.i), lexical: true, search: true})
		}
		probes = append(probes, probe{name: "fused-" + q.name, req: load.SearchRequest(q.i), search: true})
	}
	return probes, nil
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
