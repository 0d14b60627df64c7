package postgres_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/postgres"
	"github.com/omi-devapi/omi-devapi/postgres/pgtest"
)

// Writers on many connections at once, which SQLite's single writer never
// sees: read-modify-write loses nothing, and folder orders stay distinct.
// (Written against the store interfaces, ready to move into storetest.)
func TestConcurrentWriters(t *testing.T) {
	s := pgtest.Open(t)
	at := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	must(t, s.CreateMemories(t.Context(), []*omi.Memory{omi.NewMemory("m", "alice", "x", nil, nil, nil, at)}))
	g, err := omi.NewGoal("goal_1", "alice", omi.GoalInput{Title: "Run"}, at)
	must(t, err)
	must(t, s.CreateGoal(t.Context(), g))

	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, 3*n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.UpdateMemory(t.Context(), "alice", "m", func(m *omi.Memory) error {
				m.Apply(omi.MemoryUpdate{Tags: append(slices.Clone(m.Tags), fmt.Sprint(i))}, at)
				return nil
			})
		})
		wg.Go(func() {
			errs[n+i] = s.CreateFolder(t.Context(), &omi.Folder{ID: fmt.Sprint("f", i), UID: "alice", Name: "F",
				Color: omi.DefaultFolderColor, Icon: omi.DefaultFolderIcon, CreatedAt: at, UpdatedAt: at})
		})
		wg.Go(func() {
			_, errs[2*n+i] = s.UpdateGoal(t.Context(), "alice", "goal_1", func(g *omi.Goal) error {
				g.SuccessCriteria = append(g.SuccessCriteria, fmt.Sprint(i))
				return nil
			})
		})
	}
	wg.Wait()
	for _, err := range errs {
		must(t, err)
	}
	m, err := s.GetMemory(t.Context(), "alice", "m")
	must(t, err)
	if len(m.Tags) != n {
		t.Errorf("concurrent updates lost tags: %v", m.Tags)
	}
	g, err = s.GetGoal(t.Context(), "alice", "goal_1")
	must(t, err)
	if len(g.SuccessCriteria) != n {
		t.Errorf("concurrent updates lost criteria: %v", g.SuccessCriteria)
	}
	fs, err := s.ListFolders(t.Context(), "alice")
	must(t, err)
	var orders []int64
	for _, f := range fs {
		orders = append(orders, f.Order)
	}
	if want := fmt.Sprint([]int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}); fmt.Sprint(orders) != want {
		t.Errorf("folder orders %v, want %s", orders, want)
	}
}

// TestTerminatedConnectionsAreReplaced: after every server connection is
// cut (a database restart, a failover), the next operations succeed on
// fresh connections instead of failing once per dead pooled one.
func TestTerminatedConnectionsAreReplaced(t *testing.T) {
	dsn := pgtest.Schema(t)
	s := pgtest.OpenDSN(t, dsn)
	at := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	fill := func() {
		// Concurrent reads open several pooled connections.
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() { s.ListMemories(t.Context(), omi.MemoryFilter{UID: "alice", Page: omi.Page{Limit: 1}}) })
		}
		wg.Wait()
	}
	for round := range 3 {
		fill()
		pgtest.Terminate(t, dsn)
		if _, err := s.ListMemories(t.Context(), omi.MemoryFilter{UID: "alice", Page: omi.Page{Limit: 10}}); err != nil {
			t.Fatalf("round %d: read after the cut: %v", round, err)
		}
		fill()
		pgtest.Terminate(t, dsn)
		id := fmt.Sprint("m", round)
		if err := s.CreateMemories(t.Context(), []*omi.Memory{omi.NewMemory(id, "alice", "x", nil, nil, nil, at)}); err != nil {
			t.Fatalf("round %d: write after the cut: %v", round, err)
		}
		if err := s.Ping(t.Context()); err != nil {
			t.Fatalf("round %d: ping: %v", round, err)
		}
	}
}

// TestReplicasMigrateTogether: replicas started at once on an empty schema
// all come up; one applies the migrations, the others wait for it.
func TestReplicasMigrateTogether(t *testing.T) {
	dsn := pgtest.Schema(t)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			db, err := postgres.Open(t.Context(), dsn)
			if err == nil {
				err = db.Ping(t.Context())
				db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		must(t, err)
	}
	s := pgtest.OpenDSN(t, dsn)
	must(t, s.Migrate(t.Context()))
	must(t, s.CreateMemories(t.Context(), []*omi.Memory{omi.NewMemory("m", "alice", "x", nil, nil, nil, time.Now())}))
}
