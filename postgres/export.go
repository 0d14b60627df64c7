package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	omi "github.com/omi-devapi/omi-devapi"
)

var (
	_ omi.Exporter = (*DB)(nil)
	_ omi.Importer = (*DB)(nil)
)

func (db *DB) ExportRows(ctx context.Context, t omi.Table, after []string, limit int) ([]omi.Row, error) {
	sel := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		sel[i] = pgIdent(c.Name)
		if c.Kind == omi.ColJSON || c.Kind == omi.ColDate {
			sel[i] += "::text" // as stored (json) or as YYYY-MM-DD (date), not decoded
		}
	}
	keys := make([]string, t.Key)
	for i := range keys {
		keys[i] = pgIdent(t.Columns[i].Name)
	}
	query := `SELECT ` + strings.Join(sel, ", ") + ` FROM ` + pgIdent(t.Name)
	args := []any{}
	if after != nil {
		ph := make([]string, len(after))
		for i, k := range after {
			args = append(args, k)
			ph[i] = "$" + strconv.Itoa(i+1)
		}
		query += ` WHERE (` + strings.Join(keys, ", ") + `) > (` + strings.Join(ph, ", ") + `)`
	}
	args = append(args, limit)
	query += ` ORDER BY ` + strings.Join(keys, ", ") + ` LIMIT $` + strconv.Itoa(len(args))
	var out []omi.Row
	err := db.read(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.Query(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("postgres: export %s: %w", t.Name, err)
		}
		out, err = collect(rows, func(row pgx.Row) (omi.Row, error) { return scanExport(row, t) })
		if err != nil {
			return fmt.Errorf("postgres: export %s: %w", t.Name, err)
		}
		return nil
	})
	return out, err
}

func scanExport(row pgx.Row, t omi.Table) (omi.Row, error) {
	dst := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		switch c.Kind {
		case omi.ColText, omi.ColDate, omi.ColJSON:
			dst[i] = new(*string)
		case omi.ColBool:
			dst[i] = new(*bool)
		case omi.ColInt:
			dst[i] = new(*int64)
		case omi.ColFloat:
			dst[i] = new(*float64)
		case omi.ColTime:
			dst[i] = new(*time.Time)
		case omi.ColList:
			dst[i] = new([]string)
		case omi.ColBytes:
			dst[i] = new([]byte)
		}
	}
	if err := row.Scan(dst...); err != nil {
		return nil, err
	}
	r := make(omi.Row, len(dst))
	for i, d := range dst {
		switch p := d.(type) {
		case **string:
			r[i] = orNull(*p)
		case **bool:
			r[i] = orNull(*p)
		case **int64:
			r[i] = orNull(*p)
		case **float64:
			r[i] = orNull(*p)
		case **time.Time:
			if *p != nil {
				r[i] = (*p).UTC()
			}
		case *[]string:
			r[i] = nonNil(*p) // lists are NOT NULL
		case *[]byte:
			if *p != nil {
				r[i] = *p
			}
		}
	}
	return r, nil
}

// orNull is *p, or an untyped nil for NULL.
func orNull[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func (db *DB) ImportRows(ctx context.Context, t omi.Table, rows []omi.Row) error {
	if len(rows) == 0 {
		return nil
	}
	cols := make([]string, len(t.Columns))
	ph := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = pgIdent(c.Name)
		ph[i] = "$" + strconv.Itoa(i+1)
		if c.Kind == omi.ColDate {
			ph[i] += "::date"
		}
	}
	// No conflict target: a row clashing on any unique index (a key's
	// hash, a conversation's session id) is skipped too.
	query := `INSERT INTO ` + pgIdent(t.Name) + ` (` + strings.Join(cols, ", ") + `) VALUES (` +
		strings.Join(ph, ", ") + `) ON CONFLICT DO NOTHING`
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, r := range rows {
			if len(r) != len(t.Columns) {
				return fmt.Errorf("postgres: import %s: row of %d values, want %d", t.Name, len(r), len(t.Columns))
			}
			b.Queue(query, r...)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("postgres: import %s: %w", t.Name, err)
		}
		return nil
	})
}

func pgIdent(s string) string { return pgx.Identifier{s}.Sanitize() }
