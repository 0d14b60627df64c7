package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
)

type memory struct {
	ID            string    `json:"id"`
	Content       string    `json:"content"`
	Category      string    `json:"category"`
	Visibility    string    `json:"visibility"`
	Tags          []string  `json:"tags"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	ManuallyAdded bool      `json:"manually_added"`
	Scoring       string    `json:"scoring"`
	Reviewed      bool      `json:"reviewed"`
	UserReview    *bool     `json:"user_review"`
	Edited        bool      `json:"edited"`
}

func (e *env) createMemory(key string, body any) memory {
	e.t.Helper()
	resp := e.do("POST", "/v1/dev/user/memories", key, body)
	wantStatus(e.t, resp, 200)
	var m memory
	resp.Decode(e.t, &m)
	return m
}

func (e *env) listMemories(key, query string) ([]memory, http.Header) {
	e.t.Helper()
	resp := e.do("GET", "/v1/dev/user/memories"+query, key, nil)
	wantStatus(e.t, resp, 200)
	var ms []memory
	resp.Decode(e.t, &ms)
	return ms, resp.Header
}

// field returns the first validation error's loc and msg.
func field(t *testing.T, body []byte) (string, string) {
	t.Helper()
	var v struct {
		Detail []struct {
			Loc  []any  `json:"loc"`
			Msg  string `json:"msg"`
			Type string `json:"type"`
		} `json:"detail"`
	}
	if err := jsonUnmarshal(body, &v); err != nil || len(v.Detail) == 0 {
		t.Fatalf("not a validation error: %s", body)
	}
	return fmt.Sprint(v.Detail[0].Loc), v.Detail[0].Msg
}

func TestCreateMemory(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	m := e.createMemory(k, `{"content":"  Likes green tea  ","id":"mine","uid":"bob","created_at":"2001-01-01T00:00:00Z","manually_added":false,"edited":true}`)
	if m.Content != "Likes green tea" || m.Category != "interesting" || m.Visibility != "private" || len(m.Tags) != 0 ||
		!m.ManuallyAdded || !m.Reviewed || m.UserReview == nil || !*m.UserReview || m.Edited {
		t.Fatalf("defaults: %+v", m)
	}
	if m.ID == "mine" || m.CreatedAt.Year() == 2001 {
		t.Fatalf("client set server fields: %+v", m)
	}
	if want := fmt.Sprintf("01_998_%010d", m.CreatedAt.Unix()); m.Scoring != want {
		t.Fatalf("scoring %q, want %q", m.Scoring, want)
	}
	sys := e.createMemory(k, map[string]any{"content": "uses vim", "category": "system", "visibility": "public", "tags": []string{"a", "b"}})
	if sys.Category != "system" || sys.Visibility != "public" || strings.Join(sys.Tags, ",") != "a,b" || !strings.HasPrefix(sys.Scoring, "01_999_") {
		t.Fatalf("given fields: %+v", sys)
	}
	// Durable and readable by id (our extension).
	resp := e.do("GET", "/v1/dev/user/memories/"+m.ID, k, nil)
	wantStatus(t, resp, 200)
	var got memory
	resp.Decode(t, &got)
	if got.ID != m.ID || got.Content != m.Content || !got.CreatedAt.Equal(m.CreatedAt) {
		t.Fatalf("read back %+v, created %+v", got, m)
	}
}

func TestCreateMemoryValidation(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	cases := []struct {
		body, loc, msg string
	}{
		{`{}`, "[body content]", "Field required"},
		{`{"content":""}`, "[body content]", "String should have at least 1 character"},
		{`{"content":"` + strings.Repeat("x", 501) + `"}`, "[body content]", "String should have at most 500 characters"},
		{`{"content":"   "}`, "[body content]", "content cannot be empty"},
		{`{"content":42}`, "[body content]", "Input should be a valid string"},
		{`{"content":null}`, "[body content]", "Input should be a valid string"},
		{`{"content":"x","category":"bogus"}`, "[body category]", "Input should be 'interesting', 'system'"},
		{`{"content":"x","visibility":"friends"}`, "[body visibility]", "visibility must be 'public' or 'private'"},
		{`{"content":"x","tags":"a"}`, "[body tags]", "Input should be a valid list"},
		{`{"content":"x","tags":[1]}`, "[body tags 0]", "Input should be a valid string"},
		{`[]`, "[body]", "valid dictionary"},
		{`{"content":"x"`, "[body 14]", "JSON decode error"},
		{``, "[body]", "Field required"},
	}
	for _, tc := range cases {
		resp := e.do("POST", "/v1/dev/user/memories", k, tc.body)
		wantStatus(t, resp, 422)
		loc, msg := field(t, resp.Body)
		if loc != tc.loc || !strings.Contains(msg, tc.msg) {
			t.Errorf("%s: got %s %q, want %s %q", tc.body, loc, msg, tc.loc, tc.msg)
		}
	}
	// 500 characters counted as Python does (code points), emoji included.
	e.createMemory(k, map[string]string{"content": strings.Repeat("🍵", 500)})
	if ms, _ := e.listMemories(k, ""); len(ms) != 1 {
		t.Fatalf("invalid requests wrote %d memories", len(ms)-1)
	}
}

func TestMemoriesBatch(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	resp := e.do("POST", "/v1/dev/user/memories/batch", k, `{"memories":[]}`)
	wantStatus(t, resp, 200)
	if string(resp.Body) != `{"memories":[],"created_count":0}` {
		t.Fatalf("empty batch: %s", resp.Body)
	}
	items := make([]map[string]any, 25)
	for i := range items {
		items[i] = map[string]any{"content": fmt.Sprintf("fact %02d", i), "category": "work"}
	}
	resp = e.do("POST", "/v1/dev/user/memories/batch", k, map[string]any{"memories": items})
	wantStatus(t, resp, 200)
	var out struct {
		Memories     []memory `json:"memories"`
		CreatedCount int      `json:"created_count"`
	}
	resp.Decode(t, &out)
	if out.CreatedCount != 25 || len(out.Memories) != 25 {
		t.Fatalf("created %d", out.CreatedCount)
	}
	for i, m := range out.Memories {
		if m.Content != fmt.Sprintf("fact %02d", i) {
			t.Fatalf("not in request order: %d %q", i, m.Content)
		}
	}

	// Too many, a blank item, an invalid item: 422 at the item, nothing written.
	bad := []struct {
		body any
		loc  string
		msg  string
	}{
		{map[string]any{"memories": append(items, map[string]any{"content": "26th"})}, "[body memories]", "List should have at most 25 items after validation, not 26"},
		{map[string]any{"memories": []any{map[string]any{"content": "ok"}, map[string]any{"content": "ok"}, map[string]any{"content": "ok"}, map[string]any{"content": "  "}}}, "[body memories 3 content]", "All memories must have non-empty content"},
		{map[string]any{"memories": []any{map[string]any{"content": "ok"}, map[string]any{"content": "ok", "category": "nope"}}}, "[body memories 1 category]", "Input should be"},
		{map[string]any{"memories": []any{"just a string"}}, "[body memories 0]", "valid dictionary"},
		{map[string]any{}, "[body memories]", "Field required"},
	}
	for _, tc := range bad {
		resp := e.do("POST", "/v1/dev/user/memories/batch", k, tc.body)
		wantStatus(t, resp, 422)
		if loc, msg := field(t, resp.Body); loc != tc.loc || !strings.Contains(msg, tc.msg) {
			t.Errorf("got %s %q, want %s %q", loc, msg, tc.loc, tc.msg)
		}
	}
	if ms, _ := e.listMemories(k, "?limit=100"); len(ms) != 25 {
		t.Fatalf("failed batches wrote: %d memories", len(ms))
	}
}

func TestListMemories(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	// Created one second apart. Upstream's scoring ("%02d_%02d_%010d" with
	// 999-boost, sorted descending) ranks unboosted categories first.
	var created []memory
	for i, cat := range []string{"system", "work", "habits", "interesting", "system", "skills"} {
		created = append(created, e.createMemory(k, map[string]any{"content": fmt.Sprintf("m%d", i), "category": cat}))
		e.clock.Add(time.Second)
	}
	ms, h := e.listMemories(k, "")
	want := []string{"m4", "m2", "m0", "m5", "m3", "m1"}
	if got := contents(ms); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("order %v, want %v", got, want)
	}
	if h.Get("X-Applied-Limit") != "25" || h.Get("Link") != "" {
		t.Fatalf("headers %v", h)
	}

	ms, _ = e.listMemories(k, "?categories=system,%20habits,,")
	if got := contents(ms); strings.Join(got, ",") != "m4,m2,m0" {
		t.Fatalf("categories filter: %v", got)
	}
	ms, _ = e.listMemories(k, "?limit=2&offset=1")
	if got := contents(ms); strings.Join(got, ",") != "m2,m0" {
		t.Fatalf("limit/offset: %v", got)
	}
	// Filter before paging: a filtered page is full.
	ms, _ = e.listMemories(k, "?categories=system&limit=2")
	if len(ms) != 2 {
		t.Fatalf("filtered page short: %v", contents(ms))
	}
	_, h = e.listMemories(k, "?limit=0")
	if h.Get("X-Applied-Limit") != "1" {
		t.Fatalf("limit=0 applied %s", h.Get("X-Applied-Limit"))
	}
	_, h = e.listMemories(k, "?limit=100000")
	if h.Get("X-Applied-Limit") != "1000" {
		t.Fatalf("huge limit applied %s", h.Get("X-Applied-Limit"))
	}
	for _, q := range []string{"?limit=-1", "?offset=-1", "?limit=abc", "?categories=bogus", "?cursor=%%%", "?cursor=bm9wZQ"} {
		if r := e.do("GET", "/v1/dev/user/memories"+q, k, nil); r.Status != 422 {
			t.Errorf("%s: %d", q, r.Status)
		}
	}
	resp := e.do("GET", "/v1/dev/user/memories?categories=nope", k, nil)
	if _, msg := field(t, resp.Body); msg != "Invalid category 'nope' is not a valid MemoryCategory" {
		t.Fatalf("msg %q", msg)
	}
	_ = created
}

func contents(ms []memory) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Content
	}
	return out
}

var linkRE = regexp.MustCompile(`^<([^>]+)>; rel="next"$`)

// TestMemoryCursorPaging walks every page by cursor while another client
// inserts: every memory that existed at the start is seen exactly once.
func TestMemoryCursorPaging(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	items := make([]map[string]any, 25)
	for round := range 4 {
		for i := range items {
			items[i] = map[string]any{"content": fmt.Sprintf("r%d-%d", round, i), "category": []string{"system", "work"}[i%2]}
		}
		wantStatus(t, e.do("POST", "/v1/dev/user/memories/batch", k, map[string]any{"memories": items}), 200)
	}
	before := map[string]bool{}
	all, _ := e.listMemories(k, "?limit=1000")
	for _, m := range all {
		before[m.ID] = true
	}

	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			e.do("POST", "/v1/dev/user/memories", k, map[string]any{"content": "new " + strconv.Itoa(i), "category": "core"})
		}
	}()
	seen := map[string]int{}
	next := "/v1/dev/user/memories?limit=7"
	pages := 0
	for next != "" {
		resp := e.do("GET", next, k, nil)
		wantStatus(t, resp, 200)
		var ms []memory
		resp.Decode(t, &ms)
		for _, m := range ms {
			seen[m.ID]++
		}
		next = ""
		if l := resp.Header.Get("Link"); l != "" {
			u, err := url.Parse(linkRE.FindStringSubmatch(l)[1])
			if err != nil {
				t.Fatal(err)
			}
			next = u.RequestURI()
		}
		pages++
		if pages > 100 {
			t.Fatal("cursor paging does not end")
		}
	}
	close(stop)
	wg.Wait()
	for id := range before {
		if seen[id] != 1 {
			t.Fatalf("memory %s seen %d times", id, seen[id])
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("memory %s seen %d times", id, n)
		}
	}
}

func TestUpdateMemory(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	m := e.createMemory(k, map[string]any{"content": "likes tea", "category": "system"})
	path := "/v1/dev/user/memories/" + m.ID
	patch := func(body any) memory {
		t.Helper()
		e.clock.Add(time.Minute)
		resp := e.do("PATCH", path, k, body)
		wantStatus(t, resp, 200)
		var out memory
		resp.Decode(t, &out)
		return out
	}
	got := patch(map[string]any{"visibility": "public"})
	if got.Visibility != "public" || !got.UpdatedAt.Equal(m.UpdatedAt) || got.Edited {
		t.Fatalf("visibility only: %+v", got)
	}
	got = patch(map[string]any{"content": "  loves tea ", "id": "x", "created_at": "2001-01-01", "uid": "bob", "edited": false})
	if got.Content != "loves tea" || !got.Edited || !got.UpdatedAt.After(m.UpdatedAt) || got.ID != m.ID || !got.CreatedAt.Equal(m.CreatedAt) {
		t.Fatalf("content: %+v", got)
	}
	got = patch(map[string]any{"tags": []string{"drinks"}, "category": "hobbies"})
	if strings.Join(got.Tags, ",") != "drinks" || got.Category != "hobbies" || !strings.HasPrefix(got.Scoring, "01_998_") {
		t.Fatalf("tags and category: %+v", got)
	}
	for _, tc := range []struct{ body, msg string }{
		{`{}`, "At least one field (content, visibility, tags, or category) must be provided"},
		{`{"content":null,"tags":null}`, "At least one field"},
		{`{"content":"  "}`, "content cannot be empty"},
		{`{"content":"ok","visibility":"friends"}`, "visibility must be 'public' or 'private'"},
		{`{"category":"bogus"}`, "Input should be"},
	} {
		resp := e.do("PATCH", path, k, tc.body)
		wantStatus(t, resp, 422)
		if _, msg := field(t, resp.Body); !strings.Contains(msg, tc.msg) {
			t.Errorf("%s: %q", tc.body, msg)
		}
	}
	// The rejected PATCH with a content change wrote nothing.
	var after memory
	e.do("GET", path, k, nil).Decode(t, &after)
	if after.Content != "loves tea" {
		t.Fatalf("partial write: %+v", after)
	}
	wantDetail(t, e.do("PATCH", "/v1/dev/user/memories/nope", k, `{"content":"x"}`), 404, "Memory not found")
}

func TestDeleteMemory(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	m := e.createMemory(k, map[string]any{"content": "temp"})
	path := "/v1/dev/user/memories/" + m.ID
	resp := e.do("DELETE", path, k, nil)
	wantStatus(t, resp, 200)
	if string(resp.Body) != `{"success":true}` {
		t.Fatalf("delete body %s", resp.Body)
	}
	wantDetail(t, e.do("DELETE", path, k, nil), 404, "Memory not found")
	wantStatus(t, e.do("GET", path, k, nil), 404)
	wantStatus(t, e.do("PATCH", path, k, `{"content":"x"}`), 404)
}

func TestMemoriesTenantIsolation(t *testing.T) {
	e := setup(t)
	a := e.key("alice").Key
	b := e.key("bob").Key
	m := e.createMemory(a, map[string]any{"content": "alice's secret"})
	path := "/v1/dev/user/memories/" + m.ID
	for _, req := range []struct{ method, body string }{{"GET", ""}, {"PATCH", `{"content":"pwned"}`}, {"DELETE", ""}} {
		resp := e.do(req.method, path, b, req.body)
		wantDetail(t, resp, 404, "Memory not found")
		if strings.Contains(string(resp.Body), "secret") {
			t.Fatal("leak")
		}
	}
	if ms, _ := e.listMemories(b, ""); len(ms) != 0 {
		t.Fatalf("bob sees %v", contents(ms))
	}
	var still memory
	e.do("GET", path, a, nil).Decode(t, &still)
	if still.Content != "alice's secret" {
		t.Fatalf("bob changed alice's memory: %+v", still)
	}
}

func TestMemoriesScopes(t *testing.T) {
	e := setup(t)
	full := e.key("alice").Key
	m := e.createMemory(full, map[string]any{"content": "x"})
	ro := e.key("alice", omi.DefaultScopes...).Key
	other := e.key("alice", omi.ScopeActionItemsRead, omi.ScopeActionItemsWrite).Key
	writes := []struct{ method, path, body string }{
		{"POST", "/v1/dev/user/memories", `{"content":"y"}`},
		{"POST", "/v1/dev/user/memories/batch", `{"memories":[{"content":"y"}]}`},
		{"PATCH", "/v1/dev/user/memories/" + m.ID, `{"content":"y"}`},
		{"DELETE", "/v1/dev/user/memories/" + m.ID, ""},
	}
	for _, w := range writes {
		wantDetail(t, e.do(w.method, w.path, ro, w.body), 403, "Required scope: memories:write")
		wantDetail(t, e.do(w.method, w.path, other, w.body), 403, "Required scope: memories:write")
	}
	wantStatus(t, e.do("GET", "/v1/dev/user/memories", ro, nil), 200)
	wantDetail(t, e.do("GET", "/v1/dev/user/memories", other, nil), 403, "Required scope: memories:read")
	wantDetail(t, e.do("GET", "/v1/dev/user/memories/"+m.ID, other, nil), 403, "Required scope: memories:read")
}
