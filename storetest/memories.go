package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	omi "github.com/omi-devapi/omi-devapi"
)

func newMemory(uid, id, content, category string, created time.Time) *omi.Memory {
	cat := category
	return omi.NewMemory(id, uid, content, &cat, nil, nil, created)
}

func testMemories(t *testing.T, open Open) {
	t.Run("RoundTrip", func(t *testing.T) {
		s := open(t)
		m := newMemory("alice", "m1", "likes tea", "work", base)
		m.Tags = []string{"a", "b"}
		cid := "conv-1"
		m.ConversationID = &cid
		must(t, s.CreateMemories(ctx(t), []*omi.Memory{m}))
		got, err := s.GetMemory(ctx(t), "alice", "m1")
		must(t, err)
		if diff := cmp.Diff(m, got); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
		_, err = s.GetMemory(ctx(t), "bob", "m1")
		wantCode(t, err, omi.ENOTFOUND)
	})
	t.Run("BatchIsAllOrNothing", func(t *testing.T) {
		s := open(t)
		must(t, s.CreateMemories(ctx(t), []*omi.Memory{newMemory("alice", "dup", "x", "work", base)}))
		err := s.CreateMemories(ctx(t), []*omi.Memory{
			newMemory("alice", "new1", "x", "work", base),
			newMemory("alice", "dup", "collides", "work", base),
		})
		if err == nil {
			t.Fatal("duplicate id accepted")
		}
		if _, err := s.GetMemory(ctx(t), "alice", "new1"); omi.ErrorCode(err) != omi.ENOTFOUND {
			t.Fatalf("half a batch written: %v", err)
		}
		// The same id for another user is another memory.
		must(t, s.CreateMemories(ctx(t), []*omi.Memory{newMemory("bob", "dup", "bob's", "work", base)}))
	})
	t.Run("ListOrderFiltersPaging", func(t *testing.T) {
		s := open(t)
		var all []*omi.Memory
		for i := range 30 {
			cat := []string{"system", "work", "habits"}[i%3]
			// Pairs share a timestamp so the id tie-break matters.
			all = append(all, newMemory("alice", fmt.Sprintf("m%02d", i), "c", cat, base.Add(time.Duration(i/2)*time.Second)))
		}
		rejected := newMemory("alice", "rejected", "c", "work", base.Add(time.Hour))
		no := false
		rejected.UserReview = &no
		all = append(all, rejected, newMemory("bob", "bobs", "c", "work", base.Add(time.Hour)))
		must(t, s.CreateMemories(ctx(t), all))

		list := func(f omi.MemoryFilter) []string {
			t.Helper()
			f.UID = "alice"
			ms, err := s.ListMemories(ctx(t), f)
			must(t, err)
			ids := []string{}
			for _, m := range ms {
				ids = append(ids, m.ID)
			}
			return ids
		}
		full := list(omi.MemoryFilter{Page: omi.Page{Limit: 100}})
		if len(full) != 30 {
			t.Fatalf("want 30 (rejected and bob's excluded), got %d: %v", len(full), full)
		}
		// Upstream's scoring puts the unboosted categories (999) above the
		// boosted (998), newest first, id descending on ties.
		if full[0] != "m29" || full[1] != "m27" || full[2] != "m26" || full[19] != "m00" || full[20] != "m28" || full[29] != "m01" {
			t.Fatalf("order: %v", full)
		}
		if got := list(omi.MemoryFilter{Categories: []string{"system", "habits"}, Page: omi.Page{Limit: 3, Offset: 1}}); fmt.Sprint(got) != "[m27 m26 m24]" {
			t.Fatalf("filtered page: %v", got)
		}
		if got := list(omi.MemoryFilter{Categories: []string{"work", "work"}, Page: omi.Page{Limit: 100}}); len(got) != 10 {
			t.Fatalf("a repeated category lists memories twice: %v", got)
		}
		// Cursor pages join up with no gaps and no repeats.
		var walked []string
		var after *omi.MemoryCursor
		for {
			f := omi.MemoryFilter{UID: "alice", Page: omi.Page{Limit: 4}}
			if after != nil {
				f.Page.After = after
			}
			ms, err := s.ListMemories(ctx(t), f)
			must(t, err)
			for _, m := range ms {
				walked = append(walked, m.ID)
			}
			if len(ms) < 4 {
				break
			}
			c := ms[len(ms)-1].Cursor()
			after = &c
		}
		if fmt.Sprint(walked) != fmt.Sprint(full) {
			t.Fatalf("cursor walk %v\n!= list %v", walked, full)
		}
	})
	t.Run("UpdateDelete", func(t *testing.T) {
		s := open(t)
		must(t, s.CreateMemories(ctx(t), []*omi.Memory{newMemory("alice", "m", "old", "system", base)}))
		content := "new"
		got, err := s.UpdateMemory(ctx(t), "alice", "m", func(m *omi.Memory) error {
			m.Apply(omi.MemoryUpdate{Content: &content, Tags: []string{"t"}}, base.Add(time.Hour))
			m.ID, m.UID, m.CreatedAt = "hijack", "bob", base.Add(-time.Hour) // a buggy fn cannot move it
			return nil
		})
		must(t, err)
		if got.ID != "m" || got.Content != "new" || !got.Edited {
			t.Fatalf("updated: %+v", got)
		}
		reread, err := s.GetMemory(ctx(t), "alice", "m")
		must(t, err)
		if reread.Content != "new" || !reread.UpdatedAt.Equal(base.Add(time.Hour)) || !reread.CreatedAt.Equal(base) || fmt.Sprint(reread.Tags) != "[t]" {
			t.Fatalf("stored: %+v", reread)
		}
		boom := errors.New("boom")
		_, err = s.UpdateMemory(ctx(t), "alice", "m", func(m *omi.Memory) error { m.Content = "lost"; return boom })
		if !errors.Is(err, boom) {
			t.Fatalf("fn error not returned: %v", err)
		}
		if m, _ := s.GetMemory(ctx(t), "alice", "m"); m.Content != "new" {
			t.Fatal("failed update was written")
		}
		_, err = s.UpdateMemory(ctx(t), "bob", "m", func(*omi.Memory) error { return nil })
		wantCode(t, err, omi.ENOTFOUND)
		wantCode(t, s.DeleteMemory(ctx(t), "bob", "m"), omi.ENOTFOUND)
		must(t, s.DeleteMemory(ctx(t), "alice", "m"))
		wantCode(t, s.DeleteMemory(ctx(t), "alice", "m"), omi.ENOTFOUND)
	})
}
