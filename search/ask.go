package search

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	omi "github.com/omi-devapi/omi-devapi"
)

// NoAnswer is ask's answer when none of the user's conversations is about
// the question.
const NoAnswer = "I couldn't find anything about that in your conversations."

// Question is what ask is asked.
type Question struct {
	UID  string
	Text string
	// Limit is how many conversations the answer may draw on.
	Limit int
	// Location is the user's timezone: relative dates in the question and
	// the answer are days there.
	Location *time.Location
	Now      time.Time
}

// Answer is ask's answer with the conversations it drew on, in retrieval
// order.
type Answer struct {
	Text    string
	Sources []*omi.Conversation
}

// askStopWords are how people ask about conversations, not what about.
var askStopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`talk talked talking discuss discussed discussing say said saying mention
		mentioned mentioning conversation conversations chat chatted remember recall happen happened happening
		anyone someone people day`) {
		m[w] = true
	}
	return m
}()

// Ask answers a question from the user's conversations: the ones about it
// (lexically, or by vector above MinSimilarity), within the time the
// question names if it names one, at most q.Limit of them. The answer is
// the LLM's when one is configured and answers, else built from their
// best-matching sentences.
func (e *Engine) Ask(ctx context.Context, q Question) (*Answer, error) {
	convs, terms, topic, err := e.retrieve(ctx, q)
	if err != nil {
		return nil, err
	}
	if len(convs) == 0 {
		return &Answer{Text: NoAnswer, Sources: []*omi.Conversation{}}, nil
	}
	if e.LLM != nil {
		a, err := e.llmAnswer(ctx, q, convs)
		if err == nil {
			return a, nil
		}
		e.Logger.WarnContext(ctx, "LLM answer failed; answering extractively", "error", err)
	}
	return e.extractive(q, convs, terms, topic), nil
}

// retrieve finds the conversations to answer from, best first, with the
// question's terms and its topic (the question without its date words).
func (e *Engine) retrieve(ctx context.Context, q Question) ([]*omi.Conversation, []string, string, error) {
	words := tokenize(q.Text)
	var (
		sp      span
		dated   map[string]bool
		hasSpan bool
	)
	if e.Conversations != nil {
		sp, dated, hasSpan = questionSpan(words, q.Now, q.Location)
	}
	var topicWords, terms []string
	seen := map[string]bool{}
	for _, w := range words {
		if dated[w] || askStopWords[w] {
			continue
		}
		topicWords = append(topicWords, w)
		if !stopWords[w] && !seen[w] && len(terms) < maxTerms && utf8.RuneCountInString(w) <= maxTermRunes {
			seen[w] = true
			terms = append(terms, w)
		}
	}
	topic := strings.Join(topicWords, " ")

	var inSpan []*omi.Conversation
	if hasSpan {
		end := sp.end.Add(-time.Microsecond) // the list's bounds are inclusive
		start := sp.start
		cs, err := e.Conversations.ListConversations(ctx, omi.ConversationFilter{UID: q.UID, Start: &start, End: &end,
			Page: omi.Page{Limit: 500}})
		if err != nil {
			return nil, nil, "", err
		}
		inSpan = cs
	}

	var ids []string
	switch {
	case len(terms) == 0 && !hasSpan:
		// Only stop words ("what is the?"): nothing to look for.
	case len(terms) > 0:
		r, err := e.Store.SearchConversations(ctx, e.query(ctx, q.UID, topic, terms, depth(q.Limit)))
		if err != nil {
			return nil, nil, "", err
		}
		// Vector neighbours are always there, relevant or not; only close
		// ones count.
		r.Vector = keep(r.Vector, func(x omi.Ranked) bool { return x.Score >= e.MinSimilarity })
		if hasSpan {
			ok := map[string]bool{}
			for _, c := range inSpan {
				ok[c.ID] = true
			}
			in := func(x omi.Ranked) bool { return ok[x.ID] }
			r.Lexical, r.Vector = keep(r.Lexical, in), keep(r.Vector, in)
		}
		for _, h := range Fuse(r) {
			ids = append(ids, h.ID)
		}
	default:
		for _, c := range inSpan { // newest first
			ids = append(ids, c.ID)
		}
	}
	ids = ids[:min(len(ids), q.Limit)]
	loaded, err := e.Store.ConversationsByID(ctx, q.UID, ids)
	if err != nil {
		return nil, nil, "", err
	}
	byID := map[string]*omi.Conversation{}
	for _, c := range loaded {
		byID[c.ID] = c
	}
	var out []*omi.Conversation
	for _, id := range ids {
		if c := byID[id]; c != nil {
			out = append(out, c)
		}
	}
	return out, terms, topic, nil
}

func keep(rs []omi.Ranked, ok func(omi.Ranked) bool) []omi.Ranked {
	out := rs[:0:0]
	for _, r := range rs {
		if ok(r) {
			out = append(out, r)
		}
	}
	return out
}

const (
	maxSentences     = 500 // per conversation: a 100,000-character transcript is still scored quickly
	maxSentenceRunes = 300
	minSentenceScore = 0.1
)

type sentence struct {
	text  string
	score float64
	pos   int
}

// extractive builds the answer from each source's best-matching sentences,
// quoted with the source's title and date, relative dates resolved. A
// source with no sentence about the question is left out, and so is it
// from the sources.
func (e *Engine) extractive(q Question, convs []*omi.Conversation, terms []string, topic string) *Answer {
	sents := make([][]sentence, len(convs))
	for i, c := range convs {
		title := strings.ToLower(strings.TrimSpace(c.Structured.Title))
		for _, s := range splitSentences(c.Structured.Overview + "\n" + c.TranscriptText()) {
			if len(sents[i]) == maxSentences {
				break
			}
			if strings.ToLower(strings.TrimRight(s, ".!?…")) == title {
				continue // the answer names the title already
			}
			sents[i] = append(sents[i], sentence{text: s, pos: len(sents[i])})
		}
	}
	e.scoreSentences(sents, terms, topic)

	type part struct {
		c     *omi.Conversation
		lines []string
	}
	var parts []part
	for i, c := range convs {
		picked := pick(sents[i], len(terms) == 0)
		if len(picked) == 0 && len(terms) > 0 && titleMatches(c.Structured.Title, terms) && len(sents[i]) > 0 {
			picked = sents[i][:1] // about the question by its title: its opening says what it was
		}
		if len(picked) == 0 {
			continue
		}
		when := c.CreatedAt
		if c.StartedAt != nil {
			when = *c.StartedAt
		}
		var lines []string
		for _, s := range picked {
			lines = append(lines, resolveDates(clip(s.text, maxSentenceRunes), when, q.Location))
		}
		parts = append(parts, part{c, lines})
	}
	if len(parts) == 0 {
		return &Answer{Text: NoAnswer, Sources: []*omi.Conversation{}}
	}
	a := &Answer{Sources: make([]*omi.Conversation, len(parts))}
	var b strings.Builder
	for i, p := range parts {
		a.Sources[i] = p.c
		title := p.c.Structured.Title
		if title == "" {
			title = "Untitled conversation"
		}
		when := describeWhen(p.c.CreatedAt, q.Now, q.Location)
		if len(parts) == 1 {
			fmt.Fprintf(&b, "From your conversation “%s” %s: %s", title, when, strings.Join(p.lines, " "))
			break
		}
		if i == 0 {
			fmt.Fprintf(&b, "From %d of your conversations:", len(parts))
		}
		fmt.Fprintf(&b, "\n- “%s”, %s: %s", title, when, strings.Join(p.lines, " "))
	}
	a.Text = b.String()
	return a
}

// scoreSentences scores every sentence against the question: the share of
// the question's words (and their synonym groups) it contains, each
// weighted by how rare it is among these sentences, blended with the
// offline embedder's similarity for the near misses (typos, word forms).
func (e *Engine) scoreSentences(sents [][]sentence, terms []string, topic string) {
	if len(terms) == 0 {
		return
	}
	want := map[string]bool{}
	for _, t := range terms {
		s := stem(t)
		want["w:"+s] = true
		for _, c := range concepts[s] {
			want[c] = true
		}
	}
	feats := make([][]map[string]bool, len(sents))
	df := map[string]int{}
	n := 0
	for i := range sents {
		feats[i] = make([]map[string]bool, len(sents[i]))
		for j, s := range sents[i] {
			f := map[string]bool{}
			for _, w := range tokenize(s.text) {
				st := stem(w)
				if want["w:"+st] {
					f["w:"+st] = true
				}
				for _, c := range concepts[st] {
					if want[c] {
						f[c] = true
					}
				}
			}
			for k := range f {
				df[k]++
			}
			feats[i][j] = f
			n++
		}
	}
	idf := func(k string) float64 { return math.Log(1 + float64(n+1)/float64(df[k]+1)) }
	total := 0.0
	for k := range want {
		total += idf(k)
	}
	qv := e.local.Vector(topic)
	for i := range sents {
		for j := range sents[i] {
			lex := 0.0
			for k := range feats[i][j] {
				lex += idf(k)
			}
			cos := max(0, Dot(qv, e.local.Vector(sents[i][j].text)))
			sents[i][j].score = 0.7*lex/total + 0.3*cos
		}
	}
}

// pick chooses a source's sentences: its best, and the runner-up when it is
// at least half as good (a question often spans two sentences). A question that is only a date ("what did I do
// yesterday?") gets each source's opening: its overview.
func pick(ss []sentence, opening bool) []sentence {
	if opening {
		return ss[:min(2, len(ss))]
	}
	sorted := append([]sentence(nil), ss...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].score > sorted[j].score })
	if len(sorted) == 0 || sorted[0].score < minSentenceScore {
		return nil
	}
	out := sorted[:1]
	if len(sorted) > 1 && sorted[1].score >= 0.5*sorted[0].score && sorted[1].score >= minSentenceScore {
		out = sorted[:2]
	}
	out = append([]sentence(nil), out...)
	sort.Slice(out, func(i, j int) bool { return out[i].pos < out[j].pos }) // in the order they were said
	return out
}

func titleMatches(title string, terms []string) bool {
	want := map[string]bool{}
	for _, t := range terms {
		want[stem(t)] = true
	}
	for _, w := range tokenize(title) {
		if want[stem(w)] {
			return true
		}
	}
	return false
}

var sentenceEnd = regexp.MustCompile(`([.!?…]+)(\s+|$)|\n+`)

// splitSentences splits text at sentence ends and line breaks, dropping
// blanks and duplicates (an overview often repeats the transcript).
func splitSentences(text string) []string {
	var out []string
	seen := map[string]bool{}
	last := 0
	add := func(s string) {
		s = strings.Join(strings.Fields(s), " ")
		if s == "" || seen[strings.ToLower(s)] || !hasLetter(s) {
			return
		}
		seen[strings.ToLower(s)] = true
		out = append(out, s)
	}
	for _, m := range sentenceEnd.FindAllStringSubmatchIndex(text, -1) {
		end := m[1]
		if m[2] >= 0 {
			end = m[3] // keep the punctuation
			if text[m[2]:m[3]] == "." && abbreviation(text[last:m[2]]) {
				continue // "Dr. Patel" is one sentence
			}
		}
		add(text[last:end])
		last = m[1]
	}
	add(text[last:])
	return out
}

var abbreviations = map[string]bool{
	"dr": true, "mr": true, "mrs": true, "ms": true, "prof": true, "st": true, "jr": true, "sr": true, "vs": true,
	"etc": true, "e.g": true, "i.e": true, "a.m": true, "p.m": true, "approx": true, "no": true, "mt": true,
}

// abbreviation reports whether s ends with a word that a full stop follows
// without ending the sentence: a title ("Dr"), a common abbreviation, an
// initial ("K").
func abbreviation(s string) bool {
	w := s[strings.LastIndexAny(s, " \t\n(\"'")+1:]
	if utf8.RuneCountInString(w) == 1 {
		r, _ := utf8.DecodeRuneInString(w)
		return unicode.IsUpper(r)
	}
	return abbreviations[strings.ToLower(w)]
}

func hasLetter(s string) bool {
	for _, r := range s {
		if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r > 127 {
			return true
		}
	}
	return false
}

// clip shortens s to n runes at a word boundary, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	cut := string(r)
	if i := strings.LastIndexByte(cut, ' '); i > len(cut)/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:") + "…"
}

const (
	llmMaxTranscript = 4000 // characters of each source's transcript in the prompt
	llmMaxFacts      = 5
)

var citation = regexp.MustCompile(`\[(\d+)\]`)

// llmAnswer asks the LLM, giving it the sources (numbered, dated in the
// user's timezone) and the memories most related to the question. The
// sources returned are the ones it cites, or all when it cites none.
func (e *Engine) llmAnswer(ctx context.Context, q Question, convs []*omi.Conversation) (*Answer, error) {
	var b strings.Builder
	for i, c := range convs {
		title := c.Structured.Title
		if title == "" {
			title = "Untitled conversation"
		}
		fmt.Fprintf(&b, "[%d] “%s”, %s\n", i+1, title, describeWhen(c.CreatedAt, q.Now, q.Location))
		if c.Structured.Overview != "" {
			fmt.Fprintf(&b, "Overview: %s\n", c.Structured.Overview)
		}
		if t := c.TranscriptText(); t != "" {
			fmt.Fprintf(&b, "Transcript:\n%s\n", clip(t, llmMaxTranscript))
		}
		b.WriteString("\n")
	}
	if hits, err := e.SearchMemories(ctx, q.UID, q.Text, llmMaxFacts); err == nil && len(hits) > 0 {
		b.WriteString("Facts the user has saved:\n")
		for _, h := range hits {
			fmt.Fprintf(&b, "- %s\n", h.Memory.Content)
		}
		b.WriteString("\n")
	}
	system := fmt.Sprintf(`You answer questions about the user's own life from their recorded conversations.
Use only the numbered conversations and the saved facts below. Cite every conversation you use by its number in square brackets, like [1].
If they do not answer the question, say you could not find it in their conversations.
Be brief and direct. The user's timezone is %s; it is now %s. Say dates as the user would ("yesterday", "last Tuesday") with the date.`,
		q.Location.String(), q.Now.In(q.Location).Format("Monday 2 January 2006, 15:04 MST"))
	text, err := e.LLM.Complete(ctx, []Message{
		{Role: "system", Content: system},
		{Role: "user", Content: b.String() + "Question: " + q.Text},
	})
	if err != nil {
		return nil, err
	}
	cited := map[int]bool{}
	for _, m := range citation.FindAllStringSubmatch(text, -1) {
		if n, err := strconv.Atoi(m[1]); err == nil && n >= 1 && n <= len(convs) {
			cited[n-1] = true
		}
	}
	a := &Answer{Text: text, Sources: []*omi.Conversation{}}
	for i, c := range convs {
		if cited[i] || len(cited) == 0 {
			a.Sources = append(a.Sources, c)
		}
	}
	return a, nil
}
