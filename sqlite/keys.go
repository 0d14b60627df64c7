package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
)

var _ omi.KeyStore = (*DB)(nil)

const keyColumns = `id, uid, name, prefix, hash, scopes, created_at, last_used_at, expires_at, revoked_at`

func (db *DB) CreateKey(ctx context.Context, k *omi.APIKey) error {
	scopes, err := json.Marshal(k.Scopes)
	if err != nil {
		return fmt.Errorf("sqlite: encode scopes: %w", err)
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (`+keyColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?)`,
			k.ID, k.UID, k.Name, k.Prefix, k.Hash, string(scopes), micros(k.CreatedAt),
			nullMicros(k.LastUsedAt), nullMicros(k.ExpiresAt), nullMicros(k.RevokedAt))
		if err != nil {
			return fmt.Errorf("sqlite: insert key: %w", err)
		}
		return nil
	})
}

func (db *DB) ListKeys(ctx context.Context, uid string) ([]*omi.APIKey, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys
		WHERE uid = ? AND revoked_at IS NULL ORDER BY created_at DESC, id DESC`, uid)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list keys: %w", err)
	}
	defer rows.Close()
	keys := []*omi.APIKey{}
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list keys: %w", err)
	}
	return keys, nil
}

func (db *DB) RevokeKey(ctx context.Context, uid, id string, at time.Time) (*omi.APIKey, error) {
	var k *omi.APIKey
	err := db.tx(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, `UPDATE api_keys SET revoked_at = ?
			WHERE id = ? AND uid = ? AND revoked_at IS NULL RETURNING `+keyColumns, micros(at), id, uid)
		var err error
		k, err = scanKey(row)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("API key")
		}
		return err
	})
	return k, err
}

func (db *DB) FindKeyByHash(ctx context.Context, hash string) (*omi.APIKey, error) {
	k, err := scanKey(db.r.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("API key")
	}
	return k, err
}

func (db *DB) TouchKeys(ctx context.Context, lastUsed map[string]time.Time) error {
	if len(lastUsed) == 0 {
		return nil
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE api_keys SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?`)
		if err != nil {
			return fmt.Errorf("sqlite: touch keys: %w", err)
		}
		defer stmt.Close()
		for id, at := range lastUsed {
			if _, err := stmt.ExecContext(ctx, micros(at), id); err != nil {
				return fmt.Errorf("sqlite: touch key %s: %w", id, err)
			}
		}
		return nil
	})
}

type scanner interface{ Scan(dest ...any) error }

func scanKey(s scanner) (*omi.APIKey, error) {
	var (
		k                          omi.APIKey
		scopes                     string
		created                    int64
		lastUsed, expires, revoked sql.NullInt64
	)
	err := s.Scan(&k.ID, &k.UID, &k.Name, &k.Prefix, &k.Hash, &scopes, &created, &lastUsed, &expires, &revoked)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("sqlite: scan key: %w", err)
	}
	if err := json.Unmarshal([]byte(scopes), &k.Scopes); err != nil {
		return nil, fmt.Errorf("sqlite: decode scopes of key %s: %w", k.ID, err)
	}
	k.CreatedAt = fromMicros(created)
	k.LastUsedAt, k.ExpiresAt, k.RevokedAt = fromNullMicros(lastUsed), fromNullMicros(expires), fromNullMicros(revoked)
	return &k, nil
}
