package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
)

// copyStore moves a whole installation (keys with their hashes, revocations
// and last use; every resource; goal history; folders; search vectors)
// from one store to another, table by table in key order, a transaction per
// batch. Rows already at the destination are left as they are, so a copy
// that was interrupted is finished by running it again. It ends by
// comparing each table's row count and checksum on both sides.
func copyStore(ctx context.Context, cfg config, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("copy", stderr)
	from := fs.String("from", "", "source: a SQLite file path (or sqlite:// URL) or a postgres:// URL")
	to := fs.String("to", "", "destination, the same forms")
	batch := fs.Int("batch", 500, "rows per transaction")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		return errors.New("copy: --from and --to are required")
	}
	if *from == *to {
		return errors.New("copy: --from and --to name the same store")
	}
	if *batch < 1 {
		return errors.New("copy: --batch must be at least 1")
	}
	src, err := openCopyEnd(ctx, cfg, *from)
	if err != nil {
		return fmt.Errorf("copy: open source: %w", err)
	}
	defer src.Close()
	dst, err := openCopyEnd(ctx, cfg, *to)
	if err != nil {
		return fmt.Errorf("copy: open destination: %w", err)
	}
	defer dst.Close()
	return copyTables(ctx, src, dst, *batch, stdout)
}

// copyEnd is a store that can be either end of a copy.
type copyEnd interface {
	omi.Exporter
	omi.Importer
	Close() error
}

func openCopyEnd(ctx context.Context, cfg config, url string) (copyEnd, error) {
	cfg.DatabaseURL = url
	s, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	e, ok := s.(copyEnd)
	if !ok {
		s.Close()
		return nil, fmt.Errorf("store %T cannot be copied", s)
	}
	return e, nil
}

func copyTables(ctx context.Context, src, dst copyEnd, batch int, stdout io.Writer) error {
	for _, t := range omi.ExportTables {
		start := time.Now()
		n := 0
		var after []string
		for {
			rows, err := src.ExportRows(ctx, t, after, batch)
			if err != nil {
				return fmt.Errorf("copy %s: %w", t.Name, err)
			}
			if err := dst.ImportRows(ctx, t, rows); err != nil {
				return fmt.Errorf("copy %s: %w", t.Name, err)
			}
			n += len(rows)
			if len(rows) < batch {
				break
			}
			after = t.RowKey(rows[len(rows)-1])
		}
		fmt.Fprintf(stdout, "copied %-14s %8d rows in %s\n", t.Name, n, time.Since(start).Round(time.Millisecond))
	}
	var bad []string
	for _, t := range omi.ExportTables {
		a, err := omi.Checksum(ctx, src, t, batch)
		if err != nil {
			return fmt.Errorf("verify %s: source: %w", t.Name, err)
		}
		b, err := omi.Checksum(ctx, dst, t, batch)
		if err != nil {
			return fmt.Errorf("verify %s: destination: %w", t.Name, err)
		}
		status := "ok"
		if a != b {
			status = fmt.Sprintf("MISMATCH (destination %d rows, sha256 %s)", b.Rows, b.Sum)
			bad = append(bad, t.Name)
		}
		fmt.Fprintf(stdout, "verified %-14s %8d rows sha256 %s %s\n", t.Name, a.Rows, a.Sum, status)
	}
	if len(bad) > 0 {
		return fmt.Errorf("copy: destination differs from source in %v (rows it already had are never overwritten)", bad)
	}
	return nil
}
