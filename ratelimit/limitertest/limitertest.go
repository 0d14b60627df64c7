// Package limitertest is the conformance suite every omi.Limiter must pass
// unchanged: in-process, miniredis, and a real Redis when one is configured.
package limitertest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
)

// Subject is one limiter under test, with its own empty key space.
type Subject struct {
	Limiter omi.Limiter
	// Advance moves the limiter's clock forward (a fake clock is set; a real
	// one is slept through).
	Advance func(d time.Duration)
	// Unit scales every window in the suite. With a fake clock any value
	// does; with a real one it must dwarf the time the test itself takes.
	Unit time.Duration
	// Tolerance is how far reported durations may fall short of the exact
	// figures (the time the test itself took on a real clock): zero for a
	// fake clock and integer arithmetic.
	Tolerance time.Duration
}

// Open returns a fresh subject for one test.
type Open func(t *testing.T) Subject

// Run runs the whole suite.
func Run(t *testing.T, open Open) {
	t.Run("ExactCount", func(t *testing.T) { testExactCount(t, open(t)) })
	t.Run("RefusalsAreFree", func(t *testing.T) { testRefusalsAreFree(t, open(t)) })
	t.Run("Refill", func(t *testing.T) { testRefill(t, open(t)) })
	t.Run("AllOrNothing", func(t *testing.T) { testAllOrNothing(t, open(t)) })
	t.Run("RetryAfterCoversEveryBucket", func(t *testing.T) { testRetryAfterCoversEveryBucket(t, open(t)) })
	t.Run("KeysIndependent", func(t *testing.T) { testKeysIndependent(t, open(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, open(t)) })
	t.Run("InvalidLimit", func(t *testing.T) { testInvalidLimit(t, open(t)) })
}

func limit(name string, quota int, window time.Duration) omi.Limit {
	return omi.Limit{Name: name, Quota: quota, Window: window}
}

func allow(t *testing.T, s Subject, charges ...omi.Charge) omi.Decision {
	t.Helper()
	d, err := s.Limiter.Allow(t.Context(), charges...)
	if err != nil {
		t.Fatalf("Allow: %v", err)
	}
	if len(d.Buckets) != len(charges) {
		t.Fatalf("%d bucket states for %d charges", len(d.Buckets), len(charges))
	}
	for i, b := range d.Buckets {
		if b.Limit != charges[i].Limit {
			t.Fatalf("bucket %d reports limit %+v, want %+v", i, b.Limit, charges[i].Limit)
		}
	}
	return d
}

func approx(t *testing.T, s Subject, what string, got, want time.Duration) {
	t.Helper()
	if diff := want - got; diff > s.Tolerance || diff < -min(s.Tolerance, time.Microsecond) {
		t.Fatalf("%s = %v, want %v (±%v)", what, got, want, s.Tolerance)
	}
}

// testExactCount: a bucket of Quota allows exactly Quota requests at once,
// counting Remaining down to 0, then refuses with the wait for one request.
func testExactCount(t *testing.T, s Subject) {
	l := limit("five", 5, 10*s.Unit)
	e := l.Window / 5
	for i := 1; i <= 5; i++ {
		d := allow(t, s, omi.Charge{Key: "k", Limit: l})
		if !d.Allowed {
			t.Fatalf("request %d refused: %+v", i, d)
		}
		b := d.Buckets[0]
		if b.Remaining != 5-i || b.RetryAfter != 0 {
			t.Fatalf("request %d: %+v, want remaining %d", i, b, 5-i)
		}
		approx(t, s, "reset", b.Reset, time.Duration(i)*e)
	}
	d := allow(t, s, omi.Charge{Key: "k", Limit: l})
	if d.Allowed {
		t.Fatalf("request 6 allowed: %+v", d)
	}
	b := d.Buckets[0]
	if b.Remaining != 0 || b.RetryAfter <= 0 {
		t.Fatalf("refused: %+v", b)
	}
	approx(t, s, "retry after", b.RetryAfter, e)
	approx(t, s, "reset", b.Reset, 5*e)
}

// testRefusalsAreFree: refused requests do not push the next allowed one
// further away, and waiting RetryAfter is enough.
func testRefusalsAreFree(t *testing.T, s Subject) {
	l := limit("three", 3, 6*s.Unit)
	c := omi.Charge{Key: "k", Limit: l}
	for range 3 {
		if !allow(t, s, c).Allowed {
			t.Fatal("refused within quota")
		}
	}
	var retry time.Duration
	for range 10 {
		d := allow(t, s, c)
		if d.Allowed {
			t.Fatal("allowed over quota")
		}
		retry = d.Buckets[0].RetryAfter
	}
	approx(t, s, "retry after ten refusals", retry, l.Window/3)
	s.Advance(retry)
	d := allow(t, s, c)
	if !d.Allowed || d.Buckets[0].Remaining != 0 {
		t.Fatalf("after waiting Retry-After: %+v", d)
	}
	if allow(t, s, c).Allowed {
		t.Fatal("a second request fit where only one had refilled")
	}
}

// testRefill: after a whole window an exhausted bucket is full again.
func testRefill(t *testing.T, s Subject) {
	l := limit("four", 4, 4*s.Unit)
	c := omi.Charge{Key: "k", Limit: l}
	for range 4 {
		allow(t, s, c)
	}
	if allow(t, s, c).Allowed {
		t.Fatal("allowed over quota")
	}
	s.Advance(l.Window)
	for i := range 4 {
		if d := allow(t, s, c); !d.Allowed {
			t.Fatalf("request %d after a window refused: %+v", i+1, d)
		}
	}
	if allow(t, s, c).Allowed {
		t.Fatal("refilled past quota")
	}
}

// testAllOrNothing: a request refused by one bucket charges none of the
// others, whichever position the refusing bucket has.
func testAllOrNothing(t *testing.T, s Subject) {
	wide := omi.Charge{Key: "wide", Limit: limit("wide", 10, 100*s.Unit)}
	narrow := omi.Charge{Key: "narrow", Limit: limit("narrow", 2, 100*s.Unit)}
	allow(t, s, wide) // wide: 9 left
	for range 2 {
		if d := allow(t, s, wide, narrow); !d.Allowed {
			t.Fatalf("refused within both quotas: %+v", d)
		}
	} // wide: 7, narrow: 0
	for _, order := range [][]omi.Charge{{wide, narrow}, {narrow, wide}} {
		d := allow(t, s, order...)
		if d.Allowed {
			t.Fatalf("allowed although %q is empty", "narrow")
		}
		for i, b := range d.Buckets {
			switch order[i].Key {
			case "wide":
				if b.Remaining != 7 || b.RetryAfter != 0 {
					t.Fatalf("wide bucket after a refusal: %+v, want 7 remaining and no wait", b)
				}
			case "narrow":
				if b.Remaining != 0 || b.RetryAfter <= 0 {
					t.Fatalf("narrow bucket: %+v", b)
				}
			}
		}
	}
	if d := allow(t, s, wide); !d.Allowed || d.Buckets[0].Remaining != 6 {
		t.Fatalf("wide alone after refusals: %+v, want 6 remaining", d)
	}
}

// testRetryAfterCoversEveryBucket: when several buckets are empty, each one
// reports its own wait, so the caller can answer the longest.
func testRetryAfterCoversEveryBucket(t *testing.T, s Subject) {
	slow := omi.Charge{Key: "slow", Limit: limit("slow", 2, 20*s.Unit)} // one per 10 units
	fast := omi.Charge{Key: "fast", Limit: limit("fast", 2, 4*s.Unit)}  // one per 2 units
	for range 2 {
		allow(t, s, slow, fast)
	}
	d := allow(t, s, fast, slow)
	if d.Allowed {
		t.Fatal("allowed with both buckets empty")
	}
	approx(t, s, "fast retry after", d.Buckets[0].RetryAfter, 2*s.Unit)
	approx(t, s, "slow retry after", d.Buckets[1].RetryAfter, 10*s.Unit)
	s.Advance(d.Buckets[0].RetryAfter)
	if d := allow(t, s, fast, slow); d.Allowed || d.Buckets[0].RetryAfter != 0 || d.Buckets[1].RetryAfter <= 0 {
		t.Fatalf("after the short wait only the fast bucket has room: %+v", d)
	}
}

// testKeysIndependent: buckets are per key; emptying one leaves another full.
func testKeysIndependent(t *testing.T, s Subject) {
	l := limit("one", 1, 10*s.Unit)
	if !allow(t, s, omi.Charge{Key: "x", Limit: l}).Allowed {
		t.Fatal("first request refused")
	}
	if allow(t, s, omi.Charge{Key: "x", Limit: l}).Allowed {
		t.Fatal("x allowed twice")
	}
	if d := allow(t, s, omi.Charge{Key: "y", Limit: l}); !d.Allowed || d.Buckets[0].Remaining != 0 {
		t.Fatalf("y: %+v", d)
	}
}

// testConcurrent: under contention exactly the quota of the tightest bucket
// is admitted, and the refused requests cost the other bucket nothing.
func testConcurrent(t *testing.T, s Subject) {
	wide := omi.Charge{Key: "wide", Limit: limit("wide", 50, 1000*s.Unit)}
	narrow := omi.Charge{Key: "narrow", Limit: limit("narrow", 30, 1000*s.Unit)}
	allow(t, s, wide) // 49 left, so no refund finds it full
	var allowed atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for range 20 {
				d, err := s.Limiter.Allow(t.Context(), wide, narrow)
				if err != nil {
					errs <- err
					return
				}
				if d.Allowed {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := allowed.Load(); n != 30 {
		t.Fatalf("%d of 160 concurrent requests allowed, want exactly 30", n)
	}
	if d := allow(t, s, wide); !d.Allowed || d.Buckets[0].Remaining != 50-1-30-1 {
		t.Fatalf("wide after the race: %+v, want %d remaining", d, 50-1-30-1)
	}
}

func testInvalidLimit(t *testing.T, s Subject) {
	for _, l := range []omi.Limit{limit("zero", 0, time.Minute), limit("no window", 1, 0), limit("negative", -1, time.Minute)} {
		if _, err := s.Limiter.Allow(t.Context(), omi.Charge{Key: "k", Limit: l}); err == nil {
			t.Fatalf("limit %+v accepted", l)
		}
	}
}
