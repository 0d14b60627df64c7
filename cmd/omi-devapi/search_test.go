package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/sqlite"
)

func TestReindex(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"OMI_DATA_DIR": dir}
	// Rows written without vectors, as by a server whose embedder was down.
	db, err := sqlite.Open(t.Context(), filepath.Join(dir, "omi.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := db.CreateMemories(t.Context(), []*omi.Memory{
		omi.NewMemory("m1", "alice", "User likes green tea", nil, nil, nil, now),
		omi.NewMemory("m2", "bob", "Bob likes coffee", nil, nil, nil, now),
	}); err != nil {
		t.Fatal(err)
	}
	c := &omi.Conversation{ID: "c1", UID: "alice", CreatedAt: now, Status: "completed", Structured: omi.Structured{Title: "Tea tasting"}}
	if _, _, err := db.CreateConversation(t.Context(), c, nil, nil); err != nil {
		t.Fatal(err)
	}
	db.Close()

	for _, c := range []struct {
		vars map[string]string
		args []string
		want string
	}{
		{vars, nil, "vectors by omi-hashing-v1-384: 2 memories and 1 conversations embedded"},
		{vars, nil, "vectors by omi-hashing-v1-384: 0 memories and 0 conversations embedded"}, // nothing left
		{vars, []string{"--all"}, "vectors by omi-hashing-v1-384: 2 memories and 1 conversations embedded"},
		// Another model: every vector is stale.
		{map[string]string{"OMI_DATA_DIR": dir, "OMI_EMBEDDINGS_DIMENSIONS": "128"}, nil, "vectors by omi-hashing-v1-128: 2 memories and 1 conversations embedded"},
	} {
		out := runCmd(t, c.vars, append([]string{"reindex"}, c.args...)...)
		if !strings.Contains(out, "lexical index rebuilt") || !strings.Contains(out, c.want) {
			t.Fatalf("reindex %v:\n%s\nwant %q", c.args, out, c.want)
		}
	}

	for _, bad := range []map[string]string{
		{"OMI_DATA_DIR": dir, "OMI_EMBEDDINGS_BASE_URL": "http://localhost:11434/v1"},
		{"OMI_DATA_DIR": dir, "OMI_EMBEDDINGS_MODEL": "nomic-embed-text"},
	} {
		var out, errOut bytes.Buffer
		if err := run(t.Context(), []string{"omi-devapi", "reindex"}, getenvFrom(bad), &out, &errOut); err == nil {
			t.Fatalf("%v accepted", bad)
		}
	}
}
