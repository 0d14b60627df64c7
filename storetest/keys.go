package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	omi "github.com/omi-devapi/omi-devapi"
)

func testKeys(t *testing.T, open Open) {
	t.Run("CreateFindListRevoke", func(t *testing.T) {
		s := open(t)
		exp := base.Add(time.Hour)
		k1 := &omi.APIKey{ID: "k1", UID: "alice", Name: "one", Prefix: "omi_dev_aaaa...bbbb", Hash: "h1",
			Scopes: []omi.Scope{omi.ScopeMemoriesRead}, CreatedAt: base, ExpiresAt: &exp}
		k2 := &omi.APIKey{ID: "k2", UID: "alice", Name: "two", Prefix: "omi_dev_cccc...dddd", Hash: "h2",
			Scopes: []omi.Scope{}, CreatedAt: base.Add(time.Second)}
		k3 := &omi.APIKey{ID: "k3", UID: "bob", Name: "three", Prefix: "omi_dev_eeee...ffff", Hash: "h3",
			Scopes: omi.AllScopes, CreatedAt: base}
		for _, k := range []*omi.APIKey{k1, k2, k3} {
			must(t, s.CreateKey(ctx(t), k))
		}
		got, err := s.FindKeyByHash(ctx(t), "h1")
		must(t, err)
		if diff := cmp.Diff(k1, got); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
		_, err = s.FindKeyByHash(ctx(t), "nope")
		wantCode(t, err, omi.ENOTFOUND)

		list, err := s.ListKeys(ctx(t), "alice")
		must(t, err)
		if len(list) != 2 || list[0].ID != "k2" || list[1].ID != "k1" {
			t.Fatalf("list: want k2, k1 (newest first), got %v", list)
		}

		// Revoke: scoped to the owner, once.
		_, err = s.RevokeKey(ctx(t), "bob", "k1", base)
		wantCode(t, err, omi.ENOTFOUND)
		rk, err := s.RevokeKey(ctx(t), "alice", "k1", base.Add(time.Minute))
		must(t, err)
		if rk.Hash != "h1" || rk.RevokedAt == nil || !rk.RevokedAt.Equal(base.Add(time.Minute)) {
			t.Fatalf("revoked: %+v", rk)
		}
		_, err = s.RevokeKey(ctx(t), "alice", "k1", base)
		wantCode(t, err, omi.ENOTFOUND)
		list, _ = s.ListKeys(ctx(t), "alice")
		if len(list) != 1 || list[0].ID != "k2" {
			t.Fatalf("revoked key listed: %v", list)
		}
		got, err = s.FindKeyByHash(ctx(t), "h1")
		must(t, err)
		if got.RevokedAt == nil {
			t.Fatal("revoked key found without RevokedAt")
		}
		if list, _ := s.ListKeys(ctx(t), "carol"); list == nil || len(list) != 0 {
			t.Fatalf("empty list must be non-nil and empty: %#v", list)
		}
	})
	t.Run("TouchKeysKeepsLatest", func(t *testing.T) {
		s := open(t)
		must(t, s.CreateKey(ctx(t), &omi.APIKey{ID: "k", UID: "u", Name: "n", Prefix: "p", Hash: "h", Scopes: omi.DefaultScopes, CreatedAt: base}))
		must(t, s.TouchKeys(ctx(t), map[string]time.Time{"k": base.Add(time.Hour), "missing": base}))
		must(t, s.TouchKeys(ctx(t), map[string]time.Time{"k": base.Add(time.Minute)}))
		k, err := s.FindKeyByHash(ctx(t), "h")
		must(t, err)
		if k.LastUsedAt == nil || !k.LastUsedAt.Equal(base.Add(time.Hour)) {
			t.Fatalf("last used %v, want %v", k.LastUsedAt, base.Add(time.Hour))
		}
	})
}
