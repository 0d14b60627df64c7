package seed_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/auth"
	"github.com/omi-devapi/omi-devapi/bench/seed"
	"github.com/omi-devapi/omi-devapi/search"
	"github.com/omi-devapi/omi-devapi/sqlite"
)

func open(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "omi.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var small = seed.Config{Users: 2, Memories: 700, Conversations: 30, ActionItems: 40, Goals: 3, Seed: 7, Batch: 250}

func memories(t *testing.T, db *sqlite.DB, uid string) []*omi.Memory {
	t.Helper()
	ms, err := db.ListMemories(t.Context(), omi.MemoryFilter{UID: uid, Page: omi.Page{Limit: 100_000}})
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestSeedWritesWhatItSays(t *testing.T) {
	db := open(t)
	st, err := seed.Seed(t.Context(), db, small)
	if err != nil {
		t.Fatal(err)
	}
	if st.Users != 2 || st.Memories != 1400 || st.Conversations != 60 || st.Goals != 6 || st.ActionItems < 80 {
		t.Fatalf("stats %+v", st)
	}
	for u := range 2 {
		uid := seed.UID(u)
		ms := memories(t, db, uid)
		// Lists leave out the few memories seeded as rejected by the user.
		if len(ms) < 650 || len(ms) > 700 {
			t.Fatalf("%s lists %d of 700 memories", uid, len(ms))
		}
		for _, m := range ms {
			if m.UID != uid || m.Content == "" || len(m.Content) > 500 || m.CreatedAt.After(seed.DefaultEnd) {
				t.Fatalf("memory %+v", m)
			}
		}
		convs, err := db.ListConversations(t.Context(), omi.ConversationFilter{UID: uid, IncludeTranscript: true, Page: omi.Page{Limit: 100}})
		if err != nil {
			t.Fatal(err)
		}
		if len(convs) < 25 || len(convs[0].TranscriptSegments) < 8 || convs[0].Structured.Title == "" || convs[0].FolderID == nil {
			t.Fatalf("%s: %d conversations, first %+v", uid, len(convs), convs[0])
		}
		items, err := db.ListActionItems(t.Context(), omi.ActionItemFilter{UID: uid, Page: omi.Page{Limit: 1000}})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) < 40 {
			t.Fatalf("%s: %d action items", uid, len(items))
		}
		goals, err := db.ListGoals(t.Context(), omi.GoalFilter{UID: uid, IncludeInactive: true, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(goals) != 3 {
			t.Fatalf("%s: %d goals", uid, len(goals))
		}
	}
}

// The same Config writes the same rows, ids and times included; another
// seed writes others.
func TestSeedIsDeterministic(t *testing.T) {
	a, b, c := open(t), open(t), open(t)
	for _, db := range []*sqlite.DB{a, b} {
		if _, err := seed.Seed(t.Context(), db, small); err != nil {
			t.Fatal(err)
		}
	}
	other := small
	other.Seed++
	if _, err := seed.Seed(t.Context(), c, other); err != nil {
		t.Fatal(err)
	}
	uid := seed.UID(1)
	if diff := cmp.Diff(memories(t, a, uid), memories(t, b, uid)); diff != "" {
		t.Fatalf("two seeds of one config differ:\n%s", diff)
	}
	if ma, mc := memories(t, a, uid), memories(t, c, uid); ma[0].ID == mc[0].ID || ma[0].Content == mc[0].Content && ma[1].Content == mc[1].Content {
		t.Fatal("another seed wrote the same data")
	}
	// Counts of one resource do not change another's data.
	fewer := small
	fewer.Goals, fewer.ActionItems = 0, 0
	d := open(t)
	if _, err := seed.Seed(t.Context(), d, fewer); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(memories(t, a, uid), memories(t, d, uid)); diff != "" {
		t.Fatalf("fewer goals changed the memories:\n%s", diff)
	}
}

// With an embedder, memories are stored with vectors that search ranks.
func TestSeedVectors(t *testing.T) {
	db := open(t)
	cfg := seed.Config{Memories: 300, Conversations: 5, Seed: 3, Embedder: search.NewHashing(search.DefaultDimensions)}
	if _, err := seed.Seed(t.Context(), db, cfg); err != nil {
		t.Fatal(err)
	}
	e := search.NewEngine(search.Engine{Store: db, Embedder: cfg.Embedder})
	hits, err := e.SearchMemories(t.Context(), seed.UID(0), "coffee in the morning", 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 {
		t.Fatal("no search hits over seeded vectors")
	}
	pending, err := db.PendingEmbeddings(t.Context(), omi.KindMemory, cfg.Embedder.Model(), false, omi.EmbedCursor{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 0 {
		t.Fatalf("%d memories seeded without a vector", len(pending))
	}
}

func TestKey(t *testing.T) {
	db := open(t)
	raw, err := seed.Key(t.Context(), db, seed.UID(0))
	if err != nil {
		t.Fatal(err)
	}
	keys := auth.NewKeys(db, auth.KeysConfig{}, nil, slog.New(slog.DiscardHandler), nil)
	defer keys.Close(context.Background())
	k, err := keys.Verify(t.Context(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if k.UID != seed.UID(0) || !k.Has(omi.ScopeMemoriesWrite) || !k.Has(omi.ScopeGoalsWrite) {
		t.Fatalf("key %+v", k)
	}
}

// Seeding in bulk-load mode ends cleanly, with everything readable.
func TestBulkLoad(t *testing.T) {
	db := open(t)
	done, err := db.BulkLoad(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := seed.Seed(t.Context(), db, seed.Config{Memories: 2000, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if err := done(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Logf("2,000 memories in %v", time.Since(start))
	if n := len(memories(t, db, seed.UID(0))); n < 1900 {
		t.Fatalf("listed %d", n)
	}
}
