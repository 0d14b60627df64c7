package search

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
)

func TestTerms(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
	}{
		{"What's my dog's name?", "[dog name]"},
		{`"foo AND (`, "[foo]"},
		{`NEAR/3 title:secret {uid content}: bob`, "[near 3 title secret uid content bob]"},
		{`foo* ^bar -baz +qux`, "[foo bar baz qux]"},
		{`' OR 1=1; DROP TABLE memories; --`, "[1 drop table memories]"},
		{"Café crème brûlée", "[cafe creme brulee]"},
		{"the and of", "[the and of]"}, // only stop words: kept, rather than nothing
		{"🦄🔥", "[🦄 🔥]"},
		{"", "[]"},
		{"   \t\n", "[]"},
		{"dog DOG Dog dogs", "[dog dogs]"},
		{"日本語 검색", "[日本語 검색]"},
		{strings.Repeat("x", 65) + " short", "[short]"},
	} {
		if got := fmt.Sprint(Terms(c.in)); got != c.want {
			t.Errorf("Terms(%q) = %s, want %s", c.in, got, c.want)
		}
	}
	many := strings.Repeat("word ", 10) + strings.Join(strings.Fields("a1 a2 a3 a4 a5 a6 a7 a8 a9 b1 b2 b3 b4 b5 b6 b7 b8 b9 c1 c2 c3 c4 c5 c6 c7 c8 c9 d1 d2 d3 d4 d5 d6"), " ")
	if n := len(Terms(many)); n != maxTerms {
		t.Fatalf("%d terms, want at most %d", n, maxTerms)
	}
}

func TestStem(t *testing.T) {
	for _, group := range [][]string{
		{"book", "books", "booked", "booking"},
		{"run", "runs", "running"},
		{"like", "likes", "liked", "liking"},
		{"allergy", "allergies"},
		{"study", "studies"},
		{"watch", "watches"},
	} {
		for _, w := range group[1:] {
			if stem(w) != stem(group[0]) {
				t.Errorf("stem(%q) = %q, stem(%q) = %q", w, stem(w), group[0], stem(group[0]))
			}
		}
	}
	for _, w := range []string{"bus", "this", "glass", "need"} {
		if s := stem(w); len(s) < 3 {
			t.Errorf("stem(%q) = %q: too much cut", w, s)
		}
	}
}

func TestHashing(t *testing.T) {
	h := NewHashing(0)
	if h.Dimensions() != DefaultDimensions || h.Model() != "omi-hashing-v1-384" {
		t.Fatalf("dims %d model %s", h.Dimensions(), h.Model())
	}
	if NewHashing(64).Model() == h.Model() {
		t.Fatal("model name ignores dimensions")
	}
	vs, err := h.Embed(t.Context(), []string{"User's wife is named Maria.", "User's wife is named Maria.", "", "the of and", "🦄"})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs {
		if len(v) != DefaultDimensions {
			t.Fatalf("vector %d: %d dims", i, len(v))
		}
	}
	if fmt.Sprint(vs[0]) != fmt.Sprint(vs[1]) {
		t.Fatal("same text, different vectors")
	}
	for _, i := range []int{0, 3, 4} {
		if n := Dot(vs[i], vs[i]); math.Abs(n-1) > 1e-5 {
			t.Fatalf("vector %d has norm² %v", i, n)
		}
	}
	if Dot(vs[2], vs[2]) != 0 {
		t.Fatal("empty text: want the zero vector")
	}
	// Closer meaning, closer vectors: synonyms, typos and word forms beat
	// unrelated text.
	for _, c := range [][3]string{
		{"my spouse", "User's wife is named Maria", "User drives a Subaru"},
		{"peanut alergy", "User is allergic to peanuts", "User likes peanut butter cookies on Sundays"},
		{"booking flights", "User booked a flight to Lisbon", "User reads books"},
		{"children's doctor", "The kids' pediatrician is Dr. Alvarez", "User's favourite film is Spirited Away"},
	} {
		q, near, far := h.Vector(c[0]), h.Vector(c[1]), h.Vector(c[2])
		if Dot(q, near) <= Dot(q, far) {
			t.Errorf("%q: %q (%.3f) should beat %q (%.3f)", c[0], c[1], Dot(q, near), c[2], Dot(q, far))
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := h.Embed(ctx, []string{"x"}); err == nil {
		t.Fatal("cancelled context ignored")
	}
}

func TestFuse(t *testing.T) {
	if got := Fuse(omi.Rankings{}); len(got) != 0 {
		t.Fatalf("empty: %v", got)
	}
	hits := Fuse(omi.Rankings{
		Lexical: []omi.Ranked{{ID: "a", Score: 9}, {ID: "b", Score: 5}, {ID: "c", Score: 1}},
		Vector:  []omi.Ranked{{ID: "a", Score: 0.9}, {ID: "c", Score: 0.8}, {ID: "d", Score: 0.7}, {ID: "e", Score: 0.6}},
	})
	var got []string
	for _, h := range hits {
		got = append(got, fmt.Sprintf("%s:%v", h.ID, h.Score))
		if h.Score < 0 || h.Score > 1 || math.Round(h.Score*1e4)/1e4 != h.Score {
			t.Fatalf("score %v", h.Score)
		}
	}
	// a: first in both (1). c: 3rd and 2nd. b: 2nd lexical only. d, e: vector only.
	if fmt.Sprint(got) != "[a:1 c:0.9761 b:0.4919 d:0.4841 e:0.4766]" {
		t.Fatalf("fused %v", got)
	}
	if hits[0].LexicalRank != 1 || hits[0].VectorRank != 1 || hits[0].Cosine != 0.9 || hits[2].VectorRank != 0 {
		t.Fatalf("ranks %+v", hits)
	}
	// One ranking alone still scores its first 1; equal scores list by id.
	hits = Fuse(omi.Rankings{Vector: []omi.Ranked{{ID: "z", Score: 0.5}}, Lexical: nil})
	if hits[0].Score != 1 {
		t.Fatalf("single ranking: %+v", hits)
	}
	hits = Fuse(omi.Rankings{Lexical: []omi.Ranked{{ID: "y"}, {ID: "x"}}, Vector: []omi.Ranked{{ID: "x"}, {ID: "y"}}})
	if hits[0].ID != "x" || hits[0].Score != hits[1].Score {
		t.Fatalf("tie: %+v", hits)
	}
}

func TestQuestionSpan(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	now := time.Date(2026, 1, 14, 10, 0, 0, 0, time.UTC) // Wednesday; 19:00 in Tokyo
	day := func(y int, m time.Month, d int, loc *time.Location) time.Time {
		return time.Date(y, m, d, 0, 0, 0, 0, loc)
	}
	for _, c := range []struct {
		q          string
		loc        *time.Location
		start, end time.Time
		ok         bool
	}{
		{"what did I do yesterday", time.UTC, day(2026, 1, 13, time.UTC), day(2026, 1, 14, time.UTC), true},
		{"what did I do yesterday", tokyo, day(2026, 1, 13, tokyo), day(2026, 1, 14, tokyo), true},
		{"anything today?", time.UTC, day(2026, 1, 14, time.UTC), day(2026, 1, 15, time.UTC), true},
		{"this morning's call", time.UTC, day(2026, 1, 14, time.UTC), day(2026, 1, 15, time.UTC), true},
		{"last night", time.UTC, day(2026, 1, 13, time.UTC), day(2026, 1, 14, time.UTC), true},
		{"the day before yesterday", time.UTC, day(2026, 1, 12, time.UTC), day(2026, 1, 13, time.UTC), true},
		{"3 days ago", time.UTC, day(2026, 1, 11, time.UTC), day(2026, 1, 12, time.UTC), true},
		{"two days ago", time.UTC, day(2026, 1, 12, time.UTC), day(2026, 1, 13, time.UTC), true},
		{"last week", time.UTC, day(2026, 1, 5, time.UTC), day(2026, 1, 12, time.UTC), true},
		{"this week", time.UTC, day(2026, 1, 12, time.UTC), day(2026, 1, 15, time.UTC), true},
		{"last weekend", time.UTC, day(2026, 1, 10, time.UTC), day(2026, 1, 12, time.UTC), true},
		{"last month", time.UTC, day(2025, 12, 1, time.UTC), day(2026, 1, 1, time.UTC), true},
		{"this month", time.UTC, day(2026, 1, 1, time.UTC), day(2026, 1, 15, time.UTC), true},
		{"last tuesday", time.UTC, day(2026, 1, 13, time.UTC), day(2026, 1, 14, time.UTC), true},
		{"last wednesday", time.UTC, day(2026, 1, 7, time.UTC), day(2026, 1, 8, time.UTC), true},
		{"on wednesday", time.UTC, day(2026, 1, 14, time.UTC), day(2026, 1, 15, time.UTC), true},
		{"on sunday", time.UTC, day(2026, 1, 11, time.UTC), day(2026, 1, 12, time.UTC), true},
		{"the dentist", time.UTC, time.Time{}, time.Time{}, false},
		{"99999999999999999999 days ago", time.UTC, time.Time{}, time.Time{}, false},
		{"sunday roast recipe", time.UTC, time.Time{}, time.Time{}, false},
	} {
		sp, _, ok := questionSpan(tokenize(c.q), now, c.loc)
		if ok != c.ok || ok && (!sp.start.Equal(c.start) || !sp.end.Equal(c.end)) {
			t.Errorf("%q in %s: %v %v-%v, want %v %v-%v", c.q, c.loc, ok, sp.start, sp.end, c.ok, c.start, c.end)
		}
	}
}

func TestDescribeWhenAndResolveDates(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	now := time.Date(2026, 1, 14, 10, 0, 0, 0, time.UTC) // Wed 05:00 in New York
	for _, c := range []struct {
		at   time.Time
		loc  *time.Location
		want string
	}{
		{time.Date(2026, 1, 14, 8, 0, 0, 0, time.UTC), time.UTC, "today (Wed 14 Jan 2026, 08:00 UTC)"},
		{time.Date(2026, 1, 14, 3, 0, 0, 0, time.UTC), ny, "yesterday (Tue 13 Jan 2026, 22:00 EST)"},
		{time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC), time.UTC, "last Saturday (Sat 10 Jan 2026, 12:00 UTC)"},
		{time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), time.UTC, "tomorrow (Thu 15 Jan 2026, 12:00 UTC)"},
		{time.Date(2025, 3, 3, 9, 30, 0, 0, time.UTC), time.UTC, "on Mon 3 Mar 2025, 09:30 UTC"},
	} {
		if got := describeWhen(c.at, now, c.loc); got != c.want {
			t.Errorf("describeWhen(%v, %s) = %q, want %q", c.at, c.loc, got, c.want)
		}
	}
	said := time.Date(2026, 1, 13, 15, 0, 0, 0, time.UTC) // a Tuesday
	for in, want := range map[string]string{
		"See you tomorrow at 3.":                "See you tomorrow (Wed 14 Jan) at 3.",
		"Yesterday was long; today too.":        "Yesterday (Mon 12 Jan) was long; today (Tue 13 Jan) too.",
		"Let's meet next Friday or on Monday.":  "Let's meet next Friday (Fri 23 Jan) or on Monday (Mon 19 Jan).",
		"Since last Tuesday, nothing.":          "Since last Tuesday (Tue 6 Jan), nothing.",
		"This Tuesday works.":                   "This Tuesday (Tue 13 Jan) works.",
		"Book it next week.":                    "Book it next week (week of Mon 19 Jan).",
		"the day after tomorrow":                "the day after tomorrow (Thu 15 Jan)",
		"tomorrow (Wed 14 Jan) already dated":   "tomorrow (Wed 14 Jan) already dated",
		"Tomorrowland and todays are not dates": "Tomorrowland and todays are not dates",
	} {
		if got := resolveDates(in, said, time.UTC); got != want {
			t.Errorf("resolveDates(%q) = %q, want %q", in, got, want)
		}
	}
	// In Tokyo, 15:00 UTC on Tuesday is already Wednesday.
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	if got := resolveDates("tomorrow", said, tokyo); got != "tomorrow (Thu 15 Jan)" {
		t.Errorf("Tokyo: %q", got)
	}
}

func TestSplitSentences(t *testing.T) {
	got := splitSentences("I saw Dr. Patel today. Ms. K. Lee came too!  Was it fun?\nYes\n\nYes\n... ok…done")
	want := []string{"I saw Dr. Patel today.", "Ms. K. Lee came too!", "Was it fun?", "Yes", "ok…done"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%q\nwant %q", got, want)
	}
	if c := clip(strings.Repeat("word ", 100), 30); c != "word word word word word word…" {
		t.Fatalf("clip: %q", c)
	}
}

// embeddingServer is an OpenAI-compatible /v1/embeddings stand-in.
type embeddingServer struct {
	mu       sync.Mutex
	requests []embeddingsRequest
	fail     []int // statuses to answer, in order, before succeeding
	dims     int
	delay    time.Duration
}

func (s *embeddingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req embeddingsRequest
	b, _ := io.ReadAll(r.Body)
	json.Unmarshal(b, &req)
	s.mu.Lock()
	s.requests = append(s.requests, req)
	var status int
	if len(s.fail) > 0 {
		status, s.fail = s.fail[0], s.fail[1:]
	}
	s.mu.Unlock()
	if r.URL.Path != "/v1/embeddings" || r.Header.Get("Authorization") != "Bearer sk-x" {
		http.Error(w, "no", http.StatusUnauthorized)
		return
	}
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-r.Context().Done():
			return
		}
	}
	if status != 0 {
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		http.Error(w, `{"error":{"message":"nope"}}`, status)
		return
	}
	type item struct {
		Index     int       `json:"index"`
		Embedding []float64 `json:"embedding"`
	}
	var data []item
	// Backwards, to show the client orders by index.
	for i := len(req.Input) - 1; i >= 0; i-- {
		v := make([]float64, s.dims)
		v[len(req.Input[i])%s.dims] = 2 // not normalised: the client must
		data = append(data, item{i, v})
	}
	json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": req.Model})
}

func TestOpenAIEmbedder(t *testing.T) {
	fake := &embeddingServer{dims: 8}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	e, err := NewOpenAIEmbedder(OpenAIConfig{BaseURL: srv.URL + "/v1/", Model: "nomic-embed-text", APIKey: "sk-x", BatchSize: 2, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if e.Dimensions() != 0 || e.Model() != "nomic-embed-text" {
		t.Fatalf("before first call: %d %s", e.Dimensions(), e.Model())
	}
	vs, err := e.Embed(t.Context(), []string{"a", "bb", "", "dddd", "eeeee"})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 5 || len(fake.requests) != 3 || e.Dimensions() != 8 {
		t.Fatalf("%d vectors in %d requests, dims %d", len(vs), len(fake.requests), e.Dimensions())
	}
	for i, want := range []int{1, 2, 1, 4, 5} { // "" goes as " "
		if vs[i][want%8] != 1 {
			t.Fatalf("vector %d out of order or not normalised: %v", i, vs[i])
		}
	}
	if r := fake.requests[0]; r.Model != "nomic-embed-text" || r.EncodingFormat != "float" || r.Dimensions != 0 || fmt.Sprint(r.Input) != "[a bb]" {
		t.Fatalf("request %+v", r)
	}

	// Transient failures are retried; 429's Retry-After is honoured.
	fake.fail = []int{500, 502, 429}
	start := time.Now()
	if _, err := e.Embed(t.Context(), []string{"x"}); err != nil {
		t.Fatalf("after retries: %v", err)
	}
	if time.Since(start) < time.Second {
		t.Fatal("Retry-After not honoured")
	}
	// Beyond MaxRetries, the error.
	fake.fail = []int{500, 500, 500, 500, 500}
	if _, err := e.Embed(t.Context(), []string{"x"}); err == nil || !strings.Contains(err.Error(), "HTTP 500") {
		t.Fatalf("want HTTP 500, got %v", err)
	}
	fake.fail = nil
	// A client error is not retried.
	fake.mu.Lock()
	fake.fail, fake.requests = []int{400}, nil
	fake.mu.Unlock()
	if _, err := e.Embed(t.Context(), []string{"x"}); err == nil || len(fake.requests) != 1 {
		t.Fatalf("400: %v after %d requests", err, len(fake.requests))
	}
	// A vector of another length than the first ones is refused.
	fake.dims = 4
	if _, err := e.Embed(t.Context(), []string{"x"}); err == nil || !strings.Contains(err.Error(), "want 8") {
		t.Fatalf("dims change: %v", err)
	}

	// Configured dimensions are sent and are part of the model name.
	e2, _ := NewOpenAIEmbedder(OpenAIConfig{BaseURL: srv.URL + "/v1", Model: "text-embedding-3-small", APIKey: "sk-x", Dimensions: 4})
	if e2.Model() != "text-embedding-3-small@4" || e2.Dimensions() != 4 {
		t.Fatalf("model %s dims %d", e2.Model(), e2.Dimensions())
	}
	fake.requests = nil
	if _, err := e2.Embed(t.Context(), []string{"x"}); err != nil || fake.requests[0].Dimensions != 4 {
		t.Fatalf("dimensions not sent: %v %+v", err, fake.requests)
	}

	// Each attempt times out; the caller's context bounds the whole.
	fake.delay = time.Second
	e3, _ := NewOpenAIEmbedder(OpenAIConfig{BaseURL: srv.URL + "/v1", Model: "m", APIKey: "sk-x", Timeout: 20 * time.Millisecond, MaxRetries: 1, Backoff: time.Millisecond})
	start = time.Now()
	if _, err := e3.Embed(t.Context(), []string{"x"}); err == nil || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("timeout: %v after %v", err, time.Since(start))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	if _, err := e.Embed(ctx, []string{"x"}); err == nil {
		t.Fatal("context deadline ignored")
	}

	if _, err := NewOpenAIEmbedder(OpenAIConfig{Model: "m"}); err == nil {
		t.Fatal("no base URL accepted")
	}
}

func TestChat(t *testing.T) {
	var got chatRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewDecoder(r.Body).Decode(&got)
		if r.URL.Path != "/chat/completions" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, `{"choices":[{"message":{"role":"assistant","content":"  Hello [1]  "}}]}`)
	}))
	defer srv.Close()
	c, err := NewChat(OpenAIConfig{BaseURL: srv.URL, Model: "llama3"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Complete(t.Context(), []Message{{Role: "user", Content: "hi"}})
	if err != nil || out != "Hello [1]" || got.Model != "llama3" || got.Messages[0].Content != "hi" {
		t.Fatalf("%q %v %+v", out, err, got)
	}
}
