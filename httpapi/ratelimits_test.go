package httpapi_test

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/apitest"
	"github.com/omi-devapi/omi-devapi/auth"
	"github.com/omi-devapi/omi-devapi/httpapi"
	"github.com/omi-devapi/omi-devapi/ratelimit"
)

var rateLimitHeaders = []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "RateLimit-Policy", "RateLimit"}

// withLimits turns rate limiting on; without a Limiter, an in-process one
// on the test's clock.
func withLimits(rl *httpapi.RateLimits) option {
	return func(d *httpapi.Deps) {
		if rl.Limiter == nil {
			rl.Limiter = ratelimit.NewMemory(d.Now)
		}
		d.RateLimits = rl
	}
}

// replica is a second server on e's database with its own key cache, as
// another process behind the same load balancer would be.
func (e *env) replica(opts ...option) *env {
	e.t.Helper()
	log := slog.New(slog.DiscardHandler)
	keys := auth.NewKeys(e.db, auth.KeysConfig{}, e.clock.Now, log, nil)
	e.t.Cleanup(func() { keys.Close(e.t.Context()) })
	d := httpapi.Deps{Logger: log, Keys: keys, Tokens: e.signer, Ready: []httpapi.Pinger{e.db}, Now: e.clock.Now,
		Memories: e.db}
	for _, o := range opts {
		o(&d)
	}
	return &env{t: e.t, h: apitest.New(e.t, httpapi.NewServer(d)), db: e.db, keys: keys, signer: e.signer, store: e.store, clock: e.clock}
}

// wantLimit checks upstream's headers: limit, remaining and reset seconds.
func wantLimit(t *testing.T, resp *apitest.Response, limit, remaining, reset int) {
	t.Helper()
	h := resp.Header
	got := [3]string{h.Get("X-RateLimit-Limit"), h.Get("X-RateLimit-Remaining"), h.Get("X-RateLimit-Reset")}
	want := [3]string{strconv.Itoa(limit), strconv.Itoa(remaining), strconv.Itoa(reset)}
	if got != want {
		t.Fatalf("X-RateLimit-Limit/Remaining/Reset = %v, want %v (status %d)", got, want, resp.Status)
	}
	if h.Get("RateLimit-Policy") == "" || h.Get("RateLimit") == "" {
		t.Fatalf("IETF headers missing: %v", h)
	}
}

func wantNoLimitHeaders(t *testing.T, resp *apitest.Response) {
	t.Helper()
	for _, name := range rateLimitHeaders {
		if v := resp.Header.Get(name); v != "" {
			t.Fatalf("%s: %s on a %d response that must carry no rate-limit headers", name, v, resp.Status)
		}
	}
}

// want429 checks a refusal: upstream's body, Retry-After, and the refusing
// bucket in the X-RateLimit headers.
func want429(t *testing.T, resp *apitest.Response, retryAfter, limit int) {
	t.Helper()
	wantDetail(t, resp, http.StatusTooManyRequests, "Rate limit exceeded. Try again in "+strconv.Itoa(retryAfter)+"s.")
	if resp.Detail() != "Rate limit exceeded. Try again in "+strconv.Itoa(retryAfter)+"s." {
		t.Fatalf("detail %q", resp.Detail())
	}
	if ra := resp.Header.Get("Retry-After"); ra != strconv.Itoa(retryAfter) {
		t.Fatalf("Retry-After %q, want %d", ra, retryAfter)
	}
	if resp.Header.Get("X-RateLimit-Limit") != strconv.Itoa(limit) || resp.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("429 reports limit %s remaining %s, want %d and 0",
			resp.Header.Get("X-RateLimit-Limit"), resp.Header.Get("X-RateLimit-Remaining"), limit)
	}
}

func TestRateLimitHeaders(t *testing.T) {
	e := setup(t, withLimits(&httpapi.RateLimits{PerMinute: 100, PerDay: 10000, Boost: 100}))
	k := e.key("alice").Key

	resp := e.do("GET", "/v1/dev/user/memories", k, nil)
	wantStatus(t, resp, 200)
	// The minute bucket is closest to running out: 99 left, full again in
	// 0.6 s, reported in whole seconds rounded up.
	wantLimit(t, resp, 100, 99, 1)
	if got, want := resp.Header.Get("RateLimit-Policy"), `"minute";q=100;w=60, "dev:memories_read";q=12000;w=3600, "day";q=10000;w=86400`; got != want {
		t.Fatalf("RateLimit-Policy %q, want %q", got, want)
	}
	if got, want := resp.Header.Get("RateLimit"), `"minute";r=99;t=1, "dev:memories_read";r=11999;t=1, "day";r=9999;t=9`; got != want {
		t.Fatalf("RateLimit %q, want %q", got, want)
	}

	// Errors past the limiter carry the headers too, and count.
	resp = e.do("POST", "/v1/dev/user/memories", k, `{"content": ""}`)
	wantStatus(t, resp, 422)
	wantLimit(t, resp, 100, 98, 2)
	if got, want := resp.Header.Get("RateLimit-Policy"), `"minute";q=100;w=60, "dev:memories";q=12000;w=3600, "day";q=10000;w=86400`; got != want {
		t.Fatalf("RateLimit-Policy %q, want %q", got, want)
	}
	resp = e.do("GET", "/v1/dev/user/memories/nope", k, nil)
	wantStatus(t, resp, 404)
	wantLimit(t, resp, 100, 97, 2)

	// Auth and scope run first: their failures are not limited or reported.
	wantNoLimitHeaders(t, e.do("GET", "/v1/dev/user/memories", "", nil))
	wantNoLimitHeaders(t, e.do("GET", "/v1/dev/user/memories", "omi_dev_0123456789abcdef0123456789abcdef00000000", nil))
	ro := e.key("alice", omi.ScopeMemoriesRead).Key
	resp = e.do("POST", "/v1/dev/user/memories", ro, map[string]any{"content": "x"})
	wantStatus(t, resp, 403)
	wantNoLimitHeaders(t, resp)
	// Key management is not under /v1/dev/user.
	wantNoLimitHeaders(t, e.do("GET", "/v1/dev/keys", e.token("alice"), nil))
}

// TestRateLimitExactCount: the minute budget allows exactly its count, then
// refuses with Retry-After; refusals cost nothing, and waiting Retry-After
// is enough.
func TestRateLimitExactCount(t *testing.T) {
	e := setup(t, withLimits(&httpapi.RateLimits{PerMinute: 5, PerDay: 10000, Boost: 100}))
	k := e.key("alice").Key
	for i := 1; i <= 5; i++ {
		resp := e.do("GET", "/v1/dev/user/memories", k, nil)
		wantStatus(t, resp, 200)
		wantLimit(t, resp, 5, 5-i, 12*i)
	}
	for range 3 {
		resp := e.do("GET", "/v1/dev/user/memories", k, nil)
		want429(t, resp, 12, 5)
		if got, want := resp.Header.Get("RateLimit"), `"minute";r=0;t=60, "dev:memories_read";r=11995;t=2, "day";r=9995;t=44`; got != want {
			t.Fatalf("RateLimit on 429 %q, want %q", got, want)
		}
		if got := resp.Header.Get("X-RateLimit-Reset"); got != "60" {
			t.Fatalf("X-RateLimit-Reset on 429 %s, want 60", got)
		}
	}
	e.clock.Add(11500 * time.Millisecond)
	want429(t, e.do("GET", "/v1/dev/user/memories", k, nil), 1, 5)
	e.clock.Add(500 * time.Millisecond)
	resp := e.do("GET", "/v1/dev/user/memories", k, nil)
	wantStatus(t, resp, 200)
	wantLimit(t, resp, 5, 0, 60)
	want429(t, e.do("GET", "/v1/dev/user/memories", k, nil), 12, 5)
}

// TestRateLimitPerPolicy: a policy bucket refuses on its own count while
// the minute budget has room, refusals do not spend the minute budget, and
// other policies (reads) and other keys are unaffected.
func TestRateLimitPerPolicy(t *testing.T) {
	e := setup(t, withLimits(&httpapi.RateLimits{PerMinute: 100, PerDay: 10000, Boost: 1,
		Bases: map[string]int{omi.PolicyMemories: 2}}))
	k := e.key("alice").Key
	for i := range 2 {
		resp := e.do("POST", "/v1/dev/user/memories", k, map[string]any{"content": "fact " + strconv.Itoa(i)})
		wantStatus(t, resp, 200)
		wantLimit(t, resp, 2, 1-i, 1800*(i+1))
	}
	for range 3 {
		want429(t, e.do("POST", "/v1/dev/user/memories", k, map[string]any{"content": "one too many"}), 1800, 2)
	}
	resp := e.do("GET", "/v1/dev/user/memories", k, nil)
	wantStatus(t, resp, 200)
	// Two writes and this read: the three refusals spent nothing.
	if got := resp.Header.Get("RateLimit"); !strings.HasPrefix(got, `"minute";r=97;`) {
		t.Fatalf("RateLimit after refusals %q, want 97 left in the minute", got)
	}
	// Upstream's policy buckets are per key.
	other := e.key("alice").Key
	wantStatus(t, e.do("POST", "/v1/dev/user/memories", other, map[string]any{"content": "from another key"}), 200)
	// The batch policy is a bucket of its own (base 15, boost 1).
	resp = e.do("POST", "/v1/dev/user/memories/batch", k, map[string]any{"memories": []any{map[string]any{"content": "batched"}}})
	wantStatus(t, resp, 200)
	if got := resp.Header.Get("RateLimit-Policy"); !strings.Contains(got, `"dev:memories_batch";q=15;w=3600`) {
		t.Fatalf("batch policy %q", got)
	}
}

// TestRateLimitedWriteHasNoEffect: a 429 (policy or minute budget) is
// answered before the handler runs, so nothing is written.
func TestRateLimitedWriteHasNoEffect(t *testing.T) {
	e := setup(t, withLimits(&httpapi.RateLimits{PerMinute: 3, Boost: 1, Bases: map[string]int{omi.PolicyMemories: 1}}))
	k := e.key("alice").Key
	e.createMemory(k, map[string]any{"content": "kept"})
	want429(t, e.do("POST", "/v1/dev/user/memories", k, map[string]any{"content": "refused by policy"}), 3600, 1)
	wantStatus(t, e.do("GET", "/v1/dev/user/memories", k, nil), 200)
	wantStatus(t, e.do("GET", "/v1/dev/user/memories", k, nil), 200)
	// The minute budget is spent; a batch (another policy) is refused by it.
	want429(t, e.do("POST", "/v1/dev/user/memories/batch", k, map[string]any{"memories": []any{map[string]any{"content": "refused by minute"}}}), 20, 3)

	ms, err := e.db.ListMemories(t.Context(), omi.MemoryFilter{UID: "alice", Page: omi.Page{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Content != "kept" {
		t.Fatalf("stored after refusals: %v", ms)
	}
}

// TestRateLimitSubjects: the minute budget is per key, the day budget per
// user across their keys; other users are untouched.
func TestRateLimitSubjects(t *testing.T) {
	e := setup(t, withLimits(&httpapi.RateLimits{PerMinute: 2, PerDay: 3, Boost: 100}))
	k1, k2 := e.key("alice").Key, e.key("alice").Key
	wantStatus(t, e.do("GET", "/v1/dev/user/memories", k1, nil), 200)
	wantStatus(t, e.do("GET", "/v1/dev/user/memories", k1, nil), 200)
	want429(t, e.do("GET", "/v1/dev/user/memories", k1, nil), 30, 2) // k1's minute
	resp := e.do("GET", "/v1/dev/user/memories", k2, nil)
	wantStatus(t, resp, 200)
	wantLimit(t, resp, 3, 0, 86400) // alice's day: 3 of 3 spent
	// k2's minute has room; alice's day does not: one request every 8 hours.
	want429(t, e.do("GET", "/v1/dev/user/memories", k2, nil), 28800, 3)
	bob := e.key("bob").Key
	wantStatus(t, e.do("GET", "/v1/dev/user/memories", bob, nil), 200)
}

func TestRateLimitsOffMeansNoHeaders(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	for range 200 {
		resp := e.do("GET", "/v1/dev/user/memories", k, nil)
		wantStatus(t, resp, 200)
		wantNoLimitHeaders(t, resp)
	}
}

// sharedRedis is a Redis two servers can share: miniredis, whose clock the
// test moves (advance), or the real one at OMI_TEST_REDIS_URL (advance nil).
type sharedRedis struct {
	m      *miniredis.Miniredis
	url    string
	prefix string
	now    time.Time
}

func redisBackends(t *testing.T) map[string]func(t *testing.T) *sharedRedis {
	b := map[string]func(t *testing.T) *sharedRedis{
		"miniredis": func(t *testing.T) *sharedRedis {
			m := miniredis.RunT(t)
			r := &sharedRedis{m: m, url: "redis://" + m.Addr(), prefix: testPrefix(t), now: time.Now()}
			m.SetTime(r.now)
			return r
		},
	}
	if u := os.Getenv("OMI_TEST_REDIS_URL"); u != "" {
		b["redis"] = func(t *testing.T) *sharedRedis { return &sharedRedis{url: u, prefix: testPrefix(t)} }
	}
	return b
}

func testPrefix(t *testing.T) string {
	var b [6]byte
	rand.Read(b[:])
	return "omi-test:" + t.Name() + ":" + hex.EncodeToString(b[:]) + ":"
}

// limiter is a fresh client of the shared Redis, as each replica has its own.
func (r *sharedRedis) limiter(t *testing.T) *ratelimit.Redis {
	t.Helper()
	opts, err := ratelimit.RedisOptions(r.url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	return ratelimit.NewRedis(rdb, r.prefix)
}

func (r *sharedRedis) advance(d time.Duration) {
	r.now = r.now.Add(d)
	r.m.SetTime(r.now)
	r.m.FastForward(d)
}

// TestRateLimitSharedAcrossReplicas: two servers on one Redis enforce one
// budget, and a Retry-After earned on one is honoured by the other.
func TestRateLimitSharedAcrossReplicas(t *testing.T) {
	for name, open := range redisBackends(t) {
		t.Run(name, func(t *testing.T) {
			r := open(t)
			a := setup(t, withLimits(&httpapi.RateLimits{Limiter: r.limiter(t), PerMinute: 4, Boost: 100}))
			b := a.replica(withLimits(&httpapi.RateLimits{Limiter: r.limiter(t), PerMinute: 4, Boost: 100}))
			k := a.key("alice").Key
			for i, srv := range []*env{a, b, a, b} {
				resp := srv.do("GET", "/v1/dev/user/memories", k, nil)
				wantStatus(t, resp, 200)
				if got := resp.Header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(3-i) {
					t.Fatalf("request %d: remaining %s, want %d: the replicas do not share the budget", i+1, got, 3-i)
				}
			}
			want429(t, a.do("GET", "/v1/dev/user/memories", k, nil), 15, 4)
			want429(t, b.do("GET", "/v1/dev/user/memories", k, nil), 15, 4)
			if r.m == nil {
				return // a real Redis keeps real time
			}
			r.advance(15 * time.Second)
			wantStatus(t, b.do("GET", "/v1/dev/user/memories", k, nil), 200)
			want429(t, a.do("GET", "/v1/dev/user/memories", k, nil), 15, 4)
		})
	}
}

// TestRateLimitRedisOutage: with Redis down, fail-open serves unlimited
// (no headers, counted in a metric) and fail-closed answers 503 without
// running the handler; both recover on their own when Redis is back.
func TestRateLimitRedisOutage(t *testing.T) {
	for _, closed := range []bool{false, true} {
		t.Run(map[bool]string{false: "open", true: "closed"}[closed], func(t *testing.T) {
			m := miniredis.RunT(t)
			r := &sharedRedis{m: m, url: "redis://" + m.Addr(), prefix: testPrefix(t)}
			e := setup(t, withLimits(&httpapi.RateLimits{Limiter: r.limiter(t), PerMinute: 100, Boost: 100, FailClosed: closed}))
			k := e.key("alice").Key
			wantLimit(t, e.do("GET", "/v1/dev/user/memories", k, nil), 100, 99, 1)

			m.Close()
			write := e.do("POST", "/v1/dev/user/memories", k, map[string]any{"content": "during the outage"})
			read := e.do("GET", "/v1/dev/user/memories", k, nil)
			if closed {
				wantDetail(t, write, http.StatusServiceUnavailable, "Rate limiter unavailable")
				if write.Detail() != "Rate limiter unavailable" {
					t.Fatalf("detail %q", write.Detail())
				}
				wantStatus(t, read, http.StatusServiceUnavailable)
			} else {
				wantStatus(t, write, 200)
				wantStatus(t, read, 200)
			}
			wantNoLimitHeaders(t, write)
			wantNoLimitHeaders(t, read)
			metrics := e.do("GET", "/metrics", "", nil)
			if !strings.Contains(string(metrics.Body), "omi_rate_limiter_errors_total 2") {
				t.Fatalf("limiter failures not counted:\n%s", grepLines(string(metrics.Body), "rate_limiter"))
			}

			if err := m.Restart(); err != nil {
				t.Fatal(err)
			}
			var resp *apitest.Response
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				resp = e.do("GET", "/v1/dev/user/memories", k, nil)
				if resp.Status == 200 && resp.Header.Get("X-RateLimit-Limit") != "" || time.Now().After(deadline) {
					break
				}
			}
			wantStatus(t, resp, 200)
			// The budget in Redis survived: the first request, this one,
			// and nothing else counted.
			if got := resp.Header.Get("X-RateLimit-Remaining"); got != "98" {
				t.Fatalf("remaining after recovery %s, want 98", got)
			}
			ms, err := e.db.ListMemories(t.Context(), omi.MemoryFilter{UID: "alice", Page: omi.Page{Limit: 10}})
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{false: 1, true: 0}[closed]; len(ms) != want {
				t.Fatalf("%d memories stored during the outage, want %d", len(ms), want)
			}
		})
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestTranscriptReadsChargeExtra: a conversation read asking for the
// transcript also counts against upstream's transcript bucket.
func TestTranscriptReadsChargeExtra(t *testing.T) {
	e := setup(t, withLimits(&httpapi.RateLimits{PerMinute: 100, Boost: 1}))
	k := e.key("alice").Key
	resp := e.do("GET", "/v1/dev/user/conversations", k, nil)
	wantStatus(t, resp, 200)
	if got, want := resp.Header.Get("RateLimit-Policy"), `"minute";q=100;w=60, "dev:conversations_read";q=60;w=3600`; got != want {
		t.Fatalf("RateLimit-Policy %q, want %q", got, want)
	}
	resp = e.do("GET", "/v1/dev/user/conversations?include_transcript=true", k, nil)
	wantStatus(t, resp, 200)
	if got, want := resp.Header.Get("RateLimit"), `"minute";r=98;t=2, "dev:conversations_read";r=58;t=120, "dev:conversation_transcript_read";r=24;t=144`; got != want {
		t.Fatalf("RateLimit %q, want %q", got, want)
	}
}
