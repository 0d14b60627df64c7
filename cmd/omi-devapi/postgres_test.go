package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/omi-devapi/omi-devapi/postgres/pgtest"
)

// startServe runs `omi-devapi serve` with vars until the test ends and
// returns its base URL.
func startServe(t *testing.T, vars map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"omi-devapi", "serve"}, getenvFrom(vars), pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not shut down")
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no listening line: %v", err)
	}
	go io.Copy(io.Discard, pr)
	return strings.TrimSpace(strings.TrimPrefix(line, "omi-devapi listening on "))
}

func get(t *testing.T, url, bearer string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestServeReplicasOnPostgres: two `serve` processes on one PostgreSQL
// database with a shared OMI_LOCAL_SIGNING_KEY verify each other's tokens,
// share keys, and a revocation through the CLI reaches both by the next
// request.
func TestServeReplicasOnPostgres(t *testing.T) {
	dsn := pgtest.Schema(t)
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	// One line, as some deployment tools want it.
	pemKey := strings.ReplaceAll(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), "\n", `\n`)
	replica := func() (map[string]string, string) {
		dir := t.TempDir()
		vars := map[string]string{"OMI_DATA_DIR": dir, "OMI_ADDR": "127.0.0.1:0", "OMI_DATABASE_URL": dsn,
			"OMI_LOCAL_SIGNING_KEY": pemKey, "OMI_KEY_CACHE_TTL": "1h", "OMI_DATABASE_TIMEOUT": "2s"}
		return vars, startServe(t, vars)
	}
	vars1, base1 := replica()
	vars2, base2 := replica()
	if _, err := os.Stat(filepath.Join(vars1["OMI_DATA_DIR"], "local-signing-key.pem")); !os.IsNotExist(err) {
		t.Fatalf("a signing key was written to the data dir although one was configured: %v", err)
	}
	token := strings.TrimSpace(runCmd(t, vars1, "token", "--uid", "alice"))
	for _, base := range []string{base1, base2} {
		if s := get(t, base+"/v1/dev/keys", token); s != 200 {
			t.Fatalf("%s: token refused: %d", base, s)
		}
	}
	key := strings.TrimSpace(runCmd(t, vars2, "keys", "create", "--uid", "alice", "--name", "cli", "--scopes", "memories:read"))
	for _, base := range []string{base1, base2} {
		if s := get(t, base+"/v1/dev/user/memories", key); s != 200 {
			t.Fatalf("%s: key refused: %d", base, s)
		}
	}
	req, _ := http.NewRequest("GET", base1+"/v1/dev/keys", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var keys []struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&keys)
	resp.Body.Close()
	if len(keys) != 1 {
		t.Fatalf("keys: %+v", keys)
	}
	runCmd(t, vars1, "keys", "revoke", "--uid", "alice", "--id", keys[0].ID)
	revoked := time.Now()
	for _, base := range []string{base1, base2} {
		for get(t, base+"/v1/dev/user/memories", key) != 401 {
			if time.Since(revoked) > time.Second {
				t.Fatalf("%s still accepts the key a second after the CLI revoked it", base)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if s := get(t, base2+"/readyz", ""); s != 200 {
		t.Fatalf("readyz %d", s)
	}
}

func TestDatabaseConfig(t *testing.T) {
	for _, vars := range []map[string]string{
		{"OMI_DATABASE_TIMEOUT": "0s"},
		{"OMI_DATABASE_TIMEOUT": "soon"},
	} {
		if err := run(t.Context(), []string{"omi-devapi", "version"}, getenvFrom(vars), io.Discard, io.Discard); err == nil {
			t.Errorf("%v: accepted", vars)
		}
	}
	vars := map[string]string{"OMI_LOCAL_SIGNING_KEY": "not a key", "OMI_DATA_DIR": t.TempDir()}
	if err := run(t.Context(), []string{"omi-devapi", "token", "--uid", "u"}, getenvFrom(vars), io.Discard, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "not PEM") {
		t.Errorf("a bad OMI_LOCAL_SIGNING_KEY: %v", err)
	}
	vars = map[string]string{"OMI_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none?sslmode=disable", "OMI_DATABASE_TIMEOUT": "1s"}
	start := time.Now()
	if err := run(t.Context(), []string{"omi-devapi", "migrate"}, getenvFrom(vars), io.Discard, io.Discard); err == nil {
		t.Error("migrate against no database succeeded")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("an unreachable database took %v to report", took)
	}
}
