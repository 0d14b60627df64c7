package sqlite_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/search"
	"github.com/omi-devapi/omi-devapi/sqlite"
)

// FuzzSearchQuery builds the lexical search from any user input, both as
// search.Terms splits it and as raw words that skipped it, and runs it on a
// real FTS5 index: never a query error (no input is read as FTS5 syntax),
// and never another user's row, even for a user whose id looks like syntax.
func FuzzSearchQuery(f *testing.F) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "omi.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	uids := []string{"alice", `bob" OR "x`, "{uid} : *", "ünï ユーザー", "alice "}
	mine := map[string][]string{}
	now := time.Now().UTC()
	for _, uid := range uids {
		var ms []*omi.Memory
		for _, content := range []string{"likes green tea", "runs on Sundays", "café au lait", "NEAR the AND OR NOT", "x* ^y \"z\""} {
			m := omi.NewMemory(uuid.NewString(), uid, content+" "+uid, nil, nil, nil, now)
			ms = append(ms, m)
			mine[uid] = append(mine[uid], m.ID)
		}
		if err := db.CreateMemories(ctx, ms); err != nil {
			f.Fatal(err)
		}
	}
	for _, s := range []string{
		"tea", "green tea", `"tea"`, `tea"`, `"`, `""`, "tea*", "*", "^tea", "content:tea", "{uid}: alice", "uid:alice",
		"NEAR(tea green)", "tea AND NOT green", "tea OR", "(", ")", "-tea", "+tea", ":", "{content}", "' OR 1=1 --",
		"\x00", "tea\x00green", "\xff\xfe", "🍵", "café", "CAFE", "a b c d e f g h i j k l m n o p q r s t u v w x y z a1 b1 c1 d1 e1 f1 g1",
		strings.Repeat("tea ", 50), "x* ^y", "\u00a0tea\u2028", "bob", `bob" OR "x`, "ǅ",
	} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, q string, who uint8) {
		uid := uids[int(who)%len(uids)]
		for _, terms := range [][]string{search.Terms(q), strings.Fields(q), {q}} {
			for _, run := range []func(context.Context, omi.SearchQuery) (omi.Rankings, error){db.SearchMemories, db.SearchConversations} {
				r, err := run(ctx, omi.SearchQuery{UID: uid, Terms: terms, Limit: 10})
				if err != nil {
					t.Fatalf("%q as %q: %v", q, terms, err)
				}
				for _, hit := range r.Lexical {
					if !slices.Contains(mine[uid], hit.ID) {
						t.Fatalf("%q as %q for %q: found %s, not the user's", q, terms, uid, hit.ID)
					}
				}
			}
		}
	})
}
