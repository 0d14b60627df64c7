// Package ratelimit implements omi.Limiter twice: in process (Memory), for
// the embedded single-binary shape, and on Redis (Redis), so any number of
// replicas share one budget. Both are GCRA with the same arithmetic, so a
// client sees the same limits, remaining counts and retry times from either.
package ratelimit

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
)

const (
	shardCount = 64 // power of two; spreads lock contention across CPUs
	// sweepInterval is how often each shard drops buckets that have refilled
	// completely; such a bucket is indistinguishable from a missing one, so
	// dropping it loses nothing.
	sweepInterval = time.Minute
	// maxCharges bounds the shards one request may lock; requests charge at
	// most a handful of buckets.
	maxCharges = 16
)

// Memory is an in-process GCRA limiter. A bucket's whole state is one
// number, its theoretical arrival time (TAT): the instant at which it will be
// full again. Buckets that are full again are evicted, so memory is bounded
// by the buckets in use within the longest window.
type Memory struct {
	now    func() time.Time
	seed   maphash.Seed
	shards [shardCount]shard
}

type shard struct {
	mu        sync.Mutex
	tat       map[string]int64 // Unix nanoseconds
	lastSweep int64
	_         [32]byte // keeps neighbouring shards' locks off one cache line
}

// NewMemory returns an in-process limiter reading time from now (time.Now
// when nil; tests pass a fake clock).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	m := &Memory{now: now, seed: maphash.MakeSeed()}
	for i := range m.shards {
		m.shards[i].tat = map[string]int64{}
	}
	return m
}

// Allow implements omi.Limiter. It locks every shard the charges touch (in
// index order, so concurrent calls cannot deadlock), checks every bucket,
// and charges them only if all have room: exact, with no window in which a
// refused request holds budget.
func (m *Memory) Allow(_ context.Context, charges ...omi.Charge) (omi.Decision, error) {
	if len(charges) > maxCharges {
		return omi.Decision{}, fmt.Errorf("ratelimit: %d charges in one request (at most %d)", len(charges), maxCharges)
	}
	for _, c := range charges {
		if err := validate(c.Limit); err != nil {
			return omi.Decision{}, err
		}
	}
	var idx [maxCharges]uint8
	var locked [maxCharges]uint8
	n := 0
	for i, c := range charges {
		idx[i] = uint8(maphash.String(m.seed, c.Key) & (shardCount - 1))
		locked[n] = idx[i]
		n++
	}
	held := sortUnique(locked[:n])
	for _, s := range held {
		m.shards[s].mu.Lock()
	}
	defer func() {
		for _, s := range held {
			m.shards[s].mu.Unlock()
		}
	}()

	now := m.now().UnixNano()
	d := omi.Decision{Allowed: true, Buckets: make([]omi.BucketState, len(charges))}
	var tats [maxCharges]int64
	for i, c := range charges {
		g := newGCRA(c.Limit)
		tat := max(m.shards[idx[i]].tat[c.Key], now)
		tats[i] = tat
		if wait := g.wait(tat, now); wait > 0 {
			d.Allowed = false
			d.Buckets[i] = g.state(tat, now)
			d.Buckets[i].RetryAfter = time.Duration(wait)
		}
	}
	for i, c := range charges {
		g := newGCRA(c.Limit)
		if !d.Allowed {
			if d.Buckets[i].RetryAfter == 0 {
				d.Buckets[i] = g.state(tats[i], now)
			}
			continue
		}
		tat := tats[i] + g.interval
		m.shards[idx[i]].tat[c.Key] = tat
		d.Buckets[i] = g.state(tat, now)
	}
	for _, s := range held {
		m.shards[s].sweep(now)
	}
	return d, nil
}

// sweep drops the shard's full buckets, at most once per sweepInterval, so
// its cost is spread over the requests in between.
func (s *shard) sweep(now int64) {
	if now-s.lastSweep < int64(sweepInterval) {
		return
	}
	s.lastSweep = now
	for k, tat := range s.tat {
		if tat <= now {
			delete(s.tat, k)
		}
	}
}

// Len is the number of buckets held, for tests and metrics.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.tat)
		s.mu.Unlock()
	}
	return n
}

// sortUnique sorts a handful of shard indexes in place (insertion sort: no
// allocation) and drops repeats.
func sortUnique(a []uint8) []uint8 {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
	out := a[:0]
	for _, v := range a {
		if len(out) == 0 || v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}
