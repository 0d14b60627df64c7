package ratelimit_test

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/ratelimit"
	"github.com/omi-devapi/omi-devapi/ratelimit/limitertest"
)

// fakeClock is a settable clock, safe for the concurrent test.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestMemory(t *testing.T) {
	limitertest.Run(t, func(t *testing.T) limitertest.Subject {
		c := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
		return limitertest.Subject{Limiter: ratelimit.NewMemory(c.Now), Advance: c.Add, Unit: time.Minute}
	})
}

// TestMiniredis runs the suite on miniredis, whose clock (the one
// redis_rate's script reads with TIME) the test sets.
func TestMiniredis(t *testing.T) {
	limitertest.Run(t, func(t *testing.T) limitertest.Subject {
		m := miniredis.RunT(t)
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		m.SetTime(now)
		var mu sync.Mutex
		return limitertest.Subject{
			Limiter: ratelimit.NewRedis(client(t, m.Addr()), prefix(t)),
			Advance: func(d time.Duration) {
				mu.Lock()
				defer mu.Unlock()
				now = now.Add(d)
				m.SetTime(now)
				m.FastForward(d)
			},
			Unit: time.Minute,
			// redis_rate computes in float seconds.
			Tolerance: time.Microsecond,
		}
	})
}

// TestRealRedis runs the suite on the Redis at OMI_TEST_REDIS_URL, in real
// time: units of 250 ms dwarf a local round trip, even on a busy machine.
func TestRealRedis(t *testing.T) {
	url := os.Getenv("OMI_TEST_REDIS_URL")
	if url == "" {
		t.Skip("OMI_TEST_REDIS_URL not set")
	}
	limitertest.Run(t, func(t *testing.T) limitertest.Subject {
		opts, err := ratelimit.RedisOptions(url)
		if err != nil {
			t.Fatal(err)
		}
		rdb := redis.NewClient(opts)
		t.Cleanup(func() { rdb.Close() })
		if err := rdb.Ping(t.Context()).Err(); err != nil {
			t.Fatalf("redis at OMI_TEST_REDIS_URL: %v", err)
		}
		return limitertest.Subject{
			Limiter:   ratelimit.NewRedis(rdb, prefix(t)),
			Advance:   time.Sleep,
			Unit:      250 * time.Millisecond,
			Tolerance: 150 * time.Millisecond,
		}
	})
}

func client(t *testing.T, addr string) *redis.Client {
	t.Helper()
	opts, err := ratelimit.RedisOptions("redis://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// prefix gives each test its own keys, so tests sharing a Redis never meet.
func prefix(t *testing.T) string {
	var b [6]byte
	rand.Read(b[:])
	return "omi-test:" + t.Name() + ":" + hex.EncodeToString(b[:]) + ":"
}

// TestMemoryEvictsIdleBuckets: a stream of distinct keys (clients that come
// once and leave) does not grow the limiter beyond the buckets that are not
// yet full again.
func TestMemoryEvictsIdleBuckets(t *testing.T) {
	c := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	m := ratelimit.NewMemory(c.Now)
	l := omi.Limit{Name: "minute", Quota: 100, Window: time.Minute}
	peak := 0
	for i := range 100_000 {
		if _, err := m.Allow(t.Context(), omi.Charge{Key: "k" + strconv.Itoa(i), Limit: l}); err != nil {
			t.Fatal(err)
		}
		c.Add(10 * time.Millisecond) // 100 new clients a second
		peak = max(peak, m.Len())
	}
	// A bucket charged once is full again after 0.6 s and swept within a
	// minute of that: at 100 keys a second, about 6,000 held at most.
	if peak > 7_000 {
		t.Fatalf("held %d buckets at peak; idle ones are not evicted", peak)
	}
	c.Add(2 * time.Minute)
	for i := range 1000 { // touch every shard once more
		m.Allow(t.Context(), omi.Charge{Key: "late" + strconv.Itoa(i), Limit: l})
	}
	if n := m.Len(); n > 1000 {
		t.Fatalf("%d buckets held after every old one refilled", n)
	}
}

// TestMemoryKeepsLiveBuckets: eviction never forgets a bucket that is still
// short, however long ago it was touched.
func TestMemoryKeepsLiveBuckets(t *testing.T) {
	c := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	m := ratelimit.NewMemory(c.Now)
	day := omi.Charge{Key: "day:u:alice", Limit: omi.Limit{Name: "day", Quota: 2, Window: 24 * time.Hour}}
	m.Allow(t.Context(), day)
	m.Allow(t.Context(), day)
	for range 100 { // an hour of sweeps
		c.Add(36 * time.Second)
		m.Allow(t.Context(), omi.Charge{Key: "other", Limit: omi.Limit{Name: "m", Quota: 1, Window: time.Second}})
	}
	if d, _ := m.Allow(t.Context(), day); d.Allowed {
		t.Fatal("an exhausted day bucket was forgotten after an hour")
	}
}

// TestRedisOutage: with Redis gone Allow returns an error (the caller picks
// fail open or closed) quickly, and the limiter works again, budget intact,
// once Redis is back, with no action from the caller.
func TestRedisOutage(t *testing.T) {
	m := miniredis.RunT(t)
	l := ratelimit.NewRedis(client(t, m.Addr()), prefix(t))
	c := omi.Charge{Key: "k", Limit: omi.Limit{Name: "three", Quota: 3, Window: time.Hour}}
	if _, err := l.Allow(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	m.Close()
	start := time.Now()
	if _, err := l.Allow(t.Context(), c); err == nil {
		t.Fatal("no error with Redis down")
	}
	if err := l.Ping(t.Context()); err == nil {
		t.Fatal("Ping succeeded with Redis down")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("failing took %v; the request path must not hang on a dead Redis", d)
	}
	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	var d omi.Decision
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if d, err = l.Allow(t.Context(), c); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("limiter did not recover: %v", err)
	}
	if !d.Allowed || d.Buckets[0].Remaining != 1 {
		t.Fatalf("after recovery: %+v, want the second of three requests", d)
	}
}

func TestRedisOptions(t *testing.T) {
	opts, err := ratelimit.RedisOptions("redis://localhost:6379/2")
	if err != nil {
		t.Fatal(err)
	}
	if opts.DB != 2 || opts.DialTimeout != 500*time.Millisecond || opts.ReadTimeout != 250*time.Millisecond || opts.MaxRetries != 1 {
		t.Fatalf("defaults: %+v", opts)
	}
	opts, err = ratelimit.RedisOptions("redis://localhost:6379/0?read_timeout=2s&max_retries=3")
	if err != nil {
		t.Fatal(err)
	}
	if opts.ReadTimeout != 2*time.Second || opts.MaxRetries != 3 {
		t.Fatalf("URL settings overridden: %+v", opts)
	}
	if _, err := ratelimit.RedisOptions("http://localhost"); err == nil {
		t.Fatal("accepted a non-Redis URL")
	}
}
