// Package search is retrieval over a user's memories and conversations:
// lexical and vector rankings from the store, fused into one; the built-in
// offline embedder and a client for OpenAI-compatible embedding servers;
// and ask, which answers a question from the best-matching conversations.
package search

import (
	"strings"
	"unicode/utf8"
)

const (
	// maxTerms bounds a query's lexical terms: a pasted essay becomes a
	// query of its first words, not a thousand-way OR.
	maxTerms = 32
	// maxTermRunes drops "words" no one types (hashes, base64).
	maxTermRunes = 64
)

// Terms splits a user's query into the words to match lexically: letters
// and digits only, lower-cased, without stop words unless nothing else is
// left, deduplicated, at most maxTerms. Nothing of the input's punctuation
// survives, so quotes, operators and column filters are gone before a
// store sees the terms (stores quote each term anyway).
func Terms(q string) []string {
	words := tokenize(q)
	var out []string
	seen := map[string]bool{}
	add := func(w string, skipStop bool) {
		if len(out) >= maxTerms || seen[w] || (skipStop && stopWords[w]) || utf8.RuneCountInString(w) > maxTermRunes {
			return
		}
		seen[w] = true
		out = append(out, w)
	}
	for _, w := range words {
		add(w, true)
	}
	if len(out) == 0 {
		for _, w := range words {
			add(w, false)
		}
	}
	return out
}

// tokenize splits s into lower-cased words: runs of letters and digits,
// with Latin accents folded ("café" is "cafe"), possessive 's dropped and
// inner apostrophes removed ("don't" is "dont"). Pictographs (emoji) are
// words of their own, so an emoji query still embeds to something. The
// embedder's allocation-free tokenizer does the work.
func tokenize(s string) []string {
	sc := scratchPool.Get().(*scratch)
	defer sc.release()
	sc.tokenize(s)
	var out []string
	for _, sp := range sc.spans {
		out = append(out, string(sc.words[sp.start:sp.end]))
	}
	return out
}

var accents = func() map[rune]string {
	m := map[rune]string{'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'ł': "l", 'đ': "d", 'ð': "d", 'þ': "th"}
	for base, marked := range map[string]string{
		"a": "àáâãäåāăą", "c": "çćĉċč", "e": "èéêëēĕėęě", "g": "ĝğġģ", "i": "ìíîïĩīĭįı",
		"n": "ñńņňŉ", "o": "òóôõöōŏő", "s": "śŝşšș", "t": "ţťț", "u": "ùúûüũūŭůűų", "y": "ýÿŷ", "z": "źżž",
	} {
		for _, r := range marked {
			m[r] = base
		}
	}
	return m
}()

// stem strips common English inflections so "booked", "booking" and "books"
// meet at "book". Crude next to Porter, but it only needs to agree with
// itself: both sides of a comparison go through it (see appendStem).
func stem(w string) string {
	return string(appendStem(make([]byte, 0, len(w)), []byte(w)))
}

// stopWords carry no topic.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
a about above after again against all am an and any are as at be because been before being below between
both but by can cannot could did do does doing down during each few for from further had has have having
he her here hers herself him himself his how i if in into is it its itself just me more most my myself no
nor not now of off on once only or other our ours ourselves out over own same she should so some such than
that the their theirs them themselves then there these they this those through to too under until up very
was we were what when where which while who whom why will with would you your yours yourself yourselves
dont doesnt didnt isnt arent wasnt werent wont cant couldnt shouldnt wouldnt im ive id ill youre theyre
thats whats wheres whos hows lets also ever tell know anything something thing things get got please
go goes going went often much many lot lots really called named
user users`) {
		m[w] = true
	}
	return m
}()
