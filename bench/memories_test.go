package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/auth"
	"github.com/omi-devapi/omi-devapi/httpapi"
	"github.com/omi-devapi/omi-devapi/sqlite"
)

var categories = []string{"interesting", "system", "work", "habits", "skills", "hobbies"}

// seedMemories writes n memories for uid through the store, 1,000 a
// transaction, with distinct timestamps and a realistic length.
func seedMemories(b *testing.B, db *sqlite.DB, uid string, n int) {
	b.Helper()
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	batch := make([]*omi.Memory, 0, 1000)
	for i := range n {
		cat := categories[i%len(categories)]
		m := omi.NewMemory(fmt.Sprintf("%08d-0000-7000-8000-000000000000", i), uid,
			fmt.Sprintf("Memory %d: the user mentioned they prefer oat milk in coffee and run on Tuesdays near the river", i),
			&cat, nil, []string{"seed"}, start.Add(time.Duration(i)*time.Second))
		batch = append(batch, m)
		if len(batch) == cap(batch) || i == n-1 {
			if err := db.CreateMemories(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// memoriesServer is the real handler (auth, validation, store) over a
// SQLite file holding n memories for one user, with a key for them.
func memoriesServer(b *testing.B, n int) (http.Handler, string) {
	b.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "omi.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	log := slog.New(slog.DiscardHandler)
	keys := auth.NewKeys(db, auth.KeysConfig{}, nil, log, nil)
	b.Cleanup(func() { keys.Close(ctx) })
	_, raw, err := keys.Create(ctx, "alice", "bench", []string{"memories:read"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	seedMemories(b, db, "alice", n)
	srv := httpapi.NewServer(httpapi.Deps{Logger: log, Keys: keys, Memories: db})
	return srv, raw
}

func benchList(b *testing.B, h http.Handler, key, query string) {
	req := httptest.NewRequest("GET", "/v1/dev/user/memories"+query, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	// Warm the key cache and the page cache.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 200 {
		b.Fatalf("%d %s", w.Code, w.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("%d", w.Code)
		}
	}
}

// BenchmarkListMemories100k is GET /v1/dev/user/memories?limit=25 through
// the whole handler with 100,000 memories in the store.
func BenchmarkListMemories100k(b *testing.B) {
	h, key := memoriesServer(b, 100_000)
	b.Run("first-page", func(b *testing.B) { benchList(b, h, key, "?limit=25") })
	b.Run("category-filter", func(b *testing.B) { benchList(b, h, key, "?limit=25&categories=work,skills") })
	b.Run("offset-10000", func(b *testing.B) { benchList(b, h, key, "?limit=25&offset=10000") })
	// The cursor of the 10,000th memory in list order: same depth, keyset.
	cursor := omi.EncodeCursor(omi.MemoryCursor{Scoring: omi.MemoryScore(true, "system",
		time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(90_000*time.Second)), CreatedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(90_000 * time.Second).UnixMicro(), ID: "~"})
	b.Run("cursor-deep", func(b *testing.B) { benchList(b, h, key, "?limit=25&cursor="+cursor) })
}

// BenchmarkBaselineHandler is the floor the list is compared to: a bare
// handler writing the same number of bytes, through the same recorder.
func BenchmarkBaselineHandler(b *testing.B) {
	h, key := memoriesServer(b, 25)
	req := httptest.NewRequest("GET", "/v1/dev/user/memories?limit=25", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	body := w.Body.Bytes()
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	b.ReportAllocs()
	for b.Loop() {
		bare.ServeHTTP(httptest.NewRecorder(), req)
	}
}
