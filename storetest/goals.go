package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	omi "github.com/omi-devapi/omi-devapi"
)

func newGoal(t *testing.T, uid, id, title string, created time.Time) *omi.Goal {
	t.Helper()
	g, err := omi.NewGoal(id, uid, omi.GoalInput{Title: title}, created)
	must(t, err)
	return g
}

func addr[T any](v T) *T { return &v }

func testGoals(t *testing.T, open Open) {
	t.Run("RoundTrip", func(t *testing.T) {
		s := open(t)
		horizon := base.Add(90 * 24 * time.Hour)
		full := &omi.Goal{
			ID: "goal_0123456789ab", UID: "alice", Title: "Run a marathon", DesiredOutcome: "Finish under 4h",
			WhyItMatters: addr("health"), SuccessCriteria: []string{"train 3x a week", "10k under 50 min"},
			HorizonAt: &horizon, Status: omi.GoalFocused, FocusRank: addr(int64(2)),
			Metric: &omi.GoalMetric{Type: "numeric", Current: 12.5, Target: 42.195, Min: addr(0.0), Max: addr(50.0), Unit: addr("km")},
			Source: omi.GoalSourceUser, CreatedAt: base, UpdatedAt: base.Add(time.Second), EndedAt: addr(base.Add(time.Hour)),
		}
		bare := newGoal(t, "alice", "goal_bare", "Read more", base)
		must(t, s.CreateGoal(ctx(t), full))
		must(t, s.CreateGoal(ctx(t), bare))
		for _, want := range []*omi.Goal{full, bare} {
			got, err := s.GetGoal(ctx(t), "alice", want.ID)
			must(t, err)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("round trip (-want +got):\n%s", diff)
			}
		}
		_, err := s.GetGoal(ctx(t), "bob", full.ID)
		wantCode(t, err, omi.ENOTFOUND)
		if err := s.CreateGoal(ctx(t), newGoal(t, "alice", full.ID, "dup", base)); err == nil {
			t.Fatal("duplicate id accepted")
		}
		// The same id for another user is another goal.
		must(t, s.CreateGoal(ctx(t), newGoal(t, "bob", full.ID, "bob's", base)))
	})
	t.Run("ListOrders", func(t *testing.T) {
		s := open(t)
		for i := range 6 {
			// Pairs share a timestamp so the id tie-break matters.
			g := newGoal(t, "alice", fmt.Sprintf("g%d", i), "t", base.Add(time.Duration(i/2)*time.Minute))
			switch i {
			case 1:
				g.Status = omi.GoalAchieved
			case 4:
				g.Abandon(base)
			}
			must(t, s.CreateGoal(ctx(t), g))
		}
		must(t, s.CreateGoal(ctx(t), newGoal(t, "bob", "bobs", "t", base)))
		list := func(f omi.GoalFilter) string {
			t.Helper()
			f.UID = "alice"
			gs, err := s.ListGoals(ctx(t), f)
			must(t, err)
			ids := []string{}
			for _, g := range gs {
				ids = append(ids, g.ID)
			}
			return fmt.Sprint(ids)
		}
		if got := list(omi.GoalFilter{Limit: 10}); got != "[g0 g2 g3 g5]" {
			t.Fatalf("active: %s", got)
		}
		if got := list(omi.GoalFilter{Limit: 2}); got != "[g0 g2]" {
			t.Fatalf("active, limited: %s", got)
		}
		if got := list(omi.GoalFilter{IncludeInactive: true, Limit: 10}); got != "[g5 g4 g3 g2 g1 g0]" {
			t.Fatalf("all: %s", got)
		}
		if got := list(omi.GoalFilter{IncludeInactive: true, Limit: 3}); got != "[g5 g4 g3]" {
			t.Fatalf("all, limited: %s", got)
		}
		gs, err := s.ListGoals(ctx(t), omi.GoalFilter{UID: "carol", Limit: 10})
		must(t, err)
		if gs == nil || len(gs) != 0 {
			t.Fatalf("empty list must be [], got %#v", gs)
		}
	})
	t.Run("Update", func(t *testing.T) {
		s := open(t)
		must(t, s.CreateGoal(ctx(t), newGoal(t, "alice", "g", "old", base)))
		title := "new"
		got, err := s.UpdateGoal(ctx(t), "alice", "g", func(g *omi.Goal) error {
			must(t, g.Apply(omi.GoalUpdate{Title: &title, Metric: omi.MetricFields{Target: addr(5.0)}}, base.Add(time.Hour)))
			g.ID, g.UID, g.CreatedAt = "hijack", "bob", base.Add(-time.Hour) // a buggy fn cannot move it
			return nil
		})
		must(t, err)
		if got.ID != "g" || got.Title != "new" || got.Metric == nil || got.Metric.Target != 5 || got.Metric.Type != "scale" {
			t.Fatalf("updated: %+v", got)
		}
		reread, err := s.GetGoal(ctx(t), "alice", "g")
		must(t, err)
		if diff := cmp.Diff(got, reread); diff != "" {
			t.Fatalf("stored (-returned +stored):\n%s", diff)
		}
		if !reread.CreatedAt.Equal(base) || !reread.UpdatedAt.Equal(base.Add(time.Hour)) {
			t.Fatalf("times: %+v", reread)
		}
		if _, err := s.GetGoal(ctx(t), "bob", "hijack"); omi.ErrorCode(err) != omi.ENOTFOUND {
			t.Fatalf("fn moved the goal: %v", err)
		}
		boom := errors.New("boom")
		_, err = s.UpdateGoal(ctx(t), "alice", "g", func(g *omi.Goal) error { g.Title = "lost"; return boom })
		if !errors.Is(err, boom) {
			t.Fatalf("fn error not returned: %v", err)
		}
		if g, _ := s.GetGoal(ctx(t), "alice", "g"); g.Title != "new" {
			t.Fatal("failed update was written")
		}
		_, err = s.UpdateGoal(ctx(t), "bob", "g", func(*omi.Goal) error { return nil })
		wantCode(t, err, omi.ENOTFOUND)
	})
	t.Run("ProgressAndHistory", func(t *testing.T) {
		s := open(t)
		must(t, s.CreateGoal(ctx(t), newGoal(t, "alice", "g", "t", base)))
		day := func(d int, h time.Duration) time.Time { return base.Add(time.Duration(d)*24*time.Hour + h) }
		got, err := s.RecordGoalProgress(ctx(t), "alice", "g", 3, day(0, 0))
		must(t, err)
		if got.Metric == nil || got.Metric.Type != "numeric" || got.Metric.Current != 3 || got.Metric.Target != 0 {
			t.Fatalf("metric created: %+v", got.Metric)
		}
		// Later the same day: the day's row is overwritten.
		_, err = s.RecordGoalProgress(ctx(t), "alice", "g", 4, day(0, time.Hour))
		must(t, err)
		_, err = s.RecordGoalProgress(ctx(t), "alice", "g", 7, day(1, 0))
		must(t, err)
		_, err = s.RecordGoalProgress(ctx(t), "alice", "g", 9.5, day(3, 0))
		must(t, err)
		g, err := s.GetGoal(ctx(t), "alice", "g")
		must(t, err)
		if g.Metric.Current != 9.5 || !g.UpdatedAt.Equal(day(3, 0)) {
			t.Fatalf("stored progress: %+v %+v", g, g.Metric)
		}
		h, err := s.GoalHistory(ctx(t), "alice", "g", 30)
		must(t, err)
		want := []*omi.GoalHistoryEntry{
			{Date: omi.HistoryDate(day(3, 0)), Value: 9.5, RecordedAt: day(3, 0)},
			{Date: omi.HistoryDate(day(1, 0)), Value: 7, RecordedAt: day(1, 0)},
			{Date: omi.HistoryDate(day(0, 0)), Value: 4, RecordedAt: day(0, time.Hour)},
		}
		if diff := cmp.Diff(want, h); diff != "" {
			t.Fatalf("history (-want +got):\n%s", diff)
		}
		// Rows, not calendar days: the newest two rows span three days.
		h, err = s.GoalHistory(ctx(t), "alice", "g", 2)
		must(t, err)
		if len(h) != 2 || h[1].Value != 7 {
			t.Fatalf("limited history: %v", h)
		}
		must(t, s.CreateGoal(ctx(t), newGoal(t, "alice", "quiet", "t", base)))
		h, err = s.GoalHistory(ctx(t), "alice", "quiet", 30)
		must(t, err)
		if h == nil || len(h) != 0 {
			t.Fatalf("no history must be [], got %#v", h)
		}
		_, err = s.GoalHistory(ctx(t), "bob", "g", 30)
		wantCode(t, err, omi.ENOTFOUND)
		_, err = s.GoalHistory(ctx(t), "alice", "nope", 30)
		wantCode(t, err, omi.ENOTFOUND)
		_, err = s.RecordGoalProgress(ctx(t), "bob", "g", 1, day(4, 0))
		wantCode(t, err, omi.ENOTFOUND)
		if h, _ := s.GoalHistory(ctx(t), "alice", "g", 30); len(h) != 3 {
			t.Fatalf("another user's progress wrote history: %v", h)
		}
	})
}
