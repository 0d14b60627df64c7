package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/postgres/pgtest"
	"github.com/omi-devapi/omi-devapi/sqlite"
)

// BenchmarkStores runs the main read and write paths of the memory store
// on SQLite and on PostgreSQL in the same run, so their ratio is measured
// under the same load: the first page of a user's list (the default 25),
// a page after a cursor deep in the list, one memory created, a batch of
// 25 created. Each store holds 10,000 memories for the user. Skips without
// OMI_TEST_POSTGRES_DSN.
func BenchmarkStores(b *testing.B) {
	pgtest.DSN(b)
	const seeded = 10000
	stores := []struct {
		name string
		open func(b *testing.B) omi.MemoryStore
	}{
		{"sqlite", func(b *testing.B) omi.MemoryStore {
			db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "omi.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			return db
		}},
		{"postgres", func(b *testing.B) omi.MemoryStore { return pgtest.Open(b) }},
	}
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			db := s.open(b)
			ctx := context.Background()
			start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
			for i := 0; i < seeded; i += 1000 {
				batch := make([]*omi.Memory, 0, 1000)
				for j := i; j < i+1000; j++ {
					cat := categories[j%len(categories)]
					batch = append(batch, omi.NewMemory(fmt.Sprintf("%08d-0000-7000-8000-000000000000", j), "alice",
						fmt.Sprintf("Memory %d: the user mentioned they prefer oat milk in coffee and run on Tuesdays near the river", j),
						&cat, nil, []string{"seed"}, start.Add(time.Duration(j)*time.Second)))
				}
				if err := db.CreateMemories(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			first, err := db.ListMemories(ctx, omi.MemoryFilter{UID: "alice", Page: omi.Page{Limit: 5001}})
			if err != nil || len(first) != 5001 {
				b.Fatalf("seed list: %d %v", len(first), err)
			}
			deep := first[5000].Cursor()

			b.Run("ListFirstPage", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if ms, err := db.ListMemories(ctx, omi.MemoryFilter{UID: "alice", Page: omi.Page{Limit: 25}}); err != nil || len(ms) != 25 {
						b.Fatal(len(ms), err)
					}
				}
			})
			b.Run("CursorPage", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if ms, err := db.ListMemories(ctx, omi.MemoryFilter{UID: "alice", Page: omi.Page{Limit: 25, After: &deep}}); err != nil || len(ms) != 25 {
						b.Fatal(len(ms), err)
					}
				}
			})
			n := 0
			b.Run("Create", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					n++
					m := omi.NewMemory(fmt.Sprintf("c%09d", n), "alice", "User takes the 8:15 train to work", nil, nil, nil, time.Now())
					if err := db.CreateMemories(ctx, []*omi.Memory{m}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("Batch25", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					batch := make([]*omi.Memory, 25)
					for i := range batch {
						n++
						batch[i] = omi.NewMemory(fmt.Sprintf("b%09d", n), "alice", "User takes the 8:15 train to work", nil, nil, nil, time.Now())
					}
					if err := db.CreateMemories(ctx, batch); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
