package process

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind uint8

const (
	tWord tokKind = iota
	tNum
	tPunct
)

// token is one word, number or punctuation mark. Offsets are bytes into the
// text that was tokenized, so spans map back to the original text exactly.
type token struct {
	low        string // lower-cased, curly apostrophes made straight
	start, end int
	kind       tokKind
	space      bool // whitespace (or the start of text) comes before it
	newline    bool // a line break comes before it
	upper      bool // starts with an upper-case letter
	dotted     bool // "p.m." with its final dot, which may also end a sentence
}

func isApos(r rune) bool { return r == '\'' || r == '’' || r == '‘' }

// tokenize splits s into tokens. Words keep inner apostrophes and hyphens
// ("don't", "follow-up"); numbers keep inner ':', '.', '/', '-' between
// digits ("3:30", "2025-03-05", "3.5"); "a.m."/"p.m." become "am"/"pm" so
// the time parser sees one token.
func tokenize(s string) []token {
	toks := make([]token, 0, len(s)/5+1)
	space, newline := true, false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			space = true
			if r == '\n' || r == '\r' {
				newline = true
			}
			i += n
			continue
		case unicode.IsLetter(r):
			if (r == 'T' || r == 't') && i > 0 && s[i-1] >= '0' && s[i-1] <= '9' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
				// The "T" of "2025-03-05T14:00".
				toks = append(toks, token{low: "t", start: i, end: i + 1, kind: tWord, upper: r == 'T'})
				i++
				break
			}
			if j, low, ok := meridiemDots(s, i); ok {
				toks = append(toks, token{low: low, start: i, end: j, kind: tWord, space: space, newline: newline, dotted: s[j-1] == '.'})
				i = j
				break
			}
			j := i + n
			hasApos := false
			for j < len(s) {
				r2, n2 := utf8.DecodeRuneInString(s[j:])
				if unicode.IsLetter(r2) || unicode.IsDigit(r2) || r2 == '_' {
					j += n2
					continue
				}
				if isApos(r2) || r2 == '-' {
					if r3, _ := utf8.DecodeRuneInString(s[j+n2:]); j+n2 < len(s) && unicode.IsLetter(r3) {
						hasApos = hasApos || isApos(r2)
						j += n2
						continue
					}
				}
				break
			}
			low := strings.ToLower(s[i:j])
			if hasApos {
				low = strings.NewReplacer("’", "'", "‘", "'").Replace(low)
			}
			toks = append(toks, token{low: low, start: i, end: j, kind: tWord, space: space, newline: newline, upper: unicode.IsUpper(r)})
			i = j
		case r >= '0' && r <= '9':
			j := i + 1
			for j < len(s) {
				c := s[j]
				if c >= '0' && c <= '9' {
					j++
					continue
				}
				if (c == ':' || c == '.' || c == '/' || c == '-') && j+1 < len(s) && s[j+1] >= '0' && s[j+1] <= '9' {
					j++
					continue
				}
				break
			}
			toks = append(toks, token{low: s[i:j], start: i, end: j, kind: tNum, space: space, newline: newline})
			i = j
		default:
			low := s[i : i+n]
			if isApos(r) {
				low = "'"
			}
			toks = append(toks, token{low: low, start: i, end: i + n, kind: tPunct, space: space, newline: newline})
			i += n
		}
		space, newline = false, false
	}
	return toks
}

// meridiemDots recognises "a.m." and "p.m." (with or without the last dot).
func meridiemDots(s string, i int) (int, string, bool) {
	if i+3 > len(s) || s[i+1] != '.' || (s[i+2] != 'm' && s[i+2] != 'M') {
		return 0, "", false
	}
	var low string
	switch s[i] {
	case 'a', 'A':
		low = "am"
	case 'p', 'P':
		low = "pm"
	default:
		return 0, "", false
	}
	j := i + 3
	if j < len(s) && s[j] == '.' {
		j++
	}
	if j < len(s) {
		if r, _ := utf8.DecodeRuneInString(s[j:]); unicode.IsLetter(r) || unicode.IsDigit(r) {
			return 0, "", false
		}
	}
	return j, low, true
}

// abbreviations never end a sentence when followed by a dot.
var abbreviations = set("dr", "mr", "mrs", "ms", "prof", "sr", "jr", "vs", "approx", "dept", "est", "inc", "ltd",
	"co", "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mt", "ft",
	"st", "ave", "rd", "blvd", "fig", "gen", "gov", "lt", "sgt", "capt", "rev", "hon")

// softAbbreviations end a sentence only when an upper-case word follows.
var softAbbreviations = set("etc", "am", "pm", "no", "al")

// splitSentences cuts a token stream into sentences: at line breaks, and at
// '.', '!', '?' or '…' followed by a space, except after abbreviations
// ("Dr.", "e.g.", initials). Transcripts often run on without punctuation,
// so over-long sentences are cut again at discourse markers.
func splitSentences(toks []token) [][]token {
	var out [][]token
	start := 0
	flush := func(end int) {
		if end > start {
			out = append(out, chopLong(toks[start:end])...)
		}
		start = end
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.newline && i > start {
			flush(i)
		}
		if t.dotted && i+1 < len(toks) && toks[i+1].space && toks[i+1].upper {
			flush(i + 1) // "at 3:30 p.m. Then ..."
			continue
		}
		if t.kind != tPunct || !isTerminal(t.low) {
			continue
		}
		j := i + 1
		for j < len(toks) && toks[j].kind == tPunct && !toks[j].space && (isTerminal(toks[j].low) || isCloser(toks[j].low)) {
			j++
		}
		if j < len(toks) && !toks[j].space {
			continue // "3.5", "e.g.x", URLs
		}
		if t.low == "." && i > start {
			prev := toks[i-1]
			ordinal := !prev.space && i > start+1 && toks[i-2].kind == tNum // "3rd.", not "Main Rd."
			if prev.kind == tWord && !ordinal && (abbreviations[prev.low] || utf8.RuneCountInString(prev.low) == 1) {
				if j < len(toks) {
					continue
				}
			}
			if prev.kind == tWord && softAbbreviations[prev.low] && j < len(toks) && !toks[j].upper {
				continue
			}
		}
		i = j - 1
		flush(j)
	}
	flush(len(toks))
	return out
}

func isTerminal(p string) bool { return p == "." || p == "!" || p == "?" || p == "…" }
func isCloser(p string) bool {
	return p == "\"" || p == "'" || p == ")" || p == "”" || p == "’" || p == "]"
}

const longSentence = 45

// chopLong cuts run-on sentences (unpunctuated transcripts) at discourse
// markers, or hard at longSentence words, so scoring and clause detection
// see sentence-sized pieces.
func chopLong(toks []token) [][]token {
	if len(toks) <= longSentence {
		return [][]token{toks}
	}
	var out [][]token
	start := 0
	for i := 1; i < len(toks); i++ {
		if i-start < 8 {
			continue
		}
		if discourseMarkers[toks[i].low] || i-start >= longSentence {
			out = append(out, toks[start:i])
			start = i
		}
	}
	return append(out, toks[start:])
}

var discourseMarkers = set("so", "okay", "ok", "anyway", "alright", "also", "um", "uh", "but", "then", "now", "and")

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
