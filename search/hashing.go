package search

import (
	"context"
	"fmt"
	"math"
	"slices"
	"unicode/utf8"

	omi "github.com/omi-devapi/omi-devapi"
)

// DefaultDimensions is the offline embedder's vector length. Hashed
// features collide: two unrelated texts get a cosine of about ±1/sqrt(dims)
// from collisions alone, which drowns a single shared synonym at 256 (the
// retrieval eval loses about a tenth of its recall there); 384 keeps the
// brute-force scan of 100k vectors at about 150 MB of float32s.
const DefaultDimensions = 384

// hashingVersion is part of the model name: bump it whenever features or
// weights change, so stored vectors are seen as stale and reindexed.
const hashingVersion = 1

// Feature weights, relative to a word's own (1.0).
const (
	conceptWeight = 1.0 // a synonym group the word is in: as telling as the word
	bigramWeight  = 0.5 // two neighbouring words, for phrases
	gramsWeight   = 0.6 // all of a word's character n-grams together
)

// Hashing is the built-in offline embedder: deterministic, no model and no
// network. A text becomes weighted features (stemmed words, synonym groups,
// word bigrams and character 3- and 4-grams, which survive typos and partial
// words), each hashed to a signed coordinate; term counts are damped
// (1 + ln tf) and the vector is L2-normalised.
type Hashing struct {
	dims int
}

var _ omi.Embedder = (*Hashing)(nil)

// NewHashing returns the offline embedder with dims dimensions
// (DefaultDimensions when dims <= 0).
func NewHashing(dims int) *Hashing {
	if dims <= 0 {
		dims = DefaultDimensions
	}
	return &Hashing{dims: dims}
}

func (h *Hashing) Dimensions() int { return h.dims }

func (h *Hashing) Model() string {
	return fmt.Sprintf("omi-hashing-v%d-%d", hashingVersion, h.dims)
}

func (h *Hashing) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		out[i] = h.Vector(t)
	}
	return out, nil
}

// Vector embeds one text.
func (h *Hashing) Vector(text string) []float32 {
	v := make([]float32, h.dims)
	feats := features(text)
	// In a fixed order: float sums depend on it, and equal texts must give
	// bit-identical vectors.
	keys := make([]string, 0, len(feats))
	for f := range feats {
		keys = append(keys, f)
	}
	slices.Sort(keys)
	for _, f := range keys {
		hash := fnv64(f)
		x := float32(feats[f])
		if hash>>63 == 1 {
			x = -x
		}
		v[hash%uint64(h.dims)] += x
	}
	normalize(v)
	return v
}

// features are a text's weighted features, counts damped.
func features(text string) map[string]float64 {
	words := tokenize(text)
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
		s := stem(w)
		tf["w:"+s]++
		for _, c := range concepts[s] {
			tf[c] += conceptWeight
		}
		if prev != "" {
			tf["b:"+prev+" "+s] += bigramWeight
		}
		prev = s
		addGrams(tf, w)
	}
	for f, n := range tf {
		if n > 1 { // fractional weights (one concept, one bigram) stay as they are
			tf[f] = 1 + math.Log(n)
		}
	}
	return tf
}

// addGrams adds the character 3- and 4-grams of "^word$", sharing one
// word's worth of weight (gramsWeight) so long words do not drown short ones.
func addGrams(tf map[string]float64, w string) {
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

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	// FNV's low bits mix poorly for short keys; finish like splitmix64.
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}

// normalize scales v to unit length in place (a zero vector stays zero).
func normalize(v []float32) {
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

// Dot is the dot product (the cosine of normalised vectors).
func Dot(a, b []float32) float64 {
	n := min(len(a), len(b))
	var s float64
	for i := 0; i < n; i++ {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}
