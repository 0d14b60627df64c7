package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/sqlite"
)

// BenchmarkListMemoriesPage is the store's share of GET /memories?limit=25:
// 26 rows off the list index, with a cancellable context as a request has.
// OMI_BENCH_DB names a seeded database to read (a copy: it is migrated);
// otherwise 2,000 memories are written to a temporary one.
func BenchmarkListMemoriesPage(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path, uid := os.Getenv("OMI_BENCH_DB"), "bench-user-0000"
	if path == "" {
		path = filepath.Join(b.TempDir(), "omi.db")
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if os.Getenv("OMI_BENCH_DB") == "" {
		start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		var ms []*omi.Memory
		for i := range 2000 {
			ms = append(ms, omi.NewMemory(fmt.Sprintf("%08d-0000-7000-8000-000000000000", i), uid,
				fmt.Sprintf("Memory %d: the user mentioned they prefer oat milk in coffee and run on Tuesdays near the river", i),
				nil, nil, []string{"seed"}, start.Add(time.Duration(i)*time.Second)))
		}
		if err := db.CreateMemories(ctx, ms); err != nil {
			b.Fatal(err)
		}
	}
	f := omi.MemoryFilter{UID: uid, Page: omi.Page{Limit: 26}}
	b.ReportAllocs()
	for b.Loop() {
		ms, err := db.ListMemories(ctx, f)
		if err != nil || len(ms) != 26 {
			b.Fatal(len(ms), err)
		}
	}
}
