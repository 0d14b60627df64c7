package process

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
)

// fixture is one hand-written conversation with what a careful human
// reader would extract from it (see testdata/fixtures).
type fixture struct {
	Name       string    `json:"name"`
	StartedAt  time.Time `json:"started_at"`
	TextSource string    `json:"text_source"`
	Text       string    `json:"text"`
	Segments   []struct {
		Speaker string `json:"speaker"`
		IsUser  bool   `json:"is_user"`
		Text    string `json:"text"`
	} `json:"segments"`
	Discarded    bool     `json:"discarded"`
	Category     string   `json:"category"`
	CategoryAlts []string `json:"category_alternatives"`
	ActionItems  []struct {
		Keywords []string `json:"keywords"`
		Due      string   `json:"due"` // YYYY-MM-DD, optional
	} `json:"action_items"`
	Events []struct {
		Keywords []string `json:"keywords"`
		Start    string   `json:"start"` // RFC 3339 (exact) or YYYY-MM-DD (day only)
	} `json:"events"`
	Memories []struct {
		Keywords []string `json:"keywords"`
	} `json:"memories"`
}

func loadFixtures(t testing.TB) []fixture {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "fixtures", "*.json"))
	if err != nil || len(paths) < 20 {
		t.Fatalf("want at least 20 fixtures, got %d (%v)", len(paths), err)
	}
	var out []fixture
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var f fixture
		if err := json.Unmarshal(raw, &f); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out = append(out, f)
	}
	return out
}

func (f fixture) input() omi.ProcessInput {
	in := omi.ProcessInput{Text: f.Text, TextSource: f.TextSource, StartedAt: f.StartedAt,
		FinishedAt: f.StartedAt.Add(5 * time.Minute), Language: "en"}
	if len(f.Segments) > 0 {
		in.TextSource = ""
		var lines []string
		for i, s := range f.Segments {
			in.Segments = append(in.Segments, omi.TranscriptSegment{Text: s.Text, Speaker: s.Speaker, IsUser: s.IsUser,
				Start: float64(i * 10), End: float64(i*10 + 9)})
			lines = append(lines, s.Text)
		}
		in.Text = strings.Join(lines, "\n")
	}
	return in
}

func hasAll(s string, keywords []string) bool {
	s = strings.ToLower(s)
	for _, k := range keywords {
		if !strings.Contains(s, strings.ToLower(k)) {
			return false
		}
	}
	return true
}

// tally counts matches between expected and produced items: an expected
// item matches the first unused produced item that satisfies it, so each
// produced item matches at most one expected item.
type tally struct{ expected, produced, matched int }

func (t *tally) add(expected, produced int, match func(e, p int) bool) []bool {
	t.expected += expected
	t.produced += produced
	used := make([]bool, produced)
	for e := 0; e < expected; e++ {
		for p := 0; p < produced; p++ {
			if !used[p] && match(e, p) {
				used[p] = true
				t.matched++
				break
			}
		}
	}
	return used
}

func (t tally) precision() float64 {
	if t.produced == 0 {
		return 1
	}
	return float64(t.matched) / float64(t.produced)
}

func (t tally) recall() float64 {
	if t.expected == 0 {
		return 1
	}
	return float64(t.matched) / float64(t.expected)
}

// TestFixtureQuality runs the built-in processor over the hand-written
// fixtures and reports precision and recall. The floors keep the numbers
// honest: recall of action items >= 0.8, their precision >= 0.6, category
// accuracy >= 0.6.
func TestFixtureQuality(t *testing.T) {
	var (
		actions, events, memories tally
		catOK, catN, discardOK    int
		dueOK, dueN               int
	)
	p := NewBuiltin()
	for _, f := range loadFixtures(t) {
		res, err := p.Process(context.Background(), f.input())
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		s := res.Structured
		if res.Discarded == f.Discarded {
			discardOK++
		} else {
			t.Errorf("%s: discarded = %v, want %v", f.Name, res.Discarded, f.Discarded)
		}
		catN++
		if s.Category == f.Category || slices.Contains(f.CategoryAlts, s.Category) {
			catOK++
		} else {
			t.Logf("%s: category %q, want %q (or %v)", f.Name, s.Category, f.Category, f.CategoryAlts)
		}

		used := actions.add(len(f.ActionItems), len(s.ActionItems), func(e, p int) bool {
			return hasAll(s.ActionItems[p].Description, f.ActionItems[e].Keywords)
		})
		for e, want := range f.ActionItems {
			found := false
			for p := range s.ActionItems {
				if hasAll(s.ActionItems[p].Description, want.Keywords) {
					found = true
					if want.Due != "" {
						dueN++
						if due := s.ActionItems[p].DueAt; due != nil && due.Format(time.DateOnly) == want.Due {
							dueOK++
						}
					}
					break
				}
			}
			if !found {
				t.Logf("%s: missed action item %d %v", f.Name, e, want.Keywords)
			}
		}
		for p, ok := range used {
			if !ok {
				t.Logf("%s: extra action item %q", f.Name, s.ActionItems[p].Description)
			}
		}

		used = events.add(len(f.Events), len(s.Events), func(e, p int) bool {
			got, want := s.Events[p], f.Events[e]
			if !hasAll(got.Title, want.Keywords) {
				return false
			}
			if strings.Contains(want.Start, "T") {
				return got.Start.Format(time.RFC3339) == want.Start
			}
			return got.Start.Format(time.DateOnly) == want.Start
		})
		for p, ok := range used {
			if !ok {
				t.Logf("%s: extra or mistimed event %q at %s", f.Name, s.Events[p].Title, s.Events[p].Start.Format(time.RFC3339))
			}
		}

		used = memories.add(len(f.Memories), len(res.Memories), func(e, p int) bool {
			return hasAll(res.Memories[p].Content, f.Memories[e].Keywords)
		})
		for p, ok := range used {
			if !ok {
				t.Logf("%s: extra memory %q", f.Name, res.Memories[p].Content)
			}
		}
	}
	catAcc := float64(catOK) / float64(catN)
	t.Logf("fixtures: %d, discard decisions right: %d", catN, discardOK)
	t.Logf("category accuracy: %.2f (%d/%d)", catAcc, catOK, catN)
	t.Logf("action items: precision %.2f (%d/%d), recall %.2f (%d/%d); due dates right %d/%d",
		actions.precision(), actions.matched, actions.produced, actions.recall(), actions.matched, actions.expected, dueOK, dueN)
	t.Logf("events: precision %.2f (%d/%d), recall %.2f (%d/%d)",
		events.precision(), events.matched, events.produced, events.recall(), events.matched, events.expected)
	t.Logf("memories: precision %.2f (%d/%d), recall %.2f (%d/%d)",
		memories.precision(), memories.matched, memories.produced, memories.recall(), memories.matched, memories.expected)
	if actions.recall() < 0.8 {
		t.Errorf("action item recall %.2f < 0.8", actions.recall())
	}
	if actions.precision() < 0.6 {
		t.Errorf("action item precision %.2f < 0.6", actions.precision())
	}
	if catAcc < 0.6 {
		t.Errorf("category accuracy %.2f < 0.6", catAcc)
	}
}
