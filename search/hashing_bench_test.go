package search

import (
	"strings"
	"testing"
)

// BenchmarkHashing: the offline embedder against its reference (the first
// implementation) on short, typical (a seeded memory, 29-223 characters)
// and long (MaxEmbedText) texts.
//
//	go test ./search -run '^$' -bench Hashing -benchtime 1s -count 3
func BenchmarkHashing(b *testing.B) {
	seeded := seedTexts(b)
	var memories []string // as bench/seed writes them: the first of each batch are memories
	for _, s := range seeded {
		if strings.HasPrefix(s, "The user") {
			memories = append(memories, s)
		}
	}
	var long strings.Builder
	for i := 0; long.Len() < 8000; i++ {
		long.WriteString(memories[i%len(memories)])
		long.WriteByte(' ')
	}
	sets := []struct {
		name  string
		texts []string
	}{
		{"short", []string{"wife's birthday", "coffee", "doctor appointment", "Lisbon trip"}},
		{"typical", memories[:1000]},
		{"long", []string{long.String()[:8000]}},
	}
	h := NewHashing(0)
	for _, s := range sets {
		chars := 0
		for _, t := range s.texts {
			chars += len(t)
		}
		b.Run(s.name+"/new", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				h.Vector(s.texts[i%len(s.texts)])
			}
			b.ReportMetric(float64(chars)/float64(len(s.texts)), "chars/text")
		})
		b.Run(s.name+"/reference", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				refVector(DefaultDimensions, s.texts[i%len(s.texts)])
			}
			b.ReportMetric(float64(chars)/float64(len(s.texts)), "chars/text")
		})
	}
}
