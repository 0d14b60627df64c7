package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
)

// filedConversation is a minimal conversation in folder (nil: none).
func filedConversation(uid, id string, folder *string, discarded bool) *omi.Conversation {
	return &omi.Conversation{
		ID: id, UID: uid, CreatedAt: base, Status: "completed", Discarded: discarded, FolderID: folder,
		Structured: omi.Structured{Title: id, Emoji: "🧠", Category: "other",
			ActionItems: []omi.ConversationActionItem{}, Events: []omi.Event{}},
		TranscriptSegments: []omi.TranscriptSegment{},
	}
}

func newFolder(uid, id, name string) *omi.Folder {
	return &omi.Folder{ID: id, UID: uid, Name: name, Color: omi.DefaultFolderColor, Icon: omi.DefaultFolderIcon,
		CreatedAt: base, UpdatedAt: base}
}

func folderNames(fs []*omi.Folder) string {
	names := []string{}
	for _, f := range fs {
		names = append(names, fmt.Sprintf("%s:%d", f.Name, f.Order))
	}
	return fmt.Sprint(names)
}

func testFolders(t *testing.T, open Open) {
	t.Run("SystemFoldersOnceUnderRaces", func(t *testing.T) {
		s := open(t)
		fs, err := s.ListFolders(ctx(t), "alice")
		must(t, err)
		if fs == nil || len(fs) != 0 {
			t.Fatalf("listing must not create folders: %#v", fs)
		}
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() { errs[i] = s.EnsureSystemFolders(ctx(t), "alice") })
		}
		wg.Wait()
		must(t, errors.Join(errs...))
		must(t, s.EnsureSystemFolders(ctx(t), "alice"))
		fs, err = s.ListFolders(ctx(t), "alice")
		must(t, err)
		want := "[Personal:0 Work:1 Health:2 Education:3 Finance:4 Travel:5 Social:6 Technology:7 Entertainment:8 Other:9]"
		if got := folderNames(fs); got != want {
			t.Fatalf("system folders %s", got)
		}
		for i, f := range fs {
			sf := omi.SystemFolders[i]
			if !f.IsSystem || f.IsDefault != (sf.Category == "other") || f.Icon != sf.Icon || f.Color != sf.Color ||
				f.Description == nil || *f.Description != sf.Description || f.CategoryMapping == nil || *f.CategoryMapping != sf.Category ||
				f.ConversationCount != 0 || f.UID != "alice" {
				t.Fatalf("folder %d: %+v", i, f)
			}
		}
		if bob, _ := s.ListFolders(ctx(t), "bob"); len(bob) != 0 {
			t.Fatalf("bob got alice's folders: %s", folderNames(bob))
		}
	})
	t.Run("FolderForCategory", func(t *testing.T) {
		s := open(t)
		for cat, want := range map[string]string{
			"work": "Work", "business": "Work", "legal": "Work", "family": "Personal", "romantic": "Personal",
			"sports": "Health", "history": "Education", "economics": "Finance", "design": "Technology",
			"music": "Entertainment", "travel": "Travel", "weather": "Other", "other": "Other", "": "Other",
		} {
			f, err := s.FolderForCategory(ctx(t), "alice", cat)
			must(t, err)
			if f.Name != want || !f.IsSystem || f.UID != "alice" {
				t.Errorf("%q -> %s, want %s", cat, f.Name, want)
			}
		}
		if fs, _ := s.ListFolders(ctx(t), "alice"); len(fs) != len(omi.SystemFolders) {
			t.Fatalf("%d folders", len(fs))
		}
		a, _ := s.FolderForCategory(ctx(t), "alice", "work")
		b, err := s.FolderForCategory(ctx(t), "bob", "work")
		must(t, err)
		if a.ID == b.ID {
			t.Fatal("users share a system folder")
		}
	})
	t.Run("CreateCountUpdateDelete", func(t *testing.T) {
		s := open(t)
		// Creating first makes the system folders, so the new one comes after.
		trips := newFolder("alice", "f-trips", "Trips")
		must(t, s.CreateFolder(ctx(t), trips))
		books := newFolder("alice", "f-books", "Books")
		must(t, s.CreateFolder(ctx(t), books))
		if trips.Order != 10 || books.Order != 11 {
			t.Fatalf("orders %d %d", trips.Order, books.Order)
		}
		if err := s.CreateFolder(ctx(t), newFolder("alice", "f-books", "dup")); err == nil {
			t.Fatal("duplicate id accepted")
		}
		other, err := s.FolderForCategory(ctx(t), "alice", "other")
		must(t, err)
		for i, c := range []*omi.Conversation{
			filedConversation("alice", "c1", &trips.ID, false),
			filedConversation("alice", "c2", &trips.ID, false),
			filedConversation("alice", "c3", &trips.ID, true), // discarded: not counted
			filedConversation("alice", "c4", &other.ID, false),
			filedConversation("alice", "c5", nil, false),
			filedConversation("bob", "c6", &trips.ID, false), // another user's: never counted
		} {
			if _, _, err := s.CreateConversation(ctx(t), c, nil, nil); err != nil {
				t.Fatalf("conversation %d: %v", i, err)
			}
		}
		counts := func() map[string]int64 {
			t.Helper()
			fs, err := s.ListFolders(ctx(t), "alice")
			must(t, err)
			out := map[string]int64{}
			for _, f := range fs {
				out[f.Name] = f.ConversationCount
			}
			return out
		}
		if c := counts(); c["Trips"] != 2 || c["Other"] != 1 || c["Books"] != 0 || c["Work"] != 0 {
			t.Fatalf("counts %v", c)
		}
		got, err := s.GetFolder(ctx(t), "alice", trips.ID)
		must(t, err)
		if got.Name != "Trips" || got.ConversationCount != 2 || got.IsSystem || got.CategoryMapping != nil {
			t.Fatalf("get: %+v", got)
		}
		_, err = s.GetFolder(ctx(t), "bob", trips.ID)
		wantCode(t, err, omi.ENOTFOUND)

		name := "Journeys"
		up, err := s.UpdateFolder(ctx(t), "alice", trips.ID, func(f *omi.Folder) error {
			f.Apply(omi.FolderUpdate{Name: &name, SetDescription: true, Description: addr("away")}, base.Add(time.Hour))
			f.ID, f.UID, f.Order, f.IsSystem = "hijack", "bob", 99, true // a buggy fn cannot move or promote it
			return nil
		})
		must(t, err)
		if up.ID != trips.ID || up.Name != "Journeys" || *up.Description != "away" || up.Order != 10 || up.IsSystem ||
			up.ConversationCount != 2 || !up.UpdatedAt.Equal(base.Add(time.Hour)) || !up.CreatedAt.Equal(base) {
			t.Fatalf("updated: %+v", up)
		}
		boom := errors.New("boom")
		_, err = s.UpdateFolder(ctx(t), "alice", trips.ID, func(f *omi.Folder) error { f.Name = "lost"; return boom })
		if !errors.Is(err, boom) {
			t.Fatalf("fn error not returned: %v", err)
		}
		_, err = s.UpdateFolder(ctx(t), "bob", trips.ID, func(*omi.Folder) error { return nil })
		wantCode(t, err, omi.ENOTFOUND)

		wantCode(t, s.DeleteFolder(ctx(t), "alice", other.ID), omi.EINVALID)
		wantCode(t, s.DeleteFolder(ctx(t), "bob", trips.ID), omi.ENOTFOUND)
		must(t, s.DeleteFolder(ctx(t), "alice", trips.ID))
		wantCode(t, s.DeleteFolder(ctx(t), "alice", trips.ID), omi.ENOTFOUND)
		if c := counts(); c["Other"] != 3 || len(c) != 11 {
			t.Fatalf("after delete: %v", c)
		}
		for _, id := range []string{"c1", "c3"} {
			c, err := s.GetConversation(ctx(t), "alice", id, false)
			must(t, err)
			if c.FolderID == nil || *c.FolderID != other.ID {
				t.Fatalf("%s not moved to Other: %v", id, c.FolderID)
			}
		}
		// Bob's conversation pointed at the id too, but it was never in
		// alice's folder: it is left alone.
		c, err := s.GetConversation(ctx(t), "bob", "c6", false)
		must(t, err)
		if c.FolderID == nil || *c.FolderID != trips.ID {
			t.Fatalf("bob's conversation moved: %v", c.FolderID)
		}
	})
}
