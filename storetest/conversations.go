package storetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	omi "github.com/omi-devapi/omi-devapi"
)

func newConversation(uid, id string, created time.Time, category string) *omi.Conversation {
	src, lang := "phone", "en"
	fin := created.Add(time.Minute)
	return &omi.Conversation{
		ID: id, UID: uid, CreatedAt: created, StartedAt: &created, FinishedAt: &fin, Source: &src, Language: &lang,
		Status: "completed",
		Structured: omi.Structured{Title: "T " + id, Overview: "O", Emoji: "🧠", Category: category,
			ActionItems: []omi.ConversationActionItem{}, Events: []omi.Event{}},
		TranscriptSegments: []omi.TranscriptSegment{{ID: "s1", Text: "hi", Speaker: "SPEAKER_02", SpeakerID: 2, Start: 0, End: 1.5}},
	}
}

func testConversations(t *testing.T, open Open) {
	t.Run("CreateWithDerivedRows", func(t *testing.T) {
		s := open(t)
		c := newConversation("alice", "c1", base, "work")
		lat := "Berlin"
		c.Geolocation = &omi.Geolocation{Latitude: 52.5, Longitude: 13.4, Address: &lat}
		c.ExternalData = json.RawMessage(`{"text":"hello"}`)
		pid := "p1"
		c.TranscriptSegments = append(c.TranscriptSegments, omi.TranscriptSegment{ID: "s2", Text: "me", Speaker: "SPEAKER_00", IsUser: true, PersonID: &pid, Start: 2, End: 3})
		cid := c.ID
		items := []*omi.ActionItem{{ID: "a1", UID: "alice", Description: "do it", CreatedAt: base, UpdatedAt: base, ConversationID: &cid}}
		mems := []*omi.Memory{{ID: "m1", UID: "alice", Content: "fact", Category: "system", Visibility: "private", Tags: []string{},
			CreatedAt: base, UpdatedAt: base, Scoring: omi.MemoryScore(false, "system", base), ConversationID: &cid}}
		stored, created, err := s.CreateConversation(ctx(t), c, items, mems)
		must(t, err)
		if !created || stored.ID != "c1" {
			t.Fatalf("created %v %+v", created, stored)
		}
		got, err := s.GetConversation(ctx(t), "alice", "c1", true)
		must(t, err)
		if diff := cmp.Diff(c, got, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
		noTranscript, err := s.GetConversation(ctx(t), "alice", "c1", false)
		must(t, err)
		if noTranscript.TranscriptSegments != nil {
			t.Fatal("transcript loaded without asking")
		}
		if _, err := s.GetActionItem(ctx(t), "alice", "a1"); err != nil {
			t.Fatalf("derived action item: %v", err)
		}
		if m, err := s.GetMemory(ctx(t), "alice", "m1"); err != nil || *m.ConversationID != "c1" {
			t.Fatalf("derived memory: %v %v", m, err)
		}
		_, err = s.GetConversation(ctx(t), "bob", "c1", false)
		wantCode(t, err, omi.ENOTFOUND)
	})
	t.Run("FailedCreateWritesNothing", func(t *testing.T) {
		s := open(t)
		must(t, s.CreateMemories(ctx(t), []*omi.Memory{newMemory("alice", "taken", "x", "work", base)}))
		c := newConversation("alice", "c1", base, "work")
		_, _, err := s.CreateConversation(ctx(t), c, nil, []*omi.Memory{newMemory("alice", "taken", "dup id", "work", base)})
		if err == nil {
			t.Fatal("duplicate memory id accepted")
		}
		_, err = s.GetConversation(ctx(t), "alice", "c1", false)
		wantCode(t, err, omi.ENOTFOUND)
	})
	t.Run("ClientSessionOnce", func(t *testing.T) {
		s := open(t)
		var wg sync.WaitGroup
		results := make([]string, 6)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sess := "sess"
				c := newConversation("alice", fmt.Sprintf("c%d", i), base, "work")
				c.ClientSessionID = &sess
				got, _, err := s.CreateConversation(ctx(t), c, nil, nil)
				if err != nil {
					t.Error(err)
					return
				}
				results[i] = got.ID
			}()
		}
		wg.Wait()
		for _, id := range results {
			if id != results[0] {
				t.Fatalf("one session, several conversations: %v", results)
			}
		}
		found, err := s.FindConversationBySession(ctx(t), "alice", "sess")
		must(t, err)
		if found.ID != results[0] {
			t.Fatalf("found %s, want %s", found.ID, results[0])
		}
		_, err = s.FindConversationBySession(ctx(t), "bob", "sess")
		wantCode(t, err, omi.ENOTFOUND)
	})
	t.Run("ListFiltersAndPaging", func(t *testing.T) {
		s := open(t)
		for i := range 12 {
			c := newConversation("alice", fmt.Sprintf("c%02d", i), base.Add(time.Duration(i/2)*time.Hour), []string{"work", "health", "travel"}[i%3])
			c.Discarded = i == 11
			c.Starred = i%4 == 0
			_, _, err := s.CreateConversation(ctx(t), c, nil, nil)
			must(t, err)
		}
		_, _, err := s.CreateConversation(ctx(t), newConversation("bob", "b1", base, "work"), nil, nil)
		must(t, err)
		list := func(f omi.ConversationFilter) string {
			t.Helper()
			f.UID = "alice"
			if f.Page.Limit == 0 {
				f.Page.Limit = 100
			}
			cs, err := s.ListConversations(ctx(t), f)
			must(t, err)
			var ids []string
			for _, c := range cs {
				ids = append(ids, c.ID)
			}
			return fmt.Sprint(ids)
		}
		if got := list(omi.ConversationFilter{}); got != "[c10 c09 c08 c07 c06 c05 c04 c03 c02 c01 c00]" {
			t.Fatalf("all: %s", got)
		}
		start, end := base.Add(time.Hour), base.Add(2*time.Hour)
		yes := true
		for name, tc := range map[string]struct {
			f    omi.ConversationFilter
			want string
		}{
			"dates":      {omi.ConversationFilter{Start: &start, End: &end}, "[c05 c04 c03 c02]"},
			"categories": {omi.ConversationFilter{Categories: []string{"health", "travel"}}, "[c10 c08 c07 c05 c04 c02 c01]"},
			"starred":    {omi.ConversationFilter{Starred: &yes}, "[c08 c04 c00]"},
			"page":       {omi.ConversationFilter{Categories: []string{"work"}, Page: omi.Page{Limit: 2, Offset: 1}}, "[c06 c03]"},
			"cursor":     {omi.ConversationFilter{Page: omi.Page{Limit: 3, After: &omi.ConversationCursor{CreatedAt: base.Add(4 * time.Hour).UnixMicro(), ID: "c09"}}}, "[c08 c07 c06]"},
		} {
			if got := list(tc.f); got != tc.want {
				t.Errorf("%s: %s, want %s", name, got, tc.want)
			}
		}
	})
	t.Run("UpdateDelete", func(t *testing.T) {
		s := open(t)
		_, _, err := s.CreateConversation(ctx(t), newConversation("alice", "c1", base, "work"), nil, nil)
		must(t, err)
		got, err := s.UpdateConversation(ctx(t), "alice", "c1", func(c *omi.Conversation) error {
			c.Structured.Title, c.Discarded, c.Starred = "New", true, true
			c.ID, c.UID = "x", "bob"
			return nil
		})
		must(t, err)
		if got.ID != "c1" || got.Structured.Title != "New" || !got.Discarded || len(got.TranscriptSegments) != 1 {
			t.Fatalf("updated %+v", got)
		}
		_, err = s.UpdateConversation(ctx(t), "bob", "c1", func(*omi.Conversation) error { return nil })
		wantCode(t, err, omi.ENOTFOUND)
		wantCode(t, s.DeleteConversation(ctx(t), "bob", "c1"), omi.ENOTFOUND)
		must(t, s.DeleteConversation(ctx(t), "alice", "c1"))
		_, err = s.GetConversation(ctx(t), "alice", "c1", false)
		wantCode(t, err, omi.ENOTFOUND)
	})
}
