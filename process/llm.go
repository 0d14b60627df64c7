package process

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	omi "github.com/omi-devapi/omi-devapi"
)

// LLMConfig configures the processor that asks an OpenAI-compatible Chat
// Completions server (OMI_LLM_BASE_URL, OMI_LLM_MODEL, OMI_LLM_API_KEY).
type LLMConfig struct {
	BaseURL string // e.g. https://api.openai.com/v1; "/chat/completions" is appended
	Model   string
	APIKey  string // sent as "Authorization: Bearer"; none when empty
	// Timeout bounds each attempt (default 30s).
	Timeout time.Duration
	// MaxRetries is how many times a failed attempt is retried (default 2;
	// negative: never).
	MaxRetries int
	// Backoff is the wait before the first retry, doubled for each further
	// one, with jitter (default 250ms).
	Backoff    time.Duration
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// maxPromptText bounds the transcript sent to the model; longer ones keep
// their beginning and end, where the purpose and the wrap-up usually are.
const maxPromptText = 60000

type llm struct {
	cfg      LLMConfig
	fallback omi.Processor
	log      *slog.Logger
}

// NewLLM returns a processor that asks the configured model for the
// structured output and memories, validates the reply strictly, and falls
// back to fallback (the built-in processor) when the model cannot be
// reached or answers nonsense: a conversation is never lost to an LLM
// outage, where upstream answers 500.
func NewLLM(cfg LLMConfig, fallback omi.Processor) omi.Processor {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 2
	}
	if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 250 * time.Millisecond
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if fallback == nil {
		fallback = NewBuiltin()
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.Default()
	}
	return &llm{cfg: cfg, fallback: fallback, log: lg}
}

func (p *llm) Process(ctx context.Context, in omi.ProcessInput) (*omi.ProcessResult, error) {
	res, err := p.ask(ctx, in)
	if err == nil {
		return res, nil
	}
	p.log.WarnContext(ctx, "llm processing failed, using the built-in processor", "err", err, "model", p.cfg.Model)
	// The fallback is fast and local: let it finish even when the caller's
	// deadline is what ended the model call.
	return p.fallback.Process(context.WithoutCancel(ctx), in)
}

// errPermanent marks failures a retry cannot fix (4xx, malformed replies).
type errPermanent struct{ err error }

func (e errPermanent) Error() string { return e.err.Error() }
func (e errPermanent) Unwrap() error { return e.err }

// errRetryAfter carries a server's Retry-After hint for 429 and 503.
type errRetryAfter struct {
	err   error
	delay time.Duration
}

func (e errRetryAfter) Error() string { return e.err.Error() }
func (e errRetryAfter) Unwrap() error { return e.err }

func (p *llm) ask(ctx context.Context, in omi.ProcessInput) (*omi.ProcessResult, error) {
	body, err := json.Marshal(p.request(in))
	if err != nil {
		return nil, fmt.Errorf("llm: encode request: %w", err)
	}
	var lastErr error
	for attempt := 0; attempt <= p.cfg.MaxRetries; attempt++ {
		if attempt > 0 {
			wait := p.cfg.Backoff << (attempt - 1)
			wait += time.Duration(rand.Int64N(int64(wait)/2 + 1)) // jitter: concurrent callers do not retry in step
			var ra errRetryAfter
			if errors.As(lastErr, &ra) && ra.delay > wait && ra.delay <= 10*time.Second {
				wait = ra.delay
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, fmt.Errorf("llm: %w (after %v)", ctx.Err(), lastErr)
			case <-t.C:
			}
		}
		content, err := p.call(ctx, body)
		if err == nil {
			res, perr := parseReply(content, in)
			if perr != nil {
				// A malformed answer at temperature 0 would come back the same.
				return nil, fmt.Errorf("llm: invalid reply: %w", perr)
			}
			return res, nil
		}
		lastErr = err
		var perm errPermanent
		if errors.As(err, &perm) || ctx.Err() != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("llm: giving up after %d attempts: %w", p.cfg.MaxRetries+1, lastErr)
}

// call makes one attempt and returns the assistant message's content.
func (p *llm) call(ctx context.Context, body []byte) (string, error) {
	actx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	url := strings.TrimRight(p.cfg.BaseURL, "/") + "/chat/completions"
	req, err := http.NewRequestWithContext(actx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "", errPermanent{fmt.Errorf("llm: build request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if p.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+p.cfg.APIKey)
	}
	resp, err := p.cfg.HTTPClient.Do(req)
	if err != nil {
		if actx.Err() != nil && ctx.Err() == nil {
			// The attempt timed out. The caller is waiting on this request;
			// another full timeout would only make it wait longer.
			return "", errPermanent{fmt.Errorf("llm: no reply within %v: %w", p.cfg.Timeout, err)}
		}
		return "", fmt.Errorf("llm: post: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		if actx.Err() != nil && ctx.Err() == nil {
			return "", errPermanent{fmt.Errorf("llm: no reply within %v: %w", p.cfg.Timeout, err)}
		}
		return "", fmt.Errorf("llm: read reply: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("llm: status %d: %s", resp.StatusCode, clip(strings.TrimSpace(string(raw)), 200))
		switch {
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
			if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s >= 0 {
				return "", errRetryAfter{err, time.Duration(s) * time.Second}
			}
			return "", err
		case resp.StatusCode >= 500:
			return "", err
		}
		return "", errPermanent{err}
	}
	var cr struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(raw, &cr); err != nil {
		return "", errPermanent{fmt.Errorf("llm: decode completion: %w", err)}
	}
	if len(cr.Choices) == 0 || strings.TrimSpace(cr.Choices[0].Message.Content) == "" {
		return "", errPermanent{errors.New("llm: completion has no content")}
	}
	return cr.Choices[0].Message.Content, nil
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatRequest struct {
	Model          string            `json:"model"`
	Messages       []chatMessage     `json:"messages"`
	Temperature    float64           `json:"temperature"`
	ResponseFormat map[string]string `json:"response_format"`
}

func (p *llm) request(in omi.ProcessInput) chatRequest {
	return chatRequest{
		Model:          p.cfg.Model,
		Temperature:    0,
		ResponseFormat: map[string]string{"type": "json_object"},
		Messages: []chatMessage{
			{Role: "system", Content: systemPrompt()},
			{Role: "user", Content: userPrompt(in)},
		},
	}
}

func systemPrompt() string {
	return `You turn a conversation recorded by the user's wearable (or a text they submitted) into structured notes.
Answer with one JSON object and nothing else, exactly of this shape:
{"discarded": bool, "title": string, "overview": string, "emoji": string, "category": string,
 "action_items": [{"description": string, "due_at": string|null}],
 "events": [{"title": string, "description": string, "start": string, "duration": integer}],
 "memories": [{"content": string, "category": string}]}
Rules:
- If the conversation has nothing worth keeping (silence, filler, a mic check), answer {"discarded": true, "title": ""} with empty lists.
- title: a short title (at most 10 words). overview: 1-3 sentences summarising what was discussed and decided.
- emoji: one emoji for the conversation.
- category: exactly one of: ` + strings.Join(omi.ConversationCategories, ", ") + `.
- action_items: concrete tasks the user or the people talking committed to or were asked to do, as short imperative sentences ("Send the deck to Maria by Friday"); no duplicates. due_at only when a date or time is said.
- events: meetings, appointments and plans with a date and time; duration in minutes (30 when unknown).
- Resolve relative dates ("tomorrow at 3pm", "next Tuesday") against the conversation's start time. Write every time as RFC 3339 in UTC, e.g. 2025-03-05T15:00:00Z.
- memories: lasting facts about the user (preferences, biography, people and pets in their life), written in the third person starting with "User" ("User is allergic to peanuts"). Only what the user says about themself. category: one of: ` + strings.Join(omi.MemoryCategories, ", ") + ` ("interesting" for preferences and hobbies, "system" for biographical facts).`
}

func userPrompt(in omi.ProcessInput) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Conversation started at: %s (%s)\n", in.StartedAt.UTC().Format(time.RFC3339), in.StartedAt.UTC().Weekday())
	if in.Language != "" {
		fmt.Fprintf(&b, "Language: %s\n", in.Language)
	}
	if in.TextSource != "" {
		fmt.Fprintf(&b, "Kind of text: %s\n", in.TextSource)
	}
	text := in.Text
	if len(in.Segments) > 0 {
		var t strings.Builder
		for _, s := range in.Segments {
			who := s.Speaker
			if who == "" {
				who = "SPEAKER_" + strconv.Itoa(s.SpeakerID)
			}
			if s.IsUser {
				who = "User"
			}
			fmt.Fprintf(&t, "%s: %s\n", who, s.Text)
		}
		text = t.String()
	}
	b.WriteString("\nTranscript:\n")
	b.WriteString(truncateMiddle(text, maxPromptText))
	return b.String()
}

// truncateMiddle keeps the first three quarters and the last quarter of
// the budget, cut at rune boundaries, and says how much was left out.
func truncateMiddle(s string, n int) string {
	if len(s) <= n {
		return s
	}
	head, tail := n*3/4, n/4
	for head > 0 && !utf8.RuneStart(s[head]) {
		head--
	}
	start := len(s) - tail
	for start < len(s) && !utf8.RuneStart(s[start]) {
		start++
	}
	return s[:head] + fmt.Sprintf("\n[... %d characters omitted ...]\n", start-head) + s[start:]
}

// parseReply validates the model's answer. The reply must be a JSON object
// (code fences and text around it are tolerated) with a string title and
// overview and list-valued lists; entries that do not validate are dropped
// rather than failing the whole reply.
func parseReply(content string, in omi.ProcessInput) (*omi.ProcessResult, error) {
	obj, err := extractObject(content)
	if err != nil {
		return nil, err
	}
	var r struct {
		Discarded   *bool           `json:"discarded"`
		Title       *string         `json:"title"`
		Overview    *string         `json:"overview"`
		Emoji       json.RawMessage `json:"emoji"`
		Category    json.RawMessage `json:"category"`
		ActionItems json.RawMessage `json:"action_items"`
		Events      json.RawMessage `json:"events"`
		Memories    json.RawMessage `json:"memories"`
	}
	if err := json.Unmarshal(obj, &r); err != nil {
		return nil, fmt.Errorf("reply does not match the schema: %w", err)
	}
	res := &omi.ProcessResult{
		Structured: omi.Structured{Emoji: defaultEmoji, Category: "other",
			ActionItems: []omi.ConversationActionItem{}, Events: []omi.Event{}},
		Memories: []omi.ExtractedMemory{},
	}
	title := ""
	if r.Title != nil {
		title = clip(strings.Join(strings.Fields(*r.Title), " "), maxText)
	}
	// Upstream: discarded = (title == "").
	if (r.Discarded != nil && *r.Discarded) || title == "" {
		if r.Title == nil && (r.Discarded == nil || !*r.Discarded) {
			return nil, errors.New("reply has no title")
		}
		res.Discarded = true
		return res, nil
	}
	if r.Overview == nil {
		return nil, errors.New("reply has no overview")
	}
	s := &res.Structured
	s.Title = title
	s.Overview = strings.TrimSpace(*r.Overview)
	if s.Overview == "" {
		s.Overview = title
	}
	var str string
	if json.Unmarshal(r.Emoji, &str) == nil {
		if str = strings.TrimSpace(str); str != "" && utf8.RuneCountInString(str) <= 8 {
			s.Emoji = str
		}
	}
	if json.Unmarshal(r.Category, &str) == nil {
		if c := strings.ToLower(strings.TrimSpace(str)); slices.Contains(omi.ConversationCategories, c) {
			s.Category = c
		}
	}

	var items []struct {
		Description any `json:"description"`
		DueAt       any `json:"due_at"`
	}
	if err := decodeList(r.ActionItems, &items); err != nil {
		return nil, fmt.Errorf("action_items: %w", err)
	}
	seen := map[string]bool{}
	for _, it := range items {
		d, ok := it.Description.(string)
		d = clip(strings.Join(strings.Fields(d), " "), maxText)
		if !ok || d == "" || seen[strings.ToLower(d)] || len(s.ActionItems) == maxActionItems {
			continue
		}
		seen[strings.ToLower(d)] = true
		a := omi.ConversationActionItem{Description: d}
		if ds, ok := it.DueAt.(string); ok {
			if t, ok := parseModelTime(ds); ok {
				a.DueAt = &t
			}
		}
		s.ActionItems = append(s.ActionItems, a)
	}

	var events []struct {
		Title       any `json:"title"`
		Description any `json:"description"`
		Start       any `json:"start"`
		Duration    any `json:"duration"`
	}
	if err := decodeList(r.Events, &events); err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	limit := 24 * 60
	if in.TextSource == "message" {
		limit = 180
	}
	for _, e := range events {
		t, _ := e.Title.(string)
		t = clip(strings.Join(strings.Fields(t), " "), maxText)
		st, _ := e.Start.(string)
		start, ok := parseModelTime(st)
		if t == "" || !ok || len(s.Events) == maxEvents {
			continue
		}
		desc, _ := e.Description.(string)
		dur := 30
		if f, ok := e.Duration.(float64); ok && f >= 1 {
			dur = int(min(f, float64(limit)))
		}
		s.Events = append(s.Events, omi.Event{Title: t, Description: clip(strings.TrimSpace(desc), maxText),
			Start: start, Duration: dur})
	}

	var mems []struct {
		Content  any `json:"content"`
		Category any `json:"category"`
	}
	if err := decodeList(r.Memories, &mems); err != nil {
		return nil, fmt.Errorf("memories: %w", err)
	}
	seen = map[string]bool{}
	for _, m := range mems {
		c, _ := m.Content.(string)
		c = clip(strings.Join(strings.Fields(c), " "), maxText)
		if c == "" || seen[strings.ToLower(c)] || len(res.Memories) == maxMemories {
			continue
		}
		seen[strings.ToLower(c)] = true
		cat, _ := m.Category.(string)
		cat = strings.ToLower(strings.TrimSpace(cat))
		if !slices.Contains(omi.MemoryCategories, cat) {
			cat = memInteresting
		}
		res.Memories = append(res.Memories, omi.ExtractedMemory{Content: c, Category: cat})
	}
	return res, nil
}

// decodeList decodes a list field: absent or null is empty; anything but
// an array is a schema error; entries that are not objects are skipped.
func decodeList[T any](raw json.RawMessage, out *[]T) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return errors.New("not a list")
	}
	for _, e := range elems {
		var v T
		if len(e) > 0 && e[0] == '{' && json.Unmarshal(e, &v) == nil {
			*out = append(*out, v)
		}
	}
	return nil
}

// extractObject finds the JSON object in a reply, tolerating ```json
// fences and prose around it.
func extractObject(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "```") {
		s = strings.TrimPrefix(s, "```")
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
		s = strings.TrimSuffix(strings.TrimSpace(s), "```")
	}
	start, end := strings.IndexByte(s, '{'), strings.LastIndexByte(s, '}')
	if start < 0 || end < start {
		return nil, errors.New("reply contains no JSON object")
	}
	obj := []byte(s[start : end+1])
	if !json.Valid(obj) {
		return nil, errors.New("reply is not valid JSON")
	}
	return obj, nil
}

// parseModelTime reads an RFC 3339 time; a time without a zone is taken as
// UTC, a bare date as midnight UTC.
func parseModelTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
