package search

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unicode"
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
	sc := scratchPool.Get().(*scratch)
	defer sc.release()
	for i, t := range texts {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		out[i] = h.vector(sc, t)
	}
	return out, nil
}

// Vector embeds one text.
func (h *Hashing) Vector(text string) []float32 {
	sc := scratchPool.Get().(*scratch)
	defer sc.release()
	return h.vector(sc, text)
}

func (h *Hashing) vector(sc *scratch, text string) []float32 {
	v := make([]float32, h.dims)
	sc.features(text)
	sc.project(v)
	sc.normalize(v)
	return v
}

// The vectors of hashing version 1 are defined by the first implementation
// (kept in hashing_ref_test.go): a map from feature strings such as
// "w:"+stem, "b:"+prev+" "+stem and "g:"+gram to weights, whose features
// were added into their coordinates in sorted order. Stored vectors carry
// that model name, so this one computes the same float32s bit for bit,
// without the map, the strings and the sort: keys go into one reusable byte
// arena, hashed as they are cut from the words (FNV of a prefix and then
// the rest is FNV of the concatenation), an open-addressing table finds
// repeats, and only the features of coordinates that three or more share
// are put in key order, coordinate by coordinate (float addition is
// commutative, so one or two addends give the same sum in any order, but
// not associative: three or more must come in key order).

// Feature kinds: the first byte of a key, before its ':'. Their byte order
// is the order of the keys' prefixes.
const (
	kindBigram  = 'b'
	kindConcept = 'c'
	kindGram    = 'g'
	kindWord    = 'w'
)

// FNV-64 offset basis and prime, and the state after each key prefix.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

var (
	fnvBigram = fnvAdd(fnvOffset, "b:")
	fnvGram   = fnvAdd(fnvOffset, "g:")
	fnvWord   = fnvAdd(fnvOffset, "w:")
)

func fnvAdd[B []byte | string](h uint64, b B) uint64 {
	for i := 0; i < len(b); i++ {
		h ^= uint64(b[i])
		h *= fnvPrime
	}
	return h
}

// fnvMix finishes an FNV state like splitmix64: FNV's low bits mix poorly
// for short keys.
func fnvMix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}

// conceptFeature is a concept feature key ("c:wife"), hashed once.
type conceptFeature struct {
	name []byte // after "c:"
	hash uint64
}

// conceptFeatures maps a stem to the concept features it adds.
var conceptFeatures = func() map[string][]conceptFeature {
	m := make(map[string][]conceptFeature, len(concepts))
	for stem, ids := range concepts {
		for _, id := range ids {
			if len(id) < 2 || id[:2] != "c:" {
				panic("search: concept id " + id + " lacks its c: prefix")
			}
			m[stem] = append(m[stem], conceptFeature{[]byte(id[2:]), fnvMix(fnvAdd(fnvOffset, id))})
		}
	}
	return m
}()

// feature is one distinct feature of a text.
type feature struct {
	hash     uint64  // fnv64 of the whole key
	val      float64 // weight, summed in text order as the map did
	off, end int32   // the key after its prefix, in scratch.keys
	coord    int32   // hash % dims, once projected
	kind     byte
}

type wordSpan struct{ start, end int32 }

// scratch is one Vector call's working memory, pooled: after warm-up an
// embedding allocates only its result.
type scratch struct {
	words  []byte     // the text's words, back to back
	spans  []wordSpan // each word in words
	use    []wordSpan // the words embedded (content words, or all)
	keys   []byte     // feature keys after their prefix, back to back
	feats  []feature  // distinct features, in order of first sight
	table  []int32    // feature index + 1 by hash; 0 is empty
	cur    []byte     // the current word's stem
	prev   []byte     // the previous one
	bigram []byte     // prev + " " + cur
	pad    []byte     // "^" + word + "$"
	runes  []int32    // rune starts in pad, and its end
	states []uint64   // FNV states of the 3-grams, for the 4-grams
	count  []int32    // features per coordinate
	used   []uint64   // bit set of the coordinates with features
	next   []int32    // per coordinate, where its next feature goes in late
	late   []int32    // features of coordinates with three or more, by coordinate
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// maxPooledScratch keeps a giant text's buffers out of the pool: a few
// hundred KiB serve MaxEmbedText; anything bigger is left to the GC.
const maxPooledScratch = 1 << 20

func (sc *scratch) release() {
	if cap(sc.keys)+cap(sc.words)+4*cap(sc.table)+32*cap(sc.feats)+8*cap(sc.states) > maxPooledScratch {
		return
	}
	scratchPool.Put(sc)
}

// features fills sc.feats with text's weighted features, counts damped;
// see the reference for what they are.
func (sc *scratch) features(text string) {
	sc.tokenize(text)
	sc.use = sc.use[:0]
	for _, s := range sc.spans {
		if !stopWords[string(sc.words[s.start:s.end])] {
			sc.use = append(sc.use, s)
		}
	}
	if len(sc.use) == 0 {
		sc.use = append(sc.use, sc.spans...)
	}
	sc.keys = sc.keys[:0]
	sc.feats = sc.feats[:0]
	sc.resetTable(len(text))
	// The word buffers are locals: storing a slice into sc costs a GC write
	// barrier, and they are stored back only once.
	cur, prev, bigram := sc.cur[:0], sc.prev[:0], sc.bigram[:0]
	for _, s := range sc.use {
		w := sc.words[s.start:s.end]
		cur = appendStem(cur[:0], w)
		sc.add(fnvMix(fnvAdd(fnvWord, cur)), kindWord, cur, 1)
		for _, c := range conceptFeatures[string(cur)] {
			sc.add(c.hash, kindConcept, c.name, conceptWeight)
		}
		if len(prev) > 0 {
			bigram = append(append(append(bigram[:0], prev...), ' '), cur...)
			sc.add(fnvMix(fnvAdd(fnvBigram, bigram)), kindBigram, bigram, bigramWeight)
		}
		prev, cur = cur, prev
		sc.addGrams(w)
	}
	sc.cur, sc.prev, sc.bigram = cur, prev, bigram
	for i := range sc.feats {
		if f := &sc.feats[i]; f.val > 1 { // fractional weights (one concept, one bigram) stay as they are
			f.val = 1 + math.Log(f.val)
		}
	}
}

// addGrams adds the character 3- and 4-grams of "^word$", sharing one
// word's worth of weight (gramsWeight) so long words do not drown short ones.
func (sc *scratch) addGrams(w []byte) {
	pad := append(append(append(sc.pad[:0], '^'), w...), '$')
	// Words are valid UTF-8 (tokenize writes whole runes), so the grams of
	// []rune(pad) are pad's bytes between rune starts.
	runes := sc.runes[:0]
	for i := range string(pad) {
		runes = append(runes, int32(i))
	}
	n := len(runes) // runes in pad: the word's and 2
	runes = append(runes, int32(len(pad)))
	if n-2 >= 3 {
		each := gramsWeight / math.Sqrt(float64(2*(n-2)-1))
		states := sc.states[:0]
		for i := 0; i+3 <= n; i++ {
			h := fnvAdd(fnvGram, pad[runes[i]:runes[i+3]])
			states = append(states, h)
			sc.add(fnvMix(h), kindGram, pad[runes[i]:runes[i+3]], each)
		}
		for i := 0; i+4 <= n; i++ {
			h := fnvAdd(states[i], pad[runes[i+3]:runes[i+4]])
			sc.add(fnvMix(h), kindGram, pad[runes[i]:runes[i+4]], each)
		}
		if cap(states) != cap(sc.states) {
			sc.states = states
		}
	}
	// Kept only when grown (a store is a write barrier).
	if cap(pad) != cap(sc.pad) {
		sc.pad = pad
	}
	if cap(runes) != cap(sc.runes) {
		sc.runes = runes
	}
}

// resetTable empties the feature table, sized for a text of n bytes.
func (sc *scratch) resetTable(n int) {
	size := 64
	for size < 4*n && size < 1<<16 { // about 3 features a byte at most
		size <<= 1
	}
	if cap(sc.table) < size {
		sc.table = make([]int32, size)
		return
	}
	sc.table = sc.table[:size]
	clear(sc.table)
}

// add adds x to the feature of kind whose key after the prefix is key and
// whose hash is h.
func (sc *scratch) add(h uint64, kind byte, key []byte, x float64) {
	table := sc.table
	mask := uint64(len(table) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		e := table[i]
		if e == 0 {
			// Resliced in place, the arenas' pointers are not stored again
			// (which would be a write barrier) unless they grow.
			off := len(sc.keys)
			if off+len(key) > cap(sc.keys) {
				sc.keys = slices.Grow(sc.keys, len(key))
			}
			sc.keys = sc.keys[:off+len(key)]
			copy(sc.keys[off:], key)
			nf := len(sc.feats)
			if nf == cap(sc.feats) {
				sc.feats = slices.Grow(sc.feats, 1)
			}
			sc.feats = sc.feats[:nf+1]
			sc.feats[nf] = feature{hash: h, val: x, off: int32(off), end: int32(off + len(key)), kind: kind}
			table[i] = int32(nf + 1)
			if 2*len(sc.feats) > len(table) {
				sc.grow()
			}
			return
		}
		f := &sc.feats[e-1]
		if f.hash == h && f.kind == kind && string(sc.keys[f.off:f.end]) == string(key) {
			f.val += x
			return
		}
	}
}

// grow doubles the table.
func (sc *scratch) grow() {
	if n := 2 * len(sc.table); cap(sc.table) >= n {
		sc.table = sc.table[:n]
		clear(sc.table)
	} else {
		sc.table = make([]int32, n)
	}
	mask := uint64(len(sc.table) - 1)
	for j := range sc.feats {
		i := sc.feats[j].hash & mask
		for sc.table[i] != 0 {
			i = (i + 1) & mask
		}
		sc.table[i] = int32(j + 1)
	}
}

// project adds the features into v, each into its coordinate with the
// sign of its hash.
func (sc *scratch) project(v []float32) {
	dims := uint64(len(v))
	if cap(sc.count) < len(v) {
		sc.count = make([]int32, len(v))
		sc.next = make([]int32, len(v))
		sc.used = make([]uint64, (len(v)+63)/64)
	}
	count := sc.count[:len(v)]
	clear(count)
	used := sc.used[:(len(v)+63)/64]
	clear(used)
	sc.used = used
	feats := sc.feats
	for i := range feats {
		f := &feats[i]
		var c uint64
		if dims == DefaultDimensions {
			c = f.hash % DefaultDimensions // a multiplication, not a division
		} else {
			c = f.hash % dims
		}
		f.coord = int32(c)
		count[c]++
		used[c/64] |= 1 << (c % 64)
	}
	// Coordinates with three or more features take them in key order: a
	// counting sort groups them by coordinate (in first-sight order), and
	// each group, a handful of features, is sorted by key.
	next := sc.next[:len(v)]
	n := 0
	for c, k := range count {
		if k > 2 {
			next[c] = int32(n)
			n += int(k)
		}
	}
	late := sc.late[:0]
	if cap(late) < n {
		late = make([]int32, n)
		sc.late = late
	}
	late = late[:n]
	for i := range feats {
		f := &feats[i]
		if count[f.coord] > 2 {
			late[next[f.coord]] = int32(i)
			next[f.coord]++
			continue
		}
		v[f.coord] += f.signed()
	}
	byKey := func(a, b int32) int {
		fa, fb := &feats[a], &feats[b]
		if fa.kind != fb.kind {
			return int(fa.kind) - int(fb.kind)
		}
		return bytes.Compare(sc.keys[fa.off:fa.end], sc.keys[fb.off:fb.end])
	}
	for from := 0; from < len(late); {
		c := feats[late[from]].coord
		group := late[from : from+int(count[c])]
		if len(group) <= 12 {
			for i := 1; i < len(group); i++ { // insertion sort
				for j := i; j > 0 && byKey(group[j-1], group[j]) > 0; j-- {
					group[j-1], group[j] = group[j], group[j-1]
				}
			}
		} else {
			slices.SortFunc(group, byKey)
		}
		x := v[c]
		for _, i := range group {
			x += feats[i].signed()
		}
		v[c] = x
		from += len(group)
	}
}

// signed is the feature's float32 weight with its hash's sign.
func (f *feature) signed() float32 {
	x := float32(f.val)
	if f.hash>>63 == 1 {
		x = -x
	}
	return x
}

// normalize is normalize(v) visiting only the coordinates project set: a
// zero adds nothing to the sum of squares and stays zero when scaled, so
// the result is the same, bit for bit.
func (sc *scratch) normalize(v []float32) {
	var sum float64
	for j, word := range sc.used {
		for ; word != 0; word &= word - 1 {
			x := v[j*64+bits.TrailingZeros64(word)]
			sum += float64(x) * float64(x)
		}
	}
	if sum == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(sum))
	for j, word := range sc.used {
		for ; word != 0; word &= word - 1 {
			v[j*64+bits.TrailingZeros64(word)] *= inv
		}
	}
}

// tokenize splits s into words as text.go's tokenize describes, writing
// them into sc.words and sc.spans instead of allocating strings, with ASCII
// taken byte by byte.
func (sc *scratch) tokenize(s string) {
	words, spans := sc.words[:0], sc.spans[:0] // locals: see features
	start := 0                                 // of the word being built
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			i++
			switch {
			case 'a' <= c && c <= 'z' || '0' <= c && c <= '9':
				words = append(words, c)
			case 'A' <= c && c <= 'Z':
				words = append(words, c+'a'-'A')
			case c == '\'':
				if len(words) > start {
					words = append(words, '\'')
				}
			default: // no ASCII character is a symbol of category So
				words, spans = endWord(words, spans, start)
				start = len(words)
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case unicode.IsLetter(r) || unicode.IsNumber(r):
			r = unicode.ToLower(r)
			if f, ok := accents[r]; ok {
				words = append(words, f...)
			} else {
				words = utf8.AppendRune(words, r)
			}
		case r == '’' && len(words) > start:
			words = append(words, '\'')
		case unicode.Is(unicode.So, r):
			words, spans = endWord(words, spans, start)
			start = len(words)
			words = utf8.AppendRune(words, r)
			words, spans = endWord(words, spans, start)
			start = len(words)
		default:
			words, spans = endWord(words, spans, start)
			start = len(words)
		}
	}
	sc.words, sc.spans = endWord(words, spans, start)
}

// endWord ends the word begun at words[start]: possessive 's dropped,
// apostrophes removed, and its span added unless nothing is left.
func endWord(words []byte, spans []wordSpan, start int) ([]byte, []wordSpan) {
	w := words[start:]
	if len(w) == 0 {
		return words, spans
	}
	if n := len(w); n >= 2 && w[n-2] == '\'' && w[n-1] == 's' {
		w = w[:n-2]
	}
	if bytes.IndexByte(w, '\'') >= 0 {
		n := 0
		for _, c := range w {
			if c != '\'' {
				w[n] = c
				n++
			}
		}
		w = w[:n]
	}
	end := start + len(w)
	if end > start {
		spans = append(spans, wordSpan{int32(start), int32(end)})
	}
	return words[:end], spans
}

// appendStem appends the stem of w to dst (see text.go's stem).
func appendStem(dst, w []byte) []byte {
	n := len(w)
	switch {
	case n > 4 && bytes.HasSuffix(w, []byte("ies")):
		dst = append(dst, w[:n-3]...)
		return append(dst, 'y') // ends in y: the e rule below does not apply
	case n > 4 && bytes.HasSuffix(w, []byte("sses")):
		w = w[:n-2]
	case n > 5 && bytes.HasSuffix(w, []byte("ing")):
		w = undoubleBytes(w[:n-3])
	case n > 4 && bytes.HasSuffix(w, []byte("ed")) && !bytes.HasSuffix(w, []byte("eed")):
		w = undoubleBytes(w[:n-2])
	case n > 5 && bytes.HasSuffix(w, []byte("ly")):
		w = w[:n-2]
	case n > 4 && (bytes.HasSuffix(w, []byte("ches")) || bytes.HasSuffix(w, []byte("shes")) || bytes.HasSuffix(w, []byte("xes"))):
		w = w[:n-2]
	case n > 3 && w[n-1] == 's' && !bytes.HasSuffix(w, []byte("ss")) && !bytes.HasSuffix(w, []byte("us")) && !bytes.HasSuffix(w, []byte("is")):
		w = w[:n-1]
	}
	if len(w) > 3 && w[len(w)-1] == 'e' {
		w = w[:len(w)-1]
	}
	return append(dst, w...)
}

func undoubleBytes(w []byte) []byte {
	n := len(w)
	if n > 3 && w[n-1] == w[n-2] && strings.IndexByte("bdgklmnprt", w[n-1]) >= 0 {
		return w[:n-1]
	}
	return w
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
