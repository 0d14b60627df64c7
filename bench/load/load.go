// Package load drives HTTP load at omi-devapi and at a ceiling server (a
// bare net/http handler answering the same bytes as a real memory list), so
// every figure comes with a ratio to a baseline measured in the same run.
// Requests are sent with vegeta in a closed loop: a fixed number of
// workers, each sending its next request when the last one is answered, for
// at most a number of requests and a duration, over loopback only.
package load

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Target is a server under load.
type Target struct {
	Name string
	URL  string // base URL, e.g. http://127.0.0.1:8080
	Key  string // developer key with every scope
}

// Request is one request of a workload.
type Request struct {
	Method string
	Path   string
	Body   []byte
}

// Workload is a named, deterministic stream of requests: Next(i) is the
// i-th request (i from 0), the same every run.
type Workload struct {
	Name string
	// Probe, when set, must answer 2xx before the workload runs; a 404
	// (route not in this build) or 503 (feature not configured, e.g. search
	// on a server without an engine) skips the workload.
	Probe *Request
	Next  func(i uint64) Request
	// Unit is how many items each request carries (a batch of 25 memories:
	// 25), for items per second; 0 counts as 1.
	Unit int
}

// Options bound a run: it stops after Requests requests or Duration,
// whichever comes first.
type Options struct {
	Workers  int
	Requests int
	Duration time.Duration
	// Warmup requests are sent first and not counted (key cache, page
	// cache, connection pool).
	Warmup int
}

// Result is one workload's run against one target.
type Result struct {
	Workload, Target string
	// Skipped says why the workload did not run; the rest is then zero.
	Skipped    string
	Requests   int
	Success    float64 // fraction of 2xx
	Throughput float64 // 2xx responses per second
	Units      float64 // items per second in 2xx responses (batch: 25 per request)
	P50, P90   time.Duration
	P99, Max   time.Duration
	Codes      map[string]int
	Errors     []string
	Elapsed    time.Duration
}

// ErrNotFound is a probe answered 404: the route is not in this build.
var ErrNotFound = errors.New("route answers 404")

// Do sends one request and returns its status and body.
func (t Target) Do(ctx context.Context, r Request) (int, []byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, r.Method, t.URL+r.Path, strings.NewReader(string(r.Body)))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+t.Key)
	if r.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := readAll(resp)
	return resp.StatusCode, b, resp.Header, err
}

// Run sends w to t as o says and measures it.
func Run(ctx context.Context, t Target, w Workload, o Options) (Result, error) {
	res := Result{Workload: w.Name, Target: t.Name}
	if w.Probe != nil {
		code, body, _, err := t.Do(ctx, *w.Probe)
		switch {
		case err != nil:
			return res, fmt.Errorf("load: probe %s: %w", w.Name, err)
		case code == http.StatusNotFound:
			res.Skipped = fmt.Sprintf("%s %s answers 404 (not in this build)", w.Probe.Method, w.Probe.Path)
			return res, nil
		case code == http.StatusServiceUnavailable:
			res.Skipped = fmt.Sprintf("%s %s answers 503 (%s)", w.Probe.Method, w.Probe.Path, truncate(body, 100))
			return res, nil
		case code/100 != 2:
			return res, fmt.Errorf("load: probe %s: %d %s", w.Name, code, truncate(body, 200))
		}
	}
	if o.Workers <= 0 {
		o.Workers = 1
	}
	var seq atomic.Uint64
	targeter := func(tgt *vegeta.Target) error {
		r := w.Next(seq.Add(1) - 1)
		tgt.Method, tgt.URL, tgt.Body = r.Method, t.URL+r.Path, r.Body
		tgt.Header = http.Header{"Authorization": {"Bearer " + t.Key}}
		if r.Body != nil {
			tgt.Header.Set("Content-Type", "application/json")
		}
		return nil
	}
	attack := func(n int, d time.Duration, each func(*vegeta.Result)) {
		a := vegeta.NewAttacker(vegeta.Workers(uint64(o.Workers)), vegeta.MaxWorkers(uint64(o.Workers)),
			vegeta.Connections(o.Workers), vegeta.KeepAlive(true), vegeta.Timeout(30*time.Second))
		results := a.Attack(vegeta.Targeter(targeter), closedLoop{n}, d, w.Name)
		for {
			select {
			case r, ok := <-results:
				if !ok {
					return
				}
				each(r)
			case <-ctx.Done():
				a.Stop()
				for range results {
				}
				return
			}
		}
	}
	if o.Warmup > 0 {
		attack(o.Warmup, 0, func(*vegeta.Result) {})
	}
	var (
		m    vegeta.Metrics
		lats []time.Duration
		ok   int
	)
	began := time.Now()
	attack(o.Requests, o.Duration, func(r *vegeta.Result) {
		m.Add(r)
		lats = append(lats, r.Latency)
		if r.Code/100 == 2 {
			ok++
		}
	})
	res.Elapsed = time.Since(began)
	m.Close()
	if err := ctx.Err(); err != nil {
		return res, err
	}
	res.Requests = int(m.Requests)
	res.Success = m.Success
	res.Throughput = m.Throughput
	res.Codes = m.StatusCodes
	res.Errors = m.Errors
	// vegeta's own quantiles are estimates; these are exact.
	slices.Sort(lats)
	res.P50, res.P90, res.P99 = quantile(lats, 0.50), quantile(lats, 0.90), quantile(lats, 0.99)
	if len(lats) > 0 {
		res.Max = lats[len(lats)-1]
	}
	res.Units = m.Throughput * float64(max(w.Unit, 1))
	return res, nil
}

// closedLoop paces nothing (each worker sends when answered) and stops
// after n hits (0: no bound).
type closedLoop struct{ n int }

func (c closedLoop) Pace(_ time.Duration, hits uint64) (time.Duration, bool) {
	return 0, c.n > 0 && hits >= uint64(c.n)
}

func (closedLoop) Rate(time.Duration) float64 { return 0 }

// quantile is the q-th quantile of sorted (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// Query joins path and params.
func Query(path string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return path + "?" + q.Encode()
}

func get(path string) Request { return Request{Method: "GET", Path: path} }

// Paths of the API the workloads use.
const (
	MemoriesPath      = "/v1/dev/user/memories"
	BatchPath         = "/v1/dev/user/memories/batch"
	ConversationsPath = "/v1/dev/user/conversations"
	SearchPath        = "/v1/dev/user/memories/vector/search"
)

// ListMemoriesPath is the request the ceiling server's body comes from.
var ListMemoriesPath = MemoriesPath + "?limit=25"

// searchQueries are what the search workloads ask, in turn: common and rare
// words of the seeded text, one and several terms.
var searchQueries = []string{
	"coffee", "rock climbing", "trip to Kyoto", "learning Spanish", "billing migration deadline",
	"oat milk lattes", "allergic to peanuts", "favourite place to read", "Sarah recommended sushi", "astronomy",
}

// SearchRequest is the i-th search query.
func SearchRequest(i uint64) Request {
	return get(Query(SearchPath, "query", searchQueries[i%uint64(len(searchQueries))], "limit", "10"))
}

func createMemoryBody(i uint64) []byte {
	return []byte(`{"content":"Load test memory ` + strconv.FormatUint(i, 10) +
		`: the user prefers window seats on long flights and packs a book for the train.","category":"interesting","tags":["bench"]}`)
}

func batchBody(i uint64, n int) []byte {
	var b strings.Builder
	b.WriteString(`{"memories":[`)
	for j := range n {
		if j > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"content":"Batch memory ` + strconv.FormatUint(i, 10) + "." + strconv.Itoa(j) +
			`: the user keeps a running list of restaurants to try with friends on weekends.","tags":["bench","batch"]}`)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// Workloads are the standard workloads, by name, in the order they run.
func Workloads() []Workload {
	listMem := get(ListMemoriesPath)
	listConv := get(Query(ConversationsPath, "limit", "25"))
	search := SearchRequest(0)
	return []Workload{
		{Name: "list-memories", Next: func(uint64) Request { return listMem }},
		{Name: "list-conversations", Next: func(uint64) Request { return listConv }},
		{Name: "create-memory", Next: func(i uint64) Request {
			return Request{Method: "POST", Path: MemoriesPath, Body: createMemoryBody(i)}
		}},
		{Name: "batch-create", Unit: 25, Next: func(i uint64) Request {
			return Request{Method: "POST", Path: BatchPath, Body: batchBody(i, 25)}
		}},
		{Name: "search", Probe: &search, Next: SearchRequest},
		// One in five requests writes: what an integration that syncs and
		// reads back does. Deterministic by position.
		{Name: "mixed", Next: func(i uint64) Request {
			switch i % 20 {
			case 0, 10:
				return Request{Method: "POST", Path: MemoriesPath, Body: createMemoryBody(i)}
			case 5:
				return Request{Method: "POST", Path: BatchPath, Body: batchBody(i, 5)}
			case 15:
				return get(Query(MemoriesPath, "limit", "25", "categories", "work,hobbies"))
			case 3, 7, 13:
				return listConv
			case 17:
				return get(Query(MemoriesPath, "limit", "25", "offset", "100"))
			default:
				return listMem
			}
		}},
	}
}

// WorkloadByName finds a standard workload.
func WorkloadByName(name string) (Workload, bool) {
	for _, w := range Workloads() {
		if w.Name == name {
			return w, true
		}
	}
	return Workload{}, false
}
