package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	omi "github.com/omi-devapi/omi-devapi"
)

func openListTestDB(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "omi.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// A listed memory must be exactly what the store holds, byte for byte,
// whatever the text: the list reads it below database/sql, GetMemory through
// it.
func TestListMemoriesFidelity(t *testing.T) {
	db, _ := openListTestDB(t)
	ctx := t.Context()
	yes, no := true, false
	conv := "conv-1"
	start := time.Date(2025, 3, 4, 5, 6, 7, 891234000, time.UTC)
	contents := []string{"", "plain", "nul\x00inside", "bad utf8 \xff\xfe", "quote \" back\\slash", "é ñ 🧠 \u2028", "\n\t\r",
		strings.Repeat("long enough to make the text buffer grow ", 12)}
	tags := [][]string{nil, {}, {"a"}, {"x\x00y"}, {`"quoted"`, "back\\"}, {"é"}}
	var ms []*omi.Memory
	for i := range 150 { // more than a block of structs (64)
		m := omi.NewMemory(fmt.Sprintf("id-%02d", i), "alice", contents[i%len(contents)], nil, nil, tags[i%len(tags)],
			start.Add(time.Duration(i)*time.Second))
		m.Category = []string{"work", "system", "interesting"}[i%3]
		m.Visibility = []string{"public", "private", ""}[i%3]
		m.ManuallyAdded, m.Reviewed, m.Edited = i%2 == 0, i%3 == 0, i%5 == 0
		m.UserReview = []*bool{nil, &yes}[i%2]
		if i%4 == 0 {
			m.ConversationID = &conv
		}
		m.UpdatedAt = m.CreatedAt.Add(time.Duration(i) * time.Microsecond)
		ms = append(ms, m)
	}
	rejected := omi.NewMemory("rejected", "alice", "hidden", nil, nil, nil, start)
	rejected.UserReview = &no
	other := omi.NewMemory("other", "bob", "not alice's", nil, nil, nil, start)
	if err := db.CreateMemories(ctx, append(ms, rejected, other)); err != nil {
		t.Fatal(err)
	}
	filters := [][]string{nil, {"work"}, {"work", "system"}, {""}, {"", "work"}, {"a", "b", "c", "d", "e", "f", "g", "work"}}
	for _, cats := range filters {
		got, err := db.ListMemories(ctx, omi.MemoryFilter{UID: "alice", Categories: cats, Page: omi.Page{Limit: 1000}})
		if err != nil {
			t.Fatal(cats, err)
		}
		n := 0
		for _, m := range ms {
			if len(cats) == 0 || containsString(cats, m.Category) {
				n++
			}
		}
		if len(got) != n {
			t.Fatalf("%v: %d memories listed, want %d", cats, len(got), n)
		}
		for _, m := range got {
			want, err := db.GetMemory(ctx, "alice", m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m, want) {
				t.Fatalf("listed %#v\nstored %#v", m, want)
			}
		}
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Kept statements must stay prepared: rebinding them is fine, but some
// ways of clearing parameters make SQLite re-prepare the statement on every
// run, which costs more than running it. (The first run after preparing may
// re-prepare once, with its parameters bound.)
func TestListMemoriesNoReprepare(t *testing.T) {
	db, _ := openListTestDB(t)
	ctx := t.Context()
	db.list.close()
	db.list = newRawPool(db.path, 1)
	if err := db.CreateMemories(ctx, []*omi.Memory{omi.NewMemory("m1", "alice", "x", nil, nil, nil, time.Now())}); err != nil {
		t.Fatal(err)
	}
	reprepared := func() int32 {
		c, err := db.list.get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer db.list.put(c, false)
		st := c.stmts[listMemoriesSQL[listShape{}]]
		if st == 0 {
			t.Fatal("list statement not kept")
		}
		return sqlite3.Xsqlite3_stmt_status(c.tls, st, sqlite3.SQLITE_STMTSTATUS_REPREPARE, 0)
	}
	list := func(n int) {
		for i := range n {
			f := omi.MemoryFilter{UID: fmt.Sprint("user", i%3), Page: omi.Page{Limit: 26 + i%2, Offset: i % 2}}
			if _, err := db.ListMemories(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
	}
	list(2)
	before := reprepared()
	list(20)
	if n := reprepared() - before; n != 0 {
		t.Fatalf("list statement re-prepared %d times in 20 runs", n)
	}
}

// A cancelled context stops a running statement, and the interrupt does not
// leak into the next query on the same connection.
func TestRawPoolCancel(t *testing.T) {
	_, path := openListTestDB(t)
	p := newRawPool(path, 1)
	defer p.close()
	endless := `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c`
	for i := range 20 {
		ctx, cancel := context.WithTimeout(t.Context(), time.Duration(i%4)*time.Millisecond)
		began := time.Now()
		err := p.query(ctx, endless, false, nil, func(*rawRow) error { return nil })
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("endless query: %v", err)
		}
		if d := time.Since(began); d > 5*time.Second {
			t.Fatalf("interrupt took %v", d)
		}
		var got int64
		if err := p.query(t.Context(), "SELECT 41 + 1", true, nil, func(r *rawRow) error { got = r.int64(0); return nil }); err != nil || got != 42 {
			t.Fatalf("query after an interrupt: %d, %v", got, err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := p.query(ctx, "SELECT 1", true, nil, func(*rawRow) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled before: %v", err)
	}
}

// Errors name their cause; a connection survives a failed query.
func TestRawPoolErrors(t *testing.T) {
	_, path := openListTestDB(t)
	p := newRawPool(path, 1)
	defer p.close()
	ctx := t.Context()
	if err := p.query(ctx, "SELECT nope FROM nowhere", false, nil, func(*rawRow) error { return nil }); err == nil ||
		!strings.Contains(err.Error(), "no such table: nowhere") {
		t.Fatalf("bad query: %v", err)
	}
	if err := p.query(ctx, "DELETE FROM memories", false, nil, func(*rawRow) error { return nil }); err == nil {
		t.Fatal("a write on a read connection succeeded")
	}
	if err := p.query(ctx, "SELECT ?", false, []any{1.5}, func(*rawRow) error { return nil }); err == nil {
		t.Fatal("bound a float")
	}
	if err := p.query(ctx, "SELECT ?, ?", true, []any{int64(1)}, func(*rawRow) error { return nil }); err == nil {
		t.Fatal("ran with a parameter unbound")
	}
	stop := errors.New("stop")
	if err := p.query(ctx, "SELECT 1 UNION ALL SELECT 2", true, nil, func(*rawRow) error { return stop }); err != stop {
		t.Fatalf("row error: %v", err)
	}
	var got []string
	err := p.query(ctx, "SELECT ?, ? + 1, NULL", true, []any{"a\x00b", int64(41)}, func(r *rawRow) error {
		got = append(got, string(r.text(0)), fmt.Sprint(r.int64(1)), fmt.Sprint(r.null(2), r.null(0)))
		return nil
	})
	if err != nil || !reflect.DeepEqual(got, []string{"a\x00b", "42", "true false"}) {
		t.Fatalf("after errors: %q %v", got, err)
	}
}

// Closing the store closes idle connections at once and busy ones when
// their query ends; queries after that fail.
func TestRawPoolClose(t *testing.T) {
	_, path := openListTestDB(t)
	p := newRawPool(path, 2)
	ctx := t.Context()
	inside, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- p.query(ctx, "SELECT 1", true, nil, func(*rawRow) error {
			close(inside)
			<-release
			return nil
		})
	}()
	<-inside
	if err := p.query(ctx, "SELECT 1", true, nil, func(*rawRow) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := p.close(); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(p.idle) != 0 || len(p.sem) != 0 {
		t.Fatalf("%d idle, %d in use after close", len(p.idle), len(p.sem))
	}
	if err := p.query(ctx, "SELECT 1", true, nil, func(*rawRow) error { return nil }); !errors.Is(err, errPoolClosed) {
		t.Fatalf("after close: %v", err)
	}
}

// A list sees every write committed before it starts, including those of
// another connection to the file (another process, as far as SQLite can
// tell), and lists stay consistent while writes go on.
func TestListMemoriesSeesWrites(t *testing.T) {
	db, path := openListTestDB(t)
	other, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := t.Context()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w := range 2 {
		wg.Go(func() {
			for i := range 50 {
				m := omi.NewMemory(fmt.Sprintf("w%d-%03d", w, i), "alice", "x", nil, nil, nil, start.Add(time.Duration(i)*time.Second))
				if err := other.CreateMemories(ctx, []*omi.Memory{m}); err != nil {
					errs <- err
					return
				}
				got, err := db.ListMemories(ctx, omi.MemoryFilter{UID: "alice", Page: omi.Page{Limit: 1000}})
				if err != nil {
					errs <- err
					return
				}
				found := false
				for j, g := range got {
					found = found || g.ID == m.ID
					if j > 0 && got[j-1].CreatedAt.Before(g.CreatedAt) {
						errs <- fmt.Errorf("list out of order at %d", j)
						return
					}
				}
				if !found {
					errs <- fmt.Errorf("%s committed but not listed", m.ID)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// Every list shape walks the index that is already in list order: the
// covering one for all categories, memories_category per category (filtering
// a rare category out of the covering index would read the whole list).
func TestListMemoriesPlans(t *testing.T) {
	db, _ := openListTestDB(t)
	for shape, q := range listMemoriesSQL {
		args := make([]any, strings.Count(q, "?"))
		for i := range args {
			args[i] = int64(1)
		}
		rows, err := db.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		searches := 0
		for _, step := range plan {
			switch {
			case strings.HasPrefix(step, "SEARCH"):
				searches++
				want := "SEARCH memories USING INDEX memories_category (uid=? AND category=?"
				if shape.categories == 0 {
					want = "SEARCH memories USING COVERING INDEX memories_list_covering (uid=?"
				}
				if !strings.HasPrefix(step, want) {
					t.Errorf("%+v: %q", shape, step)
				}
			case strings.HasPrefix(step, "SCAN memories"), shape.categories <= 1 && strings.Contains(step, "TEMP B-TREE"):
				t.Errorf("%+v: %q", shape, step)
			}
		}
		if searches != max(shape.categories, 1) {
			t.Errorf("%+v: %d index walks in %q", shape, searches, plan)
		}
	}
}

// The covering list index holds every column, so SQLite would walk it over
// all of a user's memories for lookups by key or for the rejected ones:
// those queries must use the index that finds just their rows.
func TestMemoryLookupPlans(t *testing.T) {
	db, _ := openListTestDB(t)
	for q, want := range map[string]string{
		`SELECT ` + memoryColumns + ` FROM memories ` + memoriesByKey + ` WHERE uid = ? AND id IN (?, ?, ?) AND (user_review IS NULL OR user_review = 1)`: "INDEX sqlite_autoindex_memories_1 (uid=? AND id=?)",
		hiddenMemoriesSQL: "INDEX memories_rejected (uid=?)",
	} {
		args := make([]any, strings.Count(q, "?"))
		for i := range args {
			args[i] = "x"
		}
		var id, parent, unused int
		var detail string
		if err := db.r.QueryRowContext(t.Context(), "EXPLAIN QUERY PLAN "+q, args...).Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(detail, "SEARCH memories USING ") || !strings.HasSuffix(detail, want) {
			t.Errorf("%s:\n got plan %q\nwant a search using %q", q, detail, want)
		}
	}
}
