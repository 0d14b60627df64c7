// Package process turns a conversation into what Omi calls its structured
// output (title, overview, emoji, category, action items, events) and the
// memories it reveals about the user.
//
// NewBuiltin is the default: offline, deterministic and fast, built from
// sentence scoring, keyword lexicons and patterns for commitments, dates
// and first-person facts. NewLLM asks an OpenAI-compatible chat model and
// falls back to the built-in processor when the model fails.
package process

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	omi "github.com/omi-devapi/omi-devapi"
)

// Caps on what one conversation yields. Upstream's LLM prompts produce a
// handful of each; a 100,000-character transcript should not turn into
// hundreds of to-dos.
const (
	maxActionItems = 20
	maxEvents      = 10
	maxMemories    = 10
	maxText        = 500 // action item descriptions, memory contents
	defaultEmoji   = "🧠"
)

type builtin struct{}

// NewBuiltin returns the built-in processor: offline, deterministic (the
// same input always gives the same output) and fast enough to run inside
// the request (a 100,000-character transcript takes milliseconds).
func NewBuiltin() omi.Processor { return builtin{} }

func (builtin) Process(ctx context.Context, in omi.ProcessInput) (*omi.ProcessResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d := newDoc(in)
	res := &omi.ProcessResult{
		Structured: omi.Structured{Emoji: defaultEmoji, Category: "other",
			ActionItems: []omi.ConversationActionItem{}, Events: []omi.Event{}},
		Memories: []omi.ExtractedMemory{},
	}
	actions := d.actionItems()
	events := d.events()
	memories := d.memories()
	// Upstream discards what has nothing worth keeping (discarded = title
	// == ""); a short note that still asks for something or says something
	// about the user is kept.
	if d.trivial() && len(actions) == 0 && len(events) == 0 && len(memories) == 0 {
		res.Discarded = true
		return res, nil
	}
	scores := d.scores()
	s := &res.Structured
	s.Title = d.title(scores)
	s.Overview = d.overview(scores)
	s.Category = d.category()
	s.Emoji = categoryEmoji[s.Category]
	s.ActionItems = actions
	s.Events = events
	res.Memories = memories
	return res, nil
}

// sentence is one sentence of the conversation. Token offsets are relative
// to text.
type sentence struct {
	text     string
	toks     []token
	user     bool // said by the user, or nobody is marked as the user
	question bool
	times    []Found
	timesSet bool
}

type doc struct {
	in    omi.ProcessInput
	ref   time.Time
	sents []sentence
}

type unit struct {
	text string
	user bool
}

func newDoc(in omi.ProcessInput) *doc {
	d := &doc{in: in, ref: in.StartedAt.UTC()}
	var units []unit
	if len(in.Segments) > 0 {
		marked := false
		for _, s := range in.Segments {
			marked = marked || s.IsUser
		}
		// Only the user's own statements are facts about the user; when no
		// segment says who the user is, everything may be theirs.
		for _, s := range in.Segments {
			units = append(units, unit{text: s.Text, user: !marked || s.IsUser})
		}
	} else {
		units = textUnits(in.Text)
	}
	for _, u := range units {
		toks := tokenize(u.text)
		for _, st := range splitSentences(toks) {
			start, end := st[0].start, st[len(st)-1].end
			rel := make([]token, len(st))
			for k, t := range st {
				t.start -= start
				t.end -= start
				rel[k] = t
			}
			d.sents = append(d.sents, sentence{text: u.text[start:end], toks: rel, user: u.user,
				question: rel[len(rel)-1].low == "?"})
		}
	}
	return d
}

// Speaker labels ("Alice:", "SPEAKER_01:", "[00:01:23] Bob:") and bare
// timestamps at the start of a transcript line.
var (
	lineTimestamp = regexp.MustCompile(`^[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?[\])]?\s*[-–—]?\s*`)
	speakerLabel  = regexp.MustCompile(`^([\p{L}][\p{L}\p{N}_.'’ -]{0,30}?)\s*(?:\(\d{1,2}:\d{2}(?::\d{2})?\))?\s*:\s+`)
)

// notSpeakers look like speaker labels but introduce content we act on.
var notSpeakers = set("todo", "to do", "to-do", "note", "note to self", "notes", "action item", "action items",
	"reminder", "reminders", "ps", "p.s", "re", "subject", "update", "summary", "agenda", "next steps",
	"tldr", "fyi", "nb", "important", "question", "answer", "q", "a", "tasks", "task", "follow up",
	"follow-up", "follow-ups", "decision", "decisions", "goal", "goals", "idea", "ideas")

// textUnits splits a text conversation into utterances: one per line, with
// speaker labels and timestamps removed, and hard-wrapped lines joined back.
func textUnits(text string) []unit {
	var (
		units []unit
		parts [][]string // the lines of each unit, joined at the end (appending to a string would be quadratic)
	)
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		labelled := false
		line = lineTimestamp.ReplaceAllString(line, "")
		if m := speakerLabel.FindStringSubmatch(line); m != nil && len(strings.Fields(m[1])) <= 3 &&
			!notSpeakers[strings.ToLower(strings.TrimSpace(m[1]))] && !isTimeWord(strings.ToLower(strings.TrimSpace(m[1]))) {
			line, labelled = line[len(m[0]):], true
		}
		if line == "" {
			continue
		}
		if n := len(units); n > 0 && !labelled && continues(parts[n-1][len(parts[n-1])-1], line) {
			parts[n-1] = append(parts[n-1], line)
			continue
		}
		units = append(units, unit{user: true})
		parts = append(parts, []string{line})
	}
	for i := range units {
		units[i].text = strings.Join(parts[i], " ")
	}
	return units
}

// continues reports whether line is the rest of a hard-wrapped sentence.
func continues(prev, line string) bool {
	last, _ := utf8.DecodeLastRuneInString(prev)
	first, _ := utf8.DecodeRuneInString(line)
	return !strings.ContainsRune(".!?…:;\"”)", last) && unicode.IsLower(first)
}

func (d *doc) today() time.Time { return day(d.ref) }

// times returns the date and time expressions of sentence i, computed once.
func (d *doc) times(i int) []Found {
	s := &d.sents[i]
	if !s.timesSet {
		s.times, s.timesSet = findTimes(s.text, s.toks, d.ref), true
	}
	return s.times
}

// trivial reports whether the conversation says nothing: too few words
// once fillers ("ok", "thanks", "bye") are gone.
func (d *doc) trivial() bool {
	meaningful, content := 0, 0
	for _, s := range d.sents {
		for _, t := range s.toks {
			if t.kind == tPunct || fillers[t.low] {
				continue
			}
			meaningful++
			if isContent(t) {
				content++
			}
		}
		if meaningful >= 5 && content >= 2 {
			return false
		}
	}
	return true
}

// clip cuts s to at most n bytes at a word boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n+1], ' ')
	if cut <= 0 {
		cut = n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
	}
	return strings.TrimRight(s[:cut], " ,;:-–—")
}

// capitalize upper-cases the first letter.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || !unicode.IsLower(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
