package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	omi "github.com/omi-devapi/omi-devapi"
)

var _ omi.MemoryStore = (*DB)(nil)

const memoryColumns = `uid, id, content, category, visibility, tags, created_at, updated_at,
	manually_added, scoring, reviewed, user_review, edited, conversation_id`

func memoryArgs(m *omi.Memory) ([]any, error) {
	tags, err := json.Marshal(m.Tags)
	if err != nil {
		return nil, fmt.Errorf("sqlite: encode tags: %w", err)
	}
	var review sql.NullBool
	if m.UserReview != nil {
		review = sql.NullBool{Bool: *m.UserReview, Valid: true}
	}
	return []any{m.UID, m.ID, m.Content, m.Category, m.Visibility, string(tags), micros(m.CreatedAt), micros(m.UpdatedAt),
		m.ManuallyAdded, m.Scoring, m.Reviewed, review, m.Edited, m.ConversationID}, nil
}

func (db *DB) CreateMemories(ctx context.Context, ms []*omi.Memory) error {
	if len(ms) == 0 {
		return nil
	}
	return db.commitMemories(ctx, ms)
}

// insertMemories is shared with conversation processing, which writes the
// memories it extracts in the conversation's transaction.
func insertMemories(ctx context.Context, tx *sql.Tx, ms []*omi.Memory) error {
	// Many rows per INSERT statement: each statement of a transaction that
	// fires the search triggers flushes the full-text index's pending terms
	// as a new segment and opens a statement journal, so a row per statement
	// made a 25-memory batch cost 25 of each. The memories stay in order.
	for len(ms) > 0 {
		chunk := ms[:min(len(ms), memoriesPerInsert)]
		ms = ms[len(chunk):]
		args := make([]any, 0, len(chunk)*memoryColumnCount)
		for _, m := range chunk {
			a, err := memoryArgs(m)
			if err != nil {
				return err
			}
			args = append(args, a...)
		}
		if _, err := tx.ExecContext(ctx, insertMemoriesSQL(len(chunk)), args...); err != nil {
			return fmt.Errorf("sqlite: insert memories: %w", err)
		}
		if err := putMemoryVectors(ctx, tx, chunk); err != nil {
			return err
		}
	}
	return nil
}

// putMemoryVectors is putVector for every memory of ms that has an
// embedding, in one statement (a statement each cost as much as the
// memories' own insert).
func putMemoryVectors(ctx context.Context, tx *sql.Tx, ms []*omi.Memory) error {
	var (
		rows []string
		args []any
	)
	for _, m := range ms {
		if e := m.Embedding; e != nil && len(e.Vector) > 0 {
			rows = append(rows, "(?,?,?,?,?,?)")
			args = append(args, m.UID, omi.KindMemory, m.ID, e.Model, len(e.Vector), encodeVector(e.Vector))
		}
	}
	if len(rows) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO vectors (uid, kind, id, model, dim, vec) VALUES `+strings.Join(rows, ",")+`
		ON CONFLICT (uid, kind, id) DO UPDATE SET model = excluded.model, dim = excluded.dim, vec = excluded.vec`, args...)
	if err != nil {
		return fmt.Errorf("sqlite: store memory vectors: %w", err)
	}
	return nil
}

const (
	memoryColumnCount = 14
	// memoriesPerInsert keeps a statement's parameters (14 a row) far below
	// SQLite's limit of 32,766.
	memoriesPerInsert = 500
)

// insertMemoriesSQL is an INSERT of n rows; the API's batch size (25) and a
// single memory are built once.
func insertMemoriesSQL(n int) string {
	switch n {
	case 1:
		return insertMemories1
	case 25:
		return insertMemories25
	}
	return buildInsertMemories(n)
}

var (
	insertMemories1  = buildInsertMemories(1)
	insertMemories25 = buildInsertMemories(25)
)

func buildInsertMemories(n int) string {
	row := "(" + placeholders(memoryColumnCount) + ")"
	return `INSERT INTO memories (` + memoryColumns + `) VALUES ` + strings.TrimSuffix(strings.Repeat(row+",", n), ",")
}

func (db *DB) GetMemory(ctx context.Context, uid, id string) (*omi.Memory, error) {
	return getMemory(ctx, db.r, uid, id)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func getMemory(ctx context.Context, q querier, uid, id string) (*omi.Memory, error) {
	m, err := scanMemory(q.QueryRowContext(ctx, `SELECT `+memoryColumns+` FROM memories WHERE uid = ? AND id = ?`, uid, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Memory")
	}
	return m, err
}

func (db *DB) ListMemories(ctx context.Context, f omi.MemoryFilter) ([]*omi.Memory, error) {
	cats := dedupe(f.Categories)
	after, _ := f.Page.After.(*omi.MemoryCursor)
	// The query's text depends only on how many categories there are and
	// whether there is a cursor: few enough shapes to keep prepared, as long
	// as the categories are the enum's (the API validates them; other
	// callers may not).
	shape := listShape{categories: len(cats), cursor: after != nil}
	q, keep := listMemoriesSQL[shape]
	if !keep {
		q = buildListMemories(shape)
	}
	args := make([]any, 0, 2+max(len(cats), 1)*6)
	where := func(cat ...string) {
		args = append(args, f.UID)
		for _, c := range cat {
			args = append(args, c)
		}
		if after != nil {
			args = append(args, after.Scoring, after.CreatedAt, after.ID)
		}
	}
	switch len(cats) {
	case 0:
		where()
	case 1:
		where(cats[0])
	default:
		for _, cat := range cats {
			where(cat)
			args = append(args, int64(f.Page.Limit+f.Page.Offset))
		}
	}
	args = append(args, int64(f.Page.Limit), int64(f.Page.Offset))
	out := make([]*omi.Memory, 0, max(0, min(f.Page.Limit, 1000)))
	page := listPage{uid: f.UID, limit: f.Page.Limit}
	err := db.list.query(ctx, q, keep, args, func(r *rawRow) error {
		m, err := page.read(r, len(out))
		if err != nil {
			return err
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: list memories: %w", err)
	}
	return out, nil
}

// listShape is what a memory list's query text depends on.
type listShape struct {
	categories int // 0: all
	cursor     bool
}

// listMemoriesSQL holds every shape the API can ask for.
var listMemoriesSQL = func() map[listShape]string {
	m := map[listShape]string{}
	for n := range len(omi.MemoryCategories) + 1 {
		for _, cursor := range []bool{false, true} {
			m[listShape{n, cursor}] = buildListMemories(listShape{n, cursor})
		}
	}
	return m
}()

// listColumns are memoryColumns without uid, which the list already knows;
// listedMemory reads them.
const listColumns = `id, content, category, visibility, tags, created_at, updated_at,
	manually_added, scoring, reviewed, user_review, edited, conversation_id`

func buildListMemories(s listShape) string {
	const order = ` ORDER BY scoring DESC, created_at DESC, id DESC`
	// The index is named: without statistics SQLite would rather filter
	// a category out of the covering index than walk memories_category,
	// which reads the whole list to page through a rare category. LIMIT's
	// parameter is +? because SQLite re-prepares a statement whenever a
	// plain LIMIT ? is bound to another value.
	from := func(cat bool) string {
		w := ` FROM memories INDEXED BY memories_list_covering WHERE uid = ? AND (user_review IS NULL OR user_review = 1)`
		if cat {
			w = ` FROM memories INDEXED BY memories_category WHERE uid = ? AND (user_review IS NULL OR user_review = 1) AND category = ?`
		}
		if s.cursor {
			w += " AND (scoring, created_at, id) < (?, ?, ?)"
		}
		return w
	}
	if s.categories <= 1 {
		// One index walk already in list order: the page is read straight
		// off it (off memories_list_covering alone when all categories are
		// listed).
		return `SELECT ` + listColumns + from(s.categories == 1) + order + ` LIMIT +? OFFSET ?`
	}
	// One SELECT per category, each walking memories_category in list order
	// and stopping after offset+limit rows, merged by the outer ORDER BY:
	// "category IN (...)" instead makes SQLite sort every matching row.
	parts := make([]string, s.categories)
	for i := range parts {
		parts[i] = `SELECT * FROM (SELECT ` + listColumns + from(true) + order + ` LIMIT +?)`
	}
	return strings.Join(parts, " UNION ALL ") + order + ` LIMIT +? OFFSET ?`
}

// listPage reads a page of memories, allocating what they hold together:
// their structs a block at a time, their text in one growing buffer that
// the strings share, their review flags in one slice.
type listPage struct {
	uid     string
	limit   int
	block   []omi.Memory
	text    strings.Builder
	reviews []bool
}

// read reads a row of listColumns, the nth of the page. The table is
// STRICT: TEXT columns hold text and INTEGER columns integers, or NULL
// where allowed.
func (p *listPage) read(r *rawRow, n int) (*omi.Memory, error) {
	if len(p.block) == cap(p.block) {
		size := max(1, min(p.limit-n, 64))
		p.block = make([]omi.Memory, 0, size)
		p.reviews = make([]bool, 0, size)
		p.text.Grow(size * 256)
	}
	p.block = p.block[:len(p.block)+1]
	m := &p.block[len(p.block)-1]
	m.UID = p.uid
	var tags, conversation string
	cols := []int{0, 1, 2, 3, 4, 8, 12}
	dst := []*string{&m.ID, &m.Content, &m.Category, &m.Visibility, &tags, &m.Scoring, &conversation}
	hasConversation := !r.null(12)
	if !hasConversation {
		cols, dst = cols[:6], dst[:6]
	}
	r.texts(&p.text, cols, dst)
	if hasConversation {
		m.ConversationID = &conversation
	}
	var err error
	if m.Tags, err = decodeTags(tags); err != nil {
		return nil, fmt.Errorf("sqlite: decode tags of memory %s: %w", m.ID, err)
	}
	m.CreatedAt, m.UpdatedAt = fromMicros(r.int64(5)), fromMicros(r.int64(6))
	m.ManuallyAdded, m.Reviewed, m.Edited = r.int64(7) != 0, r.int64(9) != 0, r.int64(11) != 0
	if !r.null(10) {
		p.reviews = append(p.reviews, r.int64(10) != 0)
		m.UserReview = &p.reviews[len(p.reviews)-1]
	}
	return m, nil
}

func (db *DB) UpdateMemory(ctx context.Context, uid, id string, fn func(*omi.Memory) error) (*omi.Memory, error) {
	var m *omi.Memory
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if m, err = getMemory(ctx, tx, uid, id); err != nil {
			return err
		}
		if err := fn(m); err != nil {
			return err
		}
		args, err := memoryArgs(m)
		if err != nil {
			return err
		}
		// uid and id come from the stored row: fn cannot move a memory.
		_, err = tx.ExecContext(ctx, `UPDATE memories SET content = ?, category = ?, visibility = ?, tags = ?,
			updated_at = ?, scoring = ?, reviewed = ?, user_review = ?, edited = ? WHERE uid = ? AND id = ?`,
			args[2], args[3], args[4], args[5], args[7], args[9], args[10], args[11], args[12], uid, id)
		if err != nil {
			return fmt.Errorf("sqlite: update memory: %w", err)
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
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM memories WHERE uid = ? AND id = ?`, uid, id)
		if err != nil {
			return fmt.Errorf("sqlite: delete memory: %w", err)
		}
		return mustAffect(res, "Memory")
	})
}

func scanMemory(s scanner) (*omi.Memory, error) {
	var (
		m                omi.Memory
		tags             string
		created, updated int64
		review           sql.NullBool
	)
	err := s.Scan(&m.UID, &m.ID, &m.Content, &m.Category, &m.Visibility, &tags, &created, &updated,
		&m.ManuallyAdded, &m.Scoring, &m.Reviewed, &review, &m.Edited, &m.ConversationID)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("sqlite: scan memory: %w", err)
	}
	if m.Tags, err = decodeTags(tags); err != nil {
		return nil, fmt.Errorf("sqlite: decode tags of memory %s: %w", m.ID, err)
	}
	m.CreatedAt, m.UpdatedAt = fromMicros(created), fromMicros(updated)
	if review.Valid {
		m.UserReview = &review.Bool
	}
	return &m, nil
}

// decodeTags reads a tags column. Tags are written by json.Marshal, so
// they are almost always a plain array of strings without escapes, which is
// read here without the reflective decoder (a page of a list decodes 25);
// anything else goes to encoding/json.
func decodeTags(s string) ([]string, error) {
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' || strings.IndexByte(s, '\\') >= 0 {
		return slowTags(s)
	}
	out := []string{}
	rest := s[1 : len(s)-1]
	for rest != "" {
		if rest[0] != '"' {
			return slowTags(s)
		}
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return slowTags(s)
		}
		tag := rest[1 : 1+end]
		if !utf8.ValidString(tag) || strings.IndexFunc(tag, func(r rune) bool { return r < 0x20 }) >= 0 {
			return slowTags(s)
		}
		out = append(out, tag)
		rest = rest[2+end:]
		if rest == "" {
			break
		}
		if rest[0] != ',' || len(rest) == 1 {
			return slowTags(s)
		}
		rest = rest[1:]
	}
	return out, nil
}

func slowTags(s string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, err
	}
	return out, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// mustAffect turns "no row matched" into ENOTFOUND.
func mustAffect(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: rows affected: %w", err)
	}
	if n == 0 {
		return notFound(what)
	}
	return nil
}

// dedupe keeps the first of each value: "?categories=work,work" must not
// list every work memory twice.
func dedupe(vals []string) []string {
	seen := make(map[string]bool, len(vals))
	out := vals[:0:0]
	for _, v := range vals {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
