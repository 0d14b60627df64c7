package postgres_test

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/postgres/pgtest"
	"github.com/omi-devapi/omi-devapi/sqlite"
	"github.com/omi-devapi/omi-devapi/storetest"
)

// TestParityWithSQLite runs one history of writes against both stores and
// compares what they read back as the API would write it (JSON): the same
// bytes, so times come back in UTC with the same precision and text sorts
// in the same (byte) order whatever the database's locale.
func TestParityWithSQLite(t *testing.T) {
	t.Run("DefaultDatabase", func(t *testing.T) { testParity(t, pgtest.Open(t)) })
	// A natural-language collation sorts "a" before "B" and "_x" after
	// both; SQLite and the C collation put "B" first and "_x" between.
	t.Run("EnglishCollation", func(t *testing.T) {
		dsn := pgtest.Database(t, `TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`)
		testParity(t, pgtest.OpenDSN(t, dsn))
	})
}

func testParity(t *testing.T, pg storetest.Store) {
	lite, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "omi.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })

	// A zone far from UTC and nanoseconds the stores must drop.
	zone := time.FixedZone("UTC-7", -7*3600)
	at := time.Date(2026, 3, 14, 8, 9, 26, 535897999, zone)
	// Ids whose byte order differs from a natural-language collation's.
	ids := []string{"a", "B", "_x", "Z1", "é", "a b", "A", "b-2", "b_1", "10", "9"}

	history := func(s storetest.Store) []any {
		t.Helper()
		var ms []*omi.Memory
		var items []*omi.ActionItem
		for i, id := range ids {
			cat := []string{"work", "system"}[i%2]
			ms = append(ms, omi.NewMemory(id, "alice", " fact "+id+" ", &cat, nil, []string{"t", id}, at))
			var due *time.Time
			if i%3 != 0 {
				d := at.Add(time.Duration(i%2) * time.Hour)
				due = &d
			}
			items = append(items, omi.NewActionItem(id, "alice", "do "+id, i%4 == 0, due, at))
		}
		must(t, s.CreateMemories(t.Context(), ms))
		must(t, s.CreateActionItems(t.Context(), items))
		content := "edited"
		_, err := s.UpdateMemory(t.Context(), "alice", "B", func(m *omi.Memory) error {
			m.Apply(omi.MemoryUpdate{Content: &content}, at.Add(time.Minute))
			return nil
		})
		must(t, err)

		for i, id := range ids[:4] {
			c := &omi.Conversation{ID: id, UID: "alice", CreatedAt: at, Status: "completed", Discarded: i == 3,
				Structured:         omi.Structured{Title: "T " + id, Emoji: "🧠", Category: "work", ActionItems: []omi.ConversationActionItem{}, Events: []omi.Event{}},
				TranscriptSegments: []omi.TranscriptSegment{{ID: "s", Text: "hi", Speaker: "SPEAKER_01", SpeakerID: 1, Start: 0.1, End: 2.25}},
				ExternalData:       json.RawMessage(`{"b": 1, "a": [true, null]}`),
			}
			_, _, err := s.CreateConversation(t.Context(), c, nil, nil)
			must(t, err)
		}
		must(t, s.CreateFolder(t.Context(), &omi.Folder{ID: "f", UID: "alice", Name: "Mine", Color: omi.DefaultFolderColor,
			Icon: omi.DefaultFolderIcon, CreatedAt: at, UpdatedAt: at}))

		g, err := omi.NewGoal("goal_1", "alice", omi.GoalInput{Title: "Run", SuccessCriteria: []string{"5k"}}, at)
		must(t, err)
		must(t, s.CreateGoal(t.Context(), g))
		_, err = s.RecordGoalProgress(t.Context(), "alice", "goal_1", 2.5, at)
		must(t, err)

		memories, err := s.ListMemories(t.Context(), omi.MemoryFilter{UID: "alice", Page: omi.Page{Limit: 100}})
		must(t, err)
		actionItems, err := s.ListActionItems(t.Context(), omi.ActionItemFilter{UID: "alice", Page: omi.Page{Limit: 100}})
		must(t, err)
		conversations, err := s.ListConversations(t.Context(), omi.ConversationFilter{UID: "alice", IncludeTranscript: true, Page: omi.Page{Limit: 100}})
		must(t, err)
		withExternal, err := s.GetConversation(t.Context(), "alice", "a", true)
		must(t, err)
		folders, err := s.ListFolders(t.Context(), "alice")
		must(t, err)
		goals, err := s.ListGoals(t.Context(), omi.GoalFilter{UID: "alice", IncludeInactive: true, Limit: 10})
		must(t, err)
		history, err := s.GoalHistory(t.Context(), "alice", "goal_1", 10)
		must(t, err)
		// Cursor walks, three at a time, compare on the server's collation.
		var memoryWalk, itemWalk []string
		var mc *omi.MemoryCursor
		for {
			page, err := s.ListMemories(t.Context(), omi.MemoryFilter{UID: "alice", Page: omi.Page{Limit: 3, After: mc}})
			must(t, err)
			for _, m := range page {
				memoryWalk = append(memoryWalk, m.ID)
			}
			if len(page) < 3 {
				break
			}
			c := page[len(page)-1].Cursor()
			mc = &c
		}
		var ac *omi.ActionItemCursor
		for {
			page, err := s.ListActionItems(t.Context(), omi.ActionItemFilter{UID: "alice", Page: omi.Page{Limit: 3, After: ac}})
			must(t, err)
			for _, a := range page {
				itemWalk = append(itemWalk, a.ID)
			}
			if len(page) < 3 {
				break
			}
			c := page[len(page)-1].Cursor()
			ac = &c
		}
		// Folder ids are random: compare everything else.
		for _, f := range folders {
			f.ID = ""
		}
		return []any{memories, actionItems, conversations, string(withExternal.ExternalData), folders, goals, history,
			memoryWalk, itemWalk}
	}
	want, got := history(lite), history(pg)
	for i := range want {
		w, err := json.Marshal(want[i])
		must(t, err)
		g, err := json.Marshal(got[i])
		must(t, err)
		if diff := cmp.Diff(string(w), string(g)); diff != "" {
			t.Errorf("read %d differs (-sqlite +postgres):\n%s", i, diff)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
