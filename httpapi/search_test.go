package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/httpapi"
	"github.com/omi-devapi/omi-devapi/search"
)

type vectorSearchResult struct {
	Items []struct {
		ID             string  `json:"id"`
		Content        string  `json:"content"`
		Category       string  `json:"category"`
		RelevanceScore float64 `json:"relevance_score"`
	} `json:"items"`
	ReturnedCount         int  `json:"returned_count"`
	ArchiveDefaultVisible bool `json:"archive_default_visible"`
	Policy                struct {
		Consumer                 string `json:"consumer"`
		AppHasDefaultMemoryGrant bool   `json:"app_has_default_memory_grant"`
		ArchiveCapability        bool   `json:"archive_capability"`
		RawProvenanceCapability  bool   `json:"raw_provenance_capability"`
	} `json:"policy"`
}

func (r vectorSearchResult) ids() []string {
	var out []string
	for _, it := range r.Items {
		out = append(out, it.ID)
	}
	return out
}

func searchPath(query, extra string) string {
	return "/v1/dev/user/memories/vector/search?query=" + url.QueryEscape(query) + extra
}

func (e *env) vectorSearch(key, query, extra string) vectorSearchResult {
	e.t.Helper()
	resp := e.do(http.MethodGet, searchPath(query, extra), key, nil)
	wantStatus(e.t, resp, http.StatusOK)
	var r vectorSearchResult
	resp.Decode(e.t, &r)
	if r.ReturnedCount != len(r.Items) {
		e.t.Fatalf("returned_count %d for %d items", r.ReturnedCount, len(r.Items))
	}
	for i, it := range r.Items {
		if it.RelevanceScore < 0 || it.RelevanceScore > 1 || math.Round(it.RelevanceScore*1e4)/1e4 != it.RelevanceScore {
			e.t.Fatalf("relevance_score %v: not in [0, 1] with 4 decimals", it.RelevanceScore)
		}
		if i > 0 {
			prev := r.Items[i-1]
			if prev.RelevanceScore < it.RelevanceScore || prev.RelevanceScore == it.RelevanceScore && prev.ID > it.ID {
				e.t.Fatalf("items out of order at %d: %+v", i, r.Items)
			}
		}
	}
	return r
}

// seedMemories creates memories for the key's user and returns their ids by content.
func (e *env) seedMemories(key string, contents ...string) map[string]string {
	e.t.Helper()
	var items []map[string]any
	for _, c := range contents {
		items = append(items, map[string]any{"content": c})
	}
	ids := map[string]string{}
	for start := 0; start < len(items); start += 25 {
		resp := e.do(http.MethodPost, "/v1/dev/user/memories/batch", key, map[string]any{"memories": items[start:min(start+25, len(items))]})
		wantStatus(e.t, resp, http.StatusOK)
		var out struct {
			Memories []memory `json:"memories"`
		}
		resp.Decode(e.t, &out)
		for _, m := range out.Memories {
			ids[m.Content] = m.ID
		}
	}
	return ids
}

var lifeFacts = []string{
	"User's wife is named Maria; they married in 2019.",
	"User is allergic to peanuts and always carries an EpiPen.",
	"User works as a backend engineer at Stripe, mostly writing Go.",
	"User's manager is Priya, and they have one-on-ones every Thursday.",
	"User's dentist is Dr. Patel on Elm Street; the next cleaning is due in March.",
	"User has a golden retriever named Biscuit who is six years old.",
	"User drives a 2018 Subaru Outback that needs new tires before winter.",
	"User bakes sourdough on weekends; the starter is called Gerald.",
	"User's mother's birthday is on June 12th.",
	"User plays guitar in a weekend cover band called The Late Shift.",
	"User gets migraines from bright screens and skipped meals.",
	"User still owes about $18,000 on a student loan.",
}

func TestVectorSearch(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	ids := e.seedMemories(k, lifeFacts...)

	for _, c := range []struct{ query, want string }{
		{"who is my boss", "User's manager is Priya, and they have one-on-ones every Thursday."},
		{"what's my dog called", "User has a golden retriever named Biscuit who is six years old."},
		{"peanut alergy", "User is allergic to peanuts and always carries an EpiPen."}, // typo
		{"headaches", "User gets migraines from bright screens and skipped meals."},    // synonym
		{"sourdo", "User bakes sourdough on weekends; the starter is called Gerald."},  // partial word
	} {
		r := e.vectorSearch(k, c.query, "")
		if len(r.Items) == 0 || r.Items[0].ID != ids[c.want] {
			t.Errorf("%q: first %+v, want %q", c.query, r.Items, c.want)
			continue
		}
		top := r.Items[0]
		if top.Content != c.want || top.Category != "interesting" || top.RelevanceScore <= 0 {
			t.Errorf("%q: item %+v", c.query, top)
		}
	}

	r := e.vectorSearch(k, "dentist", "")
	if r.ArchiveDefaultVisible || r.Policy.Consumer != "developer_api" || !r.Policy.AppHasDefaultMemoryGrant ||
		r.Policy.ArchiveCapability || r.Policy.RawProvenanceCapability {
		t.Fatalf("policy: %+v", r)
	}
	// The vector ranking always has neighbours, so a query returns up to
	// limit items (default 10), the best first.
	if len(r.Items) != 10 || r.Items[0].ID != ids[lifeFacts[4]] || r.Items[0].RelevanceScore != 1 {
		t.Fatalf("default limit: %d items, first %+v", len(r.Items), r.Items[0])
	}
	if r := e.vectorSearch(k, "dentist", "&limit=3"); len(r.Items) != 3 {
		t.Fatalf("limit=3: %d items", len(r.Items))
	}
	if r := e.vectorSearch(k, "dentist", "&limit=100"); len(r.Items) != len(lifeFacts) {
		t.Fatalf("limit=100: %d items, want all %d", len(r.Items), len(lifeFacts))
	}
	// The same query gives the same answer.
	if a, b := e.vectorSearch(k, "car repairs", ""), e.vectorSearch(k, "car repairs", ""); fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("not deterministic:\n%v\n%v", a, b)
	}
}

func TestVectorSearchFollowsWrites(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	ids := e.seedMemories(k, lifeFacts...)
	loan := ids["User still owes about $18,000 on a student loan."]

	// An edit re-indexes the memory: found by its new words, not its old.
	resp := e.do(http.MethodPatch, "/v1/dev/user/memories/"+loan, k, map[string]any{"content": "User rents a lake cabin every July."})
	wantStatus(t, resp, http.StatusOK)
	if r := e.vectorSearch(k, "lake cabin", "&limit=1"); len(r.Items) != 1 || r.Items[0].ID != loan {
		t.Fatalf("edited memory not found by new content: %+v", r.Items)
	}
	for _, it := range e.vectorSearch(k, "student loan", "&limit=3").Items {
		if it.ID == loan && it.RelevanceScore > 0.5 {
			t.Fatalf("edited memory still ranks by its old content: %+v", it)
		}
	}
	// A tags-only edit keeps the vector (the trigger only drops it on new content).
	wantStatus(t, e.do(http.MethodPatch, "/v1/dev/user/memories/"+loan, k, map[string]any{"tags": []string{"x"}}), http.StatusOK)
	if r := e.vectorSearch(k, "lake cabn", "&limit=1"); r.Items[0].ID != loan {
		t.Fatalf("vector lost after a tags edit: %+v", r.Items)
	}

	// A deleted memory is gone from both rankings.
	dog := ids["User has a golden retriever named Biscuit who is six years old."]
	wantStatus(t, e.do(http.MethodDelete, "/v1/dev/user/memories/"+dog, k, nil), http.StatusOK)
	for _, id := range e.vectorSearch(k, "golden retriever Biscuit", "&limit=100").ids() {
		if id == dog {
			t.Fatal("deleted memory returned")
		}
	}

	// Memories that conversations leave behind are searchable at once.
	e2 := setup(t, withProcessor(&scripted{fn: meeting}))
	k2 := e2.key("bob").Key
	e2.createConversation(k2, "/v1/dev/user/conversations", map[string]any{"text": "We went through the budget line by line."})
	if r := e2.vectorSearch(k2, "who handles the budget", ""); len(r.Items) != 1 || r.Items[0].Content != "User manages the budget" {
		t.Fatalf("derived memory: %+v", r.Items)
	}
}

func TestVectorSearchTenantIsolation(t *testing.T) {
	e := setup(t)
	alice, bob := e.key("alice").Key, e.key("bob").Key
	e.seedMemories(alice, lifeFacts...)
	bobs := e.seedMemories(bob, "Bob keeps a pet zebra called Stripes.", "Bob's wife is named Maria too.")
	for _, q := range []string{"zebra", "pet zebra Stripes", "wife Maria", "Bob", "*", `"zebra" OR uid`} {
		for _, id := range e.vectorSearch(alice, q, "&limit=100").ids() {
			for _, b := range bobs {
				if id == b {
					t.Fatalf("alice's search %q returned bob's memory %s", q, id)
				}
			}
		}
	}
	r := e.vectorSearch(bob, "zebra", "")
	if len(r.Items) != 2 || r.Items[0].ID != bobs["Bob keeps a pet zebra called Stripes."] {
		t.Fatalf("bob's own search: %+v", r.Items)
	}
}

func TestVectorSearchValidation(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	for _, c := range []struct{ path, loc, msg string }{
		{"/v1/dev/user/memories/vector/search", "[query query]", "Field required"},
		{"/v1/dev/user/memories/vector/search?limit=5", "[query query]", "Field required"},
		{"/v1/dev/user/memories/vector/search?query=", "[query query]", "String should have at least 1 character"},
		{searchPath("   ", ""), "[query query]", "query must not be empty"},
		{searchPath("\t\n", ""), "[query query]", "query must not be empty"},
		{searchPath("tea", "&limit=0"), "[query limit]", "Input should be greater than or equal to 1"},
		{searchPath("tea", "&limit=101"), "[query limit]", "Input should be less than or equal to 100"},
		{searchPath("tea", "&limit=-1"), "[query limit]", "Input should be greater than or equal to 1"},
		{searchPath("tea", "&limit=ten"), "[query limit]", "Input should be a valid integer, unable to parse string as an integer"},
		{searchPath("tea", "&limit=2.5"), "[query limit]", "Input should be a valid integer, unable to parse string as an integer"},
	} {
		resp := e.do(http.MethodGet, c.path, k, nil)
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		if loc, msg := field(t, resp.Body); loc != c.loc || msg != c.msg {
			t.Errorf("%s: %s %q, want %s %q", c.path, loc, msg, c.loc, c.msg)
		}
	}
	// Lax like FastAPI: " 7 " and "7.0" are 7.
	for _, l := range []string{"%207%20", "7.0"} {
		if r := e.vectorSearch(k, "tea", "&limit="+l); r.ReturnedCount != 0 {
			t.Fatalf("limit=%s on an empty store: %+v", l, r)
		}
	}
}

// Whatever a user types is searched as text: FTS5 operators, quotes,
// column filters, SQL, control characters, emoji, a wall of text. Never a
// 5xx, never another user's rows.
func TestVectorSearchHostileQueries(t *testing.T) {
	e := setup(t)
	alice, bob := e.key("alice").Key, e.key("bob").Key
	mine := e.seedMemories(alice, `User said "foo AND (" in a regex once.`, "User's NEAR/3 operator notes.", "User likes 🦄 unicorns.", "User is allergic to cats.")
	secret := e.seedMemories(bob, "Bob's secret: the safe code is 4242.")
	hostile := []string{
		`"foo AND (`, `NEAR/3`, `NEAR(foo bar, 3)`, `foo*`, `*`, `^foo`, `content:secret`, `uid:bob`, `{uid content}: bob`,
		`"`, `""`, `"""`, `'`, `foo OR bar NOT baz`, `(((`, `)`, `-secret`, `+secret`, `secret AND`, `AND`, `OR OR OR`,
		`' OR 1=1 --`, `"; DROP TABLE memories; --`, `%00`, "\u202eRTL override", "e\u0301\u0301\u0301",
		"🦄🔥💩", "🦄", "👨‍👩‍👧‍👦 family", "日本語の検索", "ﷺ", "\uFFFD\uFFFD", strings.Repeat("secret ", 3000),
		strings.Repeat("a", 20000), strings.Repeat(`"(*^:`, 2000), `\"`, `\`, "tab\tand\nnewline",
	}
	for _, q := range hostile {
		resp := e.do(http.MethodGet, searchPath(q, "&limit=100"), alice, nil)
		if resp.Status != http.StatusOK {
			t.Errorf("%.40q: status %d %s", q, resp.Status, resp.Body)
			continue
		}
		var r vectorSearchResult
		resp.Decode(t, &r)
		for _, it := range r.Items {
			if it.ID == secret["Bob's secret: the safe code is 4242."] {
				t.Fatalf("%.40q: returned bob's memory", q)
			}
		}
	}
	// NUL is refused by the input decoding (lax), before search sees it.
	resp := e.do(http.MethodGet, searchPath("null\x00byte", ""), alice, nil)
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	// Operators are words like any other: the memory that contains them
	// comes first.
	if r := e.vectorSearch(alice, `"foo AND (`, ""); r.Items[0].ID != mine[`User said "foo AND (" in a regex once.`] {
		t.Fatalf("quoted operator search: %+v", r.Items)
	}
	if r := e.vectorSearch(alice, "NEAR/3", ""); r.Items[0].ID != mine["User's NEAR/3 operator notes."] {
		t.Fatalf("NEAR/3 search: %+v", r.Items)
	}
	if r := e.vectorSearch(alice, "🦄", ""); r.Items[0].ID != mine["User likes 🦄 unicorns."] {
		t.Fatalf("emoji search: %+v", r.Items)
	}
}

func TestSearchScopes(t *testing.T) {
	e := setup(t)
	memOnly := e.key("alice", omi.ScopeMemoriesRead).Key
	convOnly := e.key("alice", omi.ScopeConversationsRead).Key
	writeOnly := e.key("alice", omi.ScopeMemoriesWrite, omi.ScopeConversationsWrite).Key
	search := searchPath("tea", "")
	ask := map[string]any{"question": "what tea do I like?"}

	wantDetail(t, e.do(http.MethodGet, search, convOnly, nil), http.StatusForbidden, "memories:read")
	wantDetail(t, e.do(http.MethodGet, search, writeOnly, nil), http.StatusForbidden, "memories:read")
	wantDetail(t, e.do(http.MethodPost, "/v1/dev/user/ask", memOnly, ask), http.StatusForbidden, "conversations:read")
	wantDetail(t, e.do(http.MethodPost, "/v1/dev/user/ask", writeOnly, ask), http.StatusForbidden, "conversations:read")
	// The scope is checked before the input: a bad query still gets 403.
	wantStatus(t, e.do(http.MethodGet, "/v1/dev/user/memories/vector/search", convOnly, nil), http.StatusForbidden)
	wantStatus(t, e.do(http.MethodPost, "/v1/dev/user/ask", memOnly, "{"), http.StatusForbidden)
	wantStatus(t, e.do(http.MethodGet, search, "", nil), http.StatusUnauthorized)
	wantStatus(t, e.do(http.MethodPost, "/v1/dev/user/ask", "", ask), http.StatusUnauthorized)

	wantStatus(t, e.do(http.MethodGet, search, memOnly, nil), http.StatusOK)
	wantStatus(t, e.do(http.MethodPost, "/v1/dev/user/ask", convOnly, ask), http.StatusOK)
}

func TestSearchWithoutEngine(t *testing.T) {
	e := setup(t, func(d *httpapi.Deps) { d.Search = nil })
	k := e.key("alice").Key
	wantDetail(t, e.do(http.MethodGet, searchPath("tea", ""), k, nil), http.StatusServiceUnavailable, "Search is not configured")
	wantDetail(t, e.do(http.MethodPost, "/v1/dev/user/ask", k, map[string]any{"question": "tea?"}), http.StatusServiceUnavailable, "Search is not configured")
	// Writes go on without it.
	e.seedMemories(k, "User likes green tea.")
}

// failing is an embedder that is down.
type failing struct{ *search.Hashing }

func (failing) Embed(context.Context, []string) ([][]float32, error) {
	return nil, errors.New("embedding server unreachable")
}

// switchable is an embedder a test can swap while the server runs.
type switchable struct{ cur atomic.Value }

func (s *switchable) set(e omi.Embedder) { s.cur.Store(&e) }
func (s *switchable) get() omi.Embedder  { return *s.cur.Load().(*omi.Embedder) }
func (s *switchable) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	return s.get().Embed(ctx, texts)
}
func (s *switchable) Dimensions() int { return s.get().Dimensions() }
func (s *switchable) Model() string   { return s.get().Model() }

func TestSearchEmbedderDown(t *testing.T) {
	emb := &switchable{}
	emb.set(search.NewHashing(0))
	e := setup(t, func(d *httpapi.Deps) { d.Search.Embedder = emb })
	k := e.key("alice").Key
	e.seedMemories(k, "User likes green tea.") // embedded while up
	emb.set(failing{search.NewHashing(0)})
	// Writes still commit, without vectors; searches fall back to the
	// lexical ranking.
	ids := e.seedMemories(k, "User's bicycle is a red Brompton.")
	if r := e.vectorSearch(k, "Brompton bicycle", ""); len(r.Items) != 1 || r.Items[0].ID != ids["User's bicycle is a red Brompton."] {
		t.Fatalf("lexical fallback: %+v", r.Items)
	}
	// Reindexing once the embedder is back gives the row its vector.
	emb.set(search.NewHashing(0))
	st, err := search.Reindex(t.Context(), e.db, search.NewHashing(0), search.ReindexOptions{})
	if err != nil || st.Memories != 1 {
		t.Fatalf("reindex: %+v %v", st, err)
	}
	if r := e.vectorSearch(k, "bicycel", ""); len(r.Items) != 2 || r.Items[0].ID != ids["User's bicycle is a red Brompton."] { // typo: vector only
		t.Fatalf("after reindex: %+v", r.Items)
	}
}
