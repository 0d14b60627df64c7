package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	omi "github.com/omi-devapi/omi-devapi"
)

var _ omi.FolderStore = (*DB)(nil)

const folderColumns = `uid, id, name, description, color, icon, created_at, updated_at, "order",
	is_default, is_system, category_mapping`

// folderSelect reads folderColumns plus the conversation count, which is
// counted, never stored, so it cannot drift from the conversations.
const folderSelect = `SELECT f.uid, f.id, f.name, f.description, f.color, f.icon, f.created_at, f.updated_at, f."order",
	f.is_default, f.is_system, f.category_mapping,
	(SELECT COUNT(*) FROM conversations c WHERE c.uid = f.uid AND c.folder_id = f.id AND NOT c.discarded)
	FROM folders f`

// folderLock is the advisory lock purpose that serialises a user's folder
// creation: the first system folders and the next order.
const folderLock = "omi-devapi folders"

func newFolderID() string { return uuid.Must(uuid.NewV7()).String() }

func (db *DB) EnsureSystemFolders(ctx context.Context, uid string) error {
	// Nearly every call finds them: answer with one read and write only on
	// a user's first request.
	var n int
	err := db.read(ctx, func(ctx context.Context, q querier) error {
		var err error
		n, err = countSystemFolders(ctx, q, uid)
		return err
	})
	if err != nil || n >= len(omi.SystemFolders) {
		return err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error { return ensureSystemFolders(ctx, tx, uid, now) })
}

func countSystemFolders(ctx context.Context, q querier, uid string) (int, error) {
	var n int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM folders WHERE uid = $1 AND is_system`, uid).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count system folders: %w", err)
	}
	return n, nil
}

// ensureSystemFolders creates uid's missing system folders inside tx; for
// writers (conversation processing) that need them in their own
// transaction. The user's folder lock makes racing first requests take
// turns, so the later ones find the folders made; the unique index on
// (uid, category_mapping) would refuse a duplicate anyway.
func ensureSystemFolders(ctx context.Context, tx pgx.Tx, uid string, now time.Time) error {
	if err := lockUser(ctx, tx, folderLock, uid); err != nil {
		return err
	}
	n, err := countSystemFolders(ctx, tx, uid)
	if err != nil || n >= len(omi.SystemFolders) {
		return err
	}
	b := &pgx.Batch{}
	for _, f := range omi.NewSystemFolders(uid, now, newFolderID) {
		b.Queue(`INSERT INTO folders (`+folderColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)
			ON CONFLICT (uid, category_mapping) WHERE is_system DO NOTHING`, folderArgs(f)...)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("postgres: insert system folders: %w", err)
	}
	return nil
}

func folderArgs(f *omi.Folder) []any {
	return []any{f.UID, f.ID, f.Name, f.Description, f.Color, f.Icon, f.CreatedAt, f.UpdatedAt,
		f.Order, f.IsDefault, f.IsSystem, f.CategoryMapping}
}

func (db *DB) FolderForCategory(ctx context.Context, uid, category string) (*omi.Folder, error) {
	if err := db.EnsureSystemFolders(ctx, uid); err != nil {
		return nil, err
	}
	var f *omi.Folder
	err := db.read(ctx, func(ctx context.Context, q querier) error {
		var err error
		f, err = folderForCategory(ctx, q, uid, category)
		return err
	})
	return f, err
}

// folderForCategory finds the system folder for a conversation category;
// the system folders must exist (ensureSystemFolders).
func folderForCategory(ctx context.Context, q querier, uid, category string) (*omi.Folder, error) {
	f, err := scanFolder(q.QueryRow(ctx, folderSelect+` WHERE f.uid = $1 AND f.is_system AND f.category_mapping = $2`,
		uid, omi.FolderCategory(category)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("Folder")
	}
	return f, err
}

func (db *DB) ListFolders(ctx context.Context, uid string) ([]*omi.Folder, error) {
	var out []*omi.Folder
	err := db.read(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.Query(ctx, folderSelect+` WHERE f.uid = $1 ORDER BY f."order", f.id`, uid)
		if err != nil {
			return fmt.Errorf("postgres: list folders: %w", err)
		}
		if out, err = collect(rows, scanFolder); err != nil {
			return fmt.Errorf("postgres: list folders: %w", err)
		}
		return nil
	})
	return out, err
}

func (db *DB) GetFolder(ctx context.Context, uid, id string) (*omi.Folder, error) {
	var f *omi.Folder
	err := db.read(ctx, func(ctx context.Context, q querier) error {
		var err error
		f, err = getFolder(ctx, q, uid, id, "")
		return err
	})
	return f, err
}

func getFolder(ctx context.Context, q querier, uid, id, lock string) (*omi.Folder, error) {
	f, err := scanFolder(q.QueryRow(ctx, folderSelect+` WHERE f.uid = $1 AND f.id = $2 `+lock, uid, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("Folder")
	}
	return f, err
}

func (db *DB) CreateFolder(ctx context.Context, f *omi.Folder) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		// System folders first, so they keep upstream's order 0..9 and a new
		// folder goes after them. This also takes the user's folder lock,
		// held to commit, so concurrent creations get distinct orders.
		if err := ensureSystemFolders(ctx, tx, f.UID, f.CreatedAt); err != nil {
			return err
		}
		var order int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX("order"), -1) + 1 FROM folders WHERE uid = $1`, f.UID).Scan(&order); err != nil {
			return fmt.Errorf("postgres: next folder order: %w", err)
		}
		f.Order = order
		if _, err := tx.Exec(ctx, `INSERT INTO folders (`+folderColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`, folderArgs(f)...); err != nil {
			return fmt.Errorf("postgres: insert folder: %w", err)
		}
		return nil
	})
}

func (db *DB) UpdateFolder(ctx context.Context, uid, id string, fn func(*omi.Folder) error) (*omi.Folder, error) {
	var f *omi.Folder
	err := db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		if f, err = getFolder(ctx, tx, uid, id, "FOR UPDATE OF f"); err != nil {
			return err
		}
		if err := fn(f); err != nil {
			return err
		}
		// Only metadata is written: fn cannot move a folder, reorder it or
		// change what kind it is.
		_, err = tx.Exec(ctx, `UPDATE folders SET name = $1, description = $2, color = $3, icon = $4, updated_at = $5
			WHERE uid = $6 AND id = $7`, f.Name, f.Description, f.Color, f.Icon, f.UpdatedAt, uid, id)
		if err != nil {
			return fmt.Errorf("postgres: update folder: %w", err)
		}
		f, err = getFolder(ctx, tx, uid, id, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (db *DB) DeleteFolder(ctx context.Context, uid, id string) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		f, err := getFolder(ctx, tx, uid, id, "FOR UPDATE OF f")
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
		if _, err := tx.Exec(ctx, `UPDATE conversations SET folder_id = $1 WHERE uid = $2 AND folder_id = $3`, other.ID, uid, id); err != nil {
			return fmt.Errorf("postgres: move conversations out of folder: %w", err)
		}
		tag, err := tx.Exec(ctx, `DELETE FROM folders WHERE uid = $1 AND id = $2`, uid, id)
		if err != nil {
			return fmt.Errorf("postgres: delete folder: %w", err)
		}
		return mustAffect(tag, "Folder")
	})
}

func scanFolder(row pgx.Row) (*omi.Folder, error) {
	var f omi.Folder
	err := row.Scan(&f.UID, &f.ID, &f.Name, &f.Description, &f.Color, &f.Icon, &f.CreatedAt, &f.UpdatedAt, &f.Order,
		&f.IsDefault, &f.IsSystem, &f.CategoryMapping, &f.ConversationCount)
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("postgres: scan folder: %w", err)
	}
	return &f, nil
}
