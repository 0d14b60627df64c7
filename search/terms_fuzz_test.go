package search

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzTerms: whatever a user types, the lexical terms are a bounded list of
// distinct, non-empty words of letters, digits and symbols: no quote,
// operator, column filter or control character survives to reach a store.
func FuzzTerms(f *testing.F) {
	for _, s := range []string{
		"", "tea", "What did I say about TEA, Café and naïve façades?", `"quoted" AND NOT x OR y*`, "NEAR(a b, 3)",
		"content:secret {uid} : alice", "^start col:val -neg +pos", "' OR 1=1 --", "\x00\xff\xfe", "🍵☕️🫖",
		"don't it's O'Brien’s", strings.Repeat("a", 200), strings.Repeat("word ", 100), "the and of a",
		"日本語のテキスト", "x\u202ey\ufeffz", "ǅ ǈ ǋ", "١٢٣ ⅫⅩ ½",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		terms := Terms(q)
		if len(terms) > maxTerms {
			t.Fatalf("%q: %d terms", q, len(terms))
		}
		seen := map[string]bool{}
		for _, term := range terms {
			if term == "" || seen[term] || !utf8.ValidString(term) || utf8.RuneCountInString(term) > maxTermRunes {
				t.Fatalf("%q: bad term %q in %q", q, term, terms)
			}
			seen[term] = true
			for _, r := range term {
				if !(unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.So, r) || unicode.IsMark(r)) {
					t.Fatalf("%q: term %q keeps %q", q, term, r)
				}
			}
		}
	})
}
