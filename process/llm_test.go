package process

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	omi "github.com/omi-devapi/omi-devapi"
)

// stubFallback stands in for the built-in processor so a test can tell a
// fallback from a model answer.
type stubFallback struct{ calls atomic.Int32 }

func (s *stubFallback) Process(ctx context.Context, in omi.ProcessInput) (*omi.ProcessResult, error) {
	s.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &omi.ProcessResult{Structured: omi.Structured{Title: "FALLBACK", Overview: "fallback", Emoji: defaultEmoji,
		Category: "other", ActionItems: []omi.ConversationActionItem{}, Events: []omi.Event{}}}, nil
}

// fakeLLM is an OpenAI-compatible server whose replies a test scripts.
type fakeLLM struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	replies []func(w http.ResponseWriter) // one per request; the last repeats
	reqs    []chatRequest
	headers []http.Header
}

func newFakeLLM(t *testing.T, replies ...func(w http.ResponseWriter)) *fakeLLM {
	f := &fakeLLM{t: t, replies: replies}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
			t.Errorf("request %s %s, want POST /v1/chat/completions", r.Method, r.URL.Path)
		}
		var req chatRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Errorf("decode request: %v", err)
		}
		f.mu.Lock()
		n := len(f.reqs)
		f.reqs = append(f.reqs, req)
		f.headers = append(f.headers, r.Header.Clone())
		reply := f.replies[min(n, len(f.replies)-1)]
		f.mu.Unlock()
		reply(w)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeLLM) requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

// completion answers with content as the assistant message.
func completion(content string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion",
			"choices": []map[string]any{{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": content}}},
		})
	}
}

func status(code int, body string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

const goodReply = `{"discarded": false, "title": "Q3 budget sync", "overview": "The team agreed on the Q3 budget.",
 "emoji": "💰", "category": "finance",
 "action_items": [{"description": "Send the deck to Maria", "due_at": "2025-03-07T17:00:00Z"},
                  {"description": "Book the room", "due_at": null}],
 "events": [{"title": "Budget review", "description": "Review with finance", "start": "2025-03-11T14:00:00Z", "duration": 60}],
 "memories": [{"content": "User prefers morning meetings", "category": "interesting"}]}`

func testInput() omi.ProcessInput {
	ref := time.Date(2025, 3, 5, 10, 0, 0, 0, time.UTC)
	return omi.ProcessInput{Text: "I'll send the deck to Maria by Friday. Can you book the room?", TextSource: "audio_transcript",
		StartedAt: ref, FinishedAt: ref.Add(5 * time.Minute), Language: "en"}
}

func newTestLLM(f *fakeLLM, fb omi.Processor, mod func(*LLMConfig)) (omi.Processor, *bytes.Buffer) {
	var logs bytes.Buffer
	cfg := LLMConfig{BaseURL: f.srv.URL + "/v1/", Model: "test-model", APIKey: "sk-test", Timeout: 2 * time.Second,
		Backoff: time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	if mod != nil {
		mod(&cfg)
	}
	return NewLLM(cfg, fb), &logs
}

func TestLLMGoodReply(t *testing.T) {
	f := newFakeLLM(t, completion(goodReply))
	fb := &stubFallback{}
	p, _ := newTestLLM(f, fb, nil)
	res, err := p.Process(context.Background(), testInput())
	if err != nil {
		t.Fatal(err)
	}
	if fb.calls.Load() != 0 {
		t.Fatal("fell back on a good reply")
	}
	s := res.Structured
	if res.Discarded || s.Title != "Q3 budget sync" || s.Category != "finance" || s.Emoji != "💰" || s.Overview == "" {
		t.Fatalf("structured = %+v", s)
	}
	if len(s.ActionItems) != 2 || s.ActionItems[0].Description != "Send the deck to Maria" ||
		s.ActionItems[0].DueAt == nil || !s.ActionItems[0].DueAt.Equal(time.Date(2025, 3, 7, 17, 0, 0, 0, time.UTC)) ||
		s.ActionItems[1].DueAt != nil {
		t.Fatalf("action items = %+v", s.ActionItems)
	}
	if len(s.Events) != 1 || s.Events[0].Duration != 60 || s.Events[0].Created || s.Events[0].Start.Hour() != 14 {
		t.Fatalf("events = %+v", s.Events)
	}
	if len(res.Memories) != 1 || res.Memories[0].Category != "interesting" {
		t.Fatalf("memories = %+v", res.Memories)
	}

	// The request is an OpenAI-compatible chat completion asking for JSON.
	req, h := f.reqs[0], f.headers[0]
	if got := h.Get("Authorization"); got != "Bearer sk-test" {
		t.Errorf("Authorization = %q", got)
	}
	if req.Model != "test-model" || req.Temperature != 0 || req.ResponseFormat["type"] != "json_object" || len(req.Messages) != 2 ||
		req.Messages[0].Role != "system" || req.Messages[1].Role != "user" {
		t.Errorf("request = %+v", req)
	}
	if !strings.Contains(req.Messages[1].Content, "2025-03-05T10:00:00Z") || !strings.Contains(req.Messages[1].Content, "send the deck") {
		t.Errorf("user prompt lacks the start time or transcript: %q", req.Messages[1].Content)
	}
	for _, c := range omi.ConversationCategories {
		if !strings.Contains(req.Messages[0].Content, c) {
			t.Errorf("system prompt lacks category %q", c)
		}
	}
}

func TestLLMNoKeyNoAuthorization(t *testing.T) {
	f := newFakeLLM(t, completion(goodReply))
	p, _ := newTestLLM(f, &stubFallback{}, func(c *LLMConfig) { c.APIKey = "" })
	if _, err := p.Process(context.Background(), testInput()); err != nil {
		t.Fatal(err)
	}
	if h := f.headers[0].Get("Authorization"); h != "" {
		t.Fatalf("Authorization = %q with no key", h)
	}
}

func TestLLMFencedReply(t *testing.T) {
	f := newFakeLLM(t, completion("Here you go:\n```json\n"+goodReply+"\n```"))
	fb := &stubFallback{}
	p, _ := newTestLLM(f, fb, nil)
	res, err := p.Process(context.Background(), testInput())
	if err != nil {
		t.Fatal(err)
	}
	if fb.calls.Load() != 0 || res.Structured.Title != "Q3 budget sync" {
		t.Fatalf("fenced reply not used: %+v", res.Structured)
	}
}

func TestLLMGarbageFallsBack(t *testing.T) {
	for name, reply := range map[string]func(http.ResponseWriter){
		"not json":           completion("Sure! The conversation was about budgets."),
		"broken json":        completion(`{"title": "x", "overview": `),
		"array":              completion(`[{"title": "x"}]`),
		"title not a string": completion(`{"title": 42, "overview": "o"}`),
		"no title":           completion(`{"overview": "o", "category": "work"}`),
		"list not a list":    completion(`{"title": "t", "overview": "o", "action_items": "send the deck"}`),
		"not a completion":   status(200, `<html>proxy error</html>`),
		"no choices":         status(200, `{"choices": []}`),
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeLLM(t, reply)
			fb := &stubFallback{}
			p, logs := newTestLLM(f, fb, nil)
			res, err := p.Process(context.Background(), testInput())
			if err != nil {
				t.Fatal(err)
			}
			if res.Structured.Title != "FALLBACK" || fb.calls.Load() != 1 {
				t.Fatalf("want the fallback, got %+v", res.Structured)
			}
			if f.requests() != 1 {
				t.Errorf("%d requests: a malformed reply is not retried", f.requests())
			}
			if !strings.Contains(logs.String(), "level=WARN") {
				t.Errorf("no warning logged: %s", logs.String())
			}
		})
	}
}

func TestLLMValidatesFields(t *testing.T) {
	reply := `{"title": "  Weekly   sync ", "overview": "o", "emoji": "", "category": "gossip",
	 "action_items": [{"description": "  "}, {"description": "Call Bob", "due_at": "next Tuesday"},
	                  {"description": "call bob"}, {"description": "Pay rent", "due_at": "2025-03-07T09:00:00"}, "junk", 7,
	                  {"description": "` + strings.Repeat("x", 700) + `"}],
	 "events": [{"title": "Dinner", "start": "tomorrow"}, {"title": "", "start": "2025-03-07T19:00:00Z"},
	            {"title": "Standup", "start": "2025-03-06T09:00:00+02:00", "duration": -5}],
	 "memories": [{"content": "User likes tea", "category": "gossip"}, {"content": ""}, {"content": "User likes tea"}]}`
	f := newFakeLLM(t, completion(reply))
	fb := &stubFallback{}
	p, _ := newTestLLM(f, fb, nil)
	res, err := p.Process(context.Background(), testInput())
	if err != nil {
		t.Fatal(err)
	}
	s := res.Structured
	if fb.calls.Load() != 0 {
		t.Fatal("fell back; entries should be dropped, not the reply")
	}
	if s.Title != "Weekly sync" || s.Category != "other" || s.Emoji != defaultEmoji {
		t.Errorf("title/category/emoji = %q %q %q", s.Title, s.Category, s.Emoji)
	}
	if len(s.ActionItems) != 3 {
		t.Fatalf("action items = %+v", s.ActionItems)
	}
	if s.ActionItems[0].Description != "Call Bob" || s.ActionItems[0].DueAt != nil {
		t.Errorf("unparseable due_at kept: %+v", s.ActionItems[0])
	}
	if d := s.ActionItems[1].DueAt; d == nil || !d.Equal(time.Date(2025, 3, 7, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("naive due_at not read as UTC: %v", d)
	}
	if n := len(s.ActionItems[2].Description); n > 500 {
		t.Errorf("description of %d chars", n)
	}
	if len(s.Events) != 1 || s.Events[0].Title != "Standup" || s.Events[0].Duration != 30 ||
		!s.Events[0].Start.Equal(time.Date(2025, 3, 6, 7, 0, 0, 0, time.UTC)) || s.Events[0].Start.Location() != time.UTC {
		t.Errorf("events = %+v", s.Events)
	}
	if len(res.Memories) != 1 || res.Memories[0].Category != "interesting" {
		t.Errorf("memories = %+v", res.Memories)
	}
}

func TestLLMDiscarded(t *testing.T) {
	for _, reply := range []string{`{"discarded": true, "title": ""}`, `{"discarded": false, "title": "", "overview": ""}`,
		`{"discarded": true, "title": "Mic check", "overview": "nothing", "action_items": [{"description": "x"}]}`} {
		f := newFakeLLM(t, completion(reply))
		p, _ := newTestLLM(f, &stubFallback{}, nil)
		res, err := p.Process(context.Background(), testInput())
		if err != nil {
			t.Fatal(err)
		}
		if !res.Discarded || res.Structured.Title != "" || len(res.Structured.ActionItems) != 0 || res.Structured.ActionItems == nil {
			t.Errorf("%s: %+v", reply, res)
		}
	}
}

func TestLLMSlowReplyTimesOut(t *testing.T) {
	release := make(chan struct{})
	f := newFakeLLM(t, func(w http.ResponseWriter) {
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
		completion(goodReply)(w)
	})
	defer close(release)
	fb := &stubFallback{}
	p, _ := newTestLLM(f, fb, func(c *LLMConfig) { c.Timeout = 100 * time.Millisecond })
	start := time.Now()
	res, err := p.Process(context.Background(), testInput())
	if err != nil {
		t.Fatal(err)
	}
	if res.Structured.Title != "FALLBACK" {
		t.Fatalf("want the fallback after the timeout, got %+v", res.Structured)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("took %v with a 100ms timeout", el)
	}
	if f.requests() != 1 {
		t.Errorf("%d requests: a timed-out attempt is not retried", f.requests())
	}
}

func TestLLMRetriesServerErrors(t *testing.T) {
	f := newFakeLLM(t, status(500, `{"error": "overloaded"}`), status(429, `{"error": "slow down"}`), completion(goodReply))
	fb := &stubFallback{}
	p, _ := newTestLLM(f, fb, nil)
	res, err := p.Process(context.Background(), testInput())
	if err != nil {
		t.Fatal(err)
	}
	if fb.calls.Load() != 0 || res.Structured.Title != "Q3 budget sync" {
		t.Fatalf("retry did not reach the good reply: %+v", res.Structured)
	}
	if f.requests() != 3 {
		t.Errorf("%d requests, want 3", f.requests())
	}
}

func TestLLMGivesUpAfterMaxRetries(t *testing.T) {
	f := newFakeLLM(t, status(503, "unavailable"))
	fb := &stubFallback{}
	p, _ := newTestLLM(f, fb, func(c *LLMConfig) { c.MaxRetries = 3 })
	res, err := p.Process(context.Background(), testInput())
	if err != nil {
		t.Fatal(err)
	}
	if res.Structured.Title != "FALLBACK" || f.requests() != 4 {
		t.Fatalf("requests = %d, title %q; want 4 and the fallback", f.requests(), res.Structured.Title)
	}

	f = newFakeLLM(t, status(500, "boom"))
	p, _ = newTestLLM(f, &stubFallback{}, func(c *LLMConfig) { c.MaxRetries = -1 })
	if _, err := p.Process(context.Background(), testInput()); err != nil {
		t.Fatal(err)
	}
	if f.requests() != 1 {
		t.Fatalf("MaxRetries -1: %d requests", f.requests())
	}
}

func TestLLMUnauthorizedNotRetried(t *testing.T) {
	for _, code := range []int{400, 401, 403, 404, 422} {
		f := newFakeLLM(t, status(code, `{"error": {"message": "bad key"}}`), completion(goodReply))
		fb := &stubFallback{}
		p, logs := newTestLLM(f, fb, nil)
		res, err := p.Process(context.Background(), testInput())
		if err != nil {
			t.Fatal(err)
		}
		if res.Structured.Title != "FALLBACK" || f.requests() != 1 {
			t.Errorf("%d: requests = %d, title %q; want 1 and the fallback", code, f.requests(), res.Structured.Title)
		}
		if !strings.Contains(logs.String(), "status") {
			t.Errorf("%d: warning does not say why: %s", code, logs.String())
		}
	}
}

func TestLLMNetworkErrorRetriedThenFallsBack(t *testing.T) {
	f := newFakeLLM(t, completion(goodReply))
	url := f.srv.URL
	f.srv.Close() // connection refused from now on
	fb := &stubFallback{}
	var logs bytes.Buffer
	p := NewLLM(LLMConfig{BaseURL: url, Model: "m", Backoff: time.Millisecond, Timeout: time.Second,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}, fb)
	res, err := p.Process(context.Background(), testInput())
	if err != nil {
		t.Fatal(err)
	}
	if res.Structured.Title != "FALLBACK" || !strings.Contains(logs.String(), "3 attempts") {
		t.Fatalf("title %q, logs %s", res.Structured.Title, logs.String())
	}
}

func TestLLMCallerDeadlineFallsBack(t *testing.T) {
	f := newFakeLLM(t, func(w http.ResponseWriter) {
		time.Sleep(300 * time.Millisecond)
		completion(goodReply)(w)
	})
	fb := &stubFallback{}
	p, _ := newTestLLM(f, fb, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	res, err := p.Process(ctx, testInput())
	if err != nil {
		t.Fatal(err)
	}
	if res.Structured.Title != "FALLBACK" {
		t.Fatalf("want the fallback when the caller's deadline passes, got %+v", res.Structured)
	}
}

func TestLLMLongTranscriptTruncated(t *testing.T) {
	f := newFakeLLM(t, completion(goodReply))
	p, _ := newTestLLM(f, &stubFallback{}, nil)
	in := testInput()
	in.Text = "START " + strings.Repeat("blah é ", 30000) + " END"
	if _, err := p.Process(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	prompt := f.reqs[0].Messages[1].Content
	if len(prompt) > maxPromptText+500 || !strings.Contains(prompt, "START") || !strings.Contains(prompt, "END") ||
		!strings.Contains(prompt, "characters omitted") {
		t.Fatalf("prompt of %d chars; start/end/marker kept: %v %v %v", len(prompt),
			strings.Contains(prompt, "START"), strings.Contains(prompt, "END"), strings.Contains(prompt, "characters omitted"))
	}
	if !utf8.ValidString(prompt) {
		t.Fatal("truncation split a rune")
	}
}

func TestLLMSegmentsMarkTheUser(t *testing.T) {
	f := newFakeLLM(t, completion(goodReply))
	p, _ := newTestLLM(f, &stubFallback{}, nil)
	in := testInput()
	in.Segments = []omi.TranscriptSegment{{Text: "I love tea", Speaker: "SPEAKER_00", IsUser: true},
		{Text: "I hate tea", Speaker: "SPEAKER_01", SpeakerID: 1}}
	if _, err := p.Process(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	prompt := f.reqs[0].Messages[1].Content
	if !strings.Contains(prompt, "User: I love tea") || !strings.Contains(prompt, "SPEAKER_01: I hate tea") {
		t.Fatalf("prompt = %q", prompt)
	}
}

func TestLLMDefaultFallbackIsBuiltin(t *testing.T) {
	f := newFakeLLM(t, completion("garbage"))
	p := NewLLM(LLMConfig{BaseURL: f.srv.URL + "/v1", Model: "m", Logger: slog.New(slog.DiscardHandler)}, nil)
	res, err := p.Process(context.Background(), testInput())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := NewBuiltin().Process(context.Background(), testInput())
	if res.Structured.Title != want.Structured.Title || len(res.Structured.ActionItems) != len(want.Structured.ActionItems) {
		t.Fatalf("fallback result %+v, builtin %+v", res.Structured, want.Structured)
	}
}
