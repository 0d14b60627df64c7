package omi

import (
	"context"
	"time"
)

// Scope is one developer-key permission.
type Scope string

const (
	ScopeConversationsRead  Scope = "conversations:read"
	ScopeConversationsWrite Scope = "conversations:write"
	ScopeMemoriesRead       Scope = "memories:read"
	ScopeMemoriesWrite      Scope = "memories:write"
	ScopeActionItemsRead    Scope = "action_items:read"
	ScopeActionItemsWrite   Scope = "action_items:write"
	ScopeGoalsRead          Scope = "goals:read"
	ScopeGoalsWrite         Scope = "goals:write"
)

// AllScopes is upstream's canonical order; stored scope lists follow it.
var AllScopes = []Scope{
	ScopeConversationsRead, ScopeConversationsWrite,
	ScopeMemoriesRead, ScopeMemoriesWrite,
	ScopeActionItemsRead, ScopeActionItemsWrite,
	ScopeGoalsRead, ScopeGoalsWrite,
}

// DefaultScopes are granted when a key is created without scopes: read-only.
var DefaultScopes = []Scope{ScopeConversationsRead, ScopeMemoriesRead, ScopeActionItemsRead, ScopeGoalsRead}

// APIKey is a developer key's stored metadata. The raw key is never stored;
// Hash is the hex SHA-256 of its secret part.
type APIKey struct {
	ID         string     `json:"id"`
	UID        string     `json:"-"`
	Name       string     `json:"name"`
	Prefix     string     `json:"key_prefix"`
	Hash       string     `json:"-"`
	Scopes     []Scope    `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	// RevokedAt is set when the owner revokes the key; revoked keys are kept
	// so a client presenting one learns it was revoked, not mistyped.
	RevokedAt *time.Time `json:"-"`
}

// Has reports whether the key grants s.
func (k *APIKey) Has(s Scope) bool {
	for _, have := range k.Scopes {
		if have == s {
			return true
		}
	}
	return false
}

// KeyStore persists developer keys.
type KeyStore interface {
	// CreateKey stores k (ID, Hash, Prefix and CreatedAt already set).
	CreateKey(ctx context.Context, k *APIKey) error
	// ListKeys returns uid's live (unrevoked) keys, newest first.
	ListKeys(ctx context.Context, uid string) ([]*APIKey, error)
	// RevokeKey marks uid's key id revoked; ENOTFOUND if uid has no such
	// live key. It returns the revoked key so caches can drop its hash.
	RevokeKey(ctx context.Context, uid, id string, at time.Time) (*APIKey, error)
	// FindKeyByHash returns the key with that hash, revoked or not; ENOTFOUND if none.
	FindKeyByHash(ctx context.Context, hash string) (*APIKey, error)
	// TouchKeys records last-use times, keeping the later of stored and given.
	TouchKeys(ctx context.Context, lastUsed map[string]time.Time) error
}

// Principal is who a request acts for once its credential is verified.
type Principal struct {
	UID string
	// Key is set for developer-key requests, nil for ID-token requests.
	Key *APIKey
}

// TokenVerifier checks an ID token (Firebase, or one minted locally) and
// returns the user id it was issued for.
type TokenVerifier interface {
	VerifyIDToken(ctx context.Context, token string) (uid string, err error)
}
