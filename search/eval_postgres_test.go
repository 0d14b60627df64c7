package search_test

import (
	"path/filepath"
	"testing"

	"github.com/omi-devapi/omi-devapi/postgres/pgtest"
	"github.com/omi-devapi/omi-devapi/search"
	"github.com/omi-devapi/omi-devapi/sqlite"
)

// TestRetrievalEvalPostgres runs the retrieval evaluation through the
// PostgreSQL store (tsvector ranking instead of BM25, the same vectors and
// fusion) and holds it to the same bar; it logs SQLite's numbers from the
// same run beside them. Skips without OMI_TEST_POSTGRES_DSN.
func TestRetrievalEvalPostgres(t *testing.T) {
	pg := pgtest.Open(t)
	emb := search.NewHashing(0)
	set := loadEvalSet(t)
	res := evaluateStore(t, pg, set, emb, true)
	lite, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "omi.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	ref := evaluateStore(t, lite, set, emb, false)
	for _, m := range []string{"lexical", "vector", "fused"} {
		t.Logf("%-8s recall@5 %.3f MRR %.3f (SQLite %.3f, %.3f)", m+":", res.recall[m], res.mrr[m], ref.recall[m], ref.mrr[m])
	}
	if res.recall["fused"] < 0.8 {
		t.Errorf("fused recall@5 %.3f is below 0.8", res.recall["fused"])
	}
	// The vector ranking is the same computation on the same vectors.
	if res.recall["vector"] != ref.recall["vector"] || res.mrr["vector"] != ref.mrr["vector"] {
		t.Errorf("vector ranking differs from SQLite's: recall %.3f/%.3f MRR %.3f/%.3f",
			res.recall["vector"], ref.recall["vector"], res.mrr["vector"], ref.mrr["vector"])
	}
}
