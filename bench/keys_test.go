// Package bench holds the Go benchmarks; results go to RESULTS.md.
package bench

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"path/filepath"
	"testing"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/auth"
	"github.com/omi-devapi/omi-devapi/sqlite"
)

// BenchmarkKeyVerifyCached is the per-request cost of authenticating a
// developer key once it is in the cache: format and checksum check, SHA-256,
// map lookup, expiry and the debounced last-use note. Goal: <= 1 µs/op.
func BenchmarkKeyVerifyCached(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "omi.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	keys := auth.NewKeys(db, auth.KeysConfig{}, nil, slog.New(slog.DiscardHandler), nil)
	defer keys.Close(ctx)
	_, raw, err := keys.Create(ctx, "alice", "bench", []string{string(omi.ScopeMemoriesRead)}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := keys.Verify(ctx, raw); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := keys.Verify(ctx, raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKeyVerifyCachedParallel is the same under contention from all CPUs.
func BenchmarkKeyVerifyCachedParallel(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "omi.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	keys := auth.NewKeys(db, auth.KeysConfig{}, nil, slog.New(slog.DiscardHandler), nil)
	defer keys.Close(ctx)
	_, raw, err := keys.Create(ctx, "alice", "bench", nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	keys.Verify(ctx, raw)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := keys.Verify(ctx, raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkBaselineSHA256 is the floor for key verification: hashing the
// presented secret, which any scheme that stores only hashes must do.
func BenchmarkBaselineSHA256(b *testing.B) {
	raw, _ := auth.NewKey()
	secret := []byte(raw[len(auth.KeyPrefix):])
	b.ReportAllocs()
	for b.Loop() {
		sink = sha256.Sum256(secret)
	}
}

var sink [32]byte
