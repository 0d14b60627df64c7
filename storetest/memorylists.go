package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	omi "github.com/omi-devapi/omi-devapi"
)

// testMemoryListShapes checks every query shape a memory list can take
// (no category, one, several, repeated; cursor or not; offsets within,
// at and past the end) against the order computed here from the rows, so
// a store can plan each shape its own way (a single index walk, a merge of
// per-category walks, a prepared statement) and still answer the same.
func testMemoryListShapes(t *testing.T, open Open) {
	s := open(t)
	cats := []string{"work", "system", "habits", "interesting"}
	var all []*omi.Memory
	for i := range 90 {
		cat := cats[i%len(cats)]
		// Triples share a timestamp, so the id tie-break decides.
		created := base.Add(time.Duration(i/3) * time.Minute)
		m := newMemory("alice", fmt.Sprintf("m%03d", (i*37)%90), "c", cat, created)
		if i%5 == 0 {
			// Extracted, not typed in: ranks below manual memories.
			m.ManuallyAdded, m.Reviewed, m.UserReview = false, false, nil
			m.Scoring = omi.MemoryScore(false, cat, created)
		}
		if i%11 == 0 {
			no := false
			m.UserReview = &no // rejected: never listed
		}
		all = append(all, m)
	}
	// Another user's memories interleave with alice's in every index.
	for i := range 20 {
		all = append(all, newMemory("bob", fmt.Sprintf("m%03d", i), "b", cats[i%len(cats)], base.Add(time.Duration(i)*time.Minute)))
	}
	must(t, s.CreateMemories(ctx(t), all))

	want := func(filter []string) []*omi.Memory {
		var out []*omi.Memory
		for _, m := range all {
			if m.UID != "alice" || (m.UserReview != nil && !*m.UserReview) {
				continue
			}
			if len(filter) > 0 && !slices.Contains(filter, m.Category) {
				continue
			}
			out = append(out, m)
		}
		slices.SortFunc(out, func(a, b *omi.Memory) int {
			return cmp.Or(cmp.Compare(b.Scoring, a.Scoring), b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
		})
		return out
	}
	ids := func(ms []*omi.Memory) []string {
		out := []string{}
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	filters := [][]string{nil, {"work"}, {"habits", "work"}, {"work", "work"}, {"system", "habits", "interesting", "work"}, {"manual"}}
	for _, filter := range filters {
		full := want(filter)
		for _, cursorAt := range []int{-1, 0, 7, len(full) - 1} {
			if cursorAt >= len(full) {
				continue
			}
			rest := full
			var after *omi.MemoryCursor
			if cursorAt >= 0 {
				c := full[cursorAt].Cursor()
				after, rest = &c, full[cursorAt+1:]
			}
			for _, limit := range []int{1, 4, 26, 1000} {
				for _, offset := range []int{0, 3, len(rest), len(rest) + 5} {
					page := omi.Page{Limit: limit, Offset: offset}
					if after != nil {
						page.After = after
					}
					got, err := s.ListMemories(ctx(t), omi.MemoryFilter{UID: "alice", Categories: filter, Page: page})
					must(t, err)
					exp := rest[min(offset, len(rest)):]
					exp = exp[:min(limit, len(exp))]
					if fmt.Sprint(ids(got)) != fmt.Sprint(ids(exp)) {
						t.Fatalf("categories %v, cursor after #%d, limit %d, offset %d:\n got %v\nwant %v",
							filter, cursorAt, limit, offset, ids(got), ids(exp))
					}
				}
			}
		}
	}
	// Rows come back whole, not just in order.
	got, err := s.ListMemories(ctx(t), omi.MemoryFilter{UID: "alice", Categories: []string{"work", "habits"}, Page: omi.Page{Limit: 2}})
	must(t, err)
	for _, m := range got {
		stored, err := s.GetMemory(ctx(t), "alice", m.ID)
		must(t, err)
		if diff := gocmp.Diff(stored, m); diff != "" {
			t.Fatalf("listed memory differs from stored (-stored +listed):\n%s", diff)
		}
	}
}
