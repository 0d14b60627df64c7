package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
)

var (
	_ omi.Exporter = (*DB)(nil)
	_ omi.Importer = (*DB)(nil)
)

func (db *DB) ExportRows(ctx context.Context, t omi.Table, after []string, limit int) ([]omi.Row, error) {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = quoteIdent(c.Name)
	}
	keys := strings.Join(cols[:t.Key], ", ")
	query := `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + quoteIdent(t.Name)
	var args []any
	if after != nil {
		query += ` WHERE (` + keys + `) > (` + placeholders(len(after)) + `)`
		args = stringArgs(after)
	}
	query += ` ORDER BY ` + keys + ` LIMIT ?`
	args = append(args, limit)
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: export %s: %w", t.Name, err)
	}
	defer rows.Close()
	var out []omi.Row
	for rows.Next() {
		raw := make([]any, len(t.Columns))
		dst := make([]any, len(t.Columns))
		for i := range raw {
			dst[i] = &raw[i]
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, fmt.Errorf("sqlite: export %s: %w", t.Name, err)
		}
		r := make(omi.Row, len(raw))
		for i, c := range t.Columns {
			if r[i], err = fromStored(c, raw[i]); err != nil {
				return nil, fmt.Errorf("sqlite: export %s.%s: %w", t.Name, c.Name, err)
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: export %s: %w", t.Name, err)
	}
	return out, nil
}

// fromStored turns a value as this store keeps it into its Row form.
func fromStored(c omi.Column, v any) (any, error) {
	if v == nil {
		if c.Kind == omi.ColList {
			return []string{}, nil
		}
		return nil, nil
	}
	switch c.Kind {
	case omi.ColText, omi.ColDate, omi.ColJSON:
		switch s := v.(type) {
		case string:
			return s, nil
		case []byte:
			return string(s), nil
		}
	case omi.ColBool:
		if n, ok := v.(int64); ok {
			return n != 0, nil
		}
	case omi.ColInt:
		if n, ok := v.(int64); ok {
			return n, nil
		}
	case omi.ColFloat:
		switch n := v.(type) {
		case float64:
			return n, nil
		case int64:
			return float64(n), nil
		}
	case omi.ColTime:
		if n, ok := v.(int64); ok {
			return fromMicros(n), nil
		}
	case omi.ColList:
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case []byte:
			s = string(x)
		default:
			return nil, fmt.Errorf("list stored as %T", v)
		}
		l := []string{}
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			return nil, err
		}
		return nonNilStrings(l), nil
	case omi.ColBytes:
		if b, ok := v.([]byte); ok {
			return append([]byte(nil), b...), nil
		}
	}
	return nil, fmt.Errorf("unexpected stored %T", v)
}

func nonNilStrings(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// toStored is fromStored's inverse.
func toStored(c omi.Column, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch x := v.(type) {
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case time.Time:
		return micros(x), nil
	case []string:
		b, err := json.Marshal(nonNilStrings(x))
		return string(b), err
	case string, int64, float64, []byte:
		return x, nil
	}
	return nil, fmt.Errorf("unexpected %T for %s", v, c.Name)
}

func (db *DB) ImportRows(ctx context.Context, t omi.Table, rows []omi.Row) error {
	if len(rows) == 0 {
		return nil
	}
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = quoteIdent(c.Name)
	}
	// No conflict target: a row clashing on any unique index (a key's
	// hash, a conversation's session id) is skipped too.
	query := `INSERT INTO ` + quoteIdent(t.Name) + ` (` + strings.Join(cols, ", ") + `) VALUES (` +
		placeholders(len(cols)) + `) ON CONFLICT DO NOTHING`
	return db.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, query)
		if err != nil {
			return fmt.Errorf("sqlite: import %s: %w", t.Name, err)
		}
		defer stmt.Close()
		args := make([]any, len(t.Columns))
		for _, r := range rows {
			if len(r) != len(t.Columns) {
				return fmt.Errorf("sqlite: import %s: row of %d values, want %d", t.Name, len(r), len(t.Columns))
			}
			for i, c := range t.Columns {
				if args[i], err = toStored(c, r[i]); err != nil {
					return fmt.Errorf("sqlite: import %s: %w", t.Name, err)
				}
			}
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("sqlite: import %s: %w", t.Name, err)
			}
		}
		return nil
	})
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
