package process

import (
	"math"
	"sort"
	"strings"
	"unicode/utf8"
)

const (
	maxTitle    = 60
	maxOverview = 400
)

// scores rates each sentence for the overview: the summed document
// frequency of its distinct content words (what the conversation keeps
// coming back to), damped by length, with penalties for fragments,
// rambling and questions and a small bonus for opening sentences, which
// usually state the topic.
func (d *doc) scores() []float64 {
	freq := map[string]int{}
	for _, s := range d.sents {
		for _, t := range s.toks {
			if t.kind == tWord && isContent(t) {
				freq[stem(t.low)]++
			}
		}
	}
	out := make([]float64, len(d.sents))
	seen := map[string]bool{}
	for i, s := range d.sents {
		clear(seen)
		words, sum := 0, 0.0
		for _, t := range s.toks {
			if t.kind == tPunct {
				continue
			}
			words++
			if t.kind != tWord || !isContent(t) {
				continue
			}
			w := stem(t.low)
			if !seen[w] {
				seen[w] = true
				sum += math.Log1p(float64(freq[w]))
			}
		}
		if len(seen) < 2 {
			continue
		}
		sc := sum / math.Sqrt(float64(words))
		switch {
		case words < 5:
			sc *= 0.3
		case words < 8:
			sc *= 0.7
		case words > 35:
			sc *= 0.6
		}
		if s.question {
			sc *= 0.6
		}
		if i < 3 {
			sc *= 1.15
		}
		out[i] = sc
	}
	return out
}

// ranked returns sentence indexes by descending score; ties keep order,
// so the result is deterministic.
func ranked(scores []float64) []int {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	return idx
}

// leadFillers open sentences without meaning anything.
var leadFillers = set("so", "and", "but", "um", "uh", "uhm", "er", "erm", "like", "well", "yeah", "yes", "yep", "okay", "ok",
	"oh", "alright", "right", "anyway", "anyways", "basically", "actually", "hey", "hi", "hello", "look", "listen",
	"also", "then", "now", "honestly", "mm", "hmm", "mhm", "cool", "great", "sure", "no", "just")

// trimLead drops leading fillers and punctuation: "Okay, so, um, the
// budget" -> "the budget". Returns the index of the first kept token.
func trimLead(toks []token) int {
	k := 0
	for k < len(toks) {
		t := toks[k]
		switch {
		case t.kind == tPunct:
		case leadFillers[t.low]:
		case t.low == "i" && k+1 < len(toks) && (toks[k+1].low == "mean" || toks[k+1].low == "guess"):
			k++
		case t.low == "you" && k+1 < len(toks) && toks[k+1].low == "know":
			k++
		default:
			return k
		}
		k++
	}
	return k
}

// title is the most salient clause of the best-scoring sentences: split at
// commas and conjunctions, the clause with the most weight for its length,
// cut to 60 characters at a word boundary without trailing function words.
func (d *doc) title(scores []float64) string {
	weight := map[string]float64{}
	for i, s := range d.sents {
		if scores[i] == 0 {
			continue
		}
		for _, t := range s.toks {
			if t.kind == tWord && isContent(t) {
				weight[stem(t.low)]++
			}
		}
	}
	best, bestScore := "", -1.0
	for rank, i := range ranked(scores) {
		if rank >= 5 || scores[i] == 0 {
			break
		}
		for _, c := range clauses(d.sents[i].toks) {
			content, sum := 0, 0.0
			for _, t := range c {
				if t.kind == tWord && isContent(t) {
					content++
					sum += math.Log1p(weight[stem(t.low)])
				}
			}
			if content < 2 || len(c) < 3 {
				continue
			}
			sc := sum / math.Pow(float64(len(c)), 0.4) * (1 - 0.08*float64(rank))
			if d.sents[i].text[c[0].start:c[len(c)-1].end] != "" && sc > bestScore {
				best, bestScore = d.sents[i].text[c[0].start:c[len(c)-1].end], sc
			}
		}
	}
	if best == "" {
		best = d.fallbackText()
	}
	return finishTitle(best)
}

// clauseBreaks end a title clause.
var clauseBreaks = set("but", "because", "cause", "'cause", "so", "although", "though", "which", "whereas", "while",
	"unless", "since", "however", "otherwise")

func clauses(toks []token) [][]token {
	var out [][]token
	start := trimLead(toks)
	for k := start; k <= len(toks); k++ {
		end := k == len(toks)
		if !end {
			t := toks[k]
			end = t.kind == tPunct && strings.Contains(",;:()[]—–-!?.\"", t.low) && (t.low != "-" || t.space) ||
				clauseBreaks[t.low]
		}
		if !end {
			continue
		}
		if k > start {
			c := toks[start:k]
			if s := trimLead(c); s < len(c) {
				out = append(out, c[s:])
			}
		}
		start = k + 1
	}
	return out
}

// finishTitle shapes a clause into a title: at most 60 characters, cut at
// a word, no dangling function word or punctuation, capitalised.
func finishTitle(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = clip(s, maxTitle)
	for {
		s = strings.TrimRight(s, " ,.;:!?-–—\"'“”(")
		i := strings.LastIndexByte(s, ' ')
		if i < 0 {
			break
		}
		last := strings.ToLower(s[i+1:])
		if !stopWords[last] || last == "today" || last == "tomorrow" {
			break
		}
		s = s[:i]
	}
	return capitalize(s)
}

// overview is the best one to three sentences in their original order,
// within 400 characters.
func (d *doc) overview(scores []float64) string {
	var picked []int
	total := 0
	seen := map[string]bool{}
	for _, i := range ranked(scores) {
		if scores[i] == 0 || len(picked) == 3 {
			break
		}
		s := cleanSentence(d.sents[i])
		key := strings.ToLower(s)
		if s == "" || seen[key] {
			continue
		}
		if total > 0 && total+1+len(s) > maxOverview {
			continue
		}
		seen[key] = true
		picked = append(picked, i)
		total += len(s) + 1
	}
	sort.Ints(picked)
	parts := make([]string, 0, len(picked))
	for _, i := range picked {
		parts = append(parts, cleanSentence(d.sents[i]))
	}
	out := strings.Join(parts, " ")
	if out == "" {
		out = d.fallbackText()
	}
	if len(out) > maxOverview {
		out = clip(out, maxOverview-3) + "..."
	}
	return out
}

// cleanSentence drops leading fillers, capitalises and ends the sentence
// with punctuation.
func cleanSentence(s sentence) string {
	k := trimLead(s.toks)
	if k == len(s.toks) {
		return ""
	}
	out := strings.Join(strings.Fields(s.text[s.toks[k].start:]), " ")
	out = capitalize(out)
	if r, _ := utf8.DecodeLastRuneInString(out); !strings.ContainsRune(".!?…\"”)", r) {
		out = strings.TrimRight(out, ",;:-– ") + "."
	}
	return out
}

// fallbackText is the opening words of the conversation, for titles and
// overviews when no sentence scores (every sentence a fragment).
func (d *doc) fallbackText() string {
	var b strings.Builder
	for _, s := range d.sents {
		if b.Len() > maxOverview {
			break
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s.text)
	}
	out := strings.Join(strings.Fields(b.String()), " ")
	if out == "" {
		out = "Conversation"
	}
	return out
}
