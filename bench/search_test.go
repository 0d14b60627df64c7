package bench

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
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
