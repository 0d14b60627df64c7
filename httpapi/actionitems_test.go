package httpapi_test

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
)

const actionItemsPath = "/v1/dev/user/action-items"

type actionItem struct {
	ID             string     `json:"id"`
	Description    string     `json:"description"`
	Completed      bool       `json:"completed"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	DueAt          *time.Time `json:"due_at"`
	CompletedAt    *time.Time `json:"completed_at"`
	ConversationID *string    `json:"conversation_id"`
}

func (e *env) createActionItem(key string, body any) actionItem {
	e.t.Helper()
	resp := e.do("POST", actionItemsPath, key, body)
	wantStatus(e.t, resp, 200)
	var a actionItem
	resp.Decode(e.t, &a)
	return a
}

func (e *env) listActionItems(key, query string) ([]actionItem, map[string][]string) {
	e.t.Helper()
	resp := e.do("GET", actionItemsPath+query, key, nil)
	wantStatus(e.t, resp, 200)
	var items []actionItem
	resp.Decode(e.t, &items)
	return items, resp.Header
}

func descriptions(items []actionItem) string {
	out := make([]string, len(items))
	for i, a := range items {
		out[i] = a.Description
	}
	return strings.Join(out, ",")
}

// setClock pins the server clock to a whole second, so times in tests are
// easy to write down.
func (e *env) setClock(s string) time.Time {
	e.t.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		e.t.Fatal(err)
	}
	e.clock.Set(t)
	return t
}

func TestCreateActionItem(t *testing.T) {
	e := setup(t)
	now := e.setClock("2026-03-14T15:09:26Z")
	k := e.key("alice").Key
	resp := e.do("POST", actionItemsPath, k, `{"description":"  Call the plumber  ","id":"mine","created_at":"2001-01-01T00:00:00Z",
		"updated_at":"2001-01-01T00:00:00Z","completed_at":"2001-01-01T00:00:00Z","conversation_id":"c1","uid":"bob"}`)
	wantStatus(t, resp, 200)
	// Every field of DeveloperActionItem, nulls included.
	for _, f := range []string{`"due_at":null`, `"completed_at":null`, `"conversation_id":null`, `"completed":false`} {
		if !strings.Contains(string(resp.Body), f) {
			t.Fatalf("%s missing from %s", f, resp.Body)
		}
	}
	var a actionItem
	resp.Decode(t, &a)
	if a.Description != "Call the plumber" || a.Completed || a.DueAt != nil || a.CompletedAt != nil || a.ConversationID != nil {
		t.Fatalf("defaults: %+v", a)
	}
	if a.ID == "mine" || !a.CreatedAt.Equal(now) || !a.UpdatedAt.Equal(now) {
		t.Fatalf("client set server fields: %+v", a)
	}

	// Created done: completed_at is now. Due dates are read leniently and
	// answered in UTC.
	done := e.createActionItem(k, map[string]any{"description": "file taxes", "completed": true, "due_at": "2026-04-15T09:00:00+02:00"})
	if !done.Completed || done.CompletedAt == nil || !done.CompletedAt.Equal(now) || !done.DueAt.Equal(time.Date(2026, 4, 15, 7, 0, 0, 0, time.UTC)) {
		t.Fatalf("completed with due date: %+v", done)
	}
	for _, tc := range []struct {
		due  any
		want time.Time
	}{
		{"2026-04-15T09:00:00", time.Date(2026, 4, 15, 9, 0, 0, 0, time.UTC)}, // naive is UTC
		{"2026-04-15", time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC)},          // a date is its midnight
		{1776243600, time.Unix(1776243600, 0).UTC()},                          // Unix seconds
		{"2026-04-15T09:00:00.123456Z", time.Date(2026, 4, 15, 9, 0, 0, 123456000, time.UTC)},
	} {
		got := e.createActionItem(k, map[string]any{"description": "x", "due_at": tc.due, "completed": "yes"})
		if got.DueAt == nil || !got.DueAt.Equal(tc.want) || !got.Completed {
			t.Errorf("due_at %v: got %+v, want %v", tc.due, got.DueAt, tc.want)
		}
	}
	if !strings.Contains(string(e.do("POST", actionItemsPath, k, `{"description":"z","due_at":"2026-04-15T09:00:00+02:00"}`).Body),
		`"due_at":"2026-04-15T07:00:00Z"`) {
		t.Fatal("due_at not answered in UTC")
	}

	// Durable and readable by id (our extension).
	resp = e.do("GET", actionItemsPath+"/"+done.ID, k, nil)
	wantStatus(t, resp, 200)
	var got actionItem
	resp.Decode(t, &got)
	if got.ID != done.ID || got.Description != "file taxes" || !got.DueAt.Equal(*done.DueAt) || !got.CompletedAt.Equal(*done.CompletedAt) {
		t.Fatalf("read back %+v, created %+v", got, done)
	}
}

func TestCreateActionItemValidation(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	cases := []struct {
		body, loc, msg string
	}{
		{`{}`, "[body description]", "Field required"},
		{`{"description":""}`, "[body description]", "String should have at least 1 character"},
		{`{"description":"` + strings.Repeat("x", 501) + `"}`, "[body description]", "String should have at most 500 characters"},
		{`{"description":" \t\n "}`, "[body description]", "description cannot be empty"},
		{`{"description":42}`, "[body description]", "Input should be a valid string"},
		{`{"description":null}`, "[body description]", "Input should be a valid string"},
		{`{"description":"x","completed":"maybe"}`, "[body completed]", "Input should be a valid boolean"},
		{`{"description":"x","completed":null}`, "[body completed]", "Input should be a valid boolean"},
		{`{"description":"x","due_at":"next tuesday"}`, "[body due_at]", "Input should be a valid datetime"},
		{`{"description":"x","due_at":"2026-02-30"}`, "[body due_at]", "Input should be a valid datetime"},
		// pydantic rejects the request before upstream's blank check runs.
		{`{"description":"   ","due_at":"soon"}`, "[body due_at]", "Input should be a valid datetime"},
		{`[]`, "[body]", "valid dictionary"},
		{`{"description":"x"`, "[body 18]", "JSON decode error"},
		{``, "[body]", "Field required"},
	}
	for _, tc := range cases {
		resp := e.do("POST", actionItemsPath, k, tc.body)
		wantStatus(t, resp, 422)
		loc, msg := field(t, resp.Body)
		if loc != tc.loc || !strings.Contains(msg, tc.msg) {
			t.Errorf("%s: got %s %q, want %s %q", tc.body, loc, msg, tc.loc, tc.msg)
		}
	}
	// 500 characters counted as Python does (code points); null due_at is none.
	e.createActionItem(k, map[string]any{"description": strings.Repeat("✅", 500), "due_at": nil})
	if items, _ := e.listActionItems(k, ""); len(items) != 1 {
		t.Fatalf("invalid requests wrote %d items", len(items)-1)
	}
}

func TestActionItemsBatch(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	resp := e.do("POST", actionItemsPath+"/batch", k, `{"action_items":[]}`)
	wantStatus(t, resp, 200)
	if string(resp.Body) != `{"action_items":[],"created_count":0}` {
		t.Fatalf("empty batch: %s", resp.Body)
	}
	items := make([]map[string]any, 50)
	for i := range items {
		items[i] = map[string]any{"description": fmt.Sprintf(" task %02d ", i), "completed": i%2 == 0}
	}
	resp = e.do("POST", actionItemsPath+"/batch", k, map[string]any{"action_items": items})
	wantStatus(t, resp, 200)
	var out struct {
		ActionItems  []actionItem `json:"action_items"`
		CreatedCount int          `json:"created_count"`
	}
	resp.Decode(t, &out)
	if out.CreatedCount != 50 || len(out.ActionItems) != 50 {
		t.Fatalf("created %d", out.CreatedCount)
	}
	ids := map[string]bool{}
	for i, a := range out.ActionItems {
		if a.Description != fmt.Sprintf("task %02d", i) || a.Completed != (i%2 == 0) || (a.CompletedAt != nil) != a.Completed {
			t.Fatalf("item %d not in request order or wrong: %+v", i, a)
		}
		ids[a.ID] = true
	}
	if len(ids) != 50 {
		t.Fatalf("%d distinct ids for 50 items", len(ids))
	}

	// Too many, a blank item, an invalid item: 422 at the item, nothing written.
	ok := map[string]any{"description": "ok"}
	bad := []struct {
		body any
		loc  string
		msg  string
	}{
		{map[string]any{"action_items": append(items, ok)}, "[body action_items]", "List should have at most 50 items after validation, not 51"},
		{map[string]any{"action_items": []any{ok, ok, ok, map[string]any{"description": "  "}, map[string]any{"description": " "}}},
			"[body action_items 3 description]", "All action items must have non-empty descriptions"},
		{map[string]any{"action_items": []any{ok, map[string]any{"description": "ok", "due_at": "someday"}}}, "[body action_items 1 due_at]", "valid datetime"},
		{map[string]any{"action_items": []any{ok, map[string]any{}}}, "[body action_items 1 description]", "Field required"},
		{map[string]any{"action_items": []any{"just a string"}}, "[body action_items 0]", "valid dictionary"},
		{map[string]any{"action_items": nil}, "[body action_items]", "valid list"},
		{map[string]any{}, "[body action_items]", "Field required"},
	}
	for _, tc := range bad {
		resp := e.do("POST", actionItemsPath+"/batch", k, tc.body)
		wantStatus(t, resp, 422)
		if loc, msg := field(t, resp.Body); loc != tc.loc || !strings.Contains(msg, tc.msg) {
			t.Errorf("got %s %q, want %s %q", loc, msg, tc.loc, tc.msg)
		}
	}
	if got, _ := e.listActionItems(k, "?limit=1000"); len(got) != 50 {
		t.Fatalf("failed batches wrote: %d items", len(got))
	}
}

// TestListActionItemsOrder checks the order over the whole list: due items
// first by due date, then the rest, newest first. Upstream cuts pages by
// created_at before sorting each, so there the oldest item, though due
// first, would sit on the last page.
func TestListActionItemsOrder(t *testing.T) {
	e := setup(t)
	e.setClock("2026-03-14T12:00:00Z")
	k := e.key("alice").Key
	for _, it := range []struct{ desc, due string }{
		{"due-third", "2026-05-01T00:00:00Z"},
		{"undated-old", ""},
		{"due-first", "2026-03-20T00:00:00Z"},
		{"due-second-old", "2026-04-01T00:00:00Z"},
		{"undated-new", ""},
		{"due-second-new", "2026-04-01T00:00:00Z"},
	} {
		body := map[string]any{"description": it.desc}
		if it.due != "" {
			body["due_at"] = it.due
		}
		e.createActionItem(k, body)
		e.clock.Add(time.Minute)
	}
	want := "due-first,due-second-new,due-second-old,due-third,undated-new,undated-old"
	items, h := e.listActionItems(k, "")
	if got := descriptions(items); got != want {
		t.Fatalf("order %s\nwant  %s", got, want)
	}
	if h["X-Applied-Limit"][0] != "100" || len(h["Link"]) != 0 {
		t.Fatalf("headers %v", h)
	}
	// Offset pages are slices of that one order.
	var paged []actionItem
	for off := 0; off < 6; off += 4 {
		page, _ := e.listActionItems(k, fmt.Sprintf("?limit=4&offset=%d", off))
		paged = append(paged, page...)
	}
	if got := descriptions(paged); got != want {
		t.Fatalf("offset pages %s\nwant         %s", got, want)
	}
	// An undated item that gets a due date moves up; its order among the
	// due ones follows the due date alone.
	undated := items[5]
	wantStatus(t, e.do("PATCH", actionItemsPath+"/"+undated.ID, k, `{"due_at":"2026-03-01"}`), 200)
	items, _ = e.listActionItems(k, "?limit=2")
	if got := descriptions(items); got != "undated-old,due-first" {
		t.Fatalf("after giving a due date: %s", got)
	}
}

func TestListActionItemsFilters(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	// Created at known instants: 10th noon, 11th noon, 12th midnight, 12th noon.
	for i, at := range []string{"2026-03-10T12:00:00Z", "2026-03-11T12:00:00Z", "2026-03-12T00:00:00Z", "2026-03-12T12:00:00Z"} {
		e.setClock(at)
		e.createActionItem(k, map[string]any{"description": fmt.Sprintf("d%d", i), "completed": i%2 == 1})
	}
	// Conversation processing writes items with a conversation_id straight
	// to the store; the API cannot.
	conv := "conv-42"
	other := "conv-7"
	now := time.Date(2026, 3, 13, 0, 0, 0, 0, time.UTC)
	var fromConv []*omi.ActionItem
	for i, c := range []*string{&conv, &conv, &other} {
		a := omi.NewActionItem(fmt.Sprintf("conv-item-%d", i), "alice", fmt.Sprintf("c%d", i), false, nil, now.Add(time.Duration(i)*time.Hour))
		a.ConversationID = c
		fromConv = append(fromConv, a)
	}
	if err := e.db.CreateActionItems(t.Context(), fromConv); err != nil {
		t.Fatal(err)
	}
	bob := omi.NewActionItem("bobs", "bob", "bob's", false, nil, now)
	bob.ConversationID = &conv
	if err := e.db.CreateActionItems(t.Context(), []*omi.ActionItem{bob}); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct{ query, want string }{
		{"", "c2,c1,c0,d3,d2,d1,d0"},
		{"?conversation_id=conv-42", "c1,c0"},
		{"?conversation_id=conv-7", "c2"},
		{"?conversation_id=nope", ""},
		{"?conversation_id=", ""}, // exact match on "", as upstream: no item has it
		{"?completed=true", "d3,d1"},
		{"?completed=false", "c2,c1,c0,d2,d0"},
		{"?completed=1", "d3,d1"},
		{"?completed=off", "c2,c1,c0,d2,d0"},
		{"?conversation_id=conv-42&completed=true", ""},
		// Inclusive bounds on created_at; a date is its midnight, naive is UTC.
		{"?start_date=2026-03-11T12:00:00Z", "c2,c1,c0,d3,d2,d1"},
		{"?start_date=2026-03-11", "c2,c1,c0,d3,d2,d1"},
		{"?end_date=2026-03-12", "d2,d1,d0"},
		{"?start_date=2026-03-11&end_date=2026-03-12", "d2,d1"},
		{"?start_date=2026-03-11T12:00:00&end_date=2026-03-12T12:00:00", "d3,d2,d1"},
		{"?end_date=2026-03-12T13:00:00%2B01:00", "d3,d2,d1,d0"},
		{"?end_date=2026-03-12T13:00:00%2B02:00", "d2,d1,d0"},
		{"?start_date=1773230400", "c2,c1,c0,d3,d2,d1"}, // 2026-03-11T12:00:00Z as Unix seconds
		{"?start_date=2026-03-11&completed=false&limit=1", "c2"},
		// Filters run before paging: the page is full.
		{"?completed=false&limit=2&offset=3", "d2,d0"},
	} {
		items, _ := e.listActionItems(k, tc.query)
		if got := descriptions(items); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.query, got, tc.want)
		}
	}
	for _, tc := range []struct{ query, loc, msg string }{
		{"?start_date=yesterday", "[query start_date]", "Input should be a valid datetime"},
		{"?end_date=2026-13-01", "[query end_date]", "Input should be a valid datetime"},
		{"?end_date=2026-03-12T13:00:00+02:00", "[query end_date]", "Input should be a valid datetime"}, // '+' is a space
		{"?completed=maybe", "[query completed]", "Input should be a valid boolean"},
		{"?limit=-1", "[query limit]", "greater than or equal to 0"},
		{"?offset=-1", "[query offset]", "greater than or equal to 0"},
		{"?limit=abc", "[query limit]", "valid integer"},
		{"?cursor=%%%", "[query cursor]", "cursor"},
		{"?cursor=bm9wZQ", "[query cursor]", "cursor"},
	} {
		resp := e.do("GET", actionItemsPath+tc.query, k, nil)
		wantStatus(t, resp, 422)
		if loc, msg := field(t, resp.Body); loc != tc.loc || !strings.Contains(msg, tc.msg) {
			t.Errorf("%s: got %s %q, want %s %q", tc.query, loc, msg, tc.loc, tc.msg)
		}
	}
	for _, tc := range []struct{ query, applied string }{
		{"?limit=0", "1"}, {"?limit=1000", "1000"}, {"?limit=1001", "1000"}, {"?limit=99999999999", "1000"}, {"?limit=7", "7"},
	} {
		_, h := e.listActionItems(k, tc.query)
		if got := h["X-Applied-Limit"]; len(got) != 1 || got[0] != tc.applied {
			t.Errorf("%s: applied %v, want %s", tc.query, got, tc.applied)
		}
	}
}

// TestActionItemCursorPaging walks every page by cursor while another client
// inserts (with and without due dates, so new items land before, inside and
// after the walk's position): every item that existed at the start is seen
// exactly once, and nothing twice.
func TestActionItemCursorPaging(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	base := e.setClock("2026-03-14T12:00:00Z")
	items := make([]map[string]any, 50)
	for round := range 3 {
		for i := range items {
			it := map[string]any{"description": fmt.Sprintf("r%d-%d", round, i)}
			if i%3 != 0 {
				it["due_at"] = base.Add(time.Duration(i%7) * 24 * time.Hour)
			}
			items[i] = it
		}
		wantStatus(t, e.do("POST", actionItemsPath+"/batch", k, map[string]any{"action_items": items}), 200)
		e.clock.Add(time.Second)
	}
	all, _ := e.listActionItems(k, "?limit=1000")
	before := map[string]bool{}
	for _, a := range all {
		before[a.ID] = true
	}
	if len(before) != 150 {
		t.Fatalf("%d items", len(before))
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
			body := map[string]any{"description": "new " + strconv.Itoa(i)}
			if i%2 == 0 {
				body["due_at"] = base.Add(time.Duration(i%9) * 24 * time.Hour)
			}
			e.do("POST", actionItemsPath, k, body)
			e.clock.Add(time.Millisecond)
		}
	}()
	seen, inserted := map[string]int{}, map[string]bool{}
	next := actionItemsPath + "?limit=7"
	pages := 0
	for next != "" {
		resp := e.do("GET", next, k, nil)
		wantStatus(t, resp, 200)
		var page []actionItem
		resp.Decode(t, &page)
		for _, a := range page {
			seen[a.ID]++
		}
		next = ""
		if l := resp.Header.Get("Link"); l != "" {
			m := linkRE.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("Link %q", l)
			}
			u, err := url.Parse(m[1])
			if err != nil {
				t.Fatal(err)
			}
			if u.Query().Get("limit") != "7" {
				t.Fatalf("next link lost the limit: %s", l)
			}
			next = u.RequestURI()
		}
		pages++
		if pages > 200 {
			t.Fatal("cursor paging does not end")
		}
		// Between pages, deterministically: one item due before everything
		// (it lands behind the walk, which would shift an offset page and
		// repeat an item) and one undated (it lands ahead of the walk).
		early := e.createActionItem(k, map[string]any{"description": "early", "due_at": base.Add(-time.Hour)})
		late := e.createActionItem(k, map[string]any{"description": "late"})
		inserted[early.ID], inserted[late.ID] = true, true
	}
	close(stop)
	wg.Wait()
	for id := range before {
		if seen[id] != 1 {
			t.Fatalf("item %s seen %d times", id, seen[id])
		}
	}
	lateSeen := 0
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("item %s seen %d times", id, n)
		}
		if inserted[id] {
			lateSeen++
		}
	}
	// The undated ones inserted while the walk was among the dated items
	// lie ahead of it, so the walk reaches them.
	if lateSeen == 0 {
		t.Fatal("the walk saw none of the items inserted ahead of it")
	}

	// With filters, the cursor keeps them and walks the filtered order.
	walked := []actionItem{}
	next = actionItemsPath + "?limit=4&end_date=" + url.QueryEscape(base.Add(time.Second).Format(time.RFC3339))
	for next != "" {
		resp := e.do("GET", next, k, nil)
		var page []actionItem
		resp.Decode(t, &page)
		walked = append(walked, page...)
		next = ""
		if m := linkRE.FindStringSubmatch(resp.Header.Get("Link")); m != nil {
			u, _ := url.Parse(m[1])
			next = u.RequestURI()
		}
	}
	want, _ := e.listActionItems(k, "?limit=1000&end_date="+url.QueryEscape(base.Add(time.Second).Format(time.RFC3339)))
	if len(want) != 100 || descriptions(walked) != descriptions(want) {
		t.Fatalf("filtered walk: %d items, want %d", len(walked), len(want))
	}
}

func TestUpdateActionItem(t *testing.T) {
	e := setup(t)
	e.setClock("2026-03-14T12:00:00Z")
	k := e.key("alice").Key
	a := e.createActionItem(k, map[string]any{"description": "buy milk", "due_at": "2026-03-20T10:00:00Z"})
	path := actionItemsPath + "/" + a.ID
	patch := func(body any) actionItem {
		t.Helper()
		e.clock.Add(time.Minute)
		resp := e.do("PATCH", path, k, body)
		wantStatus(t, resp, 200)
		var out actionItem
		resp.Decode(t, &out)
		return out
	}
	got := patch(map[string]any{"description": "  buy oat milk ", "id": "x", "created_at": "2001-01-01", "conversation_id": "c", "completed_at": "2001-01-01"})
	if got.Description != "buy oat milk" || got.ID != a.ID || !got.CreatedAt.Equal(a.CreatedAt) || got.ConversationID != nil ||
		got.CompletedAt != nil || got.Completed || !got.UpdatedAt.Equal(e.clock.Now()) || !got.DueAt.Equal(*a.DueAt) {
		t.Fatalf("description: %+v", got)
	}
	// Completing stamps completed_at; completing again stamps it afresh.
	got = patch(`{"completed":true}`)
	first := e.clock.Now()
	if !got.Completed || got.CompletedAt == nil || !got.CompletedAt.Equal(first) || !got.UpdatedAt.Equal(first) {
		t.Fatalf("completed: %+v", got)
	}
	got = patch(`{"completed":"true"}`)
	if !got.CompletedAt.Equal(e.clock.Now()) || got.CompletedAt.Equal(first) {
		t.Fatalf("completed again: %+v", got)
	}
	got = patch(`{"completed":false}`)
	if got.Completed || got.CompletedAt != nil {
		t.Fatalf("un-completed: %+v", got)
	}
	// A due date can be moved; null leaves it (upstream cannot clear it).
	got = patch(`{"due_at":"2026-04-01T09:30:00+01:00"}`)
	if !got.DueAt.Equal(time.Date(2026, 4, 1, 8, 30, 0, 0, time.UTC)) || !got.UpdatedAt.Equal(e.clock.Now()) {
		t.Fatalf("due_at: %+v", got)
	}
	got = patch(`{"due_at":null,"description":"buy milk"}`)
	if got.DueAt == nil || !got.DueAt.Equal(time.Date(2026, 4, 1, 8, 30, 0, 0, time.UTC)) || got.Description != "buy milk" {
		t.Fatalf("null due_at: %+v", got)
	}
	// What PATCH returned is what is stored.
	var stored actionItem
	e.do("GET", path, k, nil).Decode(t, &stored)
	if stored.ID != got.ID || stored.Description != got.Description || stored.Completed != got.Completed ||
		!stored.UpdatedAt.Equal(got.UpdatedAt) || !stored.DueAt.Equal(*got.DueAt) || stored.CompletedAt != nil {
		t.Fatalf("stored %+v, returned %+v", stored, got)
	}

	for _, tc := range []struct{ body, loc, msg string }{
		{`{}`, "[body]", "At least one field must be provided"},
		{`{"description":null,"completed":null,"due_at":null,"id":"x"}`, "[body]", "At least one field must be provided"},
		{`{"description":"  "}`, "[body description]", "description cannot be empty"},
		{`{"description":"  ","completed":true}`, "[body description]", "description cannot be empty"},
		{`{"description":""}`, "[body description]", "String should have at least 1 character"},
		{`{"description":"` + strings.Repeat("x", 501) + `"}`, "[body description]", "String should have at most 500 characters"},
		{`{"completed":"maybe","description":"lost"}`, "[body completed]", "Input should be a valid boolean"},
		{`{"due_at":"whenever","description":"lost"}`, "[body due_at]", "Input should be a valid datetime"},
		{`"text"`, "[body]", "valid dictionary"},
		{``, "[body]", "Field required"},
	} {
		resp := e.do("PATCH", path, k, tc.body)
		wantStatus(t, resp, 422)
		if loc, msg := field(t, resp.Body); loc != tc.loc || !strings.Contains(msg, tc.msg) {
			t.Errorf("%s: got %s %q, want %s %q", tc.body, loc, msg, tc.loc, tc.msg)
		}
	}
	// The rejected PATCHes wrote nothing.
	var after actionItem
	e.do("GET", path, k, nil).Decode(t, &after)
	if after.Description != "buy milk" || after.Completed || !after.UpdatedAt.Equal(got.UpdatedAt) {
		t.Fatalf("partial write: %+v", after)
	}
	// Upstream looks the item up before checking the body: 404 wins.
	wantDetail(t, e.do("PATCH", actionItemsPath+"/nope", k, `{"description":"x"}`), 404, "Action item not found")
	wantDetail(t, e.do("PATCH", actionItemsPath+"/nope", k, `{}`), 404, "Action item not found")
}

func TestDeleteActionItem(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	a := e.createActionItem(k, map[string]any{"description": "temp"})
	keep := e.createActionItem(k, map[string]any{"description": "keep"})
	path := actionItemsPath + "/" + a.ID
	resp := e.do("DELETE", path, k, nil)
	wantStatus(t, resp, 200)
	if string(resp.Body) != `{"success":true}` {
		t.Fatalf("delete body %s", resp.Body)
	}
	for _, req := range []struct{ method, body string }{{"DELETE", ""}, {"GET", ""}, {"PATCH", `{"completed":true}`}} {
		wantDetail(t, e.do(req.method, path, k, req.body), 404, "Action item not found")
	}
	if items, _ := e.listActionItems(k, ""); len(items) != 1 || items[0].ID != keep.ID {
		t.Fatalf("after delete: %+v", items)
	}
}

func TestActionItemsTenantIsolation(t *testing.T) {
	e := setup(t)
	a := e.key("alice").Key
	b := e.key("bob").Key
	secret := e.createActionItem(a, map[string]any{"description": "alice's secret", "due_at": "2026-01-01"})
	path := actionItemsPath + "/" + secret.ID
	for _, req := range []struct{ method, body string }{
		{"GET", ""}, {"PATCH", `{"description":"pwned"}`}, {"PATCH", `{}`}, {"DELETE", ""},
	} {
		resp := e.do(req.method, path, b, req.body)
		wantDetail(t, resp, 404, "Action item not found")
		if strings.Contains(string(resp.Body), "secret") {
			t.Fatal("leak")
		}
	}
	e.createActionItem(b, map[string]any{"description": "bob's own"})
	for _, q := range []string{"", "?completed=false", "?start_date=2000-01-01", "?limit=1000"} {
		items, _ := e.listActionItems(b, q)
		if descriptions(items) != "bob's own" {
			t.Fatalf("%s: bob sees %s", q, descriptions(items))
		}
	}
	// A cursor made from alice's item does not open alice's list to bob.
	cur := omi.EncodeCursor(omi.ActionItemCursor{CreatedAt: time.Now().Add(time.Hour).UnixMicro(), ID: "zzz"})
	if items, _ := e.listActionItems(b, "?cursor="+cur); descriptions(items) != "bob's own" {
		t.Fatalf("bob by cursor sees %s", descriptions(items))
	}
	var still actionItem
	e.do("GET", path, a, nil).Decode(t, &still)
	if still.Description != "alice's secret" {
		t.Fatalf("bob changed alice's item: %+v", still)
	}
}

func TestActionItemsScopes(t *testing.T) {
	e := setup(t)
	full := e.key("alice").Key
	a := e.createActionItem(full, map[string]any{"description": "x"})
	ro := e.key("alice", omi.DefaultScopes...).Key
	memOnly := e.key("alice", omi.ScopeMemoriesRead, omi.ScopeMemoriesWrite).Key
	writeOnly := e.key("alice", omi.ScopeActionItemsWrite).Key
	writes := []struct{ method, path, body string }{
		{"POST", actionItemsPath, `{"description":"y"}`},
		{"POST", actionItemsPath + "/batch", `{"action_items":[{"description":"y"}]}`},
		{"PATCH", actionItemsPath + "/" + a.ID, `{"completed":true}`},
		{"DELETE", actionItemsPath + "/" + a.ID, ""},
	}
	reads := []string{actionItemsPath, actionItemsPath + "/" + a.ID}
	for _, w := range writes {
		wantDetail(t, e.do(w.method, w.path, ro, w.body), 403, "Required scope: action_items:write")
		wantDetail(t, e.do(w.method, w.path, memOnly, w.body), 403, "Required scope: action_items:write")
	}
	for _, p := range reads {
		wantStatus(t, e.do("GET", p, ro, nil), 200)
		wantDetail(t, e.do("GET", p, memOnly, nil), 403, "Required scope: action_items:read")
		wantDetail(t, e.do("GET", p, writeOnly, nil), 403, "Required scope: action_items:read")
	}
	// Nothing the refused keys sent was written.
	var got actionItem
	e.do("GET", actionItemsPath+"/"+a.ID, full, nil).Decode(t, &got)
	if got.Completed {
		t.Fatal("refused PATCH was applied")
	}
	if items, _ := e.listActionItems(full, ""); len(items) != 1 {
		t.Fatalf("refused writes created items: %d", len(items))
	}
	// And the write scope alone is enough to write.
	wantStatus(t, e.do("POST", actionItemsPath, writeOnly, `{"description":"z"}`), 200)
}
