package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	omi "github.com/omi-devapi/omi-devapi"
)

var _ omi.ActionItemStore = (*DB)(nil)

const actionItemColumns = `uid, id, description, completed, created_at, updated_at, due_at, completed_at, conversation_id`

// noDueRank is due_rank for an item without a due date (see the migration):
// below every negated due_at, so undated items come last.
const noDueRank = -9223372036854775807

func (db *DB) CreateActionItems(ctx context.Context, items []*omi.ActionItem) error {
	if len(items) == 0 {
		return nil
	}
	return db.tx(ctx, func(tx *sql.Tx) error { return insertActionItems(ctx, tx, items) })
}

// insertActionItems is shared with conversation processing, which writes the
// action items it extracts in the conversation's transaction.
func insertActionItems(ctx context.Context, tx *sql.Tx, items []*omi.ActionItem) error {
	if len(items) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO action_items (`+actionItemColumns+`) VALUES (?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		return fmt.Errorf("sqlite: insert action items: %w", err)
	}
	defer stmt.Close()
	for _, a := range items {
		_, err := stmt.ExecContext(ctx, a.UID, a.ID, a.Description, a.Completed, micros(a.CreatedAt), micros(a.UpdatedAt),
			nullMicros(a.DueAt), nullMicros(a.CompletedAt), a.ConversationID)
		if err != nil {
			return fmt.Errorf("sqlite: insert action item: %w", err)
		}
	}
	return nil
}

func (db *DB) GetActionItem(ctx context.Context, uid, id string) (*omi.ActionItem, error) {
	return getActionItem(ctx, db.r, uid, id)
}

func getActionItem(ctx context.Context, q querier, uid, id string) (*omi.ActionItem, error) {
	a, err := scanActionItem(q.QueryRowContext(ctx, `SELECT `+actionItemColumns+` FROM action_items WHERE uid = ? AND id = ?`, uid, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Action item")
	}
	return a, err
}

func (db *DB) ListActionItems(ctx context.Context, f omi.ActionItemFilter) ([]*omi.ActionItem, error) {
	var (
		where = []string{"uid = ?"}
		args  = []any{f.UID}
	)
	if f.ConversationID != nil {
		where = append(where, "conversation_id = ?")
		args = append(args, *f.ConversationID)
	}
	if f.Completed != nil {
		where = append(where, "completed = ?")
		args = append(args, *f.Completed)
	}
	if f.Start != nil {
		where = append(where, "created_at >= ?")
		args = append(args, micros(*f.Start))
	}
	if f.End != nil {
		where = append(where, "created_at <= ?")
		args = append(args, micros(*f.End))
	}
	if c, ok := f.Page.After.(*omi.ActionItemCursor); ok && c != nil {
		rank := int64(noDueRank)
		if c.DueAt != nil {
			rank = -*c.DueAt
		}
		where = append(where, "(due_rank, created_at, id) < (?, ?, ?)")
		args = append(args, rank, c.CreatedAt, c.ID)
	}
	args = append(args, f.Page.Limit, f.Page.Offset)
	rows, err := db.r.QueryContext(ctx, `SELECT `+actionItemColumns+` FROM action_items WHERE `+strings.Join(where, " AND ")+`
		ORDER BY due_rank DESC, created_at DESC, id DESC LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list action items: %w", err)
	}
	return collect(rows, scanActionItem, "list action items")
}

func (db *DB) UpdateActionItem(ctx context.Context, uid, id string, fn func(*omi.ActionItem) error) (*omi.ActionItem, error) {
	var a *omi.ActionItem
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if a, err = getActionItem(ctx, tx, uid, id); err != nil {
			return err
		}
		if err := fn(a); err != nil {
			return err
		}
		// uid, id, created_at and conversation_id come from the stored row:
		// fn cannot move an item or rewrite where it came from.
		_, err = tx.ExecContext(ctx, `UPDATE action_items SET description = ?, completed = ?, updated_at = ?,
			due_at = ?, completed_at = ? WHERE uid = ? AND id = ?`,
			a.Description, a.Completed, micros(a.UpdatedAt), nullMicros(a.DueAt), nullMicros(a.CompletedAt), uid, id)
		if err != nil {
			return fmt.Errorf("sqlite: update action item: %w", err)
		}
		// Re-read in the transaction so the caller sees exactly what was
		// stored (fn may have touched fields the UPDATE leaves alone), and
		// no later write can slip in between.
		a, err = getActionItem(ctx, tx, uid, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

func (db *DB) DeleteActionItem(ctx context.Context, uid, id string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM action_items WHERE uid = ? AND id = ?`, uid, id)
		if err != nil {
			return fmt.Errorf("sqlite: delete action item: %w", err)
		}
		return mustAffect(res, "Action item")
	})
}

func scanActionItem(s scanner) (*omi.ActionItem, error) {
	var (
		a                omi.ActionItem
		created, updated int64
		due, completed   sql.NullInt64
	)
	err := s.Scan(&a.UID, &a.ID, &a.Description, &a.Completed, &created, &updated, &due, &completed, &a.ConversationID)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("sqlite: scan action item: %w", err)
	}
	a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
	a.DueAt, a.CompletedAt = fromNullMicros(due), fromNullMicros(completed)
	return &a, nil
}
