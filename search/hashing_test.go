package search

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/bench/seed"
)

// TestHashingMatchesReference: the offline embedder gives the same float32
// bits as the frozen first implementation on every text of a large, varied
// corpus, at the default dimensions and at small ones, where most
// coordinates are shared by many features and summation order shows.
func TestHashingMatchesReference(t *testing.T) {
	texts := hashingCorpus(t)
	refs := refVectors(t)
	t.Logf("%d texts", len(texts))
	for _, dims := range []int{DefaultDimensions, 100, 16, 3, 1} {
		h := NewHashing(dims)
		for i, text := range texts {
			if dims == DefaultDimensions {
				requireSameVector(t, dims, text, h.Vector(text), refs[i])
			} else if i%10 == 0 { // the reference is slow
				requireSameVector(t, dims, text, h.Vector(text), refVector(dims, text))
			}
		}
	}
}

// TestHashingEmbedMatchesReference: Embed, as batches are embedded, in
// parallel the way concurrent requests do (pooled scratch space is never
// shared).
func TestHashingEmbedMatchesReference(t *testing.T) {
	texts := hashingCorpus(t)
	refs := refVectors(t)
	h := NewHashing(0)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for from := g * 25; from < len(texts); from += 100 {
				batch := texts[from:min(from+25, len(texts))]
				vecs, err := h.Embed(context.Background(), batch)
				if err != nil {
					t.Error(err)
					return
				}
				for i, text := range batch {
					requireSameVector(t, DefaultDimensions, text, vecs[i], refs[from+i])
				}
			}
		})
	}
	wg.Wait()
}

// TestHashingGolden pins version 1's vectors of fixed texts, word tables
// included: a change to stop words, concepts or features fails here until
// hashingVersion is bumped (and this digest with it).
func TestHashingGolden(t *testing.T) {
	if hashingVersion != 1 {
		t.Skip("golden digest is of version 1")
	}
	var texts []string
	texts = append(texts, hashingLiterals()...)
	texts = append(texts, testdataStrings(t)...)
	h := NewHashing(0)
	sum := sha256.New()
	var b [4]byte
	for _, text := range texts {
		for _, x := range h.Vector(text) {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
			sum.Write(b[:])
		}
	}
	const want = "a2b1c6327a5ac9d78ce3bde34ada861c6bc3703032f21cdc9e3ab3597e254079"
	if got := hex.EncodeToString(sum.Sum(nil)); got != want {
		t.Fatalf("vectors of %d texts: digest %s, want %s", len(texts), got, want)
	}
}

// TestHashingTokenizeMatches: the embedder's tokenizer and stemmer are
// text.go's, without the strings.
func TestHashingTokenizeMatches(t *testing.T) {
	var sc scratch
	for _, text := range hashingCorpus(t) {
		want := refTokenize(text)
		sc.tokenize(text)
		if len(sc.spans) != len(want) {
			t.Fatalf("%q: %d words, want %q", text, len(sc.spans), want)
		}
		for i, s := range sc.spans {
			w := sc.words[s.start:s.end]
			if string(w) != want[i] {
				t.Fatalf("%q: word %d is %q, want %q", text, i, w, want[i])
			}
			if got, want := string(appendStem(nil, w)), refStem(want[i]); got != want {
				t.Fatalf("stem(%q) = %q, want %q", w, got, want)
			}
		}
		if got := tokenize(text); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("text.go's tokenize(%q) = %q, reference %q", text, got, want)
		}
	}
}

// TestHashingAllocations: with its scratch space warm, embedding a text
// allocates nothing but the vector.
func TestHashingAllocations(t *testing.T) {
	for _, text := range []string{
		"The user's sister Priya recommended spicy ramen; the user enjoys rock climbing at the climbing gym on Tuesdays.",
		"Café naïve façade Ærøskøbing Straße 日本語のテキスト 🍵☕️🫖 don't O'Brien’s",
	} {
		var sc scratch
		v := make([]float32, DefaultDimensions)
		run := func() {
			clear(v)
			sc.features(text)
			sc.project(v)
			sc.normalize(v)
		}
		run()
		if n := testing.AllocsPerRun(100, run); n != 0 {
			t.Fatalf("%q: %v allocations", text, n)
		}
	}
}

func FuzzHashing(f *testing.F) {
	for _, s := range hashingLiterals() {
		f.Add(s, uint8(0))
	}
	f.Add("The user's sister Priya recommended spicy ramen", uint8(3))
	f.Fuzz(func(t *testing.T, text string, d uint8) {
		dims := DefaultDimensions
		if d != 0 {
			dims = int(d%32) + 1
		}
		requireSameVector(t, dims, text, NewHashing(dims).Vector(text), refVector(dims, text))
		var sc scratch
		sc.tokenize(text)
		want := refTokenize(text)
		if len(sc.spans) != len(want) {
			t.Fatalf("%q: %d words, want %q", text, len(sc.spans), want)
		}
		for i, s := range sc.spans {
			if w := sc.words[s.start:s.end]; string(w) != want[i] || string(appendStem(nil, w)) != refStem(want[i]) {
				t.Fatalf("%q: word %d is %q, want %q", text, i, w, want[i])
			}
		}
	})
}

func requireSameVector(t testing.TB, dims int, text string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("dims %d, %q: length %d, want %d", dims, text, len(got), len(want))
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("dims %d, %.200q: coordinate %d is %v (%#x), want %v (%#x)",
				dims, text, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// hashingLiterals are edge cases of tokenizing, stemming and grams.
func hashingLiterals() []string {
	return []string{
		"", " ", "\n\t", ".,;:!?", "'", "''s", "’", "a", "ab", "abc", "abcd", "I", "the", "the and of a",
		"I am the one who will be there", "user users", "don't it's O'Brien’s rock'n'roll's x's' 's",
		"Café naïve façade Ærøskøbing Straße œuvre Łódź đinh þorn smørrebrød", "İstanbul ǅ ǈ ǋ ΣΊΣΥΦΟΣ ß",
		"🍵☕️🫖 🧠💼✈️🏃📚☕ 👩‍👩‍👧 🇵🇹 tea🍵tea", "日本語のテキスト 中文 한국어", "١٢٣ ⅫⅩ ½ ² ³ ¹ ª º µ",
		"x\u202ey\ufeffz", "\x00\xff\xfe", "ab\xffcd \xc3 \xe2\x80", "\ufffd\ufffd", "e\u0301 a\u0308b\u0327c",
		"aaaaaa aaaaaaa abababab ^$ ^a$ $^", "studies classes running stopped needed feed boxes wishes churches",
		"quickly fly bus is this its ties dies lies hopping hopped runner sleeping babies", "husbands wives wife",
		"MY WIFE MARIA PREFERS OAT MILK LATTES", "the user's wife's brother's dog's name is Rex",
		strings.Repeat("a", 300), strings.Repeat("word ", 300), strings.Repeat("é", 100), strings.Repeat("🍵", 50),
		strings.Repeat("ab ", 1000), "pain ache headache migraine doctor GP dentist teeth run running jog",
	}
}

// hashingCorpus: seeded memories and conversations as bench/seed writes
// them, every string of the test fixtures, the literals, random texts in
// many scripts, and texts of MaxEmbedText and beyond.
func hashingCorpus(t testing.TB) []string {
	t.Helper()
	texts := hashingLiterals()
	seeded := seedTexts(t)
	texts = append(texts, seeded...)
	fixtures := testdataStrings(t)
	texts = append(texts, fixtures...)

	r := rand.New(rand.NewPCG(1, 2))
	pools := [][]rune{
		[]rune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789      '’.,-_!?\n"),
		[]rune("àáâãäåāăąçćčèéêëěğìíîïıñńòóôõöőřśşšțùúûüůűýÿźżžßæœøłđðþÀÉÎÕÜŞ"),
		[]rune("🍵☕🫖🧠💼✈🏃📚👩‍👧🇵🇹©®™°±÷×∞≈€$£¥"),
		[]rune("日本語のテキスト中文한국어ΑλφαβητοКириллицаעבריתالعربيةहिन्दीไทย"),
		[]rune("\u0301\u0308\u0327\u200d\ufe0f\u202e\ufeff\ufffd\u00a0\u2028\x00\x7f"),
		[]rune("١٢٣٤ⅫⅩ½²³¹ªºµ"),
	}
	words := strings.Fields("the user a of and is to wife husband spouse doctor running ran runs " +
		"studies babies classes boxes sleeping stopped needed quickly it's don't O'Brien’s café naïve " +
		strings.Join(seeded[len(seeded)-50:], " ")) // memories, the last written
	for i := range 2000 {
		var b strings.Builder
		n := r.IntN(200)
		switch i % 4 {
		case 0: // runes from one or more pools
			for range n {
				p := pools[r.IntN(len(pools))]
				if i%8 == 0 {
					p = pools[0]
				}
				b.WriteRune(p[r.IntN(len(p))])
			}
		case 1: // any code point, some invalid bytes
			for range n {
				switch r.IntN(10) {
				case 0:
					b.WriteByte(byte(r.IntN(256)))
				case 1, 2:
					b.WriteRune(rune(r.IntN(0x110000)))
				default:
					b.WriteRune(rune(r.IntN(0x3000)))
				}
			}
		default: // words: many repeats, collisions and bigrams
			for range n / 5 {
				b.WriteString(words[r.IntN(len(words))])
				b.WriteString([]string{" ", " ", ", ", ". ", "'s ", "\n"}[r.IntN(6)])
			}
		}
		texts = append(texts, b.String())
	}

	// Long texts: as much as a row embeds, and more (Vector takes any).
	var long strings.Builder
	for i := 0; long.Len() < 4*omi.MaxEmbedText; i++ {
		long.WriteString(seeded[i%len(seeded)])
		long.WriteString(" ")
	}
	all := long.String()
	texts = append(texts, all[:omi.MaxEmbedText], all,
		strings.Repeat("x", omi.MaxEmbedText), strings.Repeat("ü", omi.MaxEmbedText/2),
		strings.Repeat("the and of ", omi.MaxEmbedText/11), strings.Join(fixtures, "\n"))
	for i := 0; i+1 < len(texts); i++ {
		if !utf8.ValidString(texts[i]) && i%5 == 0 {
			texts = append(texts, texts[i][:len(texts[i])/2])
		}
	}
	return texts
}

// refVectors are the reference's vectors of hashingCorpus, at the default
// dimensions, made once.
func refVectors(t testing.TB) [][]float32 {
	refVectorsOnce.Do(func() {
		for _, text := range hashingCorpus(t) {
			refVectorsOut = append(refVectorsOut, refVector(DefaultDimensions, text))
		}
	})
	return refVectorsOut
}

var (
	refVectorsOnce sync.Once
	refVectorsOut  [][]float32
)

var seedTextsOnce = sync.OnceValues(func() ([]string, error) {
	var e textCollector
	_, err := seed.Seed(context.Background(), nullStore{}, seed.Config{
		Memories: 5000, Conversations: 300, Seed: 7, Embedder: &e,
	})
	return e.texts, err
})

func seedTexts(t testing.TB) []string {
	texts, err := seedTextsOnce()
	if err != nil {
		t.Fatal(err)
	}
	return texts
}

// textCollector is an embedder that keeps what it is asked to embed.
type textCollector struct {
	mu    sync.Mutex
	texts []string
}

func (c *textCollector) Dimensions() int { return 1 }
func (c *textCollector) Model() string   { return "collector" }
func (c *textCollector) Embed(_ context.Context, texts []string) ([][]float32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.texts = append(c.texts, texts...)
	out := make([][]float32, len(texts))
	for i := range out {
		out[i] = []float32{1}
	}
	return out, nil
}

// nullStore accepts what the seeder writes and keeps none of it.
type nullStore struct{ seed.Store }

func (nullStore) CreateMemories(context.Context, []*omi.Memory) error { return nil }
func (nullStore) CreateActionItems(context.Context, []*omi.ActionItem) error {
	return nil
}
func (nullStore) CreateGoal(context.Context, *omi.Goal) error { return nil }
func (nullStore) FolderForCategory(context.Context, string, string) (*omi.Folder, error) {
	return &omi.Folder{ID: "folder"}, nil
}
func (nullStore) CreateConversation(_ context.Context, c *omi.Conversation, _ []*omi.ActionItem, _ []*omi.Memory) (*omi.Conversation, bool, error) {
	return c, true, nil
}

// testdataStrings are every string in the JSON test fixtures of this
// package and of process, and each transcript line.
func testdataStrings(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("../process/testdata/fixtures/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("fixtures: %v, %d files", err, len(files))
	}
	files = append(files, "testdata/eval.json")
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
			if strings.Contains(v, "\n") {
				out = append(out, strings.Split(v, "\n")...)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for _, k := range sortedKeys(v) {
				walk(v[k])
			}
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, string(b))
		walk(v)
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
