package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/httpapi"
	"github.com/omi-devapi/omi-devapi/search"
)

type askAnswer struct {
	Answer  string `json:"answer"`
	Sources []struct {
		ID        string     `json:"id"`
		Title     string     `json:"title"`
		CreatedAt *time.Time `json:"created_at"`
	} `json:"sources"`
}

func (a askAnswer) sourceIDs() string {
	var ids []string
	for _, s := range a.Sources {
		ids = append(ids, s.ID)
	}
	return strings.Join(ids, ",")
}

func (e *env) ask(key string, body any) askAnswer {
	e.t.Helper()
	resp := e.do(http.MethodPost, "/v1/dev/user/ask", key, body)
	wantStatus(e.t, resp, http.StatusOK)
	var a askAnswer
	resp.Decode(e.t, &a)
	return a
}

// titled processes a conversation as "title on the first line, then the
// words".
func titled(in omi.ProcessInput) *omi.ProcessResult {
	title, _, _ := strings.Cut(in.Text, "\n")
	return &omi.ProcessResult{Structured: omi.Structured{Title: title, Category: "personal"}}
}

// askEnv is a server at Wednesday 14 January 2026, 10:00 UTC, with alice's
// conversations of the week before.
type askEnv struct {
	*env
	key                     string
	dentist, budget, lisbon string
}

func setupAsk(t *testing.T, opts ...option) askEnv {
	t.Helper()
	e := setup(t, append([]option{withProcessor(&scripted{fn: titled})}, opts...)...)
	e.clock.Set(time.Date(2026, 1, 14, 10, 0, 0, 0, time.UTC))
	a := askEnv{env: e, key: e.key("alice").Key}
	a.dentist = e.createConversation(a.key, "/v1/dev/user/conversations", map[string]any{
		"started_at": "2026-01-13T15:00:00Z",
		"text": "Dentist booking\nI called Dr. Patel's office about my tooth. The dentist can see me tomorrow at 3pm. " +
			"Then we chatted about the weather and the traffic on Elm Street.",
	}).ID
	a.budget = e.createConversation(a.key, "/v1/dev/user/conversations", map[string]any{
		"started_at": "2026-01-06T09:00:00Z",
		"text":       "Budget review\nWe went through the quarterly budget with Priya. Marketing spend is over by ten percent. Priya wants a revised forecast on Friday.",
	}).ID
	a.lisbon = e.createConversation(a.key, "/v1/dev/user/conversations/from-segments", map[string]any{
		"started_at": "2026-01-10T18:00:00Z",
		"transcript_segments": []map[string]any{
			{"text": "Daniel's wedding trip", "start": 0, "end": 2},
			{"text": "We need to plan the trip to Lisbon for Daniel's wedding in August.", "start": 2, "end": 6, "speaker": "SPEAKER_01"},
			{"text": "Let's book the flights next week, before prices go up.", "start": 6, "end": 9, "is_user": true},
		},
	}).ID
	return a
}

func TestAsk(t *testing.T) {
	a := setupAsk(t)

	ans := a.ask(a.key, map[string]any{"question": "When am I seeing the dentist?"})
	if ans.sourceIDs() != a.dentist {
		t.Fatalf("sources %v, want only the dentist conversation; answer %q", ans.Sources, ans.Answer)
	}
	src := ans.Sources[0]
	if src.Title != "Dentist booking" || src.CreatedAt == nil || !src.CreatedAt.Equal(time.Date(2026, 1, 13, 15, 0, 0, 0, time.UTC)) {
		t.Fatalf("source %+v", src)
	}
	// Extractive: the matching sentence, its relative date resolved, and
	// when the conversation was, relative to now.
	for _, want := range []string{"“Dentist booking”", "yesterday (Tue 13 Jan 2026, 15:00 UTC)", "The dentist can see me tomorrow (Wed 14 Jan) at 3pm."} {
		if !strings.Contains(ans.Answer, want) {
			t.Errorf("answer %q lacks %q", ans.Answer, want)
		}
	}
	if strings.Contains(ans.Answer, "weather") {
		t.Errorf("answer quotes an unrelated sentence: %q", ans.Answer)
	}

	// Transcript segments are searched too, and synonyms count: "flights"
	// for "plane tickets", "wedding" for "marriage".
	ans = a.ask(a.key, map[string]any{"question": "Did we decide when to buy the plane tickets for my brother's marriage?"})
	if ans.sourceIDs() != a.lisbon || !strings.Contains(ans.Answer, "next week (week of Mon 12 Jan)") {
		t.Fatalf("segments: %+v", ans)
	}

	// Several sources, in retrieval order.
	ans = a.ask(a.key, map[string]any{"question": "What did Priya say about the budget and the dentist?", "limit": 10})
	if !strings.Contains(ans.sourceIDs(), a.budget) || !strings.Contains(ans.sourceIDs(), a.dentist) || strings.Contains(ans.sourceIDs(), a.lisbon) {
		t.Fatalf("two sources expected: %+v", ans)
	}
	if !strings.HasPrefix(ans.Answer, "From 2 of your conversations:") || !strings.Contains(ans.Answer, "“Budget review”, on Tue 6 Jan 2026, 09:00 UTC: ") {
		t.Fatalf("answer: %q", ans.Answer)
	}
}

func TestAskNothingRelevant(t *testing.T) {
	a := setupAsk(t)
	for _, q := range []string{"What is the capital of Mongolia?", "quantum chromodynamics lecture notes", "?!", "the", "🦄"} {
		ans := a.ask(a.key, map[string]any{"question": q})
		if ans.Answer != search.NoAnswer || len(ans.Sources) != 0 || ans.Sources == nil {
			t.Errorf("%q: %+v", q, ans)
		}
	}
	// A user with no conversations at all.
	other := a.env.key("carol").Key
	if ans := a.ask(other, map[string]any{"question": "When am I seeing the dentist?"}); ans.Answer != search.NoAnswer || len(ans.Sources) != 0 {
		t.Fatalf("empty user: %+v", ans)
	}
}

func TestAskExcludesDiscarded(t *testing.T) {
	a := setupAsk(t)
	q := map[string]any{"question": "When am I seeing the dentist?"}
	wantStatus(t, a.do(http.MethodPatch, "/v1/dev/user/conversations/"+a.dentist, a.key, map[string]any{"discarded": true}), http.StatusOK)
	if ans := a.ask(a.key, q); ans.Answer != search.NoAnswer || len(ans.Sources) != 0 {
		t.Fatalf("discarded conversation used: %+v", ans)
	}
	wantStatus(t, a.do(http.MethodPatch, "/v1/dev/user/conversations/"+a.dentist, a.key, map[string]any{"discarded": false}), http.StatusOK)
	if ans := a.ask(a.key, q); ans.sourceIDs() != a.dentist {
		t.Fatalf("restored conversation not used: %+v", ans)
	}
	wantStatus(t, a.do(http.MethodDelete, "/v1/dev/user/conversations/"+a.dentist, a.key, nil), http.StatusOK)
	if ans := a.ask(a.key, q); len(ans.Sources) != 0 {
		t.Fatalf("deleted conversation used: %+v", ans)
	}
}

func TestAskRetitled(t *testing.T) {
	a := setupAsk(t)
	wantStatus(t, a.do(http.MethodPatch, "/v1/dev/user/conversations/"+a.budget, a.key, map[string]any{"title": "Kombucha brewing plans"}), http.StatusOK)
	ans := a.ask(a.key, map[string]any{"question": "kombucha"})
	if ans.sourceIDs() != a.budget || ans.Sources[0].Title != "Kombucha brewing plans" {
		t.Fatalf("new title not searched: %+v", ans)
	}
}

func TestAskDates(t *testing.T) {
	a := setupAsk(t)
	// The question's own date words pick the day, in the user's timezone.
	ans := a.ask(a.key, map[string]any{"question": "What did I talk about yesterday?"})
	if ans.sourceIDs() != a.dentist || !strings.Contains(ans.Answer, "Dentist booking") {
		t.Fatalf("yesterday (UTC): %+v", ans)
	}
	// In Auckland (UTC+13) it is already 23:00 on the 14th; the dentist call
	// was at 04:00 that day: today, not yesterday.
	ans = a.ask(a.key, map[string]any{"question": "What did I talk about yesterday?", "timezone": "Pacific/Auckland"})
	if len(ans.Sources) != 0 {
		t.Fatalf("yesterday (Auckland): %+v", ans)
	}
	ans = a.ask(a.key, map[string]any{"question": "When is the dentist?", "timezone": "Pacific/Auckland"})
	for _, want := range []string{"today (Wed 14 Jan 2026, 04:00 NZDT)", "tomorrow (Thu 15 Jan)"} {
		if !strings.Contains(ans.Answer, want) {
			t.Errorf("Auckland answer %q lacks %q", ans.Answer, want)
		}
	}
	ans = a.ask(a.key, map[string]any{"question": "what did we discuss last week", "limit": 10})
	if got := ans.sourceIDs(); got != a.lisbon+","+a.budget {
		t.Fatalf("last week: %q, want lisbon then budget; %+v", got, ans)
	}
	// Dates narrow a topic too: Priya's budget talk was last week, not this.
	if ans := a.ask(a.key, map[string]any{"question": "what did Priya say this week?"}); len(ans.Sources) != 0 {
		t.Fatalf("this week: %+v", ans)
	}
	// "Last Tuesday", on a Wednesday, is the day before, as the answers say it.
	if ans := a.ask(a.key, map[string]any{"question": "what did Priya say last Tuesday?"}); len(ans.Sources) != 0 {
		t.Fatalf("last Tuesday: %+v", ans)
	}
	if ans := a.ask(a.key, map[string]any{"question": "what did the dentist's office say last Tuesday?"}); ans.sourceIDs() != a.dentist {
		t.Fatalf("last Tuesday: %+v", ans)
	}
	if ans := a.ask(a.key, map[string]any{"question": "what did Priya say 8 days ago?"}); ans.sourceIDs() != a.budget {
		t.Fatalf("8 days ago: %+v", ans)
	}
}

func TestAskLimit(t *testing.T) {
	e := setup(t, withProcessor(&scripted{fn: titled}))
	k := e.key("alice").Key
	var ids []string
	for i := range 12 {
		ids = append(ids, e.createConversation(k, "/v1/dev/user/conversations", map[string]any{
			"text": "Tennis lesson\nCoach said my tennis backhand is improving, week " + string(rune('A'+i)) + ".",
		}).ID)
	}
	for _, c := range []struct {
		body map[string]any
		want int
	}{
		{map[string]any{"question": "tennis backhand"}, 5},
		{map[string]any{"question": "tennis backhand", "limit": 1}, 1},
		{map[string]any{"question": "tennis backhand", "limit": "3"}, 3}, // lax: "3" is 3
		{map[string]any{"question": "tennis backhand", "limit": 10}, 10},
	} {
		if ans := e.ask(k, c.body); len(ans.Sources) != c.want || !strings.HasPrefix(ans.Answer, "From") {
			t.Errorf("%v: %d sources, want %d", c.body, len(ans.Sources), c.want)
		}
	}
}

func TestAskValidation(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	for _, c := range []struct {
		body      any
		loc, msg  string
		wantInMsg string
	}{
		{map[string]any{}, "[body question]", "Field required", ""},
		{`{"question": null}`, "[body question]", "Input should be a valid string", ""},
		{map[string]any{"question": ""}, "[body question]", "String should have at least 1 character", ""},
		{map[string]any{"question": "   \n\t"}, "[body question]", "question must not be empty", ""},
		{map[string]any{"question": strings.Repeat("é", 1001)}, "[body question]", "String should have at most 1000 characters", ""},
		{map[string]any{"question": 42}, "[body question]", "Input should be a valid string", ""},
		{map[string]any{"question": "tea?", "limit": 0}, "[body limit]", "Input should be greater than or equal to 1", ""},
		{map[string]any{"question": "tea?", "limit": 11}, "[body limit]", "Input should be less than or equal to 10", ""},
		{map[string]any{"question": "tea?", "limit": nil}, "[body limit]", "Input should be a valid integer", ""},
		{map[string]any{"question": "tea?", "limit": 2.5}, "[body limit]", "Input should be a valid integer, got a number with a fractional part", ""},
		{map[string]any{"question": "tea?", "timezone": "Mars/Olympus_Mons"}, "[body timezone]", "", "valid IANA timezone"},
		{map[string]any{"question": "tea?", "timezone": ""}, "[body timezone]", "", "valid IANA timezone"},
		{map[string]any{"question": "tea?", "timezone": "Local"}, "[body timezone]", "", "valid IANA timezone"},
		{map[string]any{"question": "tea?", "timezone": "../../etc/passwd"}, "[body timezone]", "", "valid IANA timezone"},
		{map[string]any{"question": "tea?", "timezone": "+02:00"}, "[body timezone]", "", "valid IANA timezone"},
		{map[string]any{"question": "tea?", "timezone": nil}, "[body timezone]", "Input should be a valid string", ""},
		{"", "[body]", "Field required", ""},
		{"{", "[body 1]", "JSON decode error", ""},
		{"[]", "[body]", "Input should be a valid dictionary or object to extract fields from", ""},
	} {
		resp := e.do(http.MethodPost, "/v1/dev/user/ask", k, c.body)
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		loc, msg := field(t, resp.Body)
		if loc != c.loc || (c.msg != "" && msg != c.msg) || !strings.Contains(msg, c.wantInMsg) {
			t.Errorf("%v: %s %q, want %s %q", c.body, loc, msg, c.loc, c.msg+c.wantInMsg)
		}
	}
	// Valid edge cases: exactly 1000 characters, IANA names of every kind.
	for _, body := range []map[string]any{
		{"question": strings.Repeat("é", 1000)},
		{"question": "tea?", "timezone": "America/Argentina/Buenos_Aires"},
		{"question": "tea?", "timezone": "Etc/GMT+5"},
		{"question": "tea?", "timezone": "UTC", "limit": 1},
		{"question": "tea?", "unknown": "ignored"},
	} {
		e.ask(k, body)
	}
}

func TestAskTenantIsolation(t *testing.T) {
	e := setup(t, withProcessor(&scripted{fn: titled}))
	alice, bob := e.key("alice").Key, e.key("bob").Key
	bobs := e.createConversation(bob, "/v1/dev/user/conversations", map[string]any{"text": "Zebra sanctuary\nBob adopted a zebra named Stripes at the sanctuary."}).ID
	e.createConversation(alice, "/v1/dev/user/conversations", map[string]any{"text": "Groceries\nAlice needs oat milk and bread."})
	for _, q := range []string{"zebra", "Who adopted Stripes?", "What did Bob adopt at the sanctuary?", "zebra sanctuary Stripes Bob"} {
		ans := e.ask(alice, map[string]any{"question": q, "limit": 10})
		if strings.Contains(ans.sourceIDs(), bobs) || strings.Contains(strings.ToLower(ans.Answer), "zebra") {
			t.Fatalf("alice got bob's conversation for %q: %+v", q, ans)
		}
	}
	if ans := e.ask(bob, map[string]any{"question": "Who adopted Stripes?"}); ans.sourceIDs() != bobs {
		t.Fatalf("bob's own: %+v", ans)
	}
}

func TestAskHostileQuestions(t *testing.T) {
	a := setupAsk(t)
	for _, q := range []string{
		`"foo AND (`, `NEAR/3 dentist`, `dentist*`, `^dentist`, `title:dentist`, `{uid title}: alice`, `"`, `'); DROP TABLE conversations; --`,
		"🦷🦷🦷", "ﷺ", "\u202edentist", strings.Repeat("dentist ", 125), strings.Repeat(`"(*^:`, 200), "dentist\nyesterday\ttomorrow",
		"what did I say 99999999999999999999 days ago", "what did I say 0 days ago", "last sunday", "on sunday", "the day before yesterday",
	} {
		resp := a.do(http.MethodPost, "/v1/dev/user/ask", a.key, map[string]any{"question": q})
		if resp.Status != http.StatusOK {
			t.Errorf("%.40q: %d %s", q, resp.Status, resp.Body)
		}
	}
}

// fakeLLM is an OpenAI-compatible chat server that answers what the test
// says and records the prompts.
type fakeLLM struct {
	mu      sync.Mutex
	prompts []string
	status  int
	answer  string
}

func (f *fakeLLM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.prompts = append(f.prompts, string(b))
	status, answer := f.status, f.answer
	f.mu.Unlock()
	if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer sk-test" {
		http.Error(w, "wrong path or key", http.StatusNotFound)
		return
	}
	if status != 0 {
		http.Error(w, `{"error":"overloaded"}`, status)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"message": map[string]any{"role": "assistant", "content": answer}}}})
}

func TestAskWithLLM(t *testing.T) {
	llm := &fakeLLM{answer: "You're seeing Dr. Patel tomorrow, Wednesday 14 January, at 3pm [2]."}
	srv := httptest.NewServer(llm)
	defer srv.Close()
	chat, err := search.NewChat(search.OpenAIConfig{BaseURL: srv.URL + "/v1/", Model: "test-model", APIKey: "sk-test", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	a := setupAsk(t, func(d *httpapi.Deps) { d.Search.LLM = chat })
	wantStatus(t, a.do(http.MethodPost, "/v1/dev/user/memories", a.key, map[string]any{"content": "User is nervous about dentists."}), http.StatusOK)

	ans := a.ask(a.key, map[string]any{"question": "When am I seeing the dentist? And what about the budget?", "limit": 10, "timezone": "Europe/Lisbon"})
	if ans.Answer != llm.answer {
		t.Fatalf("answer %q", ans.Answer)
	}
	// Only the cited source (the second one offered) is returned.
	if len(ans.Sources) != 1 {
		t.Fatalf("sources %+v", ans.Sources)
	}
	var req struct {
		Model    string `json:"model"`
		Messages []struct {
			Role, Content string
		} `json:"messages"`
	}
	if err := json.Unmarshal([]byte(llm.prompts[0]), &req); err != nil || req.Model != "test-model" || len(req.Messages) != 2 {
		t.Fatalf("request %s", llm.prompts[0])
	}
	prompt := req.Messages[0].Content + req.Messages[1].Content
	for _, want := range []string{"Europe/Lisbon", "Wednesday 14 January 2026, 10:00 WET", "[1] “", "[2] “", "yesterday (Tue 13 Jan 2026, 15:00 WET)",
		"The dentist can see me tomorrow at 3pm.", "User is nervous about dentists.", "Question: When am I seeing the dentist?"} {
		if !strings.Contains(prompt, want) {
			t.Errorf("prompt lacks %q:\n%s", want, prompt)
		}
	}
	cited := 2
	if !strings.Contains(prompt, "[2] “Dentist booking”") {
		cited = 1
	}
	if (cited == 2) != (ans.Sources[0].ID == a.dentist) {
		t.Fatalf("cited source %d, returned %+v", cited, ans.Sources)
	}

	// The LLM down: the extractive answer, not an error.
	llm.mu.Lock()
	llm.status = http.StatusServiceUnavailable
	llm.mu.Unlock()
	ans = a.ask(a.key, map[string]any{"question": "When am I seeing the dentist?"})
	if !strings.HasPrefix(ans.Answer, "From your conversation “Dentist booking”") || ans.sourceIDs() != a.dentist {
		t.Fatalf("fallback: %+v", ans)
	}
}
