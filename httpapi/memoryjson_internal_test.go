package httpapi

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
)

// stdJSON is what writeJSON sends for v.
func stdJSON(t testing.TB, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

var trickyStrings = []string{
	"", "plain", `quote " and backslash \`, "tab\tnewline\nreturn\rbackspace\bformfeed\f",
	"\x00\x01\x1f\x7f", "<script>&amp;</script>", "emoji 🧠 and accents é ñ", "line\u2028para\u2029sep",
	"invalid \xff\xfe utf-8 \xc3", "truncated \xe2\x82", "’curly’ “quotes”", strings.Repeat("long ", 200),
	"a plain run of ascii text\x1f then more plain text \"quoted\" and \\ back", "0123456789abcdef\u20280123456789",
}

func randomString(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		return trickyStrings[r.IntN(len(trickyStrings))]
	}
	b := make([]byte, r.IntN(40))
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return string(b)
}

func randomMemory(r *rand.Rand) *omi.Memory {
	created := time.Unix(r.Int64N(4e9), r.Int64N(1e9)).UTC()
	switch r.IntN(4) {
	case 0:
		created = created.Truncate(time.Second) // no fraction: RFC 3339 drops it
	case 1:
		created = created.Truncate(time.Microsecond)
	}
	m := &omi.Memory{
		ID: randomString(r), Content: randomString(r), Category: randomString(r), Visibility: randomString(r),
		CreatedAt: created, UpdatedAt: created.Add(time.Duration(r.Int64N(1e15))),
		ManuallyAdded: r.IntN(2) == 0, Scoring: randomString(r), Reviewed: r.IntN(2) == 0, Edited: r.IntN(2) == 0,
	}
	switch r.IntN(3) {
	case 0:
		m.Tags = nil
	case 1:
		m.Tags = []string{}
	default:
		for range 1 + r.IntN(3) {
			m.Tags = append(m.Tags, randomString(r))
		}
	}
	if r.IntN(3) > 0 {
		v := r.IntN(2) == 0
		m.UserReview = &v
	}
	if r.IntN(2) == 0 {
		c := randomString(r)
		m.ConversationID = &c // not part of the JSON
	}
	return m
}

// TestMemoryJSON holds the hand-written encoder to encoding/json's bytes,
// for single memories, lists, an empty and a nil list.
func TestMemoryJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var all []*omi.Memory
	for range 2000 {
		m := randomMemory(r)
		all = append(all, m)
		got, ok := appendMemory(nil, m)
		if want := stdJSON(t, m); !ok || string(got) != want {
			t.Fatalf("memory %+v:\n got %s (ok %v)\nwant %s", m, got, ok, want)
		}
	}
	for _, ms := range [][]*omi.Memory{nil, {}, all[:1], all[:25], all} {
		got, ok := appendMemories(nil, ms)
		if want := stdJSON(t, ms); !ok || string(got) != want {
			t.Fatalf("list of %d: got %.200s\nwant %.200s", len(ms), got, want)
		}
	}
}

// TestMemoryJSONRefusesWhatEncodingJSONRefuses: a time encoding/json cannot
// write makes the fast path step aside, so writeJSON answers as before.
func TestMemoryJSONRefusesWhatEncodingJSONRefuses(t *testing.T) {
	m := randomMemory(rand.New(rand.NewPCG(3, 4)))
	m.CreatedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, ok := appendMemory(nil, m); ok {
		t.Fatal("year 10000 encoded")
	}
	if _, err := json.Marshal(m); err == nil {
		t.Fatal("encoding/json encodes year 10000 now: jsonTime is out of date")
	}
}

// TestJSONStringRuns puts every byte that needs care at every position of
// plain runs of every length around the eight-byte fast path.
func TestJSONStringRuns(t *testing.T) {
	specials := []byte{0x00, 0x1f, 0x20, '"', '\\', 0x7f, 0x80, 0xe2, 0xff, '<', '&', 0x21, 0x5b, 0x5d, 0x23, 0x5c ^ 0x01}
	for n := range 26 {
		plain := strings.Repeat("a", n)
		if got, want := string(appendJSONString(nil, plain)), stdJSON(t, plain); got != want {
			t.Fatalf("%q: got %s want %s", plain, got, want)
		}
		for pos := range n {
			for _, c := range specials {
				b := []byte(plain)
				b[pos] = c
				s := string(b)
				if got, want := string(appendJSONString(nil, s)), stdJSON(t, s); got != want {
					t.Fatalf("%q: got %s want %s", s, got, want)
				}
			}
			for _, r := range []string{"é", "🧠", "\u2028", "\u2029", "\xe2\x80"} {
				s := plain[:pos] + r + plain[pos:]
				if got, want := string(appendJSONString(nil, s)), stdJSON(t, s); got != want {
					t.Fatalf("%q: got %s want %s", s, got, want)
				}
			}
		}
	}
}

func FuzzJSONString(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendJSONString(nil, s)), stdJSON(t, s); got != want {
			t.Fatalf("%q: got %s want %s", s, got, want)
		}
	})
}

func BenchmarkMemoryJSON(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	ms := make([]*omi.Memory, 25)
	for i := range ms {
		cat := "interesting"
		ms[i] = omi.NewMemory("0194f0e0-8d2c-7c3a-9b1e-5f6a7b8c9d0e", "u", strings.Repeat("The user prefers oat milk lattes. ", 3), &cat, nil, []string{"food"}, time.Unix(r.Int64N(2e9), 0).UTC())
	}
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			stdJSON(b, ms)
		}
	})
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 16<<10)
		for b.Loop() {
			buf, _ = appendMemories(buf[:0], ms)
		}
	})
}
