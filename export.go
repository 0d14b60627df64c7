package omi

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ColumnKind is how a column's values travel between stores, whatever each
// store keeps them as (SQLite: integers for times and booleans, JSON text
// for lists; PostgreSQL: timestamptz, boolean, text[]).
type ColumnKind int

// In a Row a value of each kind is nil (NULL) or:
const (
	ColText  ColumnKind = iota // string
	ColBool                    // bool
	ColInt                     // int64
	ColFloat                   // float64
	ColTime                    // time.Time, UTC, microseconds
	ColDate                    // string, YYYY-MM-DD
	ColList                    // []string
	ColJSON                    // string: a JSON document, as stored
	ColBytes                   // []byte
)

// Column is one column of a copied table.
type Column struct {
	Name string
	Kind ColumnKind
}

// Table is a table as `omi-devapi copy` moves it: the stored columns (never
// generated or derived ones, such as search indexes, which each store
// rebuilds from these), of which the first Key ones, all text, order and
// identify rows.
type Table struct {
	Name    string
	Key     int
	Columns []Column
}

// Row is one row's values, in its table's column order.
type Row []any

// ExportTables is every table an installation consists of, each after the
// tables it refers to.
var ExportTables = []Table{
	{Name: "api_keys", Key: 1, Columns: []Column{{"id", ColText}, {"uid", ColText}, {"name", ColText}, {"prefix", ColText},
		{"hash", ColText}, {"scopes", ColList}, {"created_at", ColTime}, {"last_used_at", ColTime},
		{"expires_at", ColTime}, {"revoked_at", ColTime}}},
	{Name: "memories", Key: 2, Columns: []Column{{"uid", ColText}, {"id", ColText}, {"content", ColText}, {"category", ColText},
		{"visibility", ColText}, {"tags", ColList}, {"created_at", ColTime}, {"updated_at", ColTime},
		{"manually_added", ColBool}, {"scoring", ColText}, {"reviewed", ColBool}, {"user_review", ColBool},
		{"edited", ColBool}, {"conversation_id", ColText}}},
	{Name: "action_items", Key: 2, Columns: []Column{{"uid", ColText}, {"id", ColText}, {"description", ColText},
		{"completed", ColBool}, {"created_at", ColTime}, {"updated_at", ColTime}, {"due_at", ColTime},
		{"completed_at", ColTime}, {"conversation_id", ColText}}},
	{Name: "goals", Key: 2, Columns: []Column{{"uid", ColText}, {"id", ColText}, {"title", ColText},
		{"desired_outcome", ColText}, {"why_it_matters", ColText}, {"success_criteria", ColList},
		{"horizon_at", ColTime}, {"status", ColText}, {"focus_rank", ColInt}, {"metric_type", ColText},
		{"metric_current", ColFloat}, {"metric_target", ColFloat}, {"metric_min", ColFloat}, {"metric_max", ColFloat},
		{"metric_unit", ColText}, {"source", ColText}, {"created_at", ColTime}, {"updated_at", ColTime}, {"ended_at", ColTime}}},
	{Name: "goal_history", Key: 3, Columns: []Column{{"uid", ColText}, {"goal_id", ColText}, {"date", ColDate},
		{"value", ColFloat}, {"recorded_at", ColTime}}},
	{Name: "folders", Key: 2, Columns: []Column{{"uid", ColText}, {"id", ColText}, {"name", ColText},
		{"description", ColText}, {"color", ColText}, {"icon", ColText}, {"created_at", ColTime},
		{"updated_at", ColTime}, {"order", ColInt}, {"is_default", ColBool}, {"is_system", ColBool},
		{"category_mapping", ColText}}},
	{Name: "conversations", Key: 2, Columns: []Column{{"uid", ColText}, {"id", ColText}, {"created_at", ColTime},
		{"started_at", ColTime}, {"finished_at", ColTime}, {"source", ColText}, {"language", ColText},
		{"status", ColText}, {"discarded", ColBool}, {"starred", ColBool}, {"folder_id", ColText},
		{"title", ColText}, {"overview", ColText}, {"emoji", ColText}, {"category", ColText},
		{"structured", ColJSON}, {"transcript_segments", ColJSON}, {"geolocation", ColJSON},
		{"external_data", ColJSON}, {"client_session_id", ColText}}},
	{Name: "vectors", Key: 3, Columns: []Column{{"uid", ColText}, {"kind", ColText}, {"id", ColText},
		{"model", ColText}, {"dim", ColInt}, {"vec", ColBytes}}},
}

// Exporter reads a store's rows table by table, for `omi-devapi copy`.
type Exporter interface {
	// ExportRows returns up to limit rows of t whose key is after the given
	// key values (nil: from the start), in key order (bytewise).
	ExportRows(ctx context.Context, t Table, after []string, limit int) ([]Row, error)
}

// Importer writes rows exported from another store.
type Importer interface {
	// ImportRows inserts rows into t in one transaction, leaving any row
	// whose key (or other unique value) is already there as it is, so a
	// copy run again after an interruption just carries on.
	ImportRows(ctx context.Context, t Table, rows []Row) error
}

// RowKey is a row's key values.
func (t Table) RowKey(r Row) []string {
	k := make([]string, t.Key)
	for i := range k {
		k[i], _ = r[i].(string)
	}
	return k
}

// Canonical is a row as canonical JSON, what copy checksums compare: an
// object of the table's columns, times in RFC 3339 UTC, JSON documents
// re-encoded with sorted keys (PostgreSQL's jsonb does not keep the
// sender's spacing or key order), bytes in base64.
func (t Table) Canonical(r Row) ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, c := range t.Columns {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(c.Name)
		b.Write(name)
		b.WriteByte(':')
		v := r[i]
		var enc []byte
		var err error
		switch x := v.(type) {
		case nil:
			enc = []byte("null")
		case time.Time:
			enc, err = json.Marshal(x.UTC().Format(time.RFC3339Nano))
		case float64:
			enc = []byte(strconv.FormatFloat(x, 'g', -1, 64))
		case []byte:
			enc, err = json.Marshal(base64.StdEncoding.EncodeToString(x))
		case string:
			if c.Kind == ColJSON {
				enc, err = canonicalJSON(x)
			} else {
				enc, err = json.Marshal(x)
			}
		default:
			enc, err = json.Marshal(x)
		}
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", t.Name, c.Name, err)
		}
		b.Write(enc)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

func canonicalJSON(s string) ([]byte, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// TableSum is a table's row count and the SHA-256 of its rows' canonical
// JSON, one per line, in key order.
type TableSum struct {
	Rows int64
	Sum  string
}

// Checksum reads all of t from e and sums it.
func Checksum(ctx context.Context, e Exporter, t Table, batch int) (TableSum, error) {
	h := sha256.New()
	var n int64
	var after []string
	for {
		rows, err := e.ExportRows(ctx, t, after, batch)
		if err != nil {
			return TableSum{}, err
		}
		for _, r := range rows {
			c, err := t.Canonical(r)
			if err != nil {
				return TableSum{}, err
			}
			h.Write(c)
			h.Write([]byte{'\n'})
			n++
		}
		if len(rows) < batch {
			return TableSum{Rows: n, Sum: hex.EncodeToString(h.Sum(nil))}, nil
		}
		after = t.RowKey(rows[len(rows)-1])
	}
}
