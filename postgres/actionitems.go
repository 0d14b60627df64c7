package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	omi "github.com/omi-devapi/omi-devapi"
)

var _ omi.ActionItemStore = (*DB)(nil)

const actionItemColumns = `uid, id, description, completed, created_at, updated_at, due_at, completed_at, conversation_id`

func (db *DB) CreateActionItems(ctx context.Context, items []*omi.ActionItem) error {
	if len(items) == 0 {
		return nil
	}
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error { return insertActionItems(ctx, tx, items) })
}

// insertActionItems is shared with conversation processing, which writes the
// action items it extracts in the conversation's transaction.
func insertActionItems(ctx context.Context, tx pgx.Tx, items []*omi.ActionItem) error {
	if len(items) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, a := range items {
		b.Queue(`INSERT INTO action_items (`+actionItemColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
			a.UID, a.ID, a.Description, a.Completed, a.CreatedAt, a.UpdatedAt, a.DueAt, a.CompletedAt, a.ConversationID)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("postgres: insert action items: %w", err)
	}
	return nil
}

func (db *DB) GetActionItem(ctx context.Context, uid, id string) (*omi.ActionItem, error) {
	var a *omi.ActionItem
	err := db.read(ctx, func(ctx context.Context, q querier) error {
		var err error
		a, err = getActionItem(ctx, q, uid, id, "")
		return err
	})
	return a, err
}

func getActionItem(ctx context.Context, q querier, uid, id, lock string) (*omi.ActionItem, error) {
	a, err := scanActionItem(q.QueryRow(ctx, `SELECT `+actionItemColumns+` FROM action_items WHERE uid = $1 AND id = $2 `+lock, uid, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("Action item")
	}
	return a, err
}

func (db *DB) ListActionItems(ctx context.Context, f omi.ActionItemFilter) ([]*omi.ActionItem, error) {
	w := where{}
	w.add("uid = ?", f.UID)
	if f.ConversationID != nil {
		w.add("conversation_id = ?", *f.ConversationID)
	}
	if f.Completed != nil {
		w.add("completed = ?", *f.Completed)
	}
	if f.Start != nil {
		w.add("created_at >= ?", *f.Start)
	}
	if f.End != nil {
		w.add("created_at <= ?", *f.End)
	}
	if c, ok := f.Page.After.(*omi.ActionItemCursor); ok && c != nil {
		// The order mixes directions (due_at ascending, undated last; then
		// created_at and id descending), so "after" is spelt out rather than
		// one row comparison.
		created := fromMicros(c.CreatedAt)
		if c.DueAt != nil {
			due := fromMicros(*c.DueAt)
			w.add("(due_at > ? OR due_at IS NULL OR (due_at = ? AND (created_at, id) < (?, ?)))", due, due, created, c.ID)
		} else {
			w.add("(due_at IS NULL AND (created_at, id) < (?, ?))", created, c.ID)
		}
	}
	query := `SELECT ` + actionItemColumns + ` FROM action_items WHERE ` + w.sql() + `
		ORDER BY due_at ASC NULLS LAST, created_at DESC, id DESC ` + w.page(f.Page)
	var out []*omi.ActionItem
	err := db.read(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.Query(ctx, query, w.args...)
		if err != nil {
			return fmt.Errorf("postgres: list action items: %w", err)
		}
		if out, err = collect(rows, scanActionItem); err != nil {
			return fmt.Errorf("postgres: list action items: %w", err)
		}
		return nil
	})
	return out, err
}

func (db *DB) UpdateActionItem(ctx context.Context, uid, id string, fn func(*omi.ActionItem) error) (*omi.ActionItem, error) {
	var a *omi.ActionItem
	err := db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		if a, err = getActionItem(ctx, tx, uid, id, "FOR UPDATE"); err != nil {
			return err
		}
		if err := fn(a); err != nil {
			return err
		}
		// uid, id, created_at and conversation_id come from the stored row:
		// fn cannot move an item or rewrite where it came from.
		_, err = tx.Exec(ctx, `UPDATE action_items SET description = $1, completed = $2, updated_at = $3,
			due_at = $4, completed_at = $5 WHERE uid = $6 AND id = $7`,
			a.Description, a.Completed, a.UpdatedAt, a.DueAt, a.CompletedAt, uid, id)
		if err != nil {
			return fmt.Errorf("postgres: update action item: %w", err)
		}
		// Re-read in the transaction so the caller sees exactly what was
		// stored (fn may have touched fields the UPDATE leaves alone).
		a, err = getActionItem(ctx, tx, uid, id, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

func (db *DB) DeleteActionItem(ctx context.Context, uid, id string) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM action_items WHERE uid = $1 AND id = $2`, uid, id)
		if err != nil {
			return fmt.Errorf("postgres: delete action item: %w", err)
		}
		return mustAffect(tag, "Action item")
	})
}

func scanActionItem(row pgx.Row) (*omi.ActionItem, error) {
	var a omi.ActionItem
	err := row.Scan(&a.UID, &a.ID, &a.Description, &a.Completed, &a.CreatedAt, &a.UpdatedAt, &a.DueAt, &a.CompletedAt, &a.ConversationID)
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("postgres: scan action item: %w", err)
	}
	return &a, nil
}
