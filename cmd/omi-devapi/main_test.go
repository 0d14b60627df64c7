package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func getenvFrom(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// runCmd runs a one-shot subcommand and returns its stdout.
func runCmd(t *testing.T, vars map[string]string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(t.Context(), append([]string{"omi-devapi"}, args...), getenvFrom(vars), &out, &errOut); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, errOut.String())
	}
	return out.String()
}

// TestQuickstart walks the README: serve, mint a token, create a key (by
// API and by CLI), call an endpoint, shut down gracefully.
func TestQuickstart(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"OMI_DATA_DIR": dir, "OMI_ADDR": "127.0.0.1:0", "OMI_LOG_FORMAT": "json"}
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"omi-devapi", "serve"}, getenvFrom(vars), pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no listening line: %v", err)
	}
	go io.Copy(io.Discard, pr)
	base := strings.TrimSpace(strings.TrimPrefix(line, "omi-devapi listening on "))

	if fi, err := os.Stat(filepath.Join(dir, "local-signing-key.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("signing key: %v %v", fi, err)
	}
	token := strings.TrimSpace(runCmd(t, vars, "token", "--uid", "alice"))

	req, _ := http.NewRequest("POST", base+"/v1/dev/keys", strings.NewReader(`{"name":"my script","scopes":["memories:read","memories:write"]}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ Key string }
	json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(created.Key, "omi_dev_") {
		t.Fatalf("create key: %d %+v", resp.StatusCode, created)
	}
	cliKey := strings.TrimSpace(runCmd(t, vars, "keys", "create", "--uid", "alice", "--name", "cli", "--scopes", "memories:read"))

	for _, key := range []string{created.Key, cliKey} {
		req, _ = http.NewRequest("GET", base+"/v1/dev/user/memories", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "[]" {
			t.Fatalf("list memories: %d %s", resp.StatusCode, body)
		}
	}

	// Every resource is wired in the real binary: one call each.
	allKey := strings.TrimSpace(runCmd(t, vars, "keys", "create", "--uid", "alice", "--name", "all",
		"--scopes", "memories:read,memories:write,conversations:read,conversations:write,action_items:read,action_items:write,goals:read,goals:write"))
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/v1/dev/user/conversations", `{"text":"I'll send the budget to Maria tomorrow at 10am. We reviewed the quarterly numbers."}`},
		{"GET", "/v1/dev/user/conversations", ""},
		{"GET", "/v1/dev/user/action-items", ""},
		{"POST", "/v1/dev/user/goals", `{"title":"Run 5k"}`},
		{"GET", "/v1/dev/user/folders", ""},
		{"GET", "/v1/dev/user/memories/vector/search?query=budget", ""},
		{"POST", "/v1/dev/user/ask", `{"question":"What did I promise Maria?"}`},
	} {
		req, _ := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
		req.Header.Set("Authorization", "Bearer "+allKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s %s: %d %s", c.method, c.path, resp.StatusCode, body)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not shut down")
	}
	// Shutdown flushed last_used_at.
	list := runCmd(t, vars, "keys", "list", "--uid", "alice")
	if strings.Count(list, "never") != 0 || strings.Count(list, "\n") != 4 {
		t.Fatalf("keys list after shutdown:\n%s", list)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, vars := range []map[string]string{
		{"OMI_AUTH_MODE": "ldap"},
		{"OMI_AUTH_MODE": "firebase"},
		{"OMI_LOG_FORMAT": "xml"},
		{"OMI_MAX_BODY_BYTES": "-1"},
		{"OMI_KEY_CACHE_TTL": "soon"},
	} {
		if err := run(t.Context(), []string{"omi-devapi", "version"}, getenvFrom(vars), io.Discard, io.Discard); err == nil {
			t.Errorf("%v: accepted", vars)
		}
	}
	if err := run(t.Context(), []string{"omi-devapi", "frobnicate"}, getenvFrom(nil), io.Discard, io.Discard); err == nil {
		t.Error("unknown subcommand accepted")
	}
	out := runCmd(t, nil, "version")
	if !strings.HasPrefix(out, "omi-devapi ") {
		t.Errorf("version: %q", out)
	}
}

// migrate takes serve's database flags, and -h or a stray argument never
// touches a database.
func TestMigrateFlags(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"OMI_DATA_DIR": filepath.Join(dir, "default")}
	for _, args := range [][]string{{"migrate", "-h"}, {"migrate", "now"}, {"migrate", "--bogus"}} {
		if err := run(t.Context(), append([]string{"omi-devapi"}, args...), getenvFrom(vars), io.Discard, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "default")); !os.IsNotExist(err) {
		t.Fatalf("a refused migrate created the default data directory: %v", err)
	}
	other := filepath.Join(dir, "other")
	if out := runCmd(t, vars, "migrate", "--data-dir", other); !strings.Contains(out, "migrations applied") {
		t.Fatalf("migrate --data-dir: %q", out)
	}
	if _, err := os.Stat(filepath.Join(other, "omi.db")); err != nil {
		t.Fatal(err)
	}
}
