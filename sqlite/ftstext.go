package sqlite

import (
	"unicode"
	"unicode/utf8"
)

// The lexical ranking (lexical.go) counts how often each query term occurs
// in a candidate's text, which FTS5 does not expose short of bm25() (whose
// per-query pass over every term's whole posting list is what costs too
// much at scale). So the text is tokenized here the way the index's
// tokenizer, "porter unicode61 remove_diacritics 2", does: runs of letters,
// digits and private-use characters, lower-cased, Latin accents removed,
// then Porter-stemmed. For ASCII text the tokens are FTS5's exactly
// (TestTokenizerMatchesFTS5 compares them on real text); beyond ASCII the
// case folding and accent removal use Go's tables and may differ from
// SQLite's on rare characters, which only changes how often a term counts,
// never whether a row matches: FTS5 decides that.

// tokenize calls fn with each token of s, folded but not stemmed. buf is
// scratch space; the token passed to fn is only valid during the call.
func tokenize(s []byte, buf []byte, fn func(tok []byte)) []byte {
	tok := buf[:0]
	in := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case 'a' <= c && c <= 'z' || '0' <= c && c <= '9':
				tok = append(tok, c)
				in = true
			case 'A' <= c && c <= 'Z':
				tok = append(tok, c+'a'-'A')
				in = true
			default:
				if in {
					fn(tok)
					tok, in = tok[:0], false
				}
			}
			continue
		}
		r, n := utf8.DecodeRune(s[i:])
		i += n
		switch {
		case isTokenRune(r):
			tok = utf8.AppendRune(tok, foldRune(r))
			in = true
		case in && unicode.Is(unicode.Mn, r):
			// A combining mark inside a token is part of it, and with
			// remove_diacritics it disappears.
		default:
			if in {
				fn(tok)
				tok, in = tok[:0], false
			}
		}
	}
	if in {
		fn(tok)
	}
	return tok
}

// isTokenRune is unicode61's default token character class: categories
// L*, N* and Co.
func isTokenRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r)
}

// foldRune lower-cases r and removes the diacritic of a Latin letter that
// decomposes canonically into a base letter and marks.
func foldRune(r rune) rune {
	r = unicode.ToLower(r)
	if r >= 0xe0 && r < 0x180 {
		if b := latinBase[r-0xe0]; b != 0 {
			return rune(b)
		}
	}
	return r
}

// latinBase maps the lower-case letters of Latin-1 Supplement and Latin
// Extended-A (from U+00E0) to their base letter, 0 where a letter has no
// canonical decomposition (æ, ð, ø, þ, ß, đ, ħ, ı, ĳ, ĸ, ŀ, ł, ŉ, ŋ, œ,
// ŧ, ſ) or is not a letter (÷).
var latinBase = func() [0xa0]byte {
	var t [0xa0]byte
	for base, runs := range map[byte][]rune{
		'a': {0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0x101, 0x103, 0x105},
		'c': {0xe7, 0x107, 0x109, 0x10b, 0x10d},
		'd': {0x10f},
		'e': {0xe8, 0xe9, 0xea, 0xeb, 0x113, 0x115, 0x117, 0x119, 0x11b},
		'g': {0x11d, 0x11f, 0x121, 0x123},
		'h': {0x125},
		'i': {0xec, 0xed, 0xee, 0xef, 0x129, 0x12b, 0x12d, 0x12f},
		'j': {0x135},
		'k': {0x137},
		'l': {0x13a, 0x13c, 0x13e},
		'n': {0xf1, 0x144, 0x146, 0x148},
		'o': {0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0x14d, 0x14f, 0x151},
		'r': {0x155, 0x157, 0x159},
		's': {0x15b, 0x15d, 0x15f, 0x161},
		't': {0x163, 0x165},
		'u': {0xf9, 0xfa, 0xfb, 0xfc, 0x169, 0x16b, 0x16d, 0x16f, 0x171, 0x173},
		'w': {0x175},
		'y': {0xfd, 0xff, 0x177},
		'z': {0x17a, 0x17c, 0x17e},
	} {
		for _, r := range runs {
			t[r-0xe0] = base
		}
	}
	return t
}()

// Porter stemming as FTS5's "porter" tokenizer applies it: to every token
// of 3 to 64 bytes, byte-wise (a byte outside ASCII counts as a consonant).

// stem returns the Porter stem of w, reusing w's storage.
func stem(w []byte) []byte {
	if len(w) < 3 || len(w) > 64 {
		return w
	}
	w = step1a(w)
	w = step1b(w)
	if w[len(w)-1] == 'y' && hasVowel(w[:len(w)-1]) {
		w[len(w)-1] = 'i' // step 1c
	}
	w = replaceSuffix(w, step2, measureAbove0)
	w = replaceSuffix(w, step3, measureAbove0)
	w = step4(w)
	if n := len(w); w[n-1] == 'e' { // step 5a
		st := w[:n-1]
		if m := measure(st); m > 1 || m == 1 && !endsCVC(st) {
			w = st
		}
	}
	if n := len(w); n > 1 && w[n-1] == 'l' && w[n-2] == 'l' && measure(w[:n-1]) > 1 { // step 5b
		w = w[:n-1]
	}
	return w
}

// isConsonant reports whether c is a consonant when the byte before it is
// (prevConsonant) or is not: y is a vowel only after a consonant.
func isConsonant(c byte, prevConsonant bool) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u':
		return false
	case 'y':
		return !prevConsonant
	}
	return true
}

// measure is Porter's m, the number of vowel-consonant sequences in w,
// counted up to 2 (no rule needs more).
func measure(w []byte) int {
	m := 0
	prevC, seenV := false, false
	for _, c := range w {
		prevC = isConsonant(c, prevC)
		switch {
		case !prevC:
			seenV = true
		case seenV:
			if m++; m == 2 {
				return m
			}
			seenV = false
		}
	}
	return m
}

func measureAbove0(w []byte) bool { return measure(w) > 0 }
func measureAbove1(w []byte) bool { return measure(w) > 1 }

// hasVowel is Porter's *v*, as FTS5 reads it: a, e, i, o or u anywhere, or
// y anywhere but first.
func hasVowel(w []byte) bool {
	for i, c := range w {
		switch c {
		case 'a', 'e', 'i', 'o', 'u':
			return true
		case 'y':
			if i > 0 {
				return true
			}
		}
	}
	return false
}

// endsCVC is Porter's *o: w ends consonant, vowel, consonant, the last not
// w, x or y.
func endsCVC(w []byte) bool {
	n := len(w)
	if n < 3 {
		return false
	}
	switch w[n-1] {
	case 'w', 'x', 'y':
		return false
	}
	prev := false
	var cons [3]bool
	for i, c := range w {
		prev = isConsonant(c, prev)
		if i >= n-3 {
			cons[i-(n-3)] = prev
		}
	}
	return cons[0] && !cons[1] && cons[2]
}

func hasSuffix(w []byte, s string) bool {
	return len(w) > len(s) && string(w[len(w)-len(s):]) == s
}

func step1a(w []byte) []byte {
	n := len(w)
	if w[n-1] != 's' {
		return w
	}
	switch {
	case hasSuffix(w, "sses"), hasSuffix(w, "ies"):
		return w[:n-2]
	case w[n-2] != 's':
		return w[:n-1]
	}
	return w
}

func step1b(w []byte) []byte {
	removed := false
	switch {
	case hasSuffix(w, "eed"):
		if measureAbove0(w[:len(w)-3]) {
			w = w[:len(w)-1]
		}
		return w
	case hasSuffix(w, "ed"):
		if hasVowel(w[:len(w)-2]) {
			w, removed = w[:len(w)-2], true
		}
	case hasSuffix(w, "ing"):
		if hasVowel(w[:len(w)-3]) {
			w, removed = w[:len(w)-3], true
		}
	}
	if !removed {
		return w
	}
	for _, s := range []string{"at", "bl", "iz"} {
		if hasSuffix(w, s) {
			return append(w, 'e')
		}
	}
	n := len(w)
	if c := w[n-1]; n > 1 && c == w[n-2] && isConsonant(c, false) && c != 'l' && c != 's' && c != 'z' {
		return w[:n-1]
	}
	if measure(w) == 1 && endsCVC(w) {
		return append(w, 'e')
	}
	return w
}

// A suffix rule: the longest listed suffix the word has (and is longer
// than) is replaced when the rest passes the step's condition.
type suffixRule struct{ suffix, with string }

var (
	step2 = []suffixRule{
		{"ational", "ate"}, {"tional", "tion"}, {"enci", "ence"}, {"anci", "ance"}, {"izer", "ize"},
		{"logi", "log"}, {"bli", "ble"}, {"alli", "al"}, {"entli", "ent"}, {"eli", "e"}, {"ousli", "ous"},
		{"ization", "ize"}, {"ation", "ate"}, {"ator", "ate"}, {"alism", "al"}, {"iveness", "ive"},
		{"fulness", "ful"}, {"ousness", "ous"}, {"aliti", "al"}, {"iviti", "ive"}, {"biliti", "ble"},
	}
	step3 = []suffixRule{
		{"icate", "ic"}, {"ative", ""}, {"alize", "al"}, {"iciti", "ic"}, {"ical", "ic"}, {"ful", ""}, {"ness", ""},
	}
	step4 = func(w []byte) []byte {
		for _, s := range step4Suffixes {
			if !hasSuffix(w, s) {
				continue
			}
			st := w[:len(w)-len(s)]
			if s == "ion" {
				if c := st[len(st)-1]; c != 's' && c != 't' {
					return w
				}
			}
			if measureAbove1(st) {
				return st
			}
			return w
		}
		return w
	}
	step4Suffixes = []string{"al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent",
		"ion", "ou", "ism", "ate", "iti", "ous", "ive", "ize"}
)

// replaceSuffix applies the rule for the longest suffix of w in rules.
func replaceSuffix(w []byte, rules []suffixRule, cond func([]byte) bool) []byte {
	best := -1
	for i, r := range rules {
		if hasSuffix(w, r.suffix) && (best < 0 || len(r.suffix) > len(rules[best].suffix)) {
			best = i
		}
	}
	if best < 0 {
		return w
	}
	r := rules[best]
	st := w[:len(w)-len(r.suffix)]
	if !cond(st) {
		return w
	}
	return append(st, r.with...)
}
