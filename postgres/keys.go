package postgres

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	omi "github.com/omi-devapi/omi-devapi"
)

var _ omi.KeyStore = (*DB)(nil)

// RevocationChannel is the NOTIFY channel on which a revocation announces
// the revoked key's hash to every replica.
const RevocationChannel = "omi_key_revoked"

const keyColumns = `id, uid, name, prefix, hash, scopes, created_at, last_used_at, expires_at, revoked_at`

func scopeStrings(scopes []omi.Scope) []string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = string(s)
	}
	return out
}

func (db *DB) CreateKey(ctx context.Context, k *omi.APIKey) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO api_keys (`+keyColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
			k.ID, k.UID, k.Name, k.Prefix, k.Hash, scopeStrings(k.Scopes), k.CreatedAt, k.LastUsedAt, k.ExpiresAt, k.RevokedAt)
		if err != nil {
			return fmt.Errorf("postgres: insert key: %w", err)
		}
		return nil
	})
}

func (db *DB) ListKeys(ctx context.Context, uid string) ([]*omi.APIKey, error) {
	var keys []*omi.APIKey
	err := db.read(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.Query(ctx, `SELECT `+keyColumns+` FROM api_keys
			WHERE uid = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id DESC`, uid)
		if err != nil {
			return fmt.Errorf("postgres: list keys: %w", err)
		}
		keys, err = collect(rows, scanKey)
		if err != nil {
			return fmt.Errorf("postgres: list keys: %w", err)
		}
		return nil
	})
	return keys, err
}

func (db *DB) RevokeKey(ctx context.Context, uid, id string, at time.Time) (*omi.APIKey, error) {
	var k *omi.APIKey
	err := db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		k, err = scanKey(tx.QueryRow(ctx, `UPDATE api_keys SET revoked_at = $1
			WHERE id = $2 AND uid = $3 AND revoked_at IS NULL RETURNING `+keyColumns, at, id, uid))
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("API key")
		}
		if err != nil {
			return err
		}
		// Delivered at commit, and only if the revocation commits: every
		// replica listening drops the key from its cache.
		if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, RevocationChannel, k.Hash); err != nil {
			return fmt.Errorf("postgres: announce revocation: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

func (db *DB) FindKeyByHash(ctx context.Context, hash string) (*omi.APIKey, error) {
	var k *omi.APIKey
	err := db.read(ctx, func(ctx context.Context, q querier) error {
		var err error
		k, err = scanKey(q.QueryRow(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE hash = $1`, hash))
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("API key")
		}
		return err
	})
	return k, err
}

func (db *DB) TouchKeys(ctx context.Context, lastUsed map[string]time.Time) error {
	if len(lastUsed) == 0 {
		return nil
	}
	// Every replica flushes its own batch; locking rows in one order (by
	// id) keeps concurrent flushes from deadlocking.
	ids := slices.Sorted(maps.Keys(lastUsed))
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, id := range ids {
			// GREATEST ignores NULL: the first use sets it.
			b.Queue(`UPDATE api_keys SET last_used_at = GREATEST(last_used_at, $1) WHERE id = $2`, lastUsed[id], id)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("postgres: touch keys: %w", err)
		}
		return nil
	})
}

func scanKey(row pgx.Row) (*omi.APIKey, error) {
	var (
		k      omi.APIKey
		scopes []string
	)
	err := row.Scan(&k.ID, &k.UID, &k.Name, &k.Prefix, &k.Hash, &scopes, &k.CreatedAt, &k.LastUsedAt, &k.ExpiresAt, &k.RevokedAt)
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("postgres: scan key: %w", err)
	}
	k.Scopes = make([]omi.Scope, len(scopes))
	for i, s := range scopes {
		k.Scopes[i] = omi.Scope(s)
	}
	return &k, nil
}

// collect scans every row with scan; the result is never nil.
func collect[T any](rows pgx.Rows, scan func(pgx.Row) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
