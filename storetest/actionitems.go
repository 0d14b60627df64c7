package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	omi "github.com/omi-devapi/omi-devapi"
)

func newActionItem(uid, id string, created time.Time, due *time.Time) *omi.ActionItem {
	return omi.NewActionItem(id, uid, "do "+id, false, due, created)
}

func at(t time.Time) *time.Time { return &t }

// actionItemOrder is the list order, written out independently of any
// store: due items by due_at ascending, then undated ones; ties by
// created_at, then id, descending.
func actionItemOrder(a, b *omi.ActionItem) int {
	switch {
	case a.DueAt != nil && b.DueAt == nil:
		return -1
	case a.DueAt == nil && b.DueAt != nil:
		return 1
	case a.DueAt != nil && !a.DueAt.Equal(*b.DueAt):
		return a.DueAt.Compare(*b.DueAt)
	case !a.CreatedAt.Equal(b.CreatedAt):
		return b.CreatedAt.Compare(a.CreatedAt)
	}
	return cmp.Compare(b.ID, a.ID)
}

func testActionItems(t *testing.T, open Open) {
	t.Run("RoundTrip", func(t *testing.T) {
		s := open(t)
		full := omi.NewActionItem("a1", "alice", "  call mum  ", true, at(base.Add(48*time.Hour)), base)
		cid := "conv-1"
		full.ConversationID = &cid
		bare := newActionItem("alice", "a2", base, nil)
		must(t, s.CreateActionItems(ctx(t), []*omi.ActionItem{full, bare}))
		if full.Description != "call mum" || full.CompletedAt == nil || !full.CompletedAt.Equal(base) {
			t.Fatalf("constructor: %+v", full)
		}
		for _, want := range []*omi.ActionItem{full, bare} {
			got, err := s.GetActionItem(ctx(t), "alice", want.ID)
			must(t, err)
			if diff := gocmp.Diff(want, got); diff != "" {
				t.Fatalf("round trip (-want +got):\n%s", diff)
			}
		}
		_, err := s.GetActionItem(ctx(t), "bob", "a1")
		wantCode(t, err, omi.ENOTFOUND)
		must(t, s.CreateActionItems(ctx(t), nil))
	})
	t.Run("BatchIsAllOrNothing", func(t *testing.T) {
		s := open(t)
		must(t, s.CreateActionItems(ctx(t), []*omi.ActionItem{newActionItem("alice", "dup", base, nil)}))
		err := s.CreateActionItems(ctx(t), []*omi.ActionItem{
			newActionItem("alice", "new1", base, nil),
			newActionItem("alice", "dup", base, nil),
		})
		if err == nil {
			t.Fatal("duplicate id accepted")
		}
		if _, err := s.GetActionItem(ctx(t), "alice", "new1"); omi.ErrorCode(err) != omi.ENOTFOUND {
			t.Fatalf("half a batch written: %v", err)
		}
		// The same id for another user is another item.
		must(t, s.CreateActionItems(ctx(t), []*omi.ActionItem{newActionItem("bob", "dup", base, nil)}))
	})
	t.Run("ListOrderFiltersPaging", func(t *testing.T) {
		s := open(t)
		var all []*omi.ActionItem
		conv := "conv-1"
		for i := range 40 {
			// Pairs share created_at and due_at, so only the id orders them;
			// every third pair has no due date; due dates repeat across pairs
			// so created_at breaks those ties, and some lie before 1970 so
			// negative times sort right too.
			var due *time.Time
			if pair := i / 2; pair%3 != 0 {
				due = at(base.Add(time.Duration(pair%5-2) * 24 * 365 * 30 * time.Hour))
			}
			a := newActionItem("alice", fmt.Sprintf("a%02d", i), base.Add(time.Duration(i/2)*time.Second), due)
			a.Completed = i%4 == 0
			if i%5 == 0 {
				a.ConversationID = &conv
			}
			all = append(all, a)
		}
		must(t, s.CreateActionItems(ctx(t), all))
		must(t, s.CreateActionItems(ctx(t), []*omi.ActionItem{newActionItem("bob", "bobs", base, nil)}))

		ids := func(items []*omi.ActionItem) []string {
			out := []string{}
			for _, a := range items {
				out = append(out, a.ID)
			}
			return out
		}
		expect := func(keep func(*omi.ActionItem) bool) []string {
			var want []*omi.ActionItem
			for _, a := range all {
				if keep(a) {
					want = append(want, a)
				}
			}
			slices.SortFunc(want, actionItemOrder)
			return ids(want)
		}
		list := func(f omi.ActionItemFilter) []string {
			t.Helper()
			f.UID = "alice"
			items, err := s.ListActionItems(ctx(t), f)
			must(t, err)
			return ids(items)
		}
		// walk pages through f by cursor, size items at a time.
		walk := func(f omi.ActionItemFilter, size int) []string {
			t.Helper()
			f.UID = "alice"
			var walked []string
			for range 100 {
				f.Page.Limit = size
				items, err := s.ListActionItems(ctx(t), f)
				must(t, err)
				walked = append(walked, ids(items)...)
				if len(items) < size {
					return walked
				}
				c := items[len(items)-1].Cursor()
				f.Page.After = &c
			}
			t.Fatal("cursor walk does not end")
			return nil
		}

		everything := func(*omi.ActionItem) bool { return true }
		full := list(omi.ActionItemFilter{Page: omi.Page{Limit: 100}})
		if want := expect(everything); fmt.Sprint(full) != fmt.Sprint(want) {
			t.Fatalf("order %v\nwant  %v", full, want)
		}
		if got := list(omi.ActionItemFilter{Page: omi.Page{Limit: 5, Offset: 7}}); fmt.Sprint(got) != fmt.Sprint(full[7:12]) {
			t.Fatalf("offset page %v, want %v", got, full[7:12])
		}
		if got := walk(omi.ActionItemFilter{}, 6); fmt.Sprint(got) != fmt.Sprint(full) {
			t.Fatalf("cursor walk %v\n!= list %v", got, full)
		}

		yes, no := true, false
		lo, hi := base.Add(5*time.Second), base.Add(12*time.Second)
		filters := []struct {
			name string
			f    omi.ActionItemFilter
			keep func(*omi.ActionItem) bool
		}{
			{"conversation", omi.ActionItemFilter{ConversationID: &conv},
				func(a *omi.ActionItem) bool { return a.ConversationID != nil }},
			{"no such conversation", omi.ActionItemFilter{ConversationID: new(string)},
				func(a *omi.ActionItem) bool { return false }},
			{"completed", omi.ActionItemFilter{Completed: &yes}, func(a *omi.ActionItem) bool { return a.Completed }},
			{"open", omi.ActionItemFilter{Completed: &no}, func(a *omi.ActionItem) bool { return !a.Completed }},
			{"created range, inclusive", omi.ActionItemFilter{Start: &lo, End: &hi},
				func(a *omi.ActionItem) bool { return !a.CreatedAt.Before(lo) && !a.CreatedAt.After(hi) }},
			{"all together", omi.ActionItemFilter{Completed: &no, ConversationID: &conv, Start: &lo},
				func(a *omi.ActionItem) bool {
					return !a.Completed && a.ConversationID != nil && !a.CreatedAt.Before(lo)
				}},
		}
		for _, tc := range filters {
			want := expect(tc.keep)
			f := tc.f
			f.Page.Limit = 100
			if got := list(f); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: %v\nwant %v", tc.name, got, want)
			}
			if got := walk(tc.f, 2); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s, by cursor: %v\nwant %v", tc.name, got, want)
			}
		}
	})
	t.Run("UpdateDelete", func(t *testing.T) {
		s := open(t)
		cid := "conv-1"
		a := newActionItem("alice", "a", base, nil)
		a.ConversationID = &cid
		must(t, s.CreateActionItems(ctx(t), []*omi.ActionItem{a}))
		desc, done, due := " new ", true, base.Add(72*time.Hour)
		later := base.Add(time.Hour)
		got, err := s.UpdateActionItem(ctx(t), "alice", "a", func(a *omi.ActionItem) error {
			a.Apply(omi.ActionItemUpdate{Description: &desc, Completed: &done, DueAt: &due}, later)
			// A buggy fn cannot move the item or rewrite where it came from.
			a.ID, a.UID, a.CreatedAt, a.ConversationID = "hijack", "bob", base.Add(-time.Hour), nil
			return nil
		})
		must(t, err)
		want := &omi.ActionItem{ID: "a", UID: "alice", Description: "new", Completed: true, CreatedAt: base,
			UpdatedAt: later, DueAt: &due, CompletedAt: &later, ConversationID: &cid}
		if diff := gocmp.Diff(want, got); diff != "" {
			t.Fatalf("returned (-want +got):\n%s", diff)
		}
		reread, err := s.GetActionItem(ctx(t), "alice", "a")
		must(t, err)
		if diff := gocmp.Diff(want, reread); diff != "" {
			t.Fatalf("stored (-want +got):\n%s", diff)
		}
		undone := false
		got, err = s.UpdateActionItem(ctx(t), "alice", "a", func(a *omi.ActionItem) error {
			a.Apply(omi.ActionItemUpdate{Completed: &undone}, later.Add(time.Hour))
			return nil
		})
		must(t, err)
		if got.Completed || got.CompletedAt != nil || got.DueAt == nil || !got.UpdatedAt.Equal(later.Add(time.Hour)) {
			t.Fatalf("un-completed: %+v", got)
		}

		boom := errors.New("boom")
		_, err = s.UpdateActionItem(ctx(t), "alice", "a", func(a *omi.ActionItem) error { a.Description = "lost"; return boom })
		if !errors.Is(err, boom) {
			t.Fatalf("fn error not returned: %v", err)
		}
		if a, _ := s.GetActionItem(ctx(t), "alice", "a"); a.Description != "new" {
			t.Fatal("failed update was written")
		}
		_, err = s.UpdateActionItem(ctx(t), "bob", "a", func(*omi.ActionItem) error { return nil })
		wantCode(t, err, omi.ENOTFOUND)
		wantCode(t, s.DeleteActionItem(ctx(t), "bob", "a"), omi.ENOTFOUND)
		must(t, s.DeleteActionItem(ctx(t), "alice", "a"))
		wantCode(t, s.DeleteActionItem(ctx(t), "alice", "a"), omi.ENOTFOUND)
		_, err = s.GetActionItem(ctx(t), "alice", "a")
		wantCode(t, err, omi.ENOTFOUND)
	})
}
