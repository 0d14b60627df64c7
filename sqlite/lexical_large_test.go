package sqlite

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/search"
)

// TestBoundedRankingRecall measures what the window costs in ranking
// quality on a large one-user database (a migrated copy of the seeded 1M
// set, named by OMI_BENCH_1M_DB; skipped without it): for each query and
// window, how many of the exhaustive BM25 top 30 (FTS5's bm25() over every
// match, ties by id: the oldest first) the bounded ranking finds; how many
// of its 30 score at least as well as the exhaustive 30th (in that top 30
// but for ties); and how good its 30 are by the exhaustive scores (their
// mean exact score over that of the exhaustive 30).
func TestBoundedRankingRecall(t *testing.T) {
	path := os.Getenv("OMI_BENCH_1M_DB")
	if path == "" {
		t.Skip("OMI_BENCH_1M_DB is not set")
	}
	uid := os.Getenv("OMI_BENCH_1M_UID")
	if uid == "" {
		uid = "bench-user-0000"
	}
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	queries := []string{
		"coffee", "billing migration deadline", "green tea", "photography", "trip to Lisbon", "allergic to peanuts",
		"beekeeping", "Sarah", "hiking at the trailhead", "quarterly planning", "kombucha", "learning Japanese",
		"photog", "allergic kombucha beekeeping",
	}
	windows := []int{500, 1000, 2000, 4000, 8000}
	const k = 30
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-28s %8s", "query", "matches")
	for _, w := range windows {
		fmt.Fprintf(&b, " | W=%-5d found tied score   ms", w)
	}
	sums := make([][3]float64, len(windows))
	for _, q := range queries {
		terms := search.Terms(q)
		all := fts5Ranking(t, db, uid, terms, 1<<30)
		exact := map[string]float64{}
		for _, r := range all {
			exact[r.ID] = r.Score
		}
		best := 0.0
		for _, r := range all[:min(k, len(all))] {
			best += r.Score
		}
		fmt.Fprintf(&b, "\n%-28s %8d", q, len(all))
		for i, w := range windows {
			start := time.Now()
			got, err := db.rankMemories(t.Context(), uid, terms, k, w, userWindow)
			if err != nil {
				t.Fatal(err)
			}
			ms := float64(time.Since(start).Microseconds()) / 1000
			found, tied, sum := 0, 0, 0.0
			last := all[min(k, len(all))-1].Score
			for _, r := range got {
				if slices.ContainsFunc(all[:min(k, len(all))], func(x omi.Ranked) bool { return x.ID == r.ID }) {
					found++
				}
				if exact[r.ID] >= last-1e-9 {
					tied++
				}
				sum += exact[r.ID]
			}
			n := float64(min(k, len(all)))
			sums[i][0] += float64(found) / n
			sums[i][1] += float64(tied) / n
			sums[i][2] += sum / best
			fmt.Fprintf(&b, " | %12d %4d %5.3f %4.1f", found, tied, sum/best, ms)
		}
	}
	fmt.Fprintf(&b, "\n%-28s %8s", "mean", "")
	for i := range windows {
		q := float64(len(queries))
		fmt.Fprintf(&b, " | %12.3f %4.2f %5.3f %4s", sums[i][0]/q, sums[i][1]/q, sums[i][2]/q, "")
	}
	t.Log(b.String())
}
