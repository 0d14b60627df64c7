package postgres_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/apitest"
	"github.com/omi-devapi/omi-devapi/auth"
	"github.com/omi-devapi/omi-devapi/httpapi"
	"github.com/omi-devapi/omi-devapi/postgres"
	"github.com/omi-devapi/omi-devapi/postgres/pgtest"
)

// replica is one omi-devapi server process as a test sees it: its own
// pool, key cache and revocation listener, sharing the database.
type replica struct {
	t      *testing.T
	h      *apitest.Harness
	db     *postgres.DB
	keys   *auth.Keys
	signer *auth.LocalSigner
}

// newReplica starts a server on dsn. The key cache trusts a verified key
// for an hour, so only the revocation notice can make it forget one.
func newReplica(t *testing.T, dsn string, signingKey []byte, opts ...postgres.Option) *replica {
	t.Helper()
	db := pgtest.OpenDSN(t, dsn, opts...)
	log := slog.New(slog.DiscardHandler)
	signer, err := auth.NewLocalSigner(signingKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := auth.NewKeys(db, auth.KeysConfig{PositiveTTL: time.Hour, NegativeTTL: time.Hour}, nil, log, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); db.ListenRevocations(ctx, keys.Forget, log) }()
	t.Cleanup(func() {
		cancel()
		<-done
		keys.Close(context.Background())
	})
	srv := httpapi.NewServer(httpapi.Deps{Logger: log, Keys: keys, Tokens: signer, Ready: []httpapi.Pinger{db},
		Memories: db, ActionItems: db, Conversations: db, Goals: db, Folders: db})
	return &replica{t: t, h: apitest.New(t, srv), db: db, keys: keys, signer: signer}
}

func (r *replica) do(method, path, token string, body any) *apitest.Response {
	r.t.Helper()
	return r.h.Do(apitest.Request{Method: method, Path: path, Token: token, Body: body})
}

func (r *replica) token(uid string) string {
	r.t.Helper()
	tok, err := r.signer.Mint(uid, time.Hour)
	if err != nil {
		r.t.Fatal(err)
	}
	return tok
}

func wantStatus(t *testing.T, resp *apitest.Response, status int) {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status %d, want %d; body %s", resp.Status, status, resp.Body)
	}
}

// signingKey is a fresh PEM key, as an operator would put in
// OMI_LOCAL_SIGNING_KEY for all replicas.
func signingKey(t *testing.T) []byte {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

type createdKey struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

func createKey(r *replica, token string) createdKey {
	r.t.Helper()
	resp := r.do(http.MethodPost, "/v1/dev/keys", token, map[string]any{"name": "replicated", "scopes": omi.AllScopes})
	wantStatus(r.t, resp, http.StatusOK)
	var k createdKey
	resp.Decode(r.t, &k)
	return k
}

func TestReplicasShareKeysRevocationsAndWrites(t *testing.T) {
	dsn := pgtest.Schema(t)
	pemKey := signingKey(t)
	r1, r2 := newReplica(t, dsn, pemKey), newReplica(t, dsn, pemKey)

	// A token minted by one replica is good on the other: they share the key.
	token := r1.token("alice")
	k := createKey(r1, token)
	wantStatus(t, r2.do(http.MethodGet, "/v1/dev/keys", token, nil), http.StatusOK)

	// A write through one is read through the other.
	resp := r1.do(http.MethodPost, "/v1/dev/user/memories", k.Key, map[string]any{"content": "written on replica one"})
	wantStatus(t, resp, http.StatusOK)
	var m struct {
		ID      string `json:"id"`
		Content string `json:"content"`
	}
	resp.Decode(t, &m)
	resp = r2.do(http.MethodGet, "/v1/dev/user/memories/"+m.ID, k.Key, nil)
	wantStatus(t, resp, http.StatusOK)
	var got struct {
		Content string `json:"content"`
	}
	resp.Decode(t, &got)
	if got.Content != m.Content {
		t.Fatalf("replica two read %q, want %q", got.Content, m.Content)
	}

	// Both caches hold the key now; replica two will not ask the store
	// again for an hour unless told.
	for _, r := range []*replica{r1, r2} {
		wantStatus(t, r.do(http.MethodGet, "/v1/dev/user/memories", k.Key, nil), http.StatusOK)
	}
	wantStatus(t, r1.do(http.MethodDelete, "/v1/dev/keys/"+k.ID, token, nil), http.StatusNoContent)
	revoked := time.Now()
	wantStatus(t, r1.do(http.MethodGet, "/v1/dev/user/memories", k.Key, nil), http.StatusUnauthorized)
	for {
		resp := r2.do(http.MethodGet, "/v1/dev/user/memories", k.Key, nil)
		if resp.Status == http.StatusUnauthorized {
			break
		}
		wantStatus(t, resp, http.StatusOK)
		if time.Since(revoked) > time.Second {
			t.Fatal("replica two still accepts the key a second after it was revoked through replica one")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("revocation reached replica two after %v", time.Since(revoked).Round(time.Millisecond))
}

// TestRevocationListenerCatchesUp: revocations made while a replica's
// listener was disconnected reach its cache when it reconnects.
func TestRevocationListenerCatchesUp(t *testing.T) {
	// A slow first reconnect leaves time to revoke while it is away; set
	// before the listener starts, restored after it stops.
	defer postgres.SetListenBackoff(time.Second)()
	dsn := pgtest.Schema(t)
	db := pgtest.OpenDSN(t, dsn)
	var mu sync.Mutex
	forgotten := map[string]int{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		db.ListenRevocations(ctx, func(h string) { mu.Lock(); forgotten[h]++; mu.Unlock() }, nil)
	}()
	defer func() { cancel(); <-done }()
	seen := func(h string) bool { mu.Lock(); defer mu.Unlock(); return forgotten[h] > 0 }
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	revoke := func(i int) string {
		t.Helper()
		k := &omi.APIKey{ID: fmt.Sprint("k", i), UID: "u", Name: "n", Prefix: "p", Hash: fmt.Sprint("hash", i),
			Scopes: omi.DefaultScopes, CreatedAt: time.Now().UTC()}
		if err := db.CreateKey(t.Context(), k); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RevokeKey(t.Context(), "u", k.ID, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		return k.Hash
	}
	h := revoke(1)
	waitFor("the first revocation", func() bool { return seen(h) })

	// Cut the listener's connection (and the pool's) and revoke while it
	// waits to reconnect: no notice can reach it, the catch-up must.
	pgtest.Terminate(t, dsn)
	h = revoke(2)
	waitFor("the revocation made while disconnected", func() bool { return seen(h) })
}
