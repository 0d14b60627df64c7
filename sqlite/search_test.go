package sqlite

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/bench/seed"
	"github.com/omi-devapi/omi-devapi/search"
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

// uncached is the vector ranking of memories by brute force over the rows:
// every vector of the user, model and length scored exactly, rejected
// memories skipped.
func uncached(t testing.TB, db *DB, q omi.SearchQuery) string {
	t.Helper()
	return fmt.Sprint(exactNearest(t, db, q))
}

func exactNearest(t testing.TB, db *DB, q omi.SearchQuery) []omi.Ranked {
	t.Helper()
	rows, err := db.r.QueryContext(context.Background(), `SELECT v.id, v.vec FROM vectors v
		WHERE v.uid = ? AND v.kind = 'memory' AND v.model = ? AND v.dim = ?
		AND v.id NOT IN (SELECT id FROM memories WHERE uid = ? AND user_review = 0)`, q.UID, q.Model, len(q.Vector), q.UID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	top := &topK{k: q.Limit}
	v := make([]float32, len(q.Vector))
	for rows.Next() {
		var id string
		var raw []byte
		if err := rows.Scan(&id, &raw); err != nil {
			t.Fatal(err)
		}
		decode(v, raw)
		if s := float64(dot(q.Vector, v)); top.wants(s, id) {
			top.add(omi.Ranked{ID: id, Score: s})
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return top.sorted()
}

// checkCodes fails unless the cached set of k holds exactly the rows' codes:
// every vector of the key once, none of another, blocks in rowid order.
func checkCodes(t *testing.T, db *DB, k vectorKey) {
	t.Helper()
	vectors.mu.Lock()
	s := vectors.sets[k]
	vectors.mu.Unlock()
	if s == nil {
		t.Fatalf("no cached set for %v", k)
	}
	got := map[int64][]uint64{}
	s.mu.RLock()
	last := int64(math.MinInt64)
	for _, b := range s.blocks {
		for i := range b.off {
			if r := b.rowid(i); r <= last {
				t.Errorf("rowid %d after %d", r, last)
			} else {
				last = r
			}
			if !b.isDead(i) {
				got[b.rowid(i)] = b.codes[i*s.words : (i+1)*s.words]
			}
		}
	}
	for i, r := range s.xrow {
		if _, ok := got[r]; ok {
			t.Errorf("rowid %d twice", r)
		}
		got[r] = s.xcodes[i*s.words : (i+1)*s.words]
	}
	if n := s.live(); n != len(got) {
		t.Errorf("live %d, %d distinct", n, len(got))
	}
	s.mu.RUnlock()
	rows, err := db.r.Query(`SELECT rowid, vec FROM vectors WHERE uid = ? AND kind = ? AND model = ? AND dim = ?`, k.uid, k.kind, k.model, k.dim)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	v, buf, code := make([]float32, k.dim), make([]float32, s.rot.n), make([]uint64, s.words)
	for rows.Next() {
		var r int64
		var raw []byte
		if err := rows.Scan(&r, &raw); err != nil {
			t.Fatal(err)
		}
		n++
		decode(v, raw)
		s.rot.rotate(buf, v)
		s.rot.encode(code, buf)
		if c, ok := got[r]; !ok || fmt.Sprint(c) != fmt.Sprint(code) {
			t.Fatalf("rowid %d: cached code %v, want %v", r, c, code)
		}
	}
	if n != len(got) {
		t.Fatalf("%d codes cached, %d rows", len(got), n)
	}
}

// The cached codes must always be the rows' and rank as the rows do:
// across inserts, updates and deletes, rows that change model, past
// compaction and past the log's reach (vectorLogKeep changes between two
// searches). Every candidate is re-ranked here (the approximate step is
// TestVectorRecall's).
func TestVectorCacheFollowsWrites(t *testing.T) {
	defer func(n, p, c int) { vectorCandidates, vectorPerHit, compactAt = n, p, c }(vectorCandidates, vectorPerHit, compactAt)
	vectorCandidates, compactAt = 1<<20, 300
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
		if i%7 == 3 {
			m.Embedding.Model = "m2" // moved to "m" below, rowids out of order
		}
		if i%50 == 1 {
			no := false
			m.Reviewed, m.UserReview = true, &no // rejected: never ranked
		}
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
	key := vectorKey{path: db.path, uid: "alice", kind: omi.KindMemory, model: "m", dim: dim}
	check := func(step string) {
		t.Helper()
		defer func() {
			if t.Failed() {
				t.Fatalf("at %s", step)
			}
		}()
		for i := range 3 {
			if i == 1 {
				checkCodes(t, db, key)
			}
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
	// Rows that change to this model: rowids below the set's last, kept
	// aside until a compaction merges them.
	moved := 0
	for i := 3; i < 3000; i += 7 {
		_, err := db.UpdateMemory(ctx, "alice", fmt.Sprintf("m%05d", i), func(m *omi.Memory) error {
			m.Embedding = &omi.Embedding{Model: "m", Vector: randomUnit(r, dim)}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if moved++; moved%100 == 0 {
			check(fmt.Sprintf("after %d moved", moved))
		}
	}
	check("after moving rows")
	// The row with the largest rowid deleted, then a new one: SQLite gives
	// it the same rowid.
	var maxID string
	if err := db.r.QueryRow(`SELECT id FROM vectors ORDER BY rowid DESC LIMIT 1`).Scan(&maxID); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteMemory(ctx, "alice", maxID); err != nil {
		t.Fatal(err)
	}
	many(1)
	check("after a reused rowid")
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

	// Ranked from the codes (re-ranking only some): every hit is one of the
	// user's visible memories, exactly scored, in order.
	vectorCandidates, vectorPerHit = 50, 1
	for range 5 {
		q := omi.SearchQuery{UID: "alice", Vector: randomUnit(r, dim), Model: "m", Limit: 20}
		got, err := db.SearchMemories(ctx, q)
		if err != nil || len(got.Vector) != 20 {
			t.Fatalf("%v %v", got.Vector, err)
		}
		exact := map[string]float64{}
		for _, h := range exactNearest(t, db, omi.SearchQuery{UID: "alice", Vector: q.Vector, Model: "m", Limit: 1 << 30}) {
			exact[h.ID] = h.Score
		}
		for i, h := range got.Vector {
			if s, ok := exact[h.ID]; !ok || s != h.Score || i > 0 && worse(got.Vector[i-1], h) {
				t.Fatalf("hit %d %v: exact %v %v", i, h, s, ok)
			}
		}
	}
	vectorCandidates, vectorPerHit = 1<<20, 16

	// A cache with room for one user's vectors only keeps the last one
	// searched and answers right for both.
	defer func(n int64) { VectorCacheBytes = n }(VectorCacheBytes)
	bob := omi.NewMemory("b1", "bob", "x", nil, nil, nil, base)
	bob.Embedding = &omi.Embedding{Model: "m", Vector: randomUnit(r, dim)}
	if err := db.CreateMemories(ctx, []*omi.Memory{bob}); err != nil {
		t.Fatal(err)
	}
	search := func(uid string) {
		t.Helper()
		q := omi.SearchQuery{UID: uid, Vector: randomUnit(r, dim), Model: "m", Limit: 5}
		got, err := db.SearchMemories(ctx, q)
		if err != nil || fmt.Sprint(got.Vector) != uncached(t, db, q) {
			t.Fatalf("%s: %v %v", uid, got.Vector, err)
		}
	}
	// A set as loaded (sets refreshed in place may hold more room): a set
	// over the budget is not kept, and takes every set over it with it.
	VectorCacheBytes = 1
	search("bob")
	VectorCacheBytes = 1 << 30
	search("alice")
	vectors.mu.Lock()
	VectorCacheBytes = vectors.sets[key].size // either set fits, not both
	vectors.mu.Unlock()
	for _, uid := range []string{"alice", "bob", "alice", "bob"} {
		q := omi.SearchQuery{UID: uid, Vector: randomUnit(r, dim), Model: "m", Limit: 5}
		got, err := db.SearchMemories(ctx, q)
		if err != nil || fmt.Sprint(got.Vector) != uncached(t, db, q) {
			t.Fatalf("%s after eviction: %v %v", uid, got.Vector, err)
		}
		vectors.mu.Lock()
		n, last := len(vectors.sets), vectors.lru.Front().Value.(*vectorSet).key.uid
		vectors.mu.Unlock()
		if n != 1 || last != uid {
			t.Fatalf("%d sets cached, the last %s's; want %s's only", n, last, uid)
		}
	}
	// Lowered below every set: nothing is kept.
	VectorCacheBytes = 1
	for _, uid := range []string{"alice", "bob"} {
		q := omi.SearchQuery{UID: uid, Vector: randomUnit(r, dim), Model: "m", Limit: 5}
		got, err := db.SearchMemories(ctx, q)
		if err != nil || fmt.Sprint(got.Vector) != uncached(t, db, q) {
			t.Fatalf("%s without a cache: %v %v", uid, got.Vector, err)
		}
	}
	vectors.mu.Lock()
	n := len(vectors.sets)
	vectors.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d sets cached over the budget", n)
	}
}

// vectorQueries are questions over bench/seed's text, common and rare.
var vectorQueries = []string{"coffee", "rock climbing", "trip to Kyoto", "learning Spanish", "billing migration deadline",
	"oat milk lattes", "allergic to peanuts", "favourite place to read", "Sarah recommended sushi", "astronomy",
	"green tea", "who is my dentist", "marathon training", "what does my sister like to eat", "guitar lessons",
	"worried about the security audit", "dog named Theo", "meets Priya at the library", "spicy food after dinner", "yoga on weekends"}

// recallAt30 compares a ranking with the exact one: the share of the exact
// top ids found, and the share of hits scoring at least the exact last
// (ties at the cut are interchangeable: the seeded text repeats, so
// thousands of memories can share a vector).
func recallAt30(got, want []omi.Ranked) (ids, tieAware float64) {
	if len(want) == 0 {
		return 1, 1
	}
	in := map[string]bool{}
	for _, w := range want {
		in[w.ID] = true
	}
	cut := want[len(want)-1].Score
	for _, g := range got {
		if in[g.ID] {
			ids++
		}
		if g.Score >= cut {
			tieAware++
		}
	}
	return ids / float64(len(want)), tieAware / float64(len(want))
}

// Over 50,000 memories (10,000 under the race detector) of bench/seed's text with the offline embedder's
// vectors, the ranking from codes and exact re-ranking finds nearly all of
// the exact top 30, and every hit it returns is the user's, visible, and
// scored exactly.
func TestVectorRecall(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 50,000 memories")
	}
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "omi.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	emb := search.NewHashing(0)
	size := 50_000
	if raceEnabled {
		size = 10_000 // still 20 times the rows read back
	}
	if _, err := seed.Seed(ctx, db, seed.Config{Memories: size, Embedder: emb, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	uid := seed.UID(0)
	// Another user with the same vectors, rowids interleaved with the
	// first's: never in the first's ranking.
	var copies []*omi.Memory
	rows, err := db.r.Query(`SELECT id, vec FROM vectors WHERE uid = ? ORDER BY rowid LIMIT 2000`, uid)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var raw []byte
		if err := rows.Scan(&id, &raw); err != nil {
			t.Fatal(err)
		}
		v := make([]float32, len(raw)/4)
		decode(v, raw)
		m := omi.NewMemory("other-"+id, "other", "copy", nil, nil, nil, time.Now())
		m.Embedding = &omi.Embedding{Model: emb.Model(), Vector: v}
		copies = append(copies, m)
	}
	rows.Close()
	if err := db.CreateMemories(ctx, copies); err != nil {
		t.Fatal(err)
	}
	var idSum, tieSum float64
	for _, text := range vectorQueries {
		q := omi.SearchQuery{UID: uid, Vector: emb.Vector(text), Model: emb.Model(), Limit: 30}
		got, err := db.SearchMemories(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		all := exactNearest(t, db, omi.SearchQuery{UID: uid, Vector: q.Vector, Model: q.Model, Limit: 1 << 30})
		want := all[:min(len(all), q.Limit)]
		exact := map[string]float64{}
		for _, w := range all {
			exact[w.ID] = w.Score
		}
		if len(got.Vector) != len(want) {
			t.Fatalf("%q: %d hits, want %d", text, len(got.Vector), len(want))
		}
		for i, h := range got.Vector {
			if s, ok := exact[h.ID]; !ok || s != h.Score {
				t.Fatalf("%q: hit %v is not the user's visible memory with that score (%v %v)", text, h, s, ok)
			}
			if i > 0 && worse(got.Vector[i-1], h) {
				t.Fatalf("%q: hits out of order: %v", text, got.Vector)
			}
		}
		ids, tie := recallAt30(got.Vector, want)
		idSum += ids
		tieSum += tie
	}
	n := float64(len(vectorQueries))
	t.Logf("recall@30 over %d queries: %.3f of the exact ids, %.3f tie-aware", len(vectorQueries), idSum/n, tieSum/n)
	if tieSum/n < 0.95 {
		t.Fatalf("recall@30 %.3f < 0.95", tieSum/n)
	}
}

// The codes only choose rowids to read: a rowid that is now another
// user's row, or another model's, or gone, is never ranked.
func TestRerankChecksRows(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "omi.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v := []float32{1, 0, 0, 0}
	var ms []*omi.Memory
	for _, who := range []struct{ uid, id, model string }{{"alice", "a1", "m"}, {"bob", "b1", "m"}, {"alice", "a2", "other"}} {
		m := omi.NewMemory(who.id, who.uid, "x", nil, nil, nil, time.Now())
		m.Embedding = &omi.Embedding{Model: who.model, Vector: v}
		ms = append(ms, m)
	}
	if err := db.CreateMemories(ctx, ms); err != nil {
		t.Fatal(err)
	}
	tx, err := db.r.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var rowids []int64
	rows, err := tx.Query(`SELECT rowid FROM vectors`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r int64
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		rowids = append(rowids, r)
	}
	rows.Close()
	hits, err := rerank(ctx, tx, vectorKey{uid: "alice", kind: omi.KindMemory, model: "m", dim: 4}, v, append(rowids, 1<<40))
	if err != nil {
		t.Fatal(err)
	}
	if len(rowids) != 3 || fmt.Sprint(hits) != "[{a1 1}]" {
		t.Fatalf("rowids %v ranked %v", rowids, hits)
	}
}

// fwhtNaive is the transform one stage at a time, for comparison.
func fwhtNaive(x []float32) {
	for h := 1; h < len(x); h <<= 1 {
		for i := 0; i < len(x); i += 2 * h {
			for j := i; j < i+h; j++ {
				x[j], x[j+h] = x[j]+x[j+h], x[j]-x[j+h]
			}
		}
	}
}

func TestFWHT(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for n := 1; n <= 1024; n *= 2 {
		x := randomUnit(r, n)
		want := slices.Clone(x)
		fwhtNaive(want)
		fwht(x)
		if !slices.Equal(x, want) {
			t.Fatalf("n=%d: %v, want %v", n, x, want)
		}
	}
}

// BenchmarkEncode is what loading costs per vector besides reading it:
// rotating and binarising 384 dimensions.
func BenchmarkEncode(b *testing.B) {
	rot := rotationFor(384)
	v := randomUnit(rand.New(rand.NewPCG(1, 1)), 384)
	buf, code := make([]float32, rot.n), make([]uint64, rot.words)
	for b.Loop() {
		rot.rotate(buf, v)
		rot.encode(code, buf)
	}
}

func TestSelectBest(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for _, size := range []int{0, 1, 2, 3, 10, 1000} {
		for _, n := range []int{0, min(1, size), size / 3, max(0, size-1), size} {
			est := make([]estimate, size)
			for i := range est {
				est[i] = estimate{float32(r.IntN(20)), uint32(r.IntN(1 << 20))}
			}
			want := slices.Clone(est)
			slices.SortFunc(want, better)
			selectBest(est, n)
			got := slices.Clone(est[:n])
			slices.SortFunc(got, better)
			if !slices.Equal(got, want[:n]) {
				t.Fatalf("size %d n %d: %v, want %v", size, n, got, want[:n])
			}
		}
	}
}

// Log rows written before migration 00009 name no rowid: a set that would
// need them is loaded again rather than refreshed; one that does not is
// refreshed in place.
func TestVectorLogWithoutRowids(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "omi.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := rand.New(rand.NewPCG(3, 4))
	add := func(id string) {
		t.Helper()
		m := omi.NewMemory(id, "alice", "x", nil, nil, nil, time.Now())
		m.Embedding = &omi.Embedding{Model: "m", Vector: randomUnit(r, 8)}
		if err := db.CreateMemories(ctx, []*omi.Memory{m}); err != nil {
			t.Fatal(err)
		}
	}
	key := vectorKey{path: db.path, uid: "alice", kind: omi.KindMemory, model: "m", dim: 8}
	search := func() *vectorSet {
		t.Helper()
		q := omi.SearchQuery{UID: "alice", Vector: randomUnit(r, 8), Model: "m", Limit: 10}
		got, err := db.SearchMemories(ctx, q)
		if err != nil || fmt.Sprint(got.Vector) != uncached(t, db, q) {
			t.Fatalf("%v %v", got.Vector, err)
		}
		checkCodes(t, db, key)
		vectors.mu.Lock()
		defer vectors.mu.Unlock()
		return vectors.sets[key]
	}
	add("a")
	first := search()
	add("b")
	if s := search(); s != first {
		t.Fatal("reloaded, want refreshed in place")
	}
	add("c")
	if _, err := db.w.Exec(`UPDATE vector_log SET rid = NULL WHERE id = 'c'`); err != nil {
		t.Fatal(err)
	}
	if s := search(); s == first {
		t.Fatal("refreshed from a log row without a rowid")
	}
}
