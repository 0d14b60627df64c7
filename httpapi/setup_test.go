package httpapi_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/apitest"
	"github.com/omi-devapi/omi-devapi/auth"
	"github.com/omi-devapi/omi-devapi/httpapi"
	"github.com/omi-devapi/omi-devapi/postgres/pgtest"
	"github.com/omi-devapi/omi-devapi/process"
	"github.com/omi-devapi/omi-devapi/search"
	"github.com/omi-devapi/omi-devapi/sqlite"
	"github.com/omi-devapi/omi-devapi/storetest"
)

// testStore is what the tests need of a store: every resource, search, and
// a readiness ping. OMI_TEST_HTTP_STORE=postgres runs the suite on
// PostgreSQL (a fresh schema per test in OMI_TEST_POSTGRES_DSN's database);
// otherwise SQLite.
type testStore interface {
	storetest.Store
	omi.SearchStore
	Ping(ctx context.Context) error
}

// openStore opens the test's store; path is its SQLite file, "" on
// PostgreSQL (tests reading the file directly then skip or look no further).
func openStore(t *testing.T, dir string) (db testStore, path string) {
	t.Helper()
	if os.Getenv("OMI_TEST_HTTP_STORE") == "postgres" {
		if os.Getenv(pgtest.EnvDSN) == "" {
			t.Fatal("OMI_TEST_HTTP_STORE=postgres needs " + pgtest.EnvDSN)
		}
		return pgtest.Open(t), ""
	}
	path = filepath.Join(dir, "omi.db")
	lite, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	return lite, path
}

// env is one server on its own database, as a test sees it.
type env struct {
	t      *testing.T
	h      *apitest.Harness
	db     testStore
	keys   *auth.Keys
	signer *auth.LocalSigner
	store  *countingStore
	clock  *clock
	srv    *httpapi.Server
	path   string // the database file
}

// clock is the servers' time, set by tests. Guarded: handlers read it on
// other goroutines.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func (c *clock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// countingStore counts key lookups, to show what the cache spares the store.
type countingStore struct {
	omi.KeyStore
	lookups int
}

func (s *countingStore) FindKeyByHash(ctx context.Context, h string) (*omi.APIKey, error) {
	s.lookups++
	return s.KeyStore.FindKeyByHash(ctx, h)
}

type option func(*httpapi.Deps)

func withTokens(v omi.TokenVerifier) option { return func(d *httpapi.Deps) { d.Tokens = v } }

func setup(t *testing.T, opts ...option) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, path := openStore(t, dir)
	c := &clock{now: time.Now()}
	signer, err := auth.LoadOrCreateSigner(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	store := &countingStore{KeyStore: db}
	log := slog.New(slog.DiscardHandler)
	keys := auth.NewKeys(store, auth.KeysConfig{}, c.Now, log, nil)
	t.Cleanup(func() { keys.Close(ctx) })
	d := httpapi.Deps{Logger: log, Keys: keys, Tokens: signer, Ready: []httpapi.Pinger{db}, Now: c.Now,
		Memories: db, ActionItems: db, Conversations: db, Processor: process.NewBuiltin(), Goals: db, Folders: db,
		Search: search.NewEngine(search.Engine{Store: db, Embedder: search.NewHashing(0), Conversations: db, Logger: log})}
	for _, o := range opts {
		o(&d)
	}
	srv := httpapi.NewServer(d)
	srv.AddProbe(omi.ScopeMemoriesRead)
	srv.AddPanic()
	return &env{t: t, h: apitest.New(t, srv), db: db, keys: keys, signer: signer, store: store, clock: c,
		srv: srv, path: path}
}

func (e *env) do(method, path, token string, body any) *apitest.Response {
	e.t.Helper()
	return e.h.Do(apitest.Request{Method: method, Path: path, Token: token, Body: body})
}

// token mints a local ID token for uid.
func (e *env) token(uid string) string {
	e.t.Helper()
	tok, err := e.signer.Mint(uid, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

type createdKey struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Prefix    string    `json:"key_prefix"`
	Key       string    `json:"key"`
	Scopes    []string  `json:"scopes"`
	CreatedAt time.Time `json:"created_at"`
}

// key creates a developer key for uid through the API. No scopes means all
// of them.
func (e *env) key(uid string, scopes ...omi.Scope) createdKey {
	e.t.Helper()
	if len(scopes) == 0 {
		scopes = omi.AllScopes
	}
	resp := e.do(http.MethodPost, "/v1/dev/keys", e.token(uid), map[string]any{"name": "test key", "scopes": scopes})
	if resp.Status != http.StatusOK {
		e.t.Fatalf("create key: %d %s", resp.Status, resp.Body)
	}
	var k createdKey
	resp.Decode(e.t, &k)
	return k
}

func wantStatus(t *testing.T, resp *apitest.Response, status int) {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status %d, want %d; body %s", resp.Status, status, resp.Body)
	}
}

func wantDetail(t *testing.T, resp *apitest.Response, status int, contains string) {
	t.Helper()
	wantStatus(t, resp, status)
	if d := resp.Detail(); !strings.Contains(d, contains) {
		t.Fatalf("detail %q does not contain %q", d, contains)
	}
}

func apitestRequest(method, path string, h http.Header) apitest.Request {
	return apitest.Request{Method: method, Path: path, Header: h}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
