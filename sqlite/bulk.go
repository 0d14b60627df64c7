package sqlite

import (
	"context"
	"fmt"
)

// BulkLoad switches the writer connection to a bulk-load mode for seeding
// benchmark databases: commits are not fsynced (synchronous=OFF) and the
// page cache is large, so a million rows load in a minute instead of waiting
// on the disk. A crash meanwhile can lose or corrupt what was loaded, so it
// is for throwaway data only, never for a server. The returned function
// restores the server's settings and checkpoints the WAL into the database
// file.
func (db *DB) BulkLoad(ctx context.Context) (done func(context.Context) error, err error) {
	for _, p := range []string{`PRAGMA synchronous=OFF`, `PRAGMA cache_size=-262144`} { // 256 MiB
		if _, err := db.w.ExecContext(ctx, p); err != nil {
			return nil, fmt.Errorf("sqlite: bulk load: %s: %w", p, err)
		}
	}
	return func(ctx context.Context) error {
		for _, p := range []string{`PRAGMA synchronous=FULL`, `PRAGMA cache_size=-2000`, `PRAGMA wal_checkpoint(TRUNCATE)`} {
			if _, err := db.w.ExecContext(ctx, p); err != nil {
				return fmt.Errorf("sqlite: end bulk load: %s: %w", p, err)
			}
		}
		return nil
	}, nil
}

// Path is the database file.
func (db *DB) Path() string { return db.path }
