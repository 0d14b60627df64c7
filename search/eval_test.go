package search_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/search"
	"github.com/omi-devapi/omi-devapi/sqlite"
)

type evalSet struct {
	Memories []struct {
		ID      string `json:"id"`
		Content string `json:"content"`
	} `json:"memories"`
	Queries []struct {
		Query    string   `json:"query"`
		Relevant []string `json:"relevant"`
		Kind     string   `json:"kind"`
	} `json:"queries"`
}

// TestRetrievalEval measures retrieval on search/testdata/eval.json through
// the real SQLite store with the offline embedder: recall@5 (the share of
// each query's relevant memories in its first five results, averaged) and
// MRR (1/rank of the first relevant one), for the lexical ranking alone,
// the vector ranking alone, and their fusion.
func TestRetrievalEval(t *testing.T) {
	emb := search.NewHashing(0)
	res := evaluate(t, emb, true)
	t.Logf("%d memories, %d queries, offline embedder %s", res.memories, res.queries, emb.Model())
	for _, m := range []string{"lexical", "vector", "fused"} {
		t.Logf("%-8s recall@5 %.3f  MRR %.3f", m+":", res.recall[m], res.mrr[m])
	}
	if res.recall["fused"] < 0.8 {
		t.Errorf("fused recall@5 %.3f is below 0.8", res.recall["fused"])
	}
}

type evalResult struct {
	memories, queries int
	recall, mrr       map[string]float64 // by mode: lexical, vector, fused
}

// evaluate loads the set into a fresh store, embedded by emb, and scores
// every query in each mode.
func evaluate(t *testing.T, emb *search.Hashing, logMisses bool) evalResult {
	t.Helper()
	set := loadEvalSet(t)
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "omi.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return evaluateStore(t, db, set, emb, logMisses)
}

// evalStore is what the evaluation needs of a store (SQLite here; the
// PostgreSQL store in eval_postgres_test.go).
type evalStore interface {
	CreateMemories(ctx context.Context, ms []*omi.Memory) error
	SearchMemories(ctx context.Context, q omi.SearchQuery) (omi.Rankings, error)
}

func loadEvalSet(t *testing.T) evalSet {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "eval.json"))
	if err != nil {
		t.Fatal(err)
	}
	var set evalSet
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Memories) < 60 || len(set.Queries) < 20 {
		t.Fatalf("eval set too small: %d memories, %d queries", len(set.Memories), len(set.Queries))
	}
	return set
}

// evaluateStore loads the set into db, embedded by emb, and scores every
// query in each mode.
func evaluateStore(t *testing.T, db evalStore, set evalSet, emb *search.Hashing, logMisses bool) evalResult {
	t.Helper()
	ctx := t.Context()
	base := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	var ms []*omi.Memory
	for i, m := range set.Memories {
		for _, uid := range []string{"eval", "other"} { // another user's copy must never show up
			ms = append(ms, omi.NewMemory(m.ID, uid, m.Content, nil, nil, nil, base.Add(time.Duration(i)*time.Minute)))
		}
	}
	vecs, err := emb.Embed(ctx, texts(ms))
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		m.Embedding = &omi.Embedding{Model: emb.Model(), Vector: vecs[i]}
	}
	if err := db.CreateMemories(ctx, ms); err != nil {
		t.Fatal(err)
	}

	res := evalResult{memories: len(set.Memories), queries: len(set.Queries), recall: map[string]float64{}, mrr: map[string]float64{}}
	n := float64(len(set.Queries))
	for _, q := range set.Queries {
		r, err := db.SearchMemories(ctx, omi.SearchQuery{UID: "eval", Terms: search.Terms(q.Query),
			Vector: emb.Vector(q.Query), Model: emb.Model(), Limit: 30})
		if err != nil {
			t.Fatalf("%q: %v", q.Query, err)
		}
		var fused []string
		for _, h := range search.Fuse(r) {
			fused = append(fused, h.ID)
		}
		per := map[string][2]float64{}
		for mode, got := range map[string][]string{"lexical": ids(r.Lexical), "vector": ids(r.Vector), "fused": fused} {
			rec, rr := rank(got, q.Relevant)
			res.recall[mode] += rec / n
			res.mrr[mode] += rr / n
			per[mode] = [2]float64{rec, rr}
			if got := ids(r.Lexical); mode == "lexical" {
				for _, id := range got {
					if strings.HasPrefix(id, "other") {
						t.Fatalf("another user's memory %s in the results", id)
					}
				}
			}
		}
		if logMisses && (per["fused"][0] < 1 || testing.Verbose()) {
			t.Logf("%-10s %-52q fused recall@5 %.2f rr %.2f | lexical %.2f | vector %.2f | top %v",
				q.Kind, q.Query, per["fused"][0], per["fused"][1], per["lexical"][0], per["vector"][0], fused[:min(5, len(fused))])
		}
	}
	return res
}

func texts(ms []*omi.Memory) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.EmbedText()
	}
	return out
}

func ids(rs []omi.Ranked) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// rank returns recall@5 and the reciprocal rank of the first relevant id.
func rank(got, relevant []string) (recall, rr float64) {
	found := 0
	for i, id := range got {
		for _, want := range relevant {
			if id != want {
				continue
			}
			if i < 5 {
				found++
			}
			if rr == 0 {
				rr = 1 / float64(i+1)
			}
		}
	}
	return float64(found) / float64(len(relevant)), rr
}
