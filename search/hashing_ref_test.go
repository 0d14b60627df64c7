package search

import (
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The offline embedder as it was before it was made fast (hashing version
// 1), frozen here as the reference the fast one must match bit for bit:
// stored vectors named omi-hashing-v1-* were made by this code. Tokenizer
// and stemmer are copied too, so a change to text.go cannot move the
// reference along with the implementation. Only the word tables
// (stopWords, concepts) are shared; TestHashingGolden pins those.

func refVector(dims int, text string) []float32 {
	v := make([]float32, dims)
	feats := refFeatures(text)
	keys := make([]string, 0, len(feats))
	for f := range feats {
		keys = append(keys, f)
	}
	slices.Sort(keys)
	for _, f := range keys {
		hash := refFnv64(f)
		x := float32(feats[f])
		if hash>>63 == 1 {
			x = -x
		}
		v[hash%uint64(dims)] += x
	}
	refNormalize(v)
	return v
}

func refFeatures(text string) map[string]float64 {
	words := refTokenize(text)
	content := words[:0:0]
	for _, w := range words {
		if !stopWords[w] {
			content = append(content, w)
		}
	}
	if len(content) == 0 {
		content = words
	}
	tf := map[string]float64{}
	prev := ""
	for _, w := range content {
		s := refStem(w)
		tf["w:"+s]++
		for _, c := range concepts[s] {
			tf[c] += conceptWeight
		}
		if prev != "" {
			tf["b:"+prev+" "+s] += bigramWeight
		}
		prev = s
		refAddGrams(tf, w)
	}
	for f, n := range tf {
		if n > 1 {
			tf[f] = 1 + math.Log(n)
		}
	}
	return tf
}

func refAddGrams(tf map[string]float64, w string) {
	if utf8.RuneCountInString(w) < 3 {
		return
	}
	rs := []rune("^" + w + "$")
	var grams []string
	for n := 3; n <= 4; n++ {
		for i := 0; i+n <= len(rs); i++ {
			grams = append(grams, "g:"+string(rs[i:i+n]))
		}
	}
	each := gramsWeight / math.Sqrt(float64(len(grams)))
	for _, g := range grams {
		tf[g] += each
	}
}

func refFnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}

func refNormalize(v []float32) {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(sum))
	for i := range v {
		v[i] *= inv
	}
}

func refTokenize(s string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() == 0 {
			return
		}
		w := b.String()
		b.Reset()
		w = strings.TrimSuffix(w, "'s")
		w = strings.ReplaceAll(w, "'", "")
		if w != "" {
			out = append(out, w)
		}
	}
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsNumber(r):
			b.WriteString(refFold(unicode.ToLower(r)))
		case (r == '\'' || r == '’') && b.Len() > 0:
			b.WriteByte('\'')
		case unicode.Is(unicode.So, r):
			flush()
			b.WriteRune(r)
			flush()
		default:
			flush()
		}
	}
	flush()
	return out
}

func refFold(r rune) string {
	if r < 0xC0 {
		return string(r)
	}
	if f, ok := refAccents[r]; ok {
		return f
	}
	return string(r)
}

var refAccents = func() map[rune]string {
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

func refStem(w string) string {
	n := len(w)
	switch {
	case n > 4 && strings.HasSuffix(w, "ies"):
		w = w[:n-3] + "y"
	case n > 4 && strings.HasSuffix(w, "sses"):
		w = w[:n-2]
	case n > 5 && strings.HasSuffix(w, "ing"):
		w = refUndouble(w[:n-3])
	case n > 4 && strings.HasSuffix(w, "ed") && !strings.HasSuffix(w, "eed"):
		w = refUndouble(w[:n-2])
	case n > 5 && strings.HasSuffix(w, "ly"):
		w = w[:n-2]
	case n > 4 && (strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "xes")):
		w = w[:n-2]
	case n > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:n-1]
	}
	if len(w) > 3 && strings.HasSuffix(w, "e") {
		w = w[:len(w)-1]
	}
	return w
}

func refUndouble(w string) string {
	n := len(w)
	if n > 3 && w[n-1] == w[n-2] && strings.IndexByte("bdgklmnprt", w[n-1]) >= 0 {
		return w[:n-1]
	}
	return w
}
