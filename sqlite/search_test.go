package sqlite

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
)

func randomUnit(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	var n float32
	for i := range v {
		v[i] = float32(r.NormFloat64())
		n += v[i] * v[i]
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(float64(n)))
	}
	return v
}

// uncached is the vector ranking read straight from the rows, for comparison.
func uncached(t *testing.T, db *DB, q omi.SearchQuery) string {
	t.Helper()
	tx, err := db.r.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	set, err := loadVectors(t.Context(), tx, vectorKey{uid: q.UID, kind: omi.KindMemory, model: q.Model, dim: len(q.Vector)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(set.nearest(q.Vector, q.Limit, nil))
}

// The cached vectors must always rank as the rows do: across inserts,
// updates and deletes, past compaction (compactAt changes) and past the
// log's reach (vectorLogKeep changes between two searches).
func TestVectorCacheFollowsWrites(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "omi.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const dim = 8
	r := rand.New(rand.NewPCG(7, 8))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	memory := func(i int) *omi.Memory {
		m := omi.NewMemory(fmt.Sprintf("m%05d", i), "alice", "x", nil, nil, nil, base)
		m.Embedding = &omi.Embedding{Model: "m", Vector: randomUnit(r, dim)}
		return m
	}
	var ms []*omi.Memory
	for i := range 3000 {
		ms = append(ms, memory(i))
	}
	if err := db.CreateMemories(ctx, ms); err != nil {
		t.Fatal(err)
	}
	next := 3000
	check := func(step string) {
		t.Helper()
		for range 3 {
			q := omi.SearchQuery{UID: "alice", Vector: randomUnit(r, dim), Model: "m", Limit: 20}
			got, err := db.SearchMemories(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if want := uncached(t, db, q); fmt.Sprint(got.Vector) != want {
				t.Fatalf("%s: cached ranking\n%v\nwant\n%v", step, got.Vector, want)
			}
		}
	}
	// changes writes n changes: a third new memories, a third new vectors
	// for old ones, a third deletions.
	changes := func(n int) {
		for i := 0; i < n; i++ {
			switch i % 3 {
			case 0:
				if err := db.CreateMemories(ctx, []*omi.Memory{memory(next)}); err != nil {
					t.Fatal(err)
				}
				next++
			case 1:
				id := fmt.Sprintf("m%05d", r.IntN(next))
				_, err := db.UpdateMemory(ctx, "alice", id, func(m *omi.Memory) error {
					m.Embedding = &omi.Embedding{Model: "m", Vector: randomUnit(r, dim)}
					return nil
				})
				if err != nil && omi.ErrorCode(err) != omi.ENOTFOUND {
					t.Fatal(err)
				}
			case 2:
				err := db.DeleteMemory(ctx, "alice", fmt.Sprintf("m%05d", r.IntN(next)))
				if err != nil && omi.ErrorCode(err) != omi.ENOTFOUND {
					t.Fatal(err)
				}
			}
		}
	}
	// many adds n memories in one transaction.
	many := func(n int) {
		var batch []*omi.Memory
		for range n {
			batch = append(batch, memory(next))
			next++
		}
		if err := db.CreateMemories(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	check("loaded")
	for round := range 4 {
		changes(60)
		check(fmt.Sprintf("after round %d", round))
	}
	many(compactAt + 10) // the overlay outgrows compactAt: folded into a new base
	check("after compaction")
	changes(30)
	check("after changes on the compacted base")
	many(vectorLogKeep + 10) // beyond the log: a full reload
	check("after the log's reach")

	// Many searches at once after a change: one load, all answers current.
	changes(5)
	q := omi.SearchQuery{UID: "alice", Vector: randomUnit(r, dim), Model: "m", Limit: 20}
	want := uncached(t, db, q)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			got, err := db.SearchMemories(ctx, q)
			if err != nil || fmt.Sprint(got.Vector) != want {
				t.Errorf("concurrent search: %v %v", got.Vector, err)
			}
		})
	}
	wg.Wait()

	// A cache too small for two users' vectors keeps the last one searched
	// and still answers right for both.
	defer func(n int64) { VectorCacheBytes = n }(VectorCacheBytes)
	VectorCacheBytes = 1
	bob := omi.NewMemory("b1", "bob", "x", nil, nil, nil, base)
	bob.Embedding = &omi.Embedding{Model: "m", Vector: randomUnit(r, dim)}
	if err := db.CreateMemories(ctx, []*omi.Memory{bob}); err != nil {
		t.Fatal(err)
	}
	for _, uid := range []string{"alice", "bob", "alice"} {
		q := omi.SearchQuery{UID: uid, Vector: randomUnit(r, dim), Model: "m", Limit: 5}
		got, err := db.SearchMemories(ctx, q)
		if err != nil || fmt.Sprint(got.Vector) != uncached(t, db, q) {
			t.Fatalf("%s after eviction: %v %v", uid, got.Vector, err)
		}
	}
	vectors.mu.Lock()
	n := len(vectors.sets)
	vectors.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d sets cached, want the last one only", n)
	}
}
