package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	omi "github.com/omi-devapi/omi-devapi"
)

var _ omi.MemoryStore = (*DB)(nil)

const memoryColumns = `uid, id, content, category, visibility, tags, created_at, updated_at,
	manually_added, scoring, reviewed, user_review, edited, conversation_id`

func memoryArgs(m *omi.Memory) ([]any, error) {
	tags, err := json.Marshal(m.Tags)
	if err != nil {
		return nil, fmt.Errorf("sqlite: encode tags: %w", err)
	}
	var review sql.NullBool
	if m.UserReview != nil {
		review = sql.NullBool{Bool: *m.UserReview, Valid: true}
	}
	return []any{m.UID, m.ID, m.Content, m.Category, m.Visibility, string(tags), micros(m.CreatedAt), micros(m.UpdatedAt),
		m.ManuallyAdded, m.Scoring, m.Reviewed, review, m.Edited, m.ConversationID}, nil
}

func (db *DB) CreateMemories(ctx context.Context, ms []*omi.Memory) error {
	if len(ms) == 0 {
		return nil
	}
	return db.tx(ctx, func(tx *sql.Tx) error { return insertMemories(ctx, tx, ms) })
}

// insertMemories is shared with conversation processing, which writes the
// memories it extracts in the conversation's transaction.
func insertMemories(ctx context.Context, tx *sql.Tx, ms []*omi.Memory) error {
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO memories (`+memoryColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		return fmt.Errorf("sqlite: insert memories: %w", err)
	}
	defer stmt.Close()
	for _, m := range ms {
		args, err := memoryArgs(m)
		if err != nil {
			return err
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("sqlite: insert memory: %w", err)
		}
		if err := putVector(ctx, tx, m.UID, omi.KindMemory, m.ID, m.Embedding); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) GetMemory(ctx context.Context, uid, id string) (*omi.Memory, error) {
	return getMemory(ctx, db.r, uid, id)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func getMemory(ctx context.Context, q querier, uid, id string) (*omi.Memory, error) {
	m, err := scanMemory(q.QueryRowContext(ctx, `SELECT `+memoryColumns+` FROM memories WHERE uid = ? AND id = ?`, uid, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Memory")
	}
	return m, err
}

func (db *DB) ListMemories(ctx context.Context, f omi.MemoryFilter) ([]*omi.Memory, error) {
	const order = ` ORDER BY scoring DESC, created_at DESC, id DESC`
	// One SELECT per category, each walking memories_category in list order
	// and stopping after offset+limit rows, merged by the outer ORDER BY:
	// "category IN (...)" instead makes SQLite sort every matching row.
	cats := dedupe(f.Categories)
	if len(cats) == 0 {
		cats = []string{""}
	}
	var (
		parts []string
		args  []any
	)
	for _, cat := range cats {
		where := "uid = ? AND (user_review IS NULL OR user_review = 1)"
		args = append(args, f.UID)
		if cat != "" {
			where += " AND category = ?"
			args = append(args, cat)
		}
		if c, ok := f.Page.After.(*omi.MemoryCursor); ok && c != nil {
			where += " AND (scoring, created_at, id) < (?, ?, ?)"
			args = append(args, c.Scoring, c.CreatedAt, c.ID)
		}
		parts = append(parts, `SELECT * FROM (SELECT `+memoryColumns+` FROM memories WHERE `+where+order+` LIMIT ?)`)
		args = append(args, f.Page.Limit+f.Page.Offset)
	}
	args = append(args, f.Page.Limit, f.Page.Offset)
	rows, err := db.r.QueryContext(ctx, strings.Join(parts, " UNION ALL ")+order+` LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list memories: %w", err)
	}
	defer rows.Close()
	out := []*omi.Memory{}
	for rows.Next() {
		m, err := scanMemory(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list memories: %w", err)
	}
	return out, nil
}

func (db *DB) UpdateMemory(ctx context.Context, uid, id string, fn func(*omi.Memory) error) (*omi.Memory, error) {
	var m *omi.Memory
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if m, err = getMemory(ctx, tx, uid, id); err != nil {
			return err
		}
		if err := fn(m); err != nil {
			return err
		}
		args, err := memoryArgs(m)
		if err != nil {
			return err
		}
		// uid and id come from the stored row: fn cannot move a memory.
		_, err = tx.ExecContext(ctx, `UPDATE memories SET content = ?, category = ?, visibility = ?, tags = ?,
			updated_at = ?, scoring = ?, reviewed = ?, user_review = ?, edited = ? WHERE uid = ? AND id = ?`,
			args[2], args[3], args[4], args[5], args[7], args[9], args[10], args[11], args[12], uid, id)
		if err != nil {
			return fmt.Errorf("sqlite: update memory: %w", err)
		}
		// After the update, whose trigger drops the vector of changed content.
		return putVector(ctx, tx, uid, omi.KindMemory, id, m.Embedding)
	})
	if err != nil {
		return nil, err
	}
	m.UID, m.ID = uid, id
	return m, nil
}

func (db *DB) DeleteMemory(ctx context.Context, uid, id string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM memories WHERE uid = ? AND id = ?`, uid, id)
		if err != nil {
			return fmt.Errorf("sqlite: delete memory: %w", err)
		}
		return mustAffect(res, "Memory")
	})
}

func scanMemory(s scanner) (*omi.Memory, error) {
	var (
		m                omi.Memory
		tags             string
		created, updated int64
		review           sql.NullBool
	)
	err := s.Scan(&m.UID, &m.ID, &m.Content, &m.Category, &m.Visibility, &tags, &created, &updated,
		&m.ManuallyAdded, &m.Scoring, &m.Reviewed, &review, &m.Edited, &m.ConversationID)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("sqlite: scan memory: %w", err)
	}
	if err := json.Unmarshal([]byte(tags), &m.Tags); err != nil {
		return nil, fmt.Errorf("sqlite: decode tags of memory %s: %w", m.ID, err)
	}
	m.CreatedAt, m.UpdatedAt = fromMicros(created), fromMicros(updated)
	if review.Valid {
		m.UserReview = &review.Bool
	}
	return &m, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// mustAffect turns "no row matched" into ENOTFOUND.
func mustAffect(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: rows affected: %w", err)
	}
	if n == 0 {
		return notFound(what)
	}
	return nil
}

// dedupe keeps the first of each value: "?categories=work,work" must not
// list every work memory twice.
func dedupe(vals []string) []string {
	seen := make(map[string]bool, len(vals))
	out := vals[:0:0]
	for _, v := range vals {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
