package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/singleflight"

	omi "github.com/omi-devapi/omi-devapi"
)

// KeysConfig tunes the key service; zero values take the defaults.
type KeysConfig struct {
	// PositiveTTL bounds how long a verified key is trusted without asking the
	// store again. Revocation through this process is immediate regardless;
	// the TTL only bounds revocations made by another process (another replica,
	// or the CLI on the same file).
	PositiveTTL time.Duration // default 30s
	NegativeTTL time.Duration // default 1m
	MaxEntries  int           // per kind (positive, negative); default 100,000
	// TouchInterval is how often pending last_used_at values are written, and
	// the debounce per key.
	TouchInterval time.Duration // default 10s
}

func (c *KeysConfig) defaults() {
	if c.PositiveTTL <= 0 {
		c.PositiveTTL = 30 * time.Second
	}
	if c.NegativeTTL <= 0 {
		c.NegativeTTL = time.Minute
	}
	if c.MaxEntries <= 0 {
		c.MaxEntries = 100_000
	}
	if c.TouchInterval <= 0 {
		c.TouchInterval = 10 * time.Second
	}
}

// CacheObserver is told about cache hits and misses (for metrics).
type CacheObserver interface {
	KeyCacheHit()
	KeyCacheMiss()
}

type nopObserver struct{}

func (nopObserver) KeyCacheHit()  {}
func (nopObserver) KeyCacheMiss() {}

// Keys creates, lists, revokes and verifies developer keys. Verification of
// a known key is served from memory: no store I/O on the hot path.
type Keys struct {
	store    omi.KeyStore
	cfg      KeysConfig
	now      func() time.Time
	log      *slog.Logger
	observer CacheObserver

	mu  sync.RWMutex
	pos map[Hash]*cached
	neg map[Hash]*cached

	lookups singleflight.Group
	// forgets counts Forget calls: a store lookup that started before a
	// revocation must not put the revoked key back in the cache.
	forgets atomic.Uint64

	touchMu sync.Mutex
	pending map[string]time.Time
	stop    chan struct{}
	done    chan struct{}
}

type cached struct {
	key     *omi.APIKey // nil for negative entries
	err     error       // why a negative entry is rejected
	until   time.Time   // cache expiry
	touched atomic.Int64
}

// NewKeys starts the key service; Close flushes pending last-use times.
func NewKeys(store omi.KeyStore, cfg KeysConfig, now func() time.Time, log *slog.Logger, obs CacheObserver) *Keys {
	cfg.defaults()
	if now == nil {
		now = time.Now
	}
	if obs == nil {
		obs = nopObserver{}
	}
	k := &Keys{
		store: store, cfg: cfg, now: now, log: log, observer: obs,
		pos: map[Hash]*cached{}, neg: map[Hash]*cached{},
		pending: map[string]time.Time{},
		stop:    make(chan struct{}), done: make(chan struct{}),
	}
	go k.flushLoop()
	return k
}

// Create makes a key for uid. scopes nil means the read-only default; the
// stored list is deduplicated into canonical order, as upstream does.
func (k *Keys) Create(ctx context.Context, uid, name string, scopes []string, expiresAt *time.Time) (*omi.APIKey, string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, "", omi.InvalidValue("Key name cannot be empty", "body", "name")
	}
	if ContainsRawKey(name) {
		return nil, "", omi.InvalidValue("API key name must not contain a raw API key", "body", "name")
	}
	canon, err := CanonicalScopes(scopes)
	if err != nil {
		return nil, "", err
	}
	now := k.now().UTC().Truncate(time.Microsecond)
	if expiresAt != nil && !expiresAt.After(now) {
		return nil, "", omi.InvalidValue("expires_at must be in the future", "body", "expires_at")
	}
	raw, h := NewKey()
	key := &omi.APIKey{
		ID: uuid.NewString(), UID: uid, Name: name, Prefix: DisplayPrefix(raw), Hash: h.String(),
		Scopes: canon, CreatedAt: now, ExpiresAt: expiresAt,
	}
	if err := k.store.CreateKey(ctx, key); err != nil {
		return nil, "", fmt.Errorf("create key: %w", err)
	}
	k.mu.Lock()
	delete(k.neg, h)
	k.mu.Unlock()
	return key, raw, nil
}

// CanonicalScopes validates scopes and returns them deduplicated in
// upstream's canonical order; nil means the read-only default.
func CanonicalScopes(scopes []string) ([]omi.Scope, error) {
	if scopes == nil {
		return append([]omi.Scope(nil), omi.DefaultScopes...), nil
	}
	want := map[omi.Scope]bool{}
	for i, s := range scopes {
		sc := omi.Scope(s)
		valid := false
		for _, a := range omi.AllScopes {
			valid = valid || a == sc
		}
		if !valid {
			return nil, omi.InvalidValue(invalidScopesMsg, "body", "scopes", i)
		}
		want[sc] = true
	}
	out := []omi.Scope{}
	for _, a := range omi.AllScopes {
		if want[a] {
			out = append(out, a)
		}
	}
	return out, nil
}

// Upstream's message, Python list formatting included.
var invalidScopesMsg = func() string {
	q := make([]string, len(omi.AllScopes))
	for i, s := range omi.AllScopes {
		q[i] = "'" + string(s) + "'"
	}
	return "Invalid scopes. Available: [" + strings.Join(q, ", ") + "]"
}()

// List returns uid's live keys, newest first.
func (k *Keys) List(ctx context.Context, uid string) ([]*omi.APIKey, error) {
	keys, err := k.store.ListKeys(ctx, uid)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	return keys, nil
}

// Revoke revokes uid's key id; the next request presenting it is refused.
func (k *Keys) Revoke(ctx context.Context, uid, id string) error {
	key, err := k.store.RevokeKey(ctx, uid, id, k.now().UTC())
	if err != nil {
		return err
	}
	k.Forget(key.Hash)
	return nil
}

// Forget drops a key from the cache by its hex hash (for revocations learnt
// from elsewhere).
func (k *Keys) Forget(hexHash string) {
	var h Hash
	if len(hexHash) != 2*len(h) {
		return
	}
	for i := range h {
		h[i] = unhex(hexHash[2*i])<<4 | unhex(hexHash[2*i+1])
	}
	k.mu.Lock()
	k.forgets.Add(1)
	delete(k.pos, h)
	delete(k.neg, h)
	k.mu.Unlock()
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return 0
}

var errUnknown = omi.Errorf(omi.EUNAUTHORIZED, "Invalid API Key")

// Verify returns the key raw authenticates, or an EUNAUTHORIZED error that
// says what is wrong with it.
func (k *Keys) Verify(ctx context.Context, raw string) (*omi.APIKey, error) {
	h, err := ParseKey(raw)
	if err != nil {
		return nil, err
	}
	now := k.now()
	k.mu.RLock()
	c := k.pos[h]
	if c == nil {
		c = k.neg[h]
	}
	k.mu.RUnlock()
	if c == nil || now.After(c.until) {
		k.observer.KeyCacheMiss()
		c, err = k.load(ctx, h, now)
		if err != nil {
			return nil, err
		}
	} else {
		k.observer.KeyCacheHit()
	}
	if c.key == nil {
		return nil, c.err
	}
	if exp := c.key.ExpiresAt; exp != nil && !now.Before(*exp) {
		return nil, omi.Errorf(omi.EUNAUTHORIZED, "Invalid API Key: this key expired at %s", exp.UTC().Format(time.RFC3339))
	}
	if sec := now.Unix(); sec-c.touched.Load() >= int64(k.cfg.TouchInterval/time.Second) {
		c.touched.Store(sec)
		k.touchMu.Lock()
		k.pending[c.key.ID] = now.UTC().Truncate(time.Microsecond)
		k.touchMu.Unlock()
	}
	return c.key, nil
}

// load asks the store once for concurrent misses of the same hash.
func (k *Keys) load(ctx context.Context, h Hash, now time.Time) (*cached, error) {
	v, err, _ := k.lookups.Do(string(h[:]), func() (any, error) {
		epoch := k.forgets.Load()
		key, err := k.store.FindKeyByHash(context.WithoutCancel(ctx), h.String())
		c := &cached{}
		switch {
		case omi.ErrorCode(err) == omi.ENOTFOUND:
			c.err, c.until = errUnknown, now.Add(k.cfg.NegativeTTL)
		case err != nil:
			return nil, fmt.Errorf("verify key: %w", err)
		case key.RevokedAt != nil:
			c.err, c.until = omi.Errorf(omi.EUNAUTHORIZED, "Invalid API Key: this key was revoked"), now.Add(k.cfg.NegativeTTL)
		default:
			c.key, c.until = key, now.Add(k.cfg.PositiveTTL)
		}
		k.mu.Lock()
		defer k.mu.Unlock()
		if k.forgets.Load() != epoch {
			// A revocation landed while we asked the store: answer this
			// request with what we read, but cache nothing.
			return c, nil
		}
		m := k.pos
		if c.key == nil {
			m = k.neg
		}
		if len(m) >= k.cfg.MaxEntries {
			for evict := range m { // Go's random iteration order: a cheap random eviction
				delete(m, evict)
				break
			}
		}
		m[h] = c
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*cached), nil
}

func (k *Keys) flushLoop() {
	defer close(k.done)
	t := time.NewTicker(k.cfg.TouchInterval)
	defer t.Stop()
	for {
		select {
		case <-k.stop:
			return
		case <-t.C:
			if err := k.Flush(context.Background()); err != nil {
				k.log.Error("writing last_used_at", "error", err)
			}
		}
	}
}

// Flush writes pending last-use times now.
func (k *Keys) Flush(ctx context.Context) error {
	k.touchMu.Lock()
	batch := k.pending
	k.pending = map[string]time.Time{}
	k.touchMu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	if err := k.store.TouchKeys(ctx, batch); err != nil {
		// Put them back so the next flush retries; newer values win.
		k.touchMu.Lock()
		for id, t := range batch {
			if cur, ok := k.pending[id]; !ok || t.After(cur) {
				k.pending[id] = t
			}
		}
		k.touchMu.Unlock()
		return fmt.Errorf("flush last_used_at: %w", err)
	}
	return nil
}

// Close stops the background writer and flushes what is pending.
func (k *Keys) Close(ctx context.Context) error {
	select {
	case <-k.stop:
	default:
		close(k.stop)
	}
	<-k.done
	return errors.Join(k.Flush(ctx))
}
