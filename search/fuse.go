package search

import (
	"math"
	"sort"

	omi "github.com/omi-devapi/omi-devapi"
)

// rrfK is reciprocal rank fusion's damping constant: the usual 60, which
// lets agreement between rankings outweigh a single first place.
const rrfK = 60

// Hit is one fused result.
type Hit struct {
	ID string
	// Score is the fused relevance in [0, 1], rounded to 4 decimals: 1 means
	// first in every ranking that found anything.
	Score float64
	// LexicalRank and VectorRank are 1-based places in each ranking, 0 when
	// absent; Cosine is the vector similarity when VectorRank > 0.
	LexicalRank, VectorRank int
	Cosine                  float64
}

// Fuse merges rankings by reciprocal rank fusion: each ranking that found
// anything gives an item 1/(k + rank); the sum is scaled by the best
// possible sum, so scores are in [0, 1] and comparable across queries in
// what they mean (agreement, position), if not in absolute relevance.
// Order: score descending, then id ascending, so equal scores always list
// the same way.
func Fuse(r omi.Rankings) []Hit {
	hits := map[string]*Hit{}
	var raw = map[string]float64{}
	best := 0.0
	add := func(list []omi.Ranked, set func(h *Hit, rank int, score float64)) {
		if len(list) == 0 {
			return
		}
		best += 1.0 / (rrfK + 1)
		for i, x := range list {
			h := hits[x.ID]
			if h == nil {
				h = &Hit{ID: x.ID}
				hits[x.ID] = h
			}
			set(h, i+1, x.Score)
			raw[x.ID] += 1.0 / float64(rrfK+i+1)
		}
	}
	add(r.Lexical, func(h *Hit, rank int, _ float64) { h.LexicalRank = rank })
	add(r.Vector, func(h *Hit, rank int, s float64) { h.VectorRank, h.Cosine = rank, s })
	out := make([]Hit, 0, len(hits))
	for id, h := range hits {
		h.Score = round4(min(1, raw[id]/best))
		out = append(out, *h)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }
