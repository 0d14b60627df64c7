package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/postgres/pgtest"
)

func signingKeyPEM(t *testing.T) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func call(t *testing.T, method, url, bearer, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+bearer)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func mustCall(t *testing.T, method, url, bearer, body string) []byte {
	t.Helper()
	s, b := call(t, method, url, bearer, body)
	if s != 200 {
		t.Fatalf("%s %s: %d %s", method, url, s, b)
	}
	return b
}

func ids(t *testing.T, list []byte) []string {
	t.Helper()
	var rows []struct{ ID string }
	if err := json.Unmarshal(list, &rows); err != nil {
		t.Fatalf("%v: %s", err, list)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.ID
	}
	return out
}

// snapshot is every list and get the API has for the seeded user, by
// request; withSearch adds searches, whose lexical scores are a store's own.
func snapshot(t *testing.T, base, key, token string, withSearch bool) map[string]string {
	t.Helper()
	out := map[string]string{}
	get := func(path, bearer string) []byte {
		b := mustCall(t, "GET", base+path, bearer, "")
		out[path] = string(b)
		return b
	}
	get("/v1/dev/keys", token)
	for _, id := range ids(t, get("/v1/dev/user/memories?limit=1000", key)) {
		get("/v1/dev/user/memories/"+id, key)
	}
	get("/v1/dev/user/memories?limit=2&offset=1", key)
	get("/v1/dev/user/memories?categories=work", key)
	for _, id := range ids(t, get("/v1/dev/user/action-items?limit=1000", key)) {
		get("/v1/dev/user/action-items/"+id, key)
	}
	get("/v1/dev/user/action-items?completed=true", key)
	for _, id := range ids(t, get("/v1/dev/user/conversations?limit=1000&include_discarded=true", key)) {
		get("/v1/dev/user/conversations/"+id+"?include_transcript=true", key)
	}
	get("/v1/dev/user/conversations", key)
	for _, id := range ids(t, get("/v1/dev/user/goals", key)) {
		get("/v1/dev/user/goals/"+id, key)
		get("/v1/dev/user/goals/"+id+"/history", key)
	}
	get("/v1/dev/user/folders", key)
	if withSearch {
		get("/v1/dev/user/memories/vector/search?query=sourdough%20bread", key)
		get("/v1/dev/user/memories/vector/search?query=budget", key)
	}
	return out
}

func sameSnapshots(t *testing.T, what string, a, b map[string]string) {
	t.Helper()
	if len(a) != len(b) {
		t.Errorf("%s: %d responses, want %d", what, len(b), len(a))
	}
	for path, body := range a {
		if b[path] != body {
			t.Errorf("%s: GET %s differs:\n got %s\nwant %s", what, path, b[path], body)
		}
	}
}

// TestCopyRoundTrip seeds an installation on SQLite through the API, copies
// it to PostgreSQL and from there to a new SQLite file, and compares what
// the API answers on all three, byte for byte.
func TestCopyRoundTrip(t *testing.T) {
	dsn := pgtest.Schema(t)
	pemKey := signingKeyPEM(t)
	vars := func(db string) map[string]string {
		return map[string]string{"OMI_DATA_DIR": t.TempDir(), "OMI_ADDR": "127.0.0.1:0", "OMI_DATABASE_URL": db,
			"OMI_LOCAL_SIGNING_KEY": pemKey, "OMI_LAST_USED_FLUSH_INTERVAL": "1h"}
	}
	first := filepath.Join(t.TempDir(), "first.db")
	last := filepath.Join(t.TempDir(), "last.db")

	// Seed, then stop the server, which writes last_used_at.
	seedVars := vars(first)
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	pr, pw := io.Pipe()
	go func() {
		done <- run(ctx, []string{"omi-devapi", "serve"}, getenvFrom(seedVars), pw, io.Discard)
		pw.Close()
	}()
	line, err := readLine(pr)
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	base := strings.TrimSpace(strings.TrimPrefix(line, "omi-devapi listening on "))
	token := strings.TrimSpace(runCmd(t, seedVars, "token", "--uid", "alice", "--ttl", "24h"))
	key := strings.TrimSpace(runCmd(t, seedVars, "keys", "create", "--uid", "alice", "--name", "all",
		"--scopes", "memories:read,memories:write,conversations:read,conversations:write,action_items:read,action_items:write,goals:read,goals:write"))
	revoked := strings.TrimSpace(runCmd(t, seedVars, "keys", "create", "--uid", "alice", "--name", "old", "--scopes", "memories:read"))
	mustCall(t, "GET", base+"/v1/dev/user/memories", revoked, "")
	mustCall(t, "POST", base+"/v1/dev/user/memories", key, `{"content":"User bakes sourdough bread on Sundays","category":"interesting","tags":["food","weekend"]}`)
	mustCall(t, "POST", base+"/v1/dev/user/memories/batch", key, `{"memories":[{"content":"User's budget review is monthly","category":"work"},{"content":"User's sister is a nurse"},{"content":"User dislikes cilantro"}]}`)
	ms := ids(t, mustCall(t, "GET", base+"/v1/dev/user/memories", key, ""))
	mustCall(t, "PATCH", base+"/v1/dev/user/memories/"+ms[0], key, `{"content":"User bakes rye bread on Sundays","visibility":"private"}`)
	mustCall(t, "POST", base+"/v1/dev/user/action-items", key, `{"description":"Renew passport","due_at":"2026-05-01T10:00:00Z"}`)
	item := mustCall(t, "POST", base+"/v1/dev/user/action-items", key, `{"description":"Call the plumber"}`)
	var it struct{ ID string }
	json.Unmarshal(item, &it)
	mustCall(t, "PATCH", base+"/v1/dev/user/action-items/"+it.ID, key, `{"completed":true}`)
	mustCall(t, "POST", base+"/v1/dev/user/conversations", key, `{"text":"I'll send the budget to Maria tomorrow at 10am. We reviewed the quarterly numbers.","text_source":"other_text"}`)
	mustCall(t, "POST", base+"/v1/dev/user/conversations/from-segments", key,
		`{"transcript_segments":[{"text":"Let's plan the lake trip.","speaker":"SPEAKER_00","start":0,"end":2.5},{"text":"Bring the kayak.","speaker":"SPEAKER_01","start":3,"end":4}],"source":"phone"}`)
	folder := mustCall(t, "POST", base+"/v1/dev/user/folders", key, `{"name":"Trips","description":"away","color":"#00aa00"}`)
	var f struct{ ID string }
	json.Unmarshal(folder, &f)
	cs := ids(t, mustCall(t, "GET", base+"/v1/dev/user/conversations", key, ""))
	mustCall(t, "PATCH", base+"/v1/dev/user/conversations/"+cs[0], key, `{"folder_id":"`+f.ID+`","starred":true}`)
	mustCall(t, "PATCH", base+"/v1/dev/user/conversations/"+cs[1], key, `{"discarded":true}`)
	goal := mustCall(t, "POST", base+"/v1/dev/user/goals", key, `{"title":"Run 5k","target_value":5,"unit":"km"}`)
	var g struct{ ID string }
	json.Unmarshal(goal, &g)
	mustCall(t, "PATCH", base+"/v1/dev/user/goals/"+g.ID+"/progress?current_value=2.5", key, "")
	mustCall(t, "POST", base+"/v1/dev/user/goals", key, `{"title":"Read more"}`)
	var keyList []struct{ ID, Name string }
	json.Unmarshal(mustCall(t, "GET", base+"/v1/dev/keys", token, ""), &keyList)
	for _, k := range keyList {
		if k.Name == "old" {
			runCmd(t, seedVars, "keys", "revoke", "--uid", "alice", "--id", k.ID)
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	out := runCmd(t, vars(""), "copy", "--from", first, "--to", dsn, "--batch", "2")
	if strings.Count(out, " ok\n") != len(omi.ExportTables) || strings.Contains(out, "vectors               0 rows") {
		t.Fatalf("copy to PostgreSQL:\n%s", out)
	}
	t.Log(out)
	want := snapshot(t, startServe(t, vars(first)), key, token, true)
	onPG := startServe(t, vars(dsn))
	sameSnapshots(t, "PostgreSQL", withoutSearch(want), snapshot(t, onPG, key, token, false))
	// Still running: its last_used_at is not flushed, so the copy back has
	// the same keys as the first file.
	runCmd(t, vars(""), "copy", "--from", dsn, "--to", last)
	sameSnapshots(t, "SQLite again", want, snapshot(t, startServe(t, vars(last)), key, token, true))
	if s, _ := call(t, "GET", onPG+"/v1/dev/user/memories", revoked, ""); s != 401 {
		t.Fatalf("revoked key after copy: %d", s)
	}
}

func withoutSearch(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if !strings.Contains(k, "/search") {
			out[k] = v
		}
	}
	return out
}

func readLine(r io.Reader) (string, error) {
	var b bytes.Buffer
	one := make([]byte, 1)
	for {
		if _, err := r.Read(one); err != nil {
			return b.String(), err
		}
		if one[0] == '\n' {
			return b.String(), nil
		}
		b.WriteByte(one[0])
	}
}

// failingEnd stops importing after a number of batches, as a copy killed
// midway would.
type failingEnd struct {
	copyEnd
	left int
}

func (f *failingEnd) ImportRows(ctx context.Context, t omi.Table, rows []omi.Row) error {
	if f.left == 0 {
		return errors.New("interrupted")
	}
	f.left--
	return f.copyEnd.ImportRows(ctx, t, rows)
}

// TestCopyResumes interrupts a copy partway, then runs it again: it
// finishes, and every table's checksum matches the source's.
func TestCopyResumes(t *testing.T) {
	dsn := pgtest.Schema(t)
	src := filepath.Join(t.TempDir(), "src.db")
	v := map[string]string{"OMI_DATA_DIR": t.TempDir(), "OMI_DATABASE_URL": src}
	runCmd(t, v, "migrate")
	for i := range 7 {
		runCmd(t, v, "keys", "create", "--uid", "user"+string(rune('a'+i)), "--name", "k", "--scopes", "memories:read")
	}
	ctx := t.Context()
	cfg, err := loadConfig(getenvFrom(v))
	if err != nil {
		t.Fatal(err)
	}
	a, err := openCopyEnd(ctx, cfg, src)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := openCopyEnd(ctx, cfg, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := copyTables(ctx, a, &failingEnd{copyEnd: b, left: 2}, 2, io.Discard); err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("interrupted copy: %v", err)
	}
	part, err := omi.Checksum(ctx, b, omi.ExportTables[0], 100)
	if err != nil {
		t.Fatal(err)
	}
	if part.Rows != 4 {
		t.Fatalf("after the interruption %d keys, want 4", part.Rows)
	}
	var out bytes.Buffer
	if err := copyTables(ctx, a, b, 2, &out); err != nil {
		t.Fatalf("resumed copy: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "verified api_keys              7 rows") {
		t.Fatalf("resumed copy:\n%s", out.String())
	}
}
