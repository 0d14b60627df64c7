package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	omi "github.com/omi-devapi/omi-devapi"
)

var _ omi.FolderStore = (*DB)(nil)

const folderColumns = `uid, id, name, description, color, icon, created_at, updated_at, "order",
	is_default, is_system, category_mapping`

// folderSelect reads folderColumns plus the conversation count, which is
// counted, never stored, so it cannot drift from the conversations.
const folderSelect = `SELECT ` + folderColumns + `,
	(SELECT COUNT(*) FROM conversations c WHERE c.uid = f.uid AND c.folder_id = f.id AND c.discarded = 0)
	FROM folders f`

func newFolderID() string { return uuid.Must(uuid.NewV7()).String() }

func (db *DB) EnsureSystemFolders(ctx context.Context, uid string) error {
	// Nearly every call finds them: answer from the read pool and take the
	// write lock only for a user's first request.
	n, err := countSystemFolders(ctx, db.r, uid)
	if err != nil {
		return err
	}
	if n >= len(omi.SystemFolders) {
		return nil
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	return db.tx(ctx, func(tx *sql.Tx) error { return ensureSystemFolders(ctx, tx, uid, now) })
}

func countSystemFolders(ctx context.Context, q querier, uid string) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM folders WHERE uid = ? AND is_system = 1`, uid).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count system folders: %w", err)
	}
	return n, nil
}

// ensureSystemFolders creates uid's missing system folders inside tx; for
// writers (conversation processing) that need them in their own
// transaction. The write lock serialises racing first requests, and the
// unique index on (uid, category_mapping) would refuse a duplicate anyway.
func ensureSystemFolders(ctx context.Context, tx *sql.Tx, uid string, now time.Time) error {
	n, err := countSystemFolders(ctx, tx, uid)
	if err != nil || n >= len(omi.SystemFolders) {
		return err
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO folders (`+folderColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (uid, category_mapping) WHERE is_system = 1 DO NOTHING`)
	if err != nil {
		return fmt.Errorf("sqlite: insert system folders: %w", err)
	}
	defer stmt.Close()
	for _, f := range omi.NewSystemFolders(uid, now, newFolderID) {
		if _, err := stmt.ExecContext(ctx, folderArgs(f)...); err != nil {
			return fmt.Errorf("sqlite: insert system folder %s: %w", f.Name, err)
		}
	}
	return nil
}

func folderArgs(f *omi.Folder) []any {
	return []any{f.UID, f.ID, f.Name, f.Description, f.Color, f.Icon, micros(f.CreatedAt), micros(f.UpdatedAt),
		f.Order, f.IsDefault, f.IsSystem, f.CategoryMapping}
}

func (db *DB) FolderForCategory(ctx context.Context, uid, category string) (*omi.Folder, error) {
	if err := db.EnsureSystemFolders(ctx, uid); err != nil {
		return nil, err
	}
	return folderForCategory(ctx, db.r, uid, category)
}

// folderForCategory finds the system folder for a conversation category;
// the system folders must exist (ensureSystemFolders).
func folderForCategory(ctx context.Context, q querier, uid, category string) (*omi.Folder, error) {
	f, err := scanFolder(q.QueryRowContext(ctx, folderSelect+` WHERE f.uid = ? AND f.is_system = 1 AND f.category_mapping = ?`,
		uid, omi.FolderCategory(category)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Folder")
	}
	return f, err
}

func (db *DB) ListFolders(ctx context.Context, uid string) ([]*omi.Folder, error) {
	rows, err := db.r.QueryContext(ctx, folderSelect+` WHERE f.uid = ? ORDER BY f."order", f.id`, uid)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list folders: %w", err)
	}
	return collect(rows, scanFolder, "list folders")
}

func (db *DB) GetFolder(ctx context.Context, uid, id string) (*omi.Folder, error) {
	return getFolder(ctx, db.r, uid, id)
}

func getFolder(ctx context.Context, q querier, uid, id string) (*omi.Folder, error) {
	f, err := scanFolder(q.QueryRowContext(ctx, folderSelect+` WHERE f.uid = ? AND f.id = ?`, uid, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Folder")
	}
	return f, err
}

func (db *DB) CreateFolder(ctx context.Context, f *omi.Folder) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		// System folders first, so they keep upstream's order 0..9 and a new
		// folder goes after them.
		if err := ensureSystemFolders(ctx, tx, f.UID, f.CreatedAt); err != nil {
			return err
		}
		var order int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX("order"), -1) + 1 FROM folders WHERE uid = ?`, f.UID).Scan(&order); err != nil {
			return fmt.Errorf("sqlite: next folder order: %w", err)
		}
		f.Order = order
		if _, err := tx.ExecContext(ctx, `INSERT INTO folders (`+folderColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`, folderArgs(f)...); err != nil {
			return fmt.Errorf("sqlite: insert folder: %w", err)
		}
		return nil
	})
}

func (db *DB) UpdateFolder(ctx context.Context, uid, id string, fn func(*omi.Folder) error) (*omi.Folder, error) {
	var f *omi.Folder
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if f, err = getFolder(ctx, tx, uid, id); err != nil {
			return err
		}
		if err := fn(f); err != nil {
			return err
		}
		// Only metadata is written: fn cannot move a folder, reorder it or
		// change what kind it is.
		_, err = tx.ExecContext(ctx, `UPDATE folders SET name = ?, description = ?, color = ?, icon = ?, updated_at = ?
			WHERE uid = ? AND id = ?`, f.Name, f.Description, f.Color, f.Icon, micros(f.UpdatedAt), uid, id)
		if err != nil {
			return fmt.Errorf("sqlite: update folder: %w", err)
		}
		f, err = getFolder(ctx, tx, uid, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (db *DB) DeleteFolder(ctx context.Context, uid, id string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		f, err := getFolder(ctx, tx, uid, id)
		if err != nil {
			return err
		}
		if f.IsSystem {
			return omi.InvalidValue("System folders cannot be deleted", "path", "folder_id")
		}
		if err := ensureSystemFolders(ctx, tx, uid, time.Now().UTC().Truncate(time.Microsecond)); err != nil {
			return err
		}
		other, err := folderForCategory(ctx, tx, uid, omi.DefaultFolderCategory)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE conversations SET folder_id = ? WHERE uid = ? AND folder_id = ?`, other.ID, uid, id); err != nil {
			return fmt.Errorf("sqlite: move conversations out of folder: %w", err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM folders WHERE uid = ? AND id = ?`, uid, id)
		if err != nil {
			return fmt.Errorf("sqlite: delete folder: %w", err)
		}
		return mustAffect(res, "Folder")
	})
}

func scanFolder(s scanner) (*omi.Folder, error) {
	var (
		f                omi.Folder
		created, updated int64
	)
	err := s.Scan(&f.UID, &f.ID, &f.Name, &f.Description, &f.Color, &f.Icon, &created, &updated, &f.Order,
		&f.IsDefault, &f.IsSystem, &f.CategoryMapping, &f.ConversationCount)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("sqlite: scan folder: %w", err)
	}
	f.CreatedAt, f.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &f, nil
}
