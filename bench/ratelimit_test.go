package bench

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/ratelimit"
)

// requestCharges is what one request to POST /v1/dev/user/memories costs
// with the default configuration: the key's minute, the policy bucket and
// the user's day. Quotas are out of reach so every request is allowed (the
// common path).
func requestCharges(key, uid string) []omi.Charge {
	return []omi.Charge{
		{Key: "minute:k:" + key, Limit: omi.Limit{Name: "minute", Quota: 1 << 30, Window: time.Minute}},
		{Key: "dev:memories:k:" + key, Limit: omi.Limit{Name: "dev:memories", Quota: 1 << 30, Window: time.Hour}},
		{Key: "day:u:" + uid, Limit: omi.Limit{Name: "day", Quota: 1 << 30, Window: 24 * time.Hour}},
	}
}

func benchAllow(b *testing.B, l omi.Limiter) {
	ctx := context.Background()
	charges := requestCharges("3f0c1d9e-5b1a-4c77-9d8e-2a6b4f1e0c55", "alice")
	b.ReportAllocs()
	for b.Loop() {
		d, err := l.Allow(ctx, charges...)
		if err != nil || !d.Allowed {
			b.Fatal(d, err)
		}
	}
}

// BenchmarkRateLimitMemory is the in-process limiter's per-request cost:
// three buckets checked and charged under their shard locks. Goal: < 2 µs.
func BenchmarkRateLimitMemory(b *testing.B) {
	benchAllow(b, ratelimit.NewMemory(nil))
}

// BenchmarkRateLimitMemoryParallel: every CPU sending, each goroutine its
// own key (many clients), the day bucket shared (one user).
func BenchmarkRateLimitMemoryParallel(b *testing.B) {
	l := ratelimit.NewMemory(nil)
	ctx := context.Background()
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		charges := requestCharges("key-"+strconv.FormatInt(n.Add(1), 10), "alice")
		for pb.Next() {
			if d, err := l.Allow(ctx, charges...); err != nil || !d.Allowed {
				b.Fatal(d, err)
			}
		}
	})
}

// BenchmarkRateLimitMemoryManyKeys: 131,072 distinct clients in turn,
// so buckets are created, and swept, as the benchmark runs.
func BenchmarkRateLimitMemoryManyKeys(b *testing.B) {
	l := ratelimit.NewMemory(nil)
	ctx := context.Background()
	sets := make([][]omi.Charge, 1<<17)
	for i := range sets {
		s := strconv.Itoa(i)
		sets[i] = requestCharges("key-"+s, "user-"+s)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if d, err := l.Allow(ctx, sets[i&(len(sets)-1)]...); err != nil || !d.Allowed {
			b.Fatal(d, err)
		}
		i++
	}
}

// BenchmarkRateLimitMiniredis is the Redis limiter against miniredis over
// loopback TCP: three round trips and three script runs per request, in a
// Lua interpreter written in Go (slower than Redis's own).
func BenchmarkRateLimitMiniredis(b *testing.B) {
	m := miniredis.RunT(b)
	benchAllow(b, redisLimiter(b, "redis://"+m.Addr()))
}

// BenchmarkRateLimitRedis is the Redis limiter against the real Redis at
// OMI_TEST_REDIS_URL.
func BenchmarkRateLimitRedis(b *testing.B) {
	url := os.Getenv("OMI_TEST_REDIS_URL")
	if url == "" {
		b.Skip("OMI_TEST_REDIS_URL not set")
	}
	benchAllow(b, redisLimiter(b, url))
}

// BenchmarkRateLimitRedisParallel: the real Redis under concurrent
// requests from 64 goroutines, as a busy replica sends them.
func BenchmarkRateLimitRedisParallel(b *testing.B) {
	url := os.Getenv("OMI_TEST_REDIS_URL")
	if url == "" {
		b.Skip("OMI_TEST_REDIS_URL not set")
	}
	l := redisLimiter(b, url)
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		charges := requestCharges("key-"+strconv.FormatInt(n.Add(1), 10), "alice")
		for pb.Next() {
			if d, err := l.Allow(ctx, charges...); err != nil || !d.Allowed {
				b.Fatal(d, err)
			}
		}
	})
}

// BenchmarkBaselineRedisPing is the floor for any Redis limiter: one round
// trip to the Redis at OMI_TEST_REDIS_URL.
func BenchmarkBaselineRedisPing(b *testing.B) {
	url := os.Getenv("OMI_TEST_REDIS_URL")
	if url == "" {
		b.Skip("OMI_TEST_REDIS_URL not set")
	}
	opts, err := ratelimit.RedisOptions(url)
	if err != nil {
		b.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := rdb.Ping(ctx).Err(); err != nil {
			b.Fatal(err)
		}
	}
}

func redisLimiter(b *testing.B, url string) *ratelimit.Redis {
	opts, err := ratelimit.RedisOptions(url)
	if err != nil {
		b.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	b.Cleanup(func() { rdb.Close() })
	return ratelimit.NewRedis(rdb, "omi-bench:"+strconv.FormatInt(time.Now().UnixNano(), 36)+":")
}

// BenchmarkBaselineRateLimiter is the floor: one bare golang.org/x/time/rate
// token bucket, one bucket per request, no key lookup.
func BenchmarkBaselineRateLimiter(b *testing.B) {
	l := rate.NewLimiter(rate.Limit(1<<30), 1<<30)
	b.ReportAllocs()
	for b.Loop() {
		if !l.Allow() {
			b.Fatal("refused")
		}
	}
}
