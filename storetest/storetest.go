// Package storetest is the conformance suite every store must pass
// unchanged (SQLite always, PostgreSQL when configured). Each resource has a
// file of its own; Run runs them all.
package storetest

import (
	"context"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
)

// Store is everything a complete store implements.
type Store interface {
	omi.KeyStore
	omi.MemoryStore
	omi.ActionItemStore
	omi.ConversationStore
	omi.GoalStore
	omi.FolderStore
}

// Open returns a fresh, empty store for one test; it is closed by the test's cleanup.
type Open func(t *testing.T) Store

// Run runs the whole suite.
func Run(t *testing.T, open Open) {
	t.Run("Keys", func(t *testing.T) { testKeys(t, open) })
	t.Run("Memories", func(t *testing.T) { testMemories(t, open) })
	t.Run("MemoryListShapes", func(t *testing.T) { testMemoryListShapes(t, open) })
	t.Run("ConcurrentBatches", func(t *testing.T) { testConcurrentBatches(t, open) })
	t.Run("ActionItems", func(t *testing.T) { testActionItems(t, open) })
	t.Run("Conversations", func(t *testing.T) { testConversations(t, open) })
	t.Run("Goals", func(t *testing.T) { testGoals(t, open) })
	t.Run("Folders", func(t *testing.T) { testFolders(t, open) })
	t.Run("Search", func(t *testing.T) { testSearch(t, open) }) // skipped by stores without omi.SearchStore
}

// base is a fixed instant with microsecond precision, what stores keep.
var base = time.Date(2026, 3, 14, 15, 9, 26, 535897000, time.UTC)

func ctx(t *testing.T) context.Context { return t.Context() }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := omi.ErrorCode(err); got != code {
		t.Fatalf("error %v (code %q), want code %q", err, got, code)
	}
}
