package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	omi "github.com/omi-devapi/omi-devapi"
)

// DefaultRedisPrefix namespaces the limiter's keys (redis_rate adds "rate:"
// in front), so the limiter can share a Redis database with other users.
const DefaultRedisPrefix = "omi-devapi:"

// Redis is a GCRA limiter whose buckets live in Redis (redis_rate's script,
// one key per bucket, timed by the Redis server's clock), so every replica
// pointed at the same Redis enforces one budget.
//
// redis_rate charges one bucket per call and only when that bucket has
// room. A request charges all its buckets at once; when any refuses, the
// ones charged are refunded (a charge of -1) before the refusal is
// returned. Two small races follow, both on the strict side (neither ever
// admits more than the limits allow):
//   - between a charge and its refund (one round trip) a concurrent request
//     sees that bucket one request lower, and may be refused if it was the
//     bucket's last request;
//   - a refund to a bucket that was full before the request is lost
//     (redis_rate does not store a state earlier than now), so that bucket
//     stays one request short for at most one emission interval
//     (Window/Quota, e.g. 0.6 s for 100 per minute).
//
// The in-process limiter has neither: it decides while holding the locks of
// every bucket involved. Each bucket is one key, so the limiter also works
// on a Redis Cluster.
type Redis struct {
	client redis.UniversalClient
	rl     *redis_rate.Limiter
	prefix string
}

// NewRedis returns a limiter on client whose keys start with prefix
// (DefaultRedisPrefix when empty; tests give each test its own).
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	if prefix == "" {
		prefix = DefaultRedisPrefix
	}
	return &Redis{client: client, rl: redis_rate.NewLimiter(client), prefix: prefix}
}

// Ping reports whether Redis answers (for /readyz).
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}

// Allow implements omi.Limiter. The buckets are charged concurrently, so a
// request waits one round trip whatever its number of buckets; a refusal
// costs one more, for the refunds.
func (r *Redis) Allow(ctx context.Context, charges ...omi.Charge) (omi.Decision, error) {
	for _, c := range charges {
		if err := validate(c.Limit); err != nil {
			return omi.Decision{}, err
		}
	}
	n := len(charges)
	res := make([]*redis_rate.Result, n)
	errs := make([]error, n)
	each(n, func(i int) {
		c := charges[i]
		if res[i], errs[i] = r.rl.Allow(ctx, r.prefix+c.Key, gcraLimit(c.Limit)); errs[i] != nil {
			errs[i] = fmt.Errorf("ratelimit: redis: charge %s: %w", c.Limit.Name, errs[i])
		}
	})
	d := omi.Decision{Allowed: true, Buckets: make([]omi.BucketState, n)}
	failed := false
	for i, c := range charges {
		if errs[i] != nil {
			failed = true
			continue
		}
		d.Buckets[i] = bucketState(c.Limit, res[i])
		if res[i].Allowed == 0 {
			d.Allowed = false
			d.Buckets[i].Remaining = 0
			d.Buckets[i].RetryAfter = max(res[i].RetryAfter.Round(time.Microsecond), time.Microsecond)
		}
	}
	if d.Allowed && !failed {
		return d, nil
	}
	// Give back what was charged, even if the client has gone meanwhile
	// (the client's own timeouts still bound the wait).
	rctx := context.WithoutCancel(ctx)
	each(n, func(i int) {
		if errs[i] != nil || res[i].Allowed == 0 {
			return
		}
		c := charges[i]
		back, err := r.rl.AllowN(rctx, r.prefix+c.Key, gcraLimit(c.Limit), -1)
		if err != nil {
			errs[i] = fmt.Errorf("ratelimit: redis: refund %s: %w", c.Limit.Name, err)
			return
		}
		d.Buckets[i] = bucketState(c.Limit, back)
	})
	if err := errors.Join(errs...); err != nil {
		return omi.Decision{}, err
	}
	return d, nil
}

// each runs fn(0) … fn(n-1) at once, the first on the caller's goroutine.
func each(n int, fn func(i int)) {
	var wg sync.WaitGroup
	for i := 1; i < n; i++ {
		wg.Go(func() { fn(i) })
	}
	if n > 0 {
		fn(0)
	}
	wg.Wait()
}

func gcraLimit(l omi.Limit) redis_rate.Limit {
	return redis_rate.Limit{Rate: l.Quota, Burst: l.Quota, Period: l.Window}
}

// bucketState converts redis_rate's answer. Its script computes in float
// seconds and truncates Remaining, so a bucket with exactly 99 requests left
// can come back as 98.9999… = 98, and a 12 s wait as 12.0000001 s (13 s
// once rounded up for Retry-After). Redis keeps time in microseconds, so
// durations are rounded to those and Remaining is recomputed from Reset
// with the same slack. After a refund the figures may describe a bucket
// fuller than full, which is just full.
func bucketState(l omi.Limit, res *redis_rate.Result) omi.BucketState {
	reset := max(res.ResetAfter.Round(time.Microsecond), 0)
	interval := l.Window.Seconds() / float64(l.Quota)
	left := math.Floor((l.Window-reset).Seconds()/interval + 1e-6)
	return omi.BucketState{
		Limit:     l,
		Remaining: int(min(max(left, 0), float64(l.Quota))),
		Reset:     reset,
	}
}

// RedisOptions parses a redis:// or rediss:// URL (go-redis's syntax, which
// takes timeouts and pool settings as query parameters) and fills in what the
// URL leaves unset with values for a limiter on the request path: a slow or
// absent Redis must cost a request milliseconds, not go-redis's default
// seconds of timeouts and retries, before the configured failure mode applies.
func RedisOptions(rawURL string) (*redis.Options, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	q := u.Query()
	if !q.Has("dial_timeout") {
		opts.DialTimeout = 500 * time.Millisecond
	}
	if !q.Has("read_timeout") {
		opts.ReadTimeout = 250 * time.Millisecond
	}
	if !q.Has("write_timeout") {
		opts.WriteTimeout = 250 * time.Millisecond
	}
	if !q.Has("max_retries") {
		// One retry rides out a connection the server closed; more would
		// only delay the failure mode while Redis is down.
		opts.MaxRetries = 1
	}
	opts.DialerRetries = 1
	opts.ContextTimeoutEnabled = true
	return opts, nil
}
