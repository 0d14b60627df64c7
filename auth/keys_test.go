package auth

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
)

// slowStore holds FindKeyByHash until released, to race a revocation
// against a lookup in flight.
type slowStore struct {
	omi.KeyStore
	key     *omi.APIKey
	entered chan struct{}
	release chan struct{}
	finds   atomic.Int32
}

func (s *slowStore) FindKeyByHash(ctx context.Context, h string) (*omi.APIKey, error) {
	if s.finds.Add(1) == 1 {
		close(s.entered)
		<-s.release
	}
	return s.key, nil
}

func TestRevocationDuringLookupIsNotCached(t *testing.T) {
	raw, h := NewKey()
	store := &slowStore{
		key:     &omi.APIKey{ID: "k", UID: "alice", Hash: h.String(), Scopes: omi.AllScopes, CreatedAt: time.Now()},
		entered: make(chan struct{}), release: make(chan struct{}),
	}
	keys := NewKeys(store, KeysConfig{PositiveTTL: time.Hour}, nil, slog.New(slog.DiscardHandler), nil)
	defer close(keys.stop)
	done := make(chan error, 1)
	go func() {
		_, err := keys.Verify(context.Background(), raw)
		done <- err
	}()
	<-store.entered
	keys.Forget(h.String()) // the revocation notice arrives mid-lookup
	close(store.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	keys.Verify(context.Background(), raw)
	if n := store.finds.Load(); n != 2 {
		t.Fatalf("store asked %d times: the lookup that raced a revocation was cached", n)
	}
}

func TestParseKey(t *testing.T) {
	raw, h := NewKey()
	if got, err := ParseKey(raw); err != nil || got != h {
		t.Fatalf("ParseKey(NewKey()) = %v, %v", got, err)
	}
	for _, bad := range []string{"", "omi_dev_", raw[:len(raw)-1], raw + "a", "omi_mcp_" + raw[8:], raw[:10] + "G" + raw[11:]} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if p := DisplayPrefix(raw); len(p) != len("omi_dev_")+4+3+4 {
		t.Errorf("prefix %q", p)
	}
}
