package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	omi "github.com/omi-devapi/omi-devapi"
)

var _ omi.MemoryStore = (*DB)(nil)

const memoryColumns = `uid, id, content, category, visibility, tags, created_at, updated_at,
	manually_added, scoring, reviewed, user_review, edited, conversation_id`

func (db *DB) CreateMemories(ctx context.Context, ms []*omi.Memory) error {
	if len(ms) == 0 {
		return nil
	}
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error { return insertMemories(ctx, tx, ms) })
}

// insertMemories is shared with conversation processing, which writes the
// memories it extracts in the conversation's transaction. One round trip
// for the whole batch.
func insertMemories(ctx context.Context, tx pgx.Tx, ms []*omi.Memory) error {
	if len(ms) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, m := range ms {
		b.Queue(`INSERT INTO memories (`+memoryColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`,
			m.UID, m.ID, m.Content, m.Category, m.Visibility, nonNil(m.Tags), m.CreatedAt, m.UpdatedAt,
			m.ManuallyAdded, m.Scoring, m.Reviewed, m.UserReview, m.Edited, m.ConversationID)
		if e := m.Embedding; e != nil && len(e.Vector) > 0 {
			b.Queue(putVectorSQL, m.UID, omi.KindMemory, m.ID, e.Model, len(e.Vector), encodeVector(e.Vector))
		}
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("postgres: insert memories: %w", err)
	}
	return nil
}

func (db *DB) GetMemory(ctx context.Context, uid, id string) (*omi.Memory, error) {
	var m *omi.Memory
	err := db.read(ctx, func(ctx context.Context, q querier) error {
		var err error
		m, err = getMemory(ctx, q, uid, id, "")
		return err
	})
	return m, err
}

// getMemory reads one memory; lock is "" or a locking clause (FOR UPDATE).
func getMemory(ctx context.Context, q querier, uid, id, lock string) (*omi.Memory, error) {
	m, err := scanMemory(q.QueryRow(ctx, `SELECT `+memoryColumns+` FROM memories WHERE uid = $1 AND id = $2 `+lock, uid, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("Memory")
	}
	return m, err
}

func (db *DB) ListMemories(ctx context.Context, f omi.MemoryFilter) ([]*omi.Memory, error) {
	w := where{}
	w.add("uid = ?", f.UID)
	w.add("(user_review IS NULL OR user_review)")
	if len(f.Categories) > 0 {
		w.add("category = ANY(?)", f.Categories)
	}
	if c, ok := f.Page.After.(*omi.MemoryCursor); ok && c != nil {
		w.add("(scoring, created_at, id) < (?, ?, ?)", c.Scoring, fromMicros(c.CreatedAt), c.ID)
	}
	query := `SELECT ` + memoryColumns + ` FROM memories WHERE ` + w.sql() + `
		ORDER BY scoring DESC, created_at DESC, id DESC ` + w.page(f.Page)
	var out []*omi.Memory
	err := db.read(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.Query(ctx, query, w.args...)
		if err != nil {
			return fmt.Errorf("postgres: list memories: %w", err)
		}
		if out, err = collect(rows, scanMemory); err != nil {
			return fmt.Errorf("postgres: list memories: %w", err)
		}
		return nil
	})
	return out, err
}

func (db *DB) UpdateMemory(ctx context.Context, uid, id string, fn func(*omi.Memory) error) (*omi.Memory, error) {
	var m *omi.Memory
	err := db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		if m, err = getMemory(ctx, tx, uid, id, "FOR UPDATE"); err != nil {
			return err
		}
		if err := fn(m); err != nil {
			return err
		}
		// uid and id come from the stored row: fn cannot move a memory.
		_, err = tx.Exec(ctx, `UPDATE memories SET content = $1, category = $2, visibility = $3, tags = $4,
			updated_at = $5, scoring = $6, reviewed = $7, user_review = $8, edited = $9 WHERE uid = $10 AND id = $11`,
			m.Content, m.Category, m.Visibility, nonNil(m.Tags), m.UpdatedAt, m.Scoring, m.Reviewed, m.UserReview, m.Edited, uid, id)
		if err != nil {
			return fmt.Errorf("postgres: update memory: %w", err)
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
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM memories WHERE uid = $1 AND id = $2`, uid, id)
		if err != nil {
			return fmt.Errorf("postgres: delete memory: %w", err)
		}
		return mustAffect(tag, "Memory")
	})
}

func scanMemory(row pgx.Row) (*omi.Memory, error) {
	var m omi.Memory
	err := row.Scan(&m.UID, &m.ID, &m.Content, &m.Category, &m.Visibility, &m.Tags, &m.CreatedAt, &m.UpdatedAt,
		&m.ManuallyAdded, &m.Scoring, &m.Reviewed, &m.UserReview, &m.Edited, &m.ConversationID)
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("postgres: scan memory: %w", err)
	}
	m.Tags = nonNil(m.Tags)
	return &m, nil
}

// where builds a WHERE clause with numbered placeholders: conditions are
// written with ?, numbered in order as they are added.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	var b strings.Builder
	for _, part := range strings.SplitAfter(cond, "?") {
		if p, ok := strings.CutSuffix(part, "?"); ok {
			w.args = append(w.args, args[0])
			args = args[1:]
			b.WriteString(p + "$" + strconv.Itoa(len(w.args)))
		} else {
			b.WriteString(part)
		}
	}
	w.conds = append(w.conds, b.String())
}

func (w *where) sql() string { return strings.Join(w.conds, " AND ") }

// page appends LIMIT and OFFSET as arguments and returns their clause.
func (w *where) page(p omi.Page) string {
	w.args = append(w.args, p.Limit, p.Offset)
	n := len(w.args)
	return "LIMIT $" + strconv.Itoa(n-1) + " OFFSET $" + strconv.Itoa(n)
}
