package storetest

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"

	omi "github.com/omi-devapi/omi-devapi"
)

// searchStore is a store with search; stores without it skip these tests
// until they grow it.
type searchStore interface {
	Store
	omi.SearchStore
}

func openSearch(t *testing.T, open Open) searchStore {
	t.Helper()
	s, ok := open(t).(searchStore)
	if !ok {
		t.Skip("store does not implement omi.SearchStore")
	}
	return s
}

const testModel = "test-model"

// unit is a normalised vector of 4 dimensions.
func unit(xs ...float64) []float32 {
	var n float64
	for _, x := range xs {
		n += x * x
	}
	v := make([]float32, len(xs))
	for i, x := range xs {
		v[i] = float32(x / math.Sqrt(n))
	}
	return v
}

func embedded(m *omi.Memory, v []float32) *omi.Memory {
	m.Embedding = &omi.Embedding{Model: testModel, Vector: v}
	return m
}

func rankedIDs(rs []omi.Ranked) string {
	ids := []string{}
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return fmt.Sprint(ids)
}

func testSearch(t *testing.T, open Open) {
	t.Run("LexicalMemories", func(t *testing.T) {
		s := openSearch(t, open)
		must(t, s.CreateMemories(ctx(t), []*omi.Memory{
			newMemory("alice", "run", "User runs marathons in spring", "work", base),
			newMemory("alice", "tea", "User drinks green tea every morning", "work", base),
			newMemory("alice", "both", "Green tea after a morning run, every day", "work", base),
			newMemory("bob", "bobtea", "Bob drinks green tea too", "work", base),
		}))
		search := func(terms ...string) omi.Rankings {
			t.Helper()
			r, err := s.SearchMemories(ctx(t), omi.SearchQuery{UID: "alice", Terms: terms, Limit: 10})
			must(t, err)
			if r.Vector != nil {
				t.Fatalf("vector ranking without a query vector: %v", r.Vector)
			}
			return r
		}
		// Any term matches; more matching terms rank higher; case and word
		// forms do not matter ("running" finds "runs").
		r := search("GREEN", "tea", "running")
		if got := rankedIDs(r.Lexical); got != "[both tea run]" {
			t.Fatalf("ranking %s", got)
		}
		for i := 1; i < len(r.Lexical); i++ {
			if r.Lexical[i].Score > r.Lexical[i-1].Score {
				t.Fatalf("scores not descending: %+v", r.Lexical)
			}
		}
		if got := rankedIDs(search("marathon").Lexical); got != "[run]" {
			t.Fatalf("stemmed: %s", got)
		}
		if got := rankedIDs(search("coffee").Lexical); got != "[]" {
			t.Fatalf("no match: %s", got)
		}
		r, err := s.SearchMemories(ctx(t), omi.SearchQuery{UID: "alice", Terms: []string{"tea"}, Limit: 1})
		must(t, err)
		if len(r.Lexical) != 1 {
			t.Fatalf("limit: %+v", r.Lexical)
		}
		r, err = s.SearchMemories(ctx(t), omi.SearchQuery{UID: "carol", Terms: []string{"tea"}, Limit: 10})
		must(t, err)
		if len(r.Lexical) != 0 {
			t.Fatalf("another user's rows: %+v", r.Lexical)
		}
	})

	t.Run("TermsAreNeverSyntax", func(t *testing.T) {
		s := openSearch(t, open)
		must(t, s.CreateMemories(ctx(t), []*omi.Memory{
			newMemory("alice", "near", "Notes on the NEAR/3 operator", "work", base),
			newMemory("alice", "plain", "Nothing special here", "work", base),
			newMemory("bob", "secret", "Bob's secret content", "work", base),
		}))
		// Stores get terms already split into words, but must still quote
		// them: nothing here may be an error, and nothing may reach bob's.
		for _, term := range []string{`"`, `""`, `foo" OR "x`, `NEAR/3`, `NEAR(a b, 3)`, `*`, `foo*`, `^foo`, `content:secret`,
			`uid:bob`, `{uid content}:bob`, `(`, `)`, `AND`, `OR`, `NOT`, `-`, `+`, `'`, `';--`, `\`, "", " ", "🦄", "\u0301", "日本語"} {
			r, err := s.SearchMemories(ctx(t), omi.SearchQuery{UID: "alice", Terms: []string{term}, Limit: 10})
			if err != nil {
				t.Fatalf("term %q: %v", term, err)
			}
			if slices.ContainsFunc(r.Lexical, func(x omi.Ranked) bool { return x.ID == "secret" }) {
				t.Fatalf("term %q reached bob's memory", term)
			}
		}
		r, err := s.SearchMemories(ctx(t), omi.SearchQuery{UID: "alice", Terms: []string{"NEAR/3"}, Limit: 10})
		must(t, err)
		if got := rankedIDs(r.Lexical); got != "[near]" {
			t.Fatalf("NEAR/3 as text: %s", got)
		}
	})

	t.Run("VectorMemories", func(t *testing.T) {
		s := openSearch(t, open)
		no := false
		rejected := embedded(newMemory("alice", "rejected", "r", "work", base), unit(1, 0, 0, 0))
		rejected.UserReview = &no
		other := newMemory("alice", "othermodel", "o", "work", base)
		other.Embedding = &omi.Embedding{Model: "another-model", Vector: unit(1, 0, 0, 0)}
		short := newMemory("alice", "short", "s", "work", base)
		short.Embedding = &omi.Embedding{Model: testModel, Vector: unit(1, 0, 0)}
		must(t, s.CreateMemories(ctx(t), []*omi.Memory{
			embedded(newMemory("alice", "a", "a", "work", base), unit(1, 0, 0, 0)),
			embedded(newMemory("alice", "b", "b", "work", base), unit(1, 1, 0, 0)),
			embedded(newMemory("alice", "c", "c", "work", base), unit(1, 1, 0, 0)), // ties b: id decides
			embedded(newMemory("alice", "d", "d", "work", base), unit(0, 0, 1, 0)),
			embedded(newMemory("alice", "e", "e", "work", base), unit(-1, 0, 0, 0)),
			newMemory("alice", "novector", "n", "work", base),
			rejected, other, short,
			embedded(newMemory("bob", "bobs", "x", "work", base), unit(1, 0, 0, 0)),
		}))
		q := omi.SearchQuery{UID: "alice", Vector: unit(1, 0, 0, 0), Model: testModel, Limit: 10}
		r, err := s.SearchMemories(ctx(t), q)
		must(t, err)
		if r.Lexical != nil {
			t.Fatalf("lexical ranking without terms: %v", r.Lexical)
		}
		// Rejected, other model, other length, other user: never compared.
		if got := rankedIDs(r.Vector); got != "[a b c d e]" {
			t.Fatalf("vector ranking %s", got)
		}
		want := []float64{1, 1 / math.Sqrt2, 1 / math.Sqrt2, 0, -1}
		for i, x := range r.Vector {
			if math.Abs(x.Score-want[i]) > 1e-6 {
				t.Fatalf("cosine of %s: %v, want %v", x.ID, x.Score, want[i])
			}
		}
		q.Limit = 2
		r, err = s.SearchMemories(ctx(t), q)
		must(t, err)
		if got := rankedIDs(r.Vector); got != "[a b]" {
			t.Fatalf("limit 2: %s", got)
		}
	})

	t.Run("IndexesFollowMemoryWrites", func(t *testing.T) {
		s := openSearch(t, open)
		must(t, s.CreateMemories(ctx(t), []*omi.Memory{
			embedded(newMemory("alice", "m", "User plays the violin", "work", base), unit(1, 0, 0, 0)),
			embedded(newMemory("alice", "n", "User plays chess", "work", base), unit(0, 1, 0, 0)),
		}))
		find := func(term string, vec []float32) omi.Rankings {
			t.Helper()
			r, err := s.SearchMemories(ctx(t), omi.SearchQuery{UID: "alice", Terms: []string{term}, Vector: vec, Model: testModel, Limit: 10})
			must(t, err)
			return r
		}
		// New content, no vector given: the old vector must go with the old text.
		content := "User plays the cello"
		_, err := s.UpdateMemory(ctx(t), "alice", "m", func(m *omi.Memory) error {
			m.Apply(omi.MemoryUpdate{Content: &content}, base)
			return nil
		})
		must(t, err)
		r := find("violin", unit(1, 0, 0, 0))
		if len(r.Lexical) != 0 || rankedIDs(r.Vector) != "[n]" {
			t.Fatalf("after edit without vector: lexical %v vector %v", r.Lexical, r.Vector)
		}
		if got := rankedIDs(find("cello", nil).Lexical); got != "[m]" {
			t.Fatalf("new content: %s", got)
		}
		// New content with its vector.
		content = "User plays the double bass"
		_, err = s.UpdateMemory(ctx(t), "alice", "m", func(m *omi.Memory) error {
			m.Apply(omi.MemoryUpdate{Content: &content}, base)
			m.Embedding = &omi.Embedding{Model: testModel, Vector: unit(0, 0, 1, 0)}
			return nil
		})
		must(t, err)
		if got := rankedIDs(find("bass", unit(0, 0, 1, 0)).Vector); got != "[m n]" {
			t.Fatalf("new vector: %s", got)
		}
		// Tags alone keep the vector.
		_, err = s.UpdateMemory(ctx(t), "alice", "m", func(m *omi.Memory) error {
			m.Apply(omi.MemoryUpdate{Tags: []string{"music"}}, base)
			return nil
		})
		must(t, err)
		if got := rankedIDs(find("bass", unit(0, 0, 1, 0)).Vector); got != "[m n]" {
			t.Fatalf("after tags edit: %s", got)
		}
		// A failed update changes nothing.
		_, err = s.UpdateMemory(ctx(t), "alice", "m", func(m *omi.Memory) error {
			m.Content = "User plays the kazoo"
			return fmt.Errorf("refused")
		})
		if err == nil || len(find("kazoo", nil).Lexical) != 0 {
			t.Fatalf("failed update indexed: %v", err)
		}
		must(t, s.DeleteMemory(ctx(t), "alice", "m"))
		r = find("bass", unit(0, 0, 1, 0))
		if len(r.Lexical) != 0 || rankedIDs(r.Vector) != "[n]" {
			t.Fatalf("after delete: %v %v", r.Lexical, r.Vector)
		}
		// A new memory may reuse the id: it starts without the old vector.
		must(t, s.CreateMemories(ctx(t), []*omi.Memory{newMemory("alice", "m", "User plays the bass again", "work", base)}))
		if got := rankedIDs(find("bass", unit(0, 0, 1, 0)).Vector); got != "[n]" {
			t.Fatalf("recreated id has a vector: %s", got)
		}
	})

	t.Run("MemoriesByID", func(t *testing.T) {
		s := openSearch(t, open)
		no := false
		rejected := newMemory("alice", "r", "rejected", "work", base)
		rejected.UserReview = &no
		must(t, s.CreateMemories(ctx(t), []*omi.Memory{
			newMemory("alice", "a", "a", "work", base), newMemory("alice", "b", "b", "work", base), rejected,
			newMemory("bob", "c", "c", "work", base),
		}))
		ms, err := s.MemoriesByID(ctx(t), "alice", []string{"b", "a", "r", "c", "missing"})
		must(t, err)
		var ids []string
		for _, m := range ms {
			ids = append(ids, m.ID)
		}
		slices.Sort(ids)
		if fmt.Sprint(ids) != "[a b]" {
			t.Fatalf("by id: %v", ids)
		}
		ms, err = s.MemoriesByID(ctx(t), "alice", nil)
		must(t, err)
		if ms == nil || len(ms) != 0 {
			t.Fatalf("no ids: %v", ms)
		}
	})

	t.Run("Conversations", func(t *testing.T) {
		s := openSearch(t, open)
		withText := newConversation("alice", "text", base, "work")
		withText.TranscriptSegments = nil
		withText.ExternalData = json.RawMessage(`{"text":"We argued about the kayak rental.","text_source":"other_text"}`)
		withText.Structured.Title, withText.Structured.Overview = "Weekend plans", "Lake trip logistics"
		withText.Embedding = &omi.Embedding{Model: testModel, Vector: unit(1, 0, 0, 0)}
		segs := newConversation("alice", "segs", base, "work")
		segs.TranscriptSegments = []omi.TranscriptSegment{{ID: "s1", Text: "The lighthouse tour starts at noon."}, {ID: "s2", Text: "Bring binoculars."}}
		segs.Structured.Title = "Excursion"
		segs.Embedding = &omi.Embedding{Model: testModel, Vector: unit(0, 1, 0, 0)}
		discarded := newConversation("alice", "discarded", base, "work")
		discarded.Discarded = true
		discarded.Structured.Title = "Kayak shop"
		discarded.Embedding = &omi.Embedding{Model: testModel, Vector: unit(1, 0, 0, 0)}
		processing := newConversation("alice", "processing", base, "work")
		processing.Status = "processing"
		processing.Structured.Title = "Kayak again"
		bobs := newConversation("bob", "bobs", base, "work")
		bobs.Structured.Title = "Kayak for Bob"
		bobs.Embedding = &omi.Embedding{Model: testModel, Vector: unit(1, 0, 0, 0)}
		for _, c := range []*omi.Conversation{withText, segs, discarded, processing, bobs} {
			_, _, err := s.CreateConversation(ctx(t), c, nil, nil)
			must(t, err)
		}
		find := func(vec []float32, terms ...string) omi.Rankings {
			t.Helper()
			r, err := s.SearchConversations(ctx(t), omi.SearchQuery{UID: "alice", Terms: terms, Vector: vec, Model: testModel, Limit: 10})
			must(t, err)
			return r
		}
		// Title, overview, submitted text and segments are all searched.
		for term, want := range map[string]string{"weekend": "[text]", "logistics": "[text]", "kayak": "[text]", "binoculars": "[segs]", "lighthouse": "[segs]"} {
			if got := rankedIDs(find(nil, term).Lexical); got != want {
				t.Errorf("%s: %s, want %s", term, got, want)
			}
		}
		if got := rankedIDs(find(unit(1, 0, 0, 0)).Vector); got != "[text segs]" {
			t.Fatalf("vector: %s", got)
		}
		// A retitle re-indexes and, with a vector given, replaces it.
		_, err := s.UpdateConversation(ctx(t), "alice", "segs", func(c *omi.Conversation) error {
			c.Structured.Title = "Harbour walk"
			c.Embedding = &omi.Embedding{Model: testModel, Vector: unit(0, 0, 1, 0)}
			return nil
		})
		must(t, err)
		if got := rankedIDs(find(nil, "harbour").Lexical); got != "[segs]" {
			t.Fatalf("new title: %s", got)
		}
		if got := rankedIDs(find(nil, "excursion").Lexical); got != "[]" {
			t.Fatalf("old title still matches: %s", got)
		}
		if got := rankedIDs(find(unit(0, 0, 1, 0)).Vector); got != "[segs text]" {
			t.Fatalf("new vector: %s", got)
		}
		// A retitle without a vector drops the stale one.
		_, err = s.UpdateConversation(ctx(t), "alice", "text", func(c *omi.Conversation) error {
			c.Structured.Title = "Canoe plans"
			return nil
		})
		must(t, err)
		if got := rankedIDs(find(unit(1, 0, 0, 0)).Vector); got != "[segs]" {
			t.Fatalf("stale vector kept: %s", got)
		}
		// Undiscarding brings a conversation back.
		_, err = s.UpdateConversation(ctx(t), "alice", "discarded", func(c *omi.Conversation) error { c.Discarded = false; return nil })
		must(t, err)
		if got := rankedIDs(find(unit(1, 0, 0, 0), "kayak").Lexical); got != "[discarded text]" && got != "[text discarded]" {
			t.Fatalf("undiscarded: %s", got)
		}
		must(t, s.DeleteConversation(ctx(t), "alice", "discarded"))
		r := find(unit(1, 0, 0, 0), "kayak")
		if rankedIDs(r.Lexical) != "[text]" || rankedIDs(r.Vector) != "[segs]" {
			t.Fatalf("after delete: %v %v", r.Lexical, r.Vector)
		}

		cs, err := s.ConversationsByID(ctx(t), "alice", []string{"segs", "processing", "bobs", "missing"})
		must(t, err)
		if len(cs) != 1 || cs[0].ID != "segs" || len(cs[0].TranscriptSegments) != 2 || cs[0].Structured.Title != "Harbour walk" {
			t.Fatalf("by id: %+v", cs)
		}
	})

	t.Run("PendingAndPutEmbeddings", func(t *testing.T) {
		s := openSearch(t, open)
		stale := newMemory("alice", "stale", "stale vector", "work", base)
		stale.Embedding = &omi.Embedding{Model: "old-model", Vector: unit(1, 0, 0, 0)}
		must(t, s.CreateMemories(ctx(t), []*omi.Memory{
			embedded(newMemory("alice", "done", "has one", "work", base), unit(1, 0, 0, 0)),
			newMemory("alice", "m1", "first", "work", base), newMemory("alice", "m2", "second", "work", base),
			newMemory("bob", "m1", "bob's first", "work", base), stale,
		}))
		c := newConversation("alice", "c1", base, "work")
		c.Structured.Title, c.Structured.Overview = "Title", "Overview"
		_, _, err := s.CreateConversation(ctx(t), c, nil, nil)
		must(t, err)

		walk := func(kind string, all bool, limit int) []omi.EmbedTask {
			t.Helper()
			var out []omi.EmbedTask
			var after omi.EmbedCursor
			for {
				tasks, err := s.PendingEmbeddings(ctx(t), kind, testModel, all, after, limit)
				must(t, err)
				if len(tasks) == 0 {
					return out
				}
				out = append(out, tasks...)
				after = omi.EmbedCursor{UID: tasks[len(tasks)-1].UID, ID: tasks[len(tasks)-1].ID}
			}
		}
		tasks := walk(omi.KindMemory, false, 2)
		var got []string
		for _, tk := range tasks {
			got = append(got, tk.UID+"/"+tk.ID+"="+tk.Text)
		}
		if fmt.Sprint(got) != "[alice/m1=first alice/m2=second alice/stale=stale vector bob/m1=bob's first]" {
			t.Fatalf("pending: %v", got)
		}
		if n := len(walk(omi.KindMemory, true, 3)); n != 5 {
			t.Fatalf("all: %d", n)
		}
		convs := walk(omi.KindConversation, false, 10)
		if len(convs) != 1 || convs[0].Text != c.EmbedText() || convs[0].Text != "Title\nOverview\nhi" {
			t.Fatalf("pending conversations: %+v", convs)
		}

		// Rows edited or deleted since they were read are skipped.
		content := "first, edited"
		_, err = s.UpdateMemory(ctx(t), "alice", "m1", func(m *omi.Memory) error {
			m.Apply(omi.MemoryUpdate{Content: &content}, base)
			return nil
		})
		must(t, err)
		must(t, s.DeleteMemory(ctx(t), "alice", "m2"))
		for i := range tasks {
			tasks[i].Vector = unit(0, 1, 0, 0)
		}
		n, err := s.PutEmbeddings(ctx(t), omi.KindMemory, testModel, tasks)
		must(t, err)
		if n != 2 { // stale and bob's m1
			t.Fatalf("put %d", n)
		}
		convs[0].Vector = unit(0, 0, 1, 0)
		n, err = s.PutEmbeddings(ctx(t), omi.KindConversation, testModel, convs)
		must(t, err)
		if n != 1 {
			t.Fatalf("put conversations %d", n)
		}
		if got := walk(omi.KindMemory, false, 10); len(got) != 1 || got[0].ID != "m1" || got[0].Text != "first, edited" {
			t.Fatalf("still pending: %+v", got)
		}
		if got := walk(omi.KindConversation, false, 10); len(got) != 0 {
			t.Fatalf("conversation still pending: %+v", got)
		}
		r, err := s.SearchMemories(ctx(t), omi.SearchQuery{UID: "alice", Vector: unit(0, 1, 0, 0), Model: testModel, Limit: 10})
		must(t, err)
		if got := rankedIDs(r.Vector); got != "[stale done]" {
			t.Fatalf("vectors written: %s", got)
		}
		r, err = s.SearchConversations(ctx(t), omi.SearchQuery{UID: "alice", Vector: unit(0, 0, 1, 0), Model: testModel, Limit: 10})
		must(t, err)
		if got := rankedIDs(r.Vector); got != "[c1]" {
			t.Fatalf("conversation vector written: %s", got)
		}
	})

	t.Run("RebuildSearchIndex", func(t *testing.T) {
		s := openSearch(t, open)
		must(t, s.CreateMemories(ctx(t), []*omi.Memory{newMemory("alice", "m", "User collects vinyl records", "work", base)}))
		c := newConversation("alice", "c", base, "work")
		c.Structured.Title = "Record fair"
		_, _, err := s.CreateConversation(ctx(t), c, nil, nil)
		must(t, err)
		must(t, s.RebuildSearchIndex(ctx(t)))
		must(t, s.RebuildSearchIndex(ctx(t)))
		r, err := s.SearchMemories(ctx(t), omi.SearchQuery{UID: "alice", Terms: []string{"vinyl"}, Limit: 10})
		must(t, err)
		rc, err := s.SearchConversations(ctx(t), omi.SearchQuery{UID: "alice", Terms: []string{"fair"}, Limit: 10})
		must(t, err)
		if rankedIDs(r.Lexical) != "[m]" || rankedIDs(rc.Lexical) != "[c]" {
			t.Fatalf("after rebuild: %v %v", r.Lexical, rc.Lexical)
		}
	})
}
