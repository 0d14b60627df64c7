package bench

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/search"
	"github.com/omi-devapi/omi-devapi/sqlite"
)

// Vocabulary for synthetic memories: enough distinct words that posting
// lists have realistic lengths (a few common, most rare).
var (
	benchSubjects = strings.Fields(`User User's_wife User's_husband User's_daughter User's_son User's_manager User's_sister
		User's_brother User's_friend_Tom User's_mother User's_dentist User's_doctor User's_landlord User's_team`)
	benchVerbs = strings.Fields(`likes prefers booked visited bought recommended mentioned avoids plans_to_try wants
		cancelled scheduled reviewed finished started loves hates forgot remembered discussed`)
	benchAdjectives = strings.Fields(`green red small new old quarterly weekly vegan spicy cheap expensive local remote
		italian japanese early late quiet noisy favourite annual shared private urgent`)
	benchNouns = strings.Fields(`tea coffee espresso ramen sourdough marathon dentist appointment flight hotel budget
		report guitar lesson concert kayak bicycle laptop phone subscription insurance mortgage loan vacation trip
		wedding birthday anniversary restaurant recipe garden tomatoes basil podcast novel movie museum gallery
		gym yoga swimming pool tennis football match ticket passport visa contract invoice meeting standup
		deadline promotion salary therapy allergy medication vitamins doctor checkup vaccine sneakers jacket
		umbrella apartment kitchen renovation furniture sofa lamp carpet plumber electrician painter
		bakery pharmacy library bookstore cinema theatre opera ballet festival parade marathon triathlon hike
		campsite cabin cottage villa hostel airbnb airline airport train tram ferry taxi scooter motorbike
		charger headphones keyboard monitor printer router tablet camera lens drone watch ring necklace
		bracelet perfume shampoo toothbrush razor towel blanket pillow mattress curtains wardrobe bookshelf
		desk chair stroller crib diaper toddler nanny babysitter tutor coach trainer physio chiropractor
		dermatologist optician pediatrician surgeon nurse vet kennel puppy kitten hamster parrot aquarium
		cactus orchid fern bonsai compost lawnmower hedge fence shed garage driveway roof gutter chimney
		boiler radiator thermostat dishwasher fridge freezer oven microwave kettle toaster blender
		cookbook casserole lasagna risotto paella curry dumplings tacos burrito sushi tempura pho bibimbap
		croissant bagel pretzel brownie cheesecake tiramisu gelato smoothie kombucha cider stout lager
		whisky gin vermouth espresso_martini negroni sangria mojito lemonade hackathon conference webinar
		workshop seminar thesis dissertation exam scholarship internship residency sabbatical pension
		dividend portfolio crypto savings_account credit_card overdraft tax_return receipt refund warranty
		lease deposit eviction neighbour roommate landlady concierge doorman mailman courier parcel`)
	benchPlaces = strings.Fields(`Lisbon Berlin Kyoto Brooklyn Seattle Toronto Dublin Madrid Paris Oslo Austin Denver
		Melbourne Nairobi Lima Hanoi Prague Vienna Lagos Porto Osaka Seoul Taipei Manila Jakarta Mumbai Delhi
		Istanbul Athens Rome Milan Naples Zurich Geneva Munich Hamburg Vienna Krakow Warsaw Riga Tallinn
		Helsinki Stockholm Copenhagen Reykjavik Edinburgh Glasgow Cardiff Bristol Leeds Montreal Vancouver
		Calgary Boston Chicago Miami Portland Phoenix Oaxaca Bogota Quito Santiago Montevideo`)
	benchWhens = []string{"on Tuesdays", "every morning", "last weekend", "next spring", "in March", "before winter",
		"after work", "on Sunday evenings", "twice a month", "during lunch", "this quarter", "next Friday"}
)

// benchMemory is the i-th synthetic memory: a sentence of 9 to 14 words.
func benchMemory(r *rand.Rand) string {
	pick := func(ws []string) string { return strings.ReplaceAll(ws[r.IntN(len(ws))], "_", " ") }
	return fmt.Sprintf("%s %s the %s %s in %s %s.", pick(benchSubjects), pick(benchVerbs), pick(benchAdjectives),
		pick(benchNouns), pick(benchPlaces), pick(benchWhens))
}

var benchQueries = []string{
	"green tea", "who is my dentist", "trip to Lisbon next spring", "marathon training", "quarterly budget report",
	"what did my manager say about the promotion", "allergy medication", "kitchen renovation plumber",
	"japanese ramen restaurant", "flight to Kyoto", "guitar lessons", "insurance contract",
}

// searchFixture is a SQLite file with n memories for one user, each with its
// offline vector, written through the store as the API writes them.
type searchFixture struct {
	db   *sqlite.DB
	path string
	emb  *search.Hashing
}

func newSearchFixture(b *testing.B, n int) *searchFixture {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "omi.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	f := &searchFixture{db: db, path: path, emb: search.NewHashing(0)}
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	seeded := time.Now()
	batch := make([]*omi.Memory, 0, 1000)
	for i := range n {
		m := omi.NewMemory(fmt.Sprintf("%08d-0000-7000-8000-000000000000", i), "alice", benchMemory(r), nil, nil, nil,
			start.Add(time.Duration(i)*time.Second))
		m.Embedding = &omi.Embedding{Model: f.emb.Model(), Vector: f.emb.Vector(m.Content)}
		batch = append(batch, m)
		if len(batch) == cap(batch) || i == n-1 {
			if err := db.CreateMemories(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	// Another user's rows share the indexes; they must cost alice little.
	other := make([]*omi.Memory, 0, 1000)
	for i := range 1000 {
		m := omi.NewMemory(fmt.Sprintf("bob-%d", i), "bob", benchMemory(r), nil, nil, nil, start)
		m.Embedding = &omi.Embedding{Model: f.emb.Model(), Vector: f.emb.Vector(m.Content)}
		other = append(other, m)
	}
	if err := db.CreateMemories(ctx, other); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d memories with vectors in %s", n, time.Since(seeded).Round(time.Millisecond))
	return f
}

func (f *searchFixture) query(i int, lexical, vector bool) omi.SearchQuery {
	text := benchQueries[i%len(benchQueries)]
	q := omi.SearchQuery{UID: "alice", Limit: 30}
	if lexical {
		q.Terms = search.Terms(text)
	}
	if vector {
		q.Vector, q.Model = f.emb.Vector(text), f.emb.Model()
	}
	return q
}

// BenchmarkSearch100k is memory search over 100,000 memories of one user
// (plus 1,000 of another), against a baseline of the cheapest read of 10
// rows.
func BenchmarkSearch100k(b *testing.B) {
	f := newSearchFixture(b, 100_000)
	ctx := context.Background()

	raw, err := sql.Open("sqlite", "file:"+f.path+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	// What the lexical ranking has to score: every memory matching any term.
	total := 0
	for _, q := range benchQueries {
		var quoted []string
		for _, t := range search.Terms(q) {
			quoted = append(quoted, `"`+t+`"`)
		}
		var n int
		if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM memories_fts WHERE memories_fts MATCH ?`,
			"{content} : ("+strings.Join(quoted, " OR ")+")").Scan(&n); err != nil {
			b.Fatal(err)
		}
		total += n
	}
	b.Logf("lexical matches per query: %d on average", total/len(benchQueries))

	// The floor: ten rows by rowid through database/sql and the same driver.
	b.Run("baseline-select-10", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rows, err := raw.QueryContext(ctx, `SELECT id, content FROM memories ORDER BY rowid LIMIT 10`)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				var id, content string
				if err := rows.Scan(&id, &content); err != nil {
					b.Fatal(err)
				}
				n++
			}
			rows.Close()
			if n != 10 {
				b.Fatalf("%d rows", n)
			}
		}
	})
	store := func(lexical, vector bool) func(b *testing.B) {
		return func(b *testing.B) {
			// Warm: the first vector search decodes the user's vectors into
			// the cache (vector-after-write measures what a write costs it).
			if _, err := f.db.SearchMemories(ctx, f.query(0, lexical, vector)); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r, err := f.db.SearchMemories(ctx, f.query(i, lexical, vector))
				if err != nil {
					b.Fatal(err)
				}
				if lexical && len(r.Lexical) == 0 || vector && len(r.Vector) != 30 {
					b.Fatalf("%q: %d lexical, %d vector", benchQueries[i%len(benchQueries)], len(r.Lexical), len(r.Vector))
				}
				i++
			}
		}
	}
	// The store's rankings, 30 candidates each (what a limit-10 search asks for).
	b.Run("lexical", store(true, false))
	b.Run("vector", store(false, true))
	b.Run("both-rankings", store(true, true))
	// A write and the vector search after it: the cache reads the changed
	// row the vector log names and overlays it (the write, one transaction
	// with its fsync, included).
	b.Run("vector-after-write", func(b *testing.B) {
		tasks, err := f.db.PendingEmbeddings(ctx, omi.KindMemory, f.emb.Model(), true, omi.EmbedCursor{}, 1)
		if err != nil || len(tasks) != 1 {
			b.Fatalf("%v %v", tasks, err)
		}
		tasks[0].Vector = f.emb.Vector(tasks[0].Text)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if n, err := f.db.PutEmbeddings(ctx, omi.KindMemory, f.emb.Model(), tasks); err != nil || n != 1 {
				b.Fatalf("put: %d %v", n, err)
			}
			if _, err := f.db.SearchMemories(ctx, f.query(i, false, true)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	// The whole search a request runs: embed the query, both rankings, fuse,
	// load the 10 memories.
	engine := search.NewEngine(search.Engine{Store: f.db, Embedder: f.emb})
	// The cold start: every vector decoded from SQLite (the first search of
	// a user, or one more than 4096 changes behind).
	b.Run("vector-cold-load", func(b *testing.B) {
		defer func(n int64) { sqlite.VectorCacheBytes = n }(sqlite.VectorCacheBytes)
		sqlite.VectorCacheBytes = 0 // each search evicts the one before
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.db.SearchMemories(ctx, f.query(0, false, true)); err != nil {
				b.Fatal(err)
			}
			if _, err := f.db.SearchMemories(ctx, omi.SearchQuery{UID: "bob", Vector: f.emb.Vector("x"), Model: f.emb.Model(), Limit: 1}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fused", func(b *testing.B) {
		if _, err := engine.SearchMemories(ctx, "alice", benchQueries[0], 10); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			hits, err := engine.SearchMemories(ctx, "alice", benchQueries[i%len(benchQueries)], 10)
			if err != nil || len(hits) != 10 {
				b.Fatalf("%d hits, %v", len(hits), err)
			}
			i++
		}
	})
	b.Run("embed-query", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			f.emb.Vector(benchQueries[i%len(benchQueries)])
			i++
		}
	})
}

// large1MQueries are searched at a million memories: the first two are the
// ones bench/RESULTS.md follows (37,282 and 169,157 matching memories in
// the seeded set), the rest a spread of common and rare words, a word cut short
// (a prefix) and words that seldom meet.
var large1MQueries = []string{
	"coffee", "billing migration deadline", "green tea", "photography", "trip to Lisbon", "allergic to peanuts",
	"beekeeping", "Sarah", "hiking at the trailhead", "quarterly planning", "kombucha", "learning Japanese",
	"photog", "allergic kombucha beekeeping",
}

// BenchmarkSearch1M is lexical memory search on a database seeded with
// `go run ./bench/cmd/seed -memories 1000000 ...`, named by OMI_BENCH_1M_DB
// (use a copy: opening it applies pending migrations); OMI_BENCH_1M_UID is
// its user (default bench-user-0000). It reports the median and 99th
// percentile per query of the store's lexical ranking (30 candidates, as a
// limit-10 search asks) and of the whole lexical-only search through
// search.Engine, next to FTS5's exhaustive bm25() ranking on the same file,
// and of the lexical conversation ranking.
// OMI_BENCH_1M_OLD_DB optionally names a copy from before migration 00008,
// on which the ranking query of before runs as the baseline.
func BenchmarkSearch1M(b *testing.B) {
	db, path, uid := open1M(b)
	ctx := context.Background()
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	var old *sql.DB
	if p := os.Getenv("OMI_BENCH_1M_OLD_DB"); p != "" {
		if old, err = sql.Open("sqlite", "file:"+p+"?mode=ro"); err != nil {
			b.Fatal(err)
		}
		defer old.Close()
	}
	engine := search.NewEngine(search.Engine{Store: db})
	const limit = 30
	for _, text := range large1MQueries {
		terms := search.Terms(text)
		name := strings.ReplaceAll(text, " ", "_")
		b.Run("store/"+name, timed(func() int {
			r, err := db.SearchMemories(ctx, omi.SearchQuery{UID: uid, Terms: terms, Limit: limit})
			if err != nil {
				b.Fatal(err)
			}
			return len(r.Lexical)
		}))
		b.Run("engine/"+name, timed(func() int {
			hits, err := engine.SearchMemories(ctx, uid, text, 10)
			if err != nil {
				b.Fatal(err)
			}
			return len(hits)
		}))
		b.Run("exhaustive/"+name, timed(func() int {
			return len(bm25Ranking(b, raw, "{ukey} : "+quoteFTS("u"+strings.ToUpper(hex.EncodeToString([]byte(uid)))+"x"), uid, terms, limit))
		}))
		if old != nil {
			b.Run("before/"+name, timed(func() int {
				return len(bm25Ranking(b, old, "{uid} : "+quoteFTS(uid), uid, terms, limit))
			}))
		}
		// Conversations keep the exhaustive bm25() ranking: a user has
		// thousands, not a million.
		b.Run("conversations/"+name, timed(func() int {
			r, err := db.SearchConversations(ctx, omi.SearchQuery{UID: uid, Terms: terms, Limit: limit})
			if err != nil {
				b.Fatal(err)
			}
			return len(r.Lexical)
		}))
	}
}

// timed runs fn as a benchmark and reports its median and 99th percentile
// latency, and how many results it returned.
func timed(fn func() int) func(b *testing.B) {
	return func(b *testing.B) {
		fn() // warm
		var ds []time.Duration
		n := 0
		for b.Loop() {
			t := time.Now()
			n = fn()
			ds = append(ds, time.Since(t))
		}
		slices.Sort(ds)
		ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
		b.ReportMetric(ms(ds[len(ds)/2]), "p50-ms")
		b.ReportMetric(ms(ds[min(len(ds)-1, len(ds)*99/100)]), "p99-ms")
		b.ReportMetric(float64(n), "results")
	}
}

// bm25Ranking is the ranking query the store ran before its bounded
// ranking: FTS5's bm25() over every match of any term (the last one a
// prefix), restricted to the user by userFilter.
func bm25Ranking(b *testing.B, db *sql.DB, userFilter, uid string, terms []string, limit int) []string {
	var quoted []string
	for i, t := range terms {
		q := quoteFTS(t)
		if i == len(terms)-1 && len([]rune(t)) >= 4 {
			q += "*"
		}
		quoted = append(quoted, q)
	}
	rows, err := db.Query(`SELECT m.id, -bm25(memories_fts, 0.0, 1.0) AS s
		FROM memories_fts JOIN memories m ON m.rowid = memories_fts.rowid
		WHERE memories_fts MATCH ? AND m.uid = ? AND (m.user_review IS NULL OR m.user_review = 1)
		ORDER BY s DESC, m.id LIMIT ?`, userFilter+" AND {content} : ("+strings.Join(quoted, " OR ")+")", uid, limit)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		var s float64
		if err := rows.Scan(&id, &s); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return ids
}

func quoteFTS(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// vectorQueries1M are the queries of the vector ranking at a million
// memories: bench/seed's subjects, common and rare, phrased as people ask.
var vectorQueries1M = []string{"coffee", "rock climbing", "trip to Kyoto", "learning Spanish", "billing migration deadline",
	"oat milk lattes", "allergic to peanuts", "favourite place to read", "Sarah recommended sushi", "astronomy",
	"green tea", "who is my dentist", "marathon training", "what does my sister like to eat", "guitar lessons",
	"worried about the security audit", "dog named Theo", "meets Priya at the library", "spicy food after dinner", "yoga on weekends"}

// BenchmarkVectorSearch1M is the vector ranking on a database seeded with
// `go run ./bench/cmd/seed -memories 1000000 ... -vectors`, named by
// OMI_BENCH_1M_DB (use a copy: opening it applies pending migrations);
// OMI_BENCH_1M_UID is its user (default bench-user-0000). cold-load is the
// first search of the user (every vector read and encoded), with the Go
// heap it leaves in use; vector the ranking's median and 99th percentile
// over vectorQueries1M (30 hits, as a limit-10 search asks); fused the
// whole search a request runs (embed, both rankings, fuse, load 10);
// recall the ranking against the exact one, computed by one pass over the
// rows.
func BenchmarkVectorSearch1M(b *testing.B) {
	db, path, uid := open1M(b)
	ctx := context.Background()
	// Room for one user's whole set whatever the store keeps per vector
	// (the float32 cache this replaced needed 1.5 GB here).
	defer func(n int64) { sqlite.VectorCacheBytes = n }(sqlite.VectorCacheBytes)
	budget := int64(8 << 30)
	emb := search.NewHashing(0)
	query := func(i int) omi.SearchQuery {
		return omi.SearchQuery{UID: uid, Vector: emb.Vector(vectorQueries1M[i%len(vectorQueries1M)]), Model: emb.Model(), Limit: 30}
	}
	mib := func(n uint64) float64 { return float64(n) / (1 << 20) }
	b.Run("cold-load", func(b *testing.B) {
		sqlite.VectorCacheBytes = 0 // each load is served, then dropped
		var before, after runtime.MemStats
		var alloc, peak uint64
		for b.Loop() {
			runtime.GC()
			runtime.ReadMemStats(&before)
			// The most heap in use at once while loading, sampled.
			stop, sampled := make(chan struct{}), make(chan uint64)
			go func() {
				sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
				var most uint64
				for {
					metrics.Read(sample)
					most = max(most, sample[0].Value.Uint64())
					select {
					case <-stop:
						sampled <- most
						return
					case <-time.After(5 * time.Millisecond):
					}
				}
			}()
			if _, err := db.SearchMemories(ctx, query(0)); err != nil {
				b.Fatal(err)
			}
			close(stop)
			peak = max(<-sampled, before.HeapAlloc) - before.HeapAlloc
			runtime.ReadMemStats(&after)
			alloc = after.TotalAlloc - before.TotalAlloc
		}
		b.ReportMetric(mib(alloc), "alloc-MiB")
		b.ReportMetric(mib(peak), "peak-heap-added-MiB")
		// Once more, kept: the heap it leaves in use.
		sqlite.VectorCacheBytes = budget
		runtime.GC()
		runtime.ReadMemStats(&before)
		if _, err := db.SearchMemories(ctx, query(0)); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(mib(after.HeapAlloc-before.HeapAlloc), "heap-added-MiB")
		b.ReportMetric(mib(after.HeapInuse), "heap-inuse-MiB")
	})
	sqlite.VectorCacheBytes = budget
	b.Run("vector", func(b *testing.B) {
		i := 0
		vecTimed(b, func() {
			r, err := db.SearchMemories(ctx, query(i))
			if err != nil || len(r.Vector) != 30 {
				b.Fatalf("%d hits, %v", len(r.Vector), err)
			}
			i++
		})
		// The process's resident set now, the user's vectors loaded and
		// searched (Linux).
		if status, err := os.ReadFile("/proc/self/status"); err == nil {
			for _, line := range strings.Split(string(status), "\n") {
				if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
					if kb, err := strconv.Atoi(f[1]); err == nil {
						b.ReportMetric(float64(kb)/1024, "rss-MiB")
					}
				}
			}
		}
	})
	b.Run("fused", func(b *testing.B) {
		engine := search.NewEngine(search.Engine{Store: db, Embedder: emb})
		i := 0
		vecTimed(b, func() {
			hits, err := engine.SearchMemories(ctx, uid, vectorQueries1M[i%len(vectorQueries1M)], 10)
			if err != nil || len(hits) != 10 {
				b.Fatalf("%d hits, %v", len(hits), err)
			}
			i++
		})
	})
	b.Run("recall", func(b *testing.B) {
		for b.Loop() {
			ids, tie := vectorRecall1M(b, db, path, uid, emb)
			b.ReportMetric(ids, "recall-ids")
			b.ReportMetric(tie, "recall-tie-aware")
		}
	})
}

// vecTimed runs fn as a benchmark and reports its median and 99th
// percentile latency.
func vecTimed(b *testing.B, fn func()) {
	fn() // warm
	var ds []time.Duration
	for b.Loop() {
		t := time.Now()
		fn()
		ds = append(ds, time.Since(t))
	}
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	b.ReportMetric(ms(ds[len(ds)/2]), "p50-ms")
	b.ReportMetric(ms(ds[min(len(ds)-1, len(ds)*99/100)]), "p99-ms")
}

// vectorRecall1M compares the store's vector ranking of vectorQueries1M
// with the exact one, every visible memory's vector scored in one pass over
// the rows: the share of the exact top-30 ids found, and the share of hits
// scoring at least the exact 30th (the seeded text repeats, so thousands of
// memories can tie with it).
func vectorRecall1M(b *testing.B, db *sqlite.DB, path, uid string, emb *search.Hashing) (ids, tieAware float64) {
	ctx := context.Background()
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	type hit struct {
		id    string
		score float32
	}
	const k = 30
	qs := make([][]float32, len(vectorQueries1M))
	tops := make([][]hit, len(qs))
	for i, text := range vectorQueries1M {
		qs[i] = emb.Vector(text)
	}
	rows, err := raw.QueryContext(ctx, `SELECT v.id, v.vec FROM vectors v WHERE v.uid = ? AND v.kind = 'memory' AND v.model = ?
		AND v.dim = ? AND v.id NOT IN (SELECT id FROM memories WHERE uid = ? AND user_review = 0)`, uid, emb.Model(), emb.Dimensions(), uid)
	if err != nil {
		b.Fatal(err)
	}
	v := make([]float32, emb.Dimensions())
	var blob sql.RawBytes
	for rows.Next() {
		var id string
		if err := rows.Scan(&id, &blob); err != nil {
			b.Fatal(err)
		}
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(blob[4*i:]))
		}
		for qi, q := range qs {
			var s float32
			for i, x := range q {
				s += x * v[i]
			}
			// The store's order: score, then id. float64 of the same float32
			// sums the store makes would differ in the last bits, so compare
			// the hits by id and by the store's own scores.
			t := tops[qi]
			if len(t) == k && (s < t[k-1].score || s == t[k-1].score && id > t[k-1].id) {
				continue
			}
			at, _ := slices.BinarySearchFunc(t, hit{id, s}, func(a, b hit) int {
				if a.score != b.score {
					return cmp.Compare(b.score, a.score)
				}
				return cmp.Compare(a.id, b.id)
			})
			t = slices.Insert(t, at, hit{id, s})
			tops[qi] = t[:min(len(t), k)]
		}
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	rows.Close()
	for qi := range qs {
		r, err := db.SearchMemories(ctx, omi.SearchQuery{UID: uid, Vector: qs[qi], Model: emb.Model(), Limit: k})
		if err != nil {
			b.Fatal(err)
		}
		want := map[string]bool{}
		for _, h := range tops[qi] {
			want[h.id] = true
		}
		// Exact scores of the store's hits, by the same float32 sum as above.
		cut := tops[qi][len(tops[qi])-1].score
		var found, atLeast int
		for _, h := range r.Vector {
			if want[h.ID] {
				found++
			}
			if float32(h.Score) >= cut-1e-6 {
				atLeast++
			}
		}
		b.Logf("%q: %d of the exact top %d, %d at least its last score (%.4f)", vectorQueries1M[qi], found, k, atLeast, cut)
		ids += float64(found) / k
		tieAware += float64(atLeast) / k
	}
	return ids / float64(len(qs)), tieAware / float64(len(qs))
}

// open1M opens the seeded database named by OMI_BENCH_1M_DB (skipping the
// benchmark without one) and returns it with its path and its user
// (OMI_BENCH_1M_UID, default bench-user-0000).
func open1M(b *testing.B) (db *sqlite.DB, path, uid string) {
	path = os.Getenv("OMI_BENCH_1M_DB")
	if path == "" {
		b.Skip("OMI_BENCH_1M_DB is not set")
	}
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db, path, cmp.Or(os.Getenv("OMI_BENCH_1M_UID"), "bench-user-0000")
}
