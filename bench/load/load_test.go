package load_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/omi-devapi/omi-devapi/bench/load"
	"github.com/omi-devapi/omi-devapi/bench/seed"
	"github.com/omi-devapi/omi-devapi/sqlite"
)

// seeded is a small seeded database.
func seeded(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "omi.db")
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Seed(t.Context(), db, seed.Config{Memories: 300, Conversations: 20, ActionItems: 10, Goals: 1, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func start(t *testing.T, path, searchMode string) load.Target {
	t.Helper()
	key, err := load.CreateKey(t.Context(), path, seed.UID(0))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := load.StartInProcess(t.Context(), path, searchMode)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return load.Target{Name: "omi-devapi", URL: srv.URL, Key: key}
}

// Every standard workload runs against the real handler, is answered 2xx
// throughout, and stops by itself at its request bound.
func TestWorkloads(t *testing.T) {
	omi := start(t, seeded(t), load.SearchFused)
	for _, w := range load.Workloads() {
		res, err := load.Run(t.Context(), omi, w, load.Options{Workers: 4, Requests: 60, Duration: time.Minute, Warmup: 5})
		if err != nil {
			t.Fatalf("%s: %v", w.Name, err)
		}
		if res.Skipped != "" || res.Requests != 60 || res.Success != 1 || res.Throughput <= 0 || res.P50 <= 0 || res.P99 < res.P50 {
			t.Fatalf("%s: %+v", w.Name, res)
		}
		if w.Name == "batch-create" && res.Units < 24*res.Throughput {
			t.Fatalf("batch items/s %v for %v requests/s", res.Units, res.Throughput)
		}
	}
	// The writes landed: the list now starts with load-test memories.
	code, body, _, err := omi.Do(t.Context(), load.Request{Method: "GET", Path: load.Query(load.MemoriesPath, "limit", "1000")})
	if err != nil || code != 200 || !strings.Contains(string(body), "Batch memory") || !strings.Contains(string(body), "Load test memory") {
		t.Fatalf("%d %v %.300s", code, err, body)
	}
}

// A workload whose route the server lacks (404) or has switched off (503)
// is skipped with the reason, not counted as failures.
func TestSkips(t *testing.T) {
	path := seeded(t)
	omi := start(t, path, load.SearchOff)
	search, _ := load.WorkloadByName("search")
	res, err := load.Run(t.Context(), omi, search, load.Options{Workers: 2, Requests: 10})
	if err != nil || !strings.Contains(res.Skipped, "503") || res.Requests != 0 {
		t.Fatalf("search without an engine: %+v %v", res, err)
	}
	missing := load.Request{Method: "GET", Path: "/v1/dev/user/not-yet"}
	res, err = load.Run(t.Context(), omi, load.Workload{Name: "future", Probe: &missing, Next: func(uint64) load.Request { return missing }},
		load.Options{Workers: 2, Requests: 10})
	if err != nil || !strings.Contains(res.Skipped, "404") {
		t.Fatalf("missing route: %+v %v", res, err)
	}
}

// Without a request bound a run stops at its duration.
func TestDurationBound(t *testing.T) {
	omi := start(t, seeded(t), load.SearchOff)
	w, _ := load.WorkloadByName("list-memories")
	began := time.Now()
	res, err := load.Run(t.Context(), omi, w, load.Options{Workers: 2, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > 5*time.Second || res.Requests == 0 {
		t.Fatalf("%d requests in %v", res.Requests, took)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if _, err := load.Run(ctx, omi, w, load.Options{Workers: 2, Duration: time.Hour}); err == nil {
		t.Fatal("a canceled run reported success")
	}
}

// The ceiling answers the real list's bytes to anything.
func TestCeiling(t *testing.T) {
	omi := start(t, seeded(t), load.SearchOff)
	code, body, _, err := omi.Do(t.Context(), load.Request{Method: "GET", Path: load.ListMemoriesPath})
	if err != nil || code != 200 {
		t.Fatal(code, err)
	}
	var page []map[string]any
	if err := json.Unmarshal(body, &page); err != nil || len(page) != 25 {
		t.Fatalf("list: %v, %d items", err, len(page))
	}
	srv, err := load.StartCeiling(body)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ceil := load.Target{Name: "ceiling", URL: srv.URL}
	for _, r := range []load.Request{{Method: "GET", Path: load.ListMemoriesPath}, {Method: "POST", Path: load.BatchPath, Body: []byte(`{}`)}} {
		code, got, h, err := ceil.Do(t.Context(), r)
		if err != nil || code != http.StatusOK || string(got) != string(body) || h.Get("Content-Type") != "application/json" {
			t.Fatalf("%s %s: %d %v", r.Method, r.Path, code, err)
		}
	}
	w, _ := load.WorkloadByName("create-memory")
	res, err := load.Run(t.Context(), ceil, w, load.Options{Workers: 2, Requests: 30})
	if err != nil || res.Requests != 30 || res.Success != 1 {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestReadMemory(t *testing.T) {
	m, err := load.ReadMemory(os.Getpid())
	if err != nil {
		t.Skip("no /proc:", err)
	}
	if m.RSS <= 0 || m.Peak < m.RSS {
		t.Fatalf("%+v", m)
	}
}
