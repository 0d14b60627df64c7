package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/httpapi"
)

// scripted is a processor whose output the test decides; it records what
// it was given.
type scripted struct {
	mu    sync.Mutex
	calls []omi.ProcessInput
	fn    func(omi.ProcessInput) *omi.ProcessResult
}

func (p *scripted) Process(_ context.Context, in omi.ProcessInput) (*omi.ProcessResult, error) {
	p.mu.Lock()
	p.calls = append(p.calls, in)
	p.mu.Unlock()
	return p.fn(in), nil
}

func (p *scripted) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.calls)
}

func withProcessor(p omi.Processor) option { return func(d *httpapi.Deps) { d.Processor = p } }

// meeting is a typical processing result: one action item due the next day,
// one event, one memory.
func meeting(in omi.ProcessInput) *omi.ProcessResult {
	due := in.StartedAt.Add(24 * time.Hour)
	return &omi.ProcessResult{
		Structured: omi.Structured{
			Title: "Budget review", Overview: "We reviewed the budget.", Emoji: "💼", Category: "work",
			ActionItems: []omi.ConversationActionItem{{Description: "Send the budget to Maria", DueAt: &due}},
			Events:      []omi.Event{{Title: "Budget sync", Description: "Sync on Friday", Start: due, Duration: 30}},
		},
		Memories: []omi.ExtractedMemory{{Content: "User manages the budget", Category: "system"}},
	}
}

type conversation struct {
	ID         string     `json:"id"`
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Source     *string    `json:"source"`
	Language   *string    `json:"language"`
	Structured struct {
		Title       string `json:"title"`
		Overview    string `json:"overview"`
		Emoji       string `json:"emoji"`
		Category    string `json:"category"`
		ActionItems []struct {
			Description    string     `json:"description"`
			ConversationID *string    `json:"conversation_id"`
			DueAt          *time.Time `json:"due_at"`
		} `json:"action_items"`
		Events []struct {
			Title string    `json:"title"`
			Start time.Time `json:"start"`
		} `json:"events"`
	} `json:"structured"`
	TranscriptSegments *[]struct {
		ID          string  `json:"id"`
		Text        string  `json:"text"`
		SpeakerID   int     `json:"speaker_id"`
		SpeakerName string  `json:"speaker_name"`
		Start       float64 `json:"start"`
		End         float64 `json:"end"`
	} `json:"transcript_segments"`
	Geolocation *struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
	} `json:"geolocation"`
	FolderID   *string `json:"folder_id"`
	FolderName *string `json:"folder_name"`
}

type createdConv struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Discarded bool   `json:"discarded"`
}

func (e *env) createConversation(key string, path string, body any) createdConv {
	e.t.Helper()
	resp := e.do("POST", path, key, body)
	wantStatus(e.t, resp, 200)
	var c createdConv
	resp.Decode(e.t, &c)
	return c
}

func (e *env) getConversation(key, id, query string) conversation {
	e.t.Helper()
	resp := e.do("GET", "/v1/dev/user/conversations/"+id+query, key, nil)
	wantStatus(e.t, resp, 200)
	var c conversation
	resp.Decode(e.t, &c)
	return c
}

func TestCreateConversationFromText(t *testing.T) {
	p := &scripted{fn: meeting}
	e := setup(t, withProcessor(p))
	k := e.key("alice").Key
	c := e.createConversation(k, "/v1/dev/user/conversations", map[string]any{
		"text": "  We reviewed the budget. I'll send it to Maria tomorrow.  ", "started_at": "2026-03-02T09:00:00",
		"text_source": "audio_transcript", "text_source_spec": "zoom", "language": "de",
		"geolocation": map[string]any{"latitude": 52.5, "longitude": 13.4, "address": "Berlin"},
	})
	if c.Status != "completed" || c.Discarded || c.ID == "" {
		t.Fatalf("created %+v", c)
	}
	in := p.calls[0]
	if in.Text != "We reviewed the budget. I'll send it to Maria tomorrow." || in.TextSource != "audio_transcript" ||
		!in.StartedAt.Equal(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)) || !in.FinishedAt.Equal(in.StartedAt.Add(5*time.Minute)) {
		t.Fatalf("processor got %+v", in)
	}
	got := e.getConversation(k, c.ID, "")
	if !got.CreatedAt.Equal(in.StartedAt) || *got.Source != "external_integration" || *got.Language != "de" ||
		got.Structured.Title != "Budget review" || got.Structured.Category != "work" || got.TranscriptSegments != nil ||
		got.Geolocation == nil || got.Geolocation.Latitude != 52.5 {
		t.Fatalf("stored %+v", got)
	}
	if len(got.Structured.ActionItems) != 1 || *got.Structured.ActionItems[0].ConversationID != c.ID {
		t.Fatalf("structured action items %+v", got.Structured.ActionItems)
	}
	// What processing derived is visible at once through the other endpoints.
	resp := e.do("GET", "/v1/dev/user/action-items?conversation_id="+c.ID, k, nil)
	wantStatus(t, resp, 200)
	if !strings.Contains(string(resp.Body), "Send the budget to Maria") {
		t.Fatalf("action items: %s", resp.Body)
	}
	ms, _ := e.listMemories(k, "")
	if len(ms) != 1 || ms[0].Content != "User manages the budget" || ms[0].ManuallyAdded || ms[0].Reviewed || ms[0].UserReview != nil {
		t.Fatalf("memories: %+v", ms)
	}
	// Defaults: started now, language en.
	c2 := e.createConversation(k, "/v1/dev/user/conversations", `{"text":"hello there, this is a note"}`)
	got = e.getConversation(k, c2.ID, "")
	if *got.Language != "en" || got.StartedAt.Sub(e.clock.Now()).Abs() > time.Second || got.FinishedAt.Sub(*got.StartedAt) != 5*time.Minute {
		t.Fatalf("defaults: %+v", got)
	}
}

func TestCreateConversationValidation(t *testing.T) {
	e := setup(t, withProcessor(&scripted{fn: meeting}))
	k := e.key("alice").Key
	cases := []struct{ body, loc, msg string }{
		{`{}`, "[body text]", "Field required"},
		{`{"text":""}`, "[body text]", "at least 1 character"},
		{`{"text":"  \n "}`, "[body text]", "text cannot be empty"},
		{`{"text":"` + strings.Repeat("a", 100_001) + `"}`, "[body text]", "at most 100000 characters"},
		{`{"text":"x","text_source":"email"}`, "[body text_source]", "Input should be 'audio_transcript', 'message' or 'other_text'"},
		{`{"text":"x","started_at":"yesterday"}`, "[body started_at]", "valid datetime"},
		{`{"text":"x","started_at":"2026-01-02T10:00:00Z","finished_at":"2026-01-02T09:00:00Z"}`, "[body finished_at]", "finished_at must be after started_at"},
		{`{"text":"x","geolocation":{"latitude":91,"longitude":0}}`, "[body geolocation latitude]", "less than or equal to 90"},
		{`{"text":"x","geolocation":{"latitude":1}}`, "[body geolocation longitude]", "Field required"},
	}
	for _, tc := range cases {
		resp := e.do("POST", "/v1/dev/user/conversations", k, tc.body)
		wantStatus(t, resp, 422)
		if loc, msg := field(t, resp.Body); loc != tc.loc || !strings.Contains(msg, tc.msg) {
			t.Errorf("%.60s: got %s %q, want %s %q", tc.body, loc, msg, tc.loc, tc.msg)
		}
	}
	// equal start and finish is allowed for text, as upstream.
	e.createConversation(k, "/v1/dev/user/conversations", `{"text":"x","started_at":"2026-01-02T10:00:00Z","finished_at":"2026-01-02T10:00:00Z"}`)
}

func segmentsBody(extra map[string]any) map[string]any {
	b := map[string]any{"transcript_segments": []map[string]any{
		{"text": " Morning! ", "speaker": "SPEAKER_01", "speaker_id": 7, "start": 0, "end": 2.5},
		{"text": "I'll send the deck.", "is_user": true, "start": 3, "end": 65.8},
	}}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

func TestCreateConversationFromSegments(t *testing.T) {
	p := &scripted{fn: meeting}
	e := setup(t, withProcessor(p))
	k := e.key("alice").Key
	c := e.createConversation(k, "/v1/dev/user/conversations/from-segments", segmentsBody(map[string]any{"started_at": "2026-03-02T09:00:00+01:00"}))
	got := e.getConversation(k, c.ID, "?include_transcript=true")
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	if !got.StartedAt.Equal(start) || !got.FinishedAt.Equal(start.Add(65800*time.Millisecond)) || *got.Source != "phone" {
		t.Fatalf("times/source %+v", got)
	}
	segs := *got.TranscriptSegments
	if len(segs) != 2 || segs[0].Text != "Morning!" || segs[0].SpeakerID != 1 || segs[0].SpeakerName != "Speaker 1" ||
		segs[1].SpeakerID != 0 || segs[1].SpeakerName != "User" || segs[0].ID == "" || segs[1].End != 65.8 {
		t.Fatalf("segments %+v", segs)
	}
	if p.calls[0].Text != "Morning!\nI'll send the deck." || len(p.calls[0].Segments) != 2 {
		t.Fatalf("processor input %+v", p.calls[0])
	}
	// Unknown source strings fall back to "unknown"; a listed one is kept.
	c = e.createConversation(k, "/v1/dev/user/conversations/from-segments", segmentsBody(map[string]any{"source": "my-gadget"}))
	if got := e.getConversation(k, c.ID, ""); *got.Source != "unknown" {
		t.Fatalf("source %v", *got.Source)
	}

	cases := []struct {
		body     any
		loc, msg string
	}{
		{`{"transcript_segments":[]}`, "[body transcript_segments]", "at least 1 item"},
		{`{"transcript_segments":[{"text":"a","start":2,"end":2}]}`, "[body transcript_segments 0 end]", "Segment 0: end time must be after start time"},
		{`{"transcript_segments":[{"text":"a","start":0,"end":1},{"text":"b","start":-1,"end":1}]}`, "[body transcript_segments 1 start]", "Segment 1: start time cannot be negative"},
		{`{"transcript_segments":[{"text":"  ","start":0,"end":1}]}`, "[body transcript_segments 0 text]", "Segment 0: text cannot be empty"},
		{`{"transcript_segments":[{"text":"a","start":"soon","end":1}]}`, "[body transcript_segments 0 start]", "valid number"},
		{`{"transcript_segments":[{"text":"a","end":1}]}`, "[body transcript_segments 0 start]", "Field required"},
		{segmentsBody(map[string]any{"started_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T00:00:00Z"}), "[body finished_at]", "finished_at must be after started_at"},
		{segmentsBody(map[string]any{"client_session_id": "   "}), "[body client_session_id]", "client_session_id cannot be blank"},
		{segmentsBody(map[string]any{"client_session_id": strings.Repeat("s", 201)}), "[body client_session_id]", "at most 200 characters"},
	}
	tooMany := make([]map[string]any, 501)
	for i := range tooMany {
		tooMany[i] = map[string]any{"text": "a", "start": i, "end": i + 1}
	}
	cases = append(cases, struct {
		body     any
		loc, msg string
	}{map[string]any{"transcript_segments": tooMany}, "[body transcript_segments]", "at most 500 items"})
	for _, tc := range cases {
		resp := e.do("POST", "/v1/dev/user/conversations/from-segments", k, tc.body)
		wantStatus(t, resp, 422)
		if loc, msg := field(t, resp.Body); loc != tc.loc || !strings.Contains(msg, tc.msg) {
			t.Errorf("got %s %q, want %s %q", loc, msg, tc.loc, tc.msg)
		}
	}
}

func TestClientSessionIdempotency(t *testing.T) {
	p := &scripted{fn: meeting}
	e := setup(t, withProcessor(p))
	k := e.key("alice").Key
	path := "/v1/dev/user/conversations/from-segments"
	first := e.createConversation(k, path, segmentsBody(map[string]any{"client_session_id": " rec-42 "}))
	for _, alias := range []string{"client_session_id", "client_conversation_id", "session_id", "client_id"} {
		again := e.createConversation(k, path, segmentsBody(map[string]any{alias: "rec-42"}))
		if again != first {
			t.Fatalf("retry via %s: %+v, first %+v", alias, again, first)
		}
	}
	if p.count() != 1 {
		t.Fatalf("retries were processed again: %d calls", p.count())
	}
	// Concurrent first attempts of one session: one conversation.
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i] = e.createConversation(k, path, segmentsBody(map[string]any{"client_session_id": "concurrent"})).ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("concurrent retries made several conversations: %v", ids)
		}
	}
	var list []conversation
	e.do("GET", "/v1/dev/user/conversations", k, nil).Decode(t, &list)
	if len(list) != 2 {
		t.Fatalf("want 2 conversations, got %d", len(list))
	}
	ais := e.do("GET", "/v1/dev/user/action-items?conversation_id="+ids[0], k, nil)
	if n := strings.Count(string(ais.Body), "Send the budget"); n != 1 {
		t.Fatalf("action items written %d times", n)
	}
	// Another user's identical session id is their own conversation.
	other := e.createConversation(e.key("bob").Key, path, segmentsBody(map[string]any{"client_session_id": "rec-42"}))
	if other.ID == first.ID {
		t.Fatal("session ids are not per user")
	}
}

func TestDiscardedConversation(t *testing.T) {
	e := setup(t, withProcessor(&scripted{fn: func(omi.ProcessInput) *omi.ProcessResult {
		return &omi.ProcessResult{Discarded: true}
	}}))
	k := e.key("alice").Key
	c := e.createConversation(k, "/v1/dev/user/conversations", `{"text":"ok bye"}`)
	if !c.Discarded {
		t.Fatalf("not discarded: %+v", c)
	}
	var list []conversation
	e.do("GET", "/v1/dev/user/conversations", k, nil).Decode(t, &list)
	if len(list) != 0 {
		t.Fatal("discarded conversation listed")
	}
	got := e.getConversation(k, c.ID, "") // still readable by id, as upstream
	if got.Structured.Title != "" || got.Structured.Category != "other" || got.Structured.Emoji != "🧠" {
		t.Fatalf("discarded structured %+v", got.Structured)
	}
	// PATCH discarded=false brings it back.
	wantStatus(t, e.do("PATCH", "/v1/dev/user/conversations/"+c.ID, k, `{"discarded":false}`), 200)
	e.do("GET", "/v1/dev/user/conversations", k, nil).Decode(t, &list)
	if len(list) != 1 {
		t.Fatal("undiscarded conversation not listed")
	}
}

func TestListConversations(t *testing.T) {
	cats := []string{"work", "health", "work", "travel", "work"}
	n := 0
	e := setup(t, withProcessor(&scripted{fn: func(in omi.ProcessInput) *omi.ProcessResult {
		r := meeting(in)
		r.Structured.Category = cats[n%len(cats)]
		n++
		return r
	}}))
	k := e.key("alice").Key
	var ids []string
	for i := range cats {
		c := e.createConversation(k, "/v1/dev/user/conversations/from-segments", segmentsBody(map[string]any{
			"started_at": fmt.Sprintf("2026-03-0%dT10:00:00Z", i+1)}))
		ids = append(ids, c.ID)
	}
	list := func(q string) []conversation {
		t.Helper()
		resp := e.do("GET", "/v1/dev/user/conversations"+q, k, nil)
		wantStatus(t, resp, 200)
		var cs []conversation
		resp.Decode(t, &cs)
		return cs
	}
	idsOf := func(cs []conversation) string {
		var out []string
		for _, c := range cs {
			for i, id := range ids {
				if id == c.ID {
					out = append(out, fmt.Sprint(i))
				}
			}
		}
		return strings.Join(out, ",")
	}
	if got := idsOf(list("")); got != "4,3,2,1,0" {
		t.Fatalf("order %s", got)
	}
	for q, want := range map[string]string{
		"?categories=work":                                            "4,2,0",
		"?categories=health,travel":                                   "3,1",
		"?start_date=2026-03-02&end_date=2026-03-04T10:00:00":         "3,2,1",
		"?start_date=2026-03-02T10:00:00%2B00:00&end_date=2026-03-02": "",
		"?limit=2&offset=1":                                           "3,2",
		"?categories=work&limit=2":                                    "4,2",
		"?starred=false":                                              "4,3,2,1,0",
		"?starred=true":                                               "",
	} {
		if got := idsOf(list(q)); got != want {
			t.Errorf("%s: %s, want %s", q, got, want)
		}
	}
	cs := list("?limit=1")
	if cs[0].TranscriptSegments != nil {
		t.Fatal("transcript without include_transcript")
	}
	cs = list("?limit=1&include_transcript=true")
	if cs[0].TranscriptSegments == nil || len(*cs[0].TranscriptSegments) != 2 {
		t.Fatal("no transcript with include_transcript")
	}
	for q, applied := range map[string]string{"?limit=1000": "100", "?limit=1000&include_transcript=true": "25", "?limit=0": "1"} {
		if h := e.do("GET", "/v1/dev/user/conversations"+q, k, nil).Header.Get("X-Applied-Limit"); h != applied {
			t.Errorf("%s applied %s, want %s", q, h, applied)
		}
	}
	for _, q := range []string{"?categories=bogus", "?folder_id=", "?starred=maybe", "?start_date=tuesday", "?limit=-5", "?offset=-1", "?include_transcript=2"} {
		if r := e.do("GET", "/v1/dev/user/conversations"+q, k, nil); r.Status != 422 {
			t.Errorf("%s: %d", q, r.Status)
		}
	}
	resp := e.do("GET", "/v1/dev/user/conversations?categories=work,bogus", k, nil)
	if _, msg := field(t, resp.Body); msg != "Invalid category 'bogus' is not a valid CategoryEnum" {
		t.Fatalf("msg %q", msg)
	}
	// Cursor paging walks the same list.
	var walked []string
	next := "/v1/dev/user/conversations?limit=2"
	for next != "" {
		resp := e.do("GET", next, k, nil)
		var page []conversation
		resp.Decode(t, &page)
		walked = append(walked, idsOf(page))
		next = ""
		if m := linkRE.FindStringSubmatch(resp.Header.Get("Link")); m != nil {
			next = m[1]
		}
	}
	if strings.Join(walked, ",") != "4,3,2,1,0" {
		t.Fatalf("cursor walk %v", walked)
	}
}

func TestUpdateDeleteConversation(t *testing.T) {
	e := setup(t, withProcessor(&scripted{fn: meeting}))
	k := e.key("alice").Key
	c := e.createConversation(k, "/v1/dev/user/conversations/from-segments", segmentsBody(nil))
	path := "/v1/dev/user/conversations/" + c.ID
	resp := e.do("PATCH", path, k, `{"title":"  Q3 budget  ","id":"other","created_at":"2001-01-01"}`)
	wantStatus(t, resp, 200)
	var got conversation
	resp.Decode(t, &got)
	if got.Structured.Title != "Q3 budget" || got.ID != c.ID || got.TranscriptSegments == nil || len(*got.TranscriptSegments) != 2 || got.CreatedAt.Year() == 2001 {
		t.Fatalf("patched %+v", got)
	}
	for _, tc := range []struct{ body, msg string }{
		{`{}`, "At least one field (title or discarded) must be provided"},
		{`{"title":null,"discarded":null}`, "At least one field"},
		{`{"title":""}`, "at least 1 character"},
		{`{"title":"   "}`, "title cannot be empty"},
		{`{"discarded":"perhaps"}`, "valid boolean"},
	} {
		resp := e.do("PATCH", path, k, tc.body)
		wantStatus(t, resp, 422)
		if _, msg := field(t, resp.Body); !strings.Contains(msg, tc.msg) {
			t.Errorf("%s: %q", tc.body, msg)
		}
	}
	wantStatus(t, e.do("PATCH", path, k, `{"starred":true}`), 200)
	var starred []conversation
	e.do("GET", "/v1/dev/user/conversations?starred=true", k, nil).Decode(t, &starred)
	if len(starred) != 1 {
		t.Fatal("starred filter")
	}
	resp = e.do("DELETE", path, k, nil)
	wantStatus(t, resp, 200)
	if string(resp.Body) != `{"success":true}` {
		t.Fatalf("delete: %s", resp.Body)
	}
	for _, m := range []string{"GET", "DELETE"} {
		wantDetail(t, e.do(m, path, k, nil), 404, "Conversation not found")
	}
	wantDetail(t, e.do("PATCH", path, k, `{"title":"x"}`), 404, "Conversation not found")
	// What it left behind stays, as upstream.
	if ms, _ := e.listMemories(k, ""); len(ms) != 1 {
		t.Fatal("derived memory deleted with the conversation")
	}
}

func TestConversationsTenantIsolation(t *testing.T) {
	e := setup(t, withProcessor(&scripted{fn: meeting}))
	a, b := e.key("alice").Key, e.key("bob").Key
	c := e.createConversation(a, "/v1/dev/user/conversations", `{"text":"alice's private meeting"}`)
	path := "/v1/dev/user/conversations/" + c.ID
	for _, req := range []struct{ method, path, body string }{
		{"GET", path, ""}, {"GET", path + "?include_transcript=true", ""}, {"PATCH", path, `{"title":"pwned"}`}, {"DELETE", path, ""},
	} {
		resp := e.do(req.method, req.path, b, req.body)
		wantDetail(t, resp, 404, "Conversation not found")
		if strings.Contains(string(resp.Body), "alice") {
			t.Fatal("leak")
		}
	}
	var list []conversation
	e.do("GET", "/v1/dev/user/conversations", b, nil).Decode(t, &list)
	if len(list) != 0 {
		t.Fatal("bob lists alice's conversation")
	}
	if got := e.getConversation(a, c.ID, ""); got.Structured.Title != "Budget review" {
		t.Fatalf("changed by bob: %+v", got)
	}
}

func TestConversationsScopes(t *testing.T) {
	e := setup(t, withProcessor(&scripted{fn: meeting}))
	full := e.key("alice").Key
	c := e.createConversation(full, "/v1/dev/user/conversations", `{"text":"x"}`)
	ro := e.key("alice", omi.DefaultScopes...).Key
	mem := e.key("alice", omi.ScopeMemoriesRead, omi.ScopeMemoriesWrite).Key
	path := "/v1/dev/user/conversations/" + c.ID
	for _, w := range []struct{ method, path, body string }{
		{"POST", "/v1/dev/user/conversations", `{"text":"y"}`},
		{"POST", "/v1/dev/user/conversations/from-segments", `{"transcript_segments":[{"text":"a","start":0,"end":1}]}`},
		{"PATCH", path, `{"title":"y"}`},
		{"DELETE", path, ""},
	} {
		wantDetail(t, e.do(w.method, w.path, ro, w.body), 403, "Required scope: conversations:write")
		wantDetail(t, e.do(w.method, w.path, mem, w.body), 403, "Required scope: conversations:write")
	}
	wantStatus(t, e.do("GET", path, ro, nil), 200)
	wantDetail(t, e.do("GET", path, mem, nil), 403, "Required scope: conversations:read")
	wantDetail(t, e.do("GET", "/v1/dev/user/conversations", mem, nil), 403, "Required scope: conversations:read")
}

func TestConversationFolders(t *testing.T) {
	e := setup(t, withProcessor(&scripted{fn: meeting}))
	k := e.key("alice").Key
	c := e.createConversation(k, "/v1/dev/user/conversations", `{"text":"budget meeting"}`)
	got := e.getConversation(k, c.ID, "")
	if got.FolderName == nil || *got.FolderName != "Work" || got.FolderID == nil {
		t.Fatalf("filed in %v %v, want Work", got.FolderID, got.FolderName)
	}
	type folder struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Count int    `json:"conversation_count"`
	}
	folders := func() map[string]folder {
		var fs []folder
		e.do("GET", "/v1/dev/user/folders", k, nil).Decode(t, &fs)
		out := map[string]folder{}
		for _, f := range fs {
			out[f.Name] = f
		}
		return out
	}
	fs := folders()
	if fs["Work"].Count != 1 || fs["Travel"].Count != 0 {
		t.Fatalf("counts %+v", fs)
	}
	// Filter by folder, move it, and the name and counts follow.
	var inWork []conversation
	e.do("GET", "/v1/dev/user/conversations?folder_id="+fs["Work"].ID, k, nil).Decode(t, &inWork)
	if len(inWork) != 1 {
		t.Fatal("folder_id filter")
	}
	resp := e.do("POST", "/v1/dev/user/folders", k, `{"name":"Projects"}`)
	wantStatus(t, resp, 200)
	var projects folder
	resp.Decode(t, &projects)
	resp = e.do("PATCH", "/v1/dev/user/conversations/"+c.ID, k, map[string]string{"folder_id": projects.ID})
	wantStatus(t, resp, 200)
	resp.Decode(t, &got)
	if *got.FolderName != "Projects" {
		t.Fatalf("after move: %v", *got.FolderName)
	}
	if fs = folders(); fs["Work"].Count != 0 || fs["Projects"].Count != 1 {
		t.Fatalf("counts after move %+v", fs)
	}
	// Deleting the folder moves the conversation to Other.
	wantStatus(t, e.do("DELETE", "/v1/dev/user/folders/"+projects.ID, k, nil), 200)
	if got = e.getConversation(k, c.ID, ""); *got.FolderName != "Other" {
		t.Fatalf("after folder delete: %v", *got.FolderName)
	}
	if fs = folders(); fs["Other"].Count != 1 {
		t.Fatalf("counts after delete %+v", fs)
	}
	// Another user's folder, or none, is not a destination.
	var bobs []folder
	e.do("GET", "/v1/dev/user/folders", e.key("bob").Key, nil).Decode(t, &bobs)
	for _, id := range []string{bobs[0].ID, "nope"} {
		resp = e.do("PATCH", "/v1/dev/user/conversations/"+c.ID, k, map[string]string{"folder_id": id})
		wantStatus(t, resp, 422)
		if _, msg := field(t, resp.Body); !strings.Contains(msg, "not one of your folders") {
			t.Fatalf("msg %q", msg)
		}
	}
}

// TestBuiltinProcessingEndToEnd runs the default offline processor through
// the API: a meeting's commitments become action items with due dates, its
// facts about the user become memories, all visible at once.
func TestBuiltinProcessingEndToEnd(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	c := e.createConversation(k, "/v1/dev/user/conversations/from-segments", map[string]any{
		"started_at": "2026-03-02T09:00:00Z", // a Monday
		"transcript_segments": []map[string]any{
			{"text": "Thanks for joining the quarterly budget review with the finance team.", "speaker": "SPEAKER_01", "start": 0, "end": 4},
			{"text": "I'll send the revised budget spreadsheet to Maria by Friday.", "is_user": true, "start": 4, "end": 8},
			{"text": "Can you book the conference room for the planning meeting next Tuesday at 3pm?", "speaker": "SPEAKER_01", "start": 8, "end": 12},
			{"text": "Sure. By the way, I'm allergic to peanuts, so no snacks with nuts please.", "is_user": true, "start": 12, "end": 16},
		},
	})
	if c.Discarded {
		t.Fatal("a real meeting was discarded")
	}
	got := e.getConversation(k, c.ID, "")
	if got.Structured.Title == "" || got.Structured.Overview == "" || got.Structured.Category == "" {
		t.Fatalf("structured %+v", got.Structured)
	}
	var items []struct {
		Description    string     `json:"description"`
		DueAt          *time.Time `json:"due_at"`
		ConversationID *string    `json:"conversation_id"`
	}
	e.do("GET", "/v1/dev/user/action-items?conversation_id="+c.ID, k, nil).Decode(t, &items)
	var found bool
	for _, it := range items {
		if strings.Contains(strings.ToLower(it.Description), "budget") && it.DueAt != nil && it.DueAt.Weekday() == time.Friday {
			found = true
		}
	}
	if !found {
		t.Fatalf("no budget action item due Friday: %+v", items)
	}
	ms, _ := e.listMemories(k, "")
	if len(ms) == 0 || !strings.Contains(strings.ToLower(strings.Join(contents(ms), " ")), "peanut") {
		t.Fatalf("memories %v", contents(ms))
	}
	if len(got.Structured.Events) == 0 {
		t.Fatalf("no event for the planning meeting: %+v", got.Structured)
	}
	// Too little to keep: discarded, as upstream.
	if d := e.createConversation(k, "/v1/dev/user/conversations", `{"text":"ok bye"}`); !d.Discarded {
		t.Fatal("filler not discarded")
	}
}
