package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/bench/seed"
	"github.com/omi-devapi/omi-devapi/sqlite"
)

func TestSeedCommand(t *testing.T) {
	dir := t.TempDir()
	db, keys := filepath.Join(dir, "omi.db"), filepath.Join(dir, "keys.json")
	err := run(t.Context(), []string{"-db", db, "-users", "2", "-memories", "500", "-conversations", "10",
		"-action-items", "10", "-goals", "1", "-vectors", "-keys", keys})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(keys)
	if err != nil {
		t.Fatal(err)
	}
	var byUser map[string]string
	if err := json.Unmarshal(b, &byUser); err != nil || len(byUser) != 2 || byUser[seed.UID(1)] == "" {
		t.Fatalf("keys file %s: %v", b, err)
	}
	s, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ms, err := s.ListMemories(t.Context(), omi.MemoryFilter{UID: seed.UID(1), Page: omi.Page{Limit: 1000}})
	if err != nil || len(ms) < 450 {
		t.Fatalf("%d memories, %v", len(ms), err)
	}
	if err := run(t.Context(), []string{"-memories", "1"}); err == nil {
		t.Fatal("no -db accepted")
	}
}
