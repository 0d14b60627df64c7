package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"golang.org/x/sync/errgroup"

	omi "github.com/omi-devapi/omi-devapi"
)

var _ omi.SearchStore = (*DB)(nil)

// Lexical weight per conversations_fts column (the user key first, never
// scored): a title says more about a conversation than its overview, the
// overview more than a line of the transcript.
const conversationBM25 = `bm25(conversations_fts, 0.0, 3.0, 2.0, 1.0)`

// The covering list index (memories_list_covering) holds every column, so
// without statistics SQLite prefers walking it over all of a user's rows to
// a few lookups by key: these queries name the index that finds their rows.
const (
	// memoriesByKey is the primary key's index, (uid, id).
	memoriesByKey = `INDEXED BY sqlite_autoindex_memories_1`
	// hiddenMemoriesSQL lists the user's rejected memories through their
	// partial index: few, where the list index would read every memory.
	hiddenMemoriesSQL = `SELECT id FROM memories INDEXED BY memories_rejected WHERE uid = ? AND user_review = 0`
)

func (db *DB) SearchMemories(ctx context.Context, q omi.SearchQuery) (omi.Rankings, error) {
	return db.rankings(ctx, q, omi.KindMemory, func(ctx context.Context) ([]omi.Ranked, error) {
		return db.lexicalMemories(ctx, q.UID, q.Terms, q.Limit)
	}, hiddenMemoriesSQL)
}

// SearchConversations ranks lexically with FTS5's bm25() over every match:
// a user's conversations are few (thousands, where memories may be a
// million), so the exhaustive ranking stays cheap.
func (db *DB) SearchConversations(ctx context.Context, q omi.SearchQuery) (omi.Rankings, error) {
	var lexical func(context.Context) ([]omi.Ranked, error)
	if match := ftsMatch(q.UID, "{title overview transcript}", q.Terms); match != "" {
		lexical = func(ctx context.Context) ([]omi.Ranked, error) {
			return db.lexical(ctx, `SELECT c.id, -`+conversationBM25+` AS s
				FROM conversations_fts JOIN conversations c ON c.rowid = conversations_fts.rowid
				WHERE conversations_fts MATCH ? AND c.uid = ? AND c.discarded = 0 AND c.status = 'completed'
				ORDER BY s DESC, c.id LIMIT ?`, match, q.UID, q.Limit)
		}
	}
	return db.rankings(ctx, q, omi.KindConversation, lexical,
		`SELECT id FROM conversations WHERE uid = ? AND (discarded = 1 OR status <> 'completed')`)
}

// rankings runs the lexical ranking (nil: no terms) and the vector ranking
// (skipping the ids hidden selects) side by side: they read different
// tables on different connections.
func (db *DB) rankings(ctx context.Context, q omi.SearchQuery, kind string, lexical func(context.Context) ([]omi.Ranked, error), hidden string) (omi.Rankings, error) {
	var r omi.Rankings
	if q.Limit <= 0 {
		return r, nil
	}
	g, gctx := errgroup.WithContext(ctx)
	if lexical != nil {
		g.Go(func() error {
			lex, err := lexical(gctx)
			if err != nil {
				return fmt.Errorf("sqlite: lexical %s search: %w", kind, err)
			}
			r.Lexical = lex
			return nil
		})
	}
	if len(q.Vector) > 0 {
		g.Go(func() error {
			vec, err := db.nearest(gctx, q, kind, hidden)
			if err != nil {
				return fmt.Errorf("sqlite: vector %s search: %w", kind, err)
			}
			r.Vector = vec
			return nil
		})
	}
	return r, g.Wait()
}

func (db *DB) lexical(ctx context.Context, query string, args ...any) ([]omi.Ranked, error) {
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []omi.Ranked
	for rows.Next() {
		var h omi.Ranked
		if err := rows.Scan(&h.ID, &h.Score); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// putVector stores e as the vector of (uid, kind, id), replacing any.
func putVector(ctx context.Context, x execer, uid, kind, id string, e *omi.Embedding) error {
	if e == nil || len(e.Vector) == 0 {
		return nil
	}
	_, err := x.ExecContext(ctx, `INSERT INTO vectors (uid, kind, id, model, dim, vec) VALUES (?,?,?,?,?,?)
		ON CONFLICT (uid, kind, id) DO UPDATE SET model = excluded.model, dim = excluded.dim, vec = excluded.vec`,
		uid, kind, id, e.Model, len(e.Vector), encodeVector(e.Vector))
	if err != nil {
		return fmt.Errorf("sqlite: store %s vector: %w", kind, err)
	}
	return nil
}

func encodeVector(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func (db *DB) MemoriesByID(ctx context.Context, uid string, ids []string) ([]*omi.Memory, error) {
	out := []*omi.Memory{}
	if len(ids) == 0 {
		return out, nil
	}
	args := append([]any{uid}, stringArgs(ids)...)
	rows, err := db.r.QueryContext(ctx, `SELECT `+memoryColumns+` FROM memories `+memoriesByKey+`
		WHERE uid = ? AND id IN (`+placeholders(len(ids))+`) AND (user_review IS NULL OR user_review = 1)`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: memories by id: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMemory(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: memories by id: %w", err)
	}
	return out, nil
}

func (db *DB) ConversationsByID(ctx context.Context, uid string, ids []string) ([]*omi.Conversation, error) {
	out := []*omi.Conversation{}
	if len(ids) == 0 {
		return out, nil
	}
	args := append([]any{uid}, stringArgs(ids)...)
	rows, err := db.r.QueryContext(ctx, `SELECT `+conversationColumns+`, c.transcript_segments`+conversationFrom+`
		WHERE c.uid = ? AND c.id IN (`+placeholders(len(ids))+`) AND c.discarded = 0 AND c.status = 'completed'`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: conversations by id: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: conversations by id: %w", err)
	}
	return out, nil
}

func stringArgs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func (db *DB) PendingEmbeddings(ctx context.Context, kind, model string, all bool, after omi.EmbedCursor, limit int) ([]omi.EmbedTask, error) {
	var query string
	switch kind {
	case omi.KindMemory:
		query = `SELECT m.uid, m.id, m.content FROM memories m
			LEFT JOIN vectors v ON v.uid = m.uid AND v.kind = 'memory' AND v.id = m.id
			WHERE (m.uid, m.id) > (?, ?) AND (? OR v.model IS NULL OR v.model <> ?)
			ORDER BY m.uid, m.id LIMIT ?`
	case omi.KindConversation:
		query = `SELECT ` + conversationColumns + `, c.transcript_segments` + conversationFrom + `
			LEFT JOIN vectors v ON v.uid = c.uid AND v.kind = 'conversation' AND v.id = c.id
			WHERE (c.uid, c.id) > (?, ?) AND (? OR v.model IS NULL OR v.model <> ?)
			ORDER BY c.uid, c.id LIMIT ?`
	default:
		return nil, fmt.Errorf("sqlite: pending embeddings: unknown kind %q", kind)
	}
	rows, err := db.r.QueryContext(ctx, query, after.UID, after.ID, all, model, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: pending %s embeddings: %w", kind, err)
	}
	defer rows.Close()
	var out []omi.EmbedTask
	for rows.Next() {
		var t omi.EmbedTask
		if kind == omi.KindMemory {
			m := omi.Memory{}
			if err := rows.Scan(&t.UID, &t.ID, &m.Content); err != nil {
				return nil, fmt.Errorf("sqlite: pending memory embeddings: %w", err)
			}
			t.Text = m.EmbedText()
		} else {
			c, err := scanConversation(rows)
			if err != nil {
				return nil, err
			}
			t.UID, t.ID, t.Text = c.UID, c.ID, c.EmbedText()
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: pending %s embeddings: %w", kind, err)
	}
	return out, nil
}

func (db *DB) PutEmbeddings(ctx context.Context, kind, model string, tasks []omi.EmbedTask) (int, error) {
	if kind != omi.KindMemory && kind != omi.KindConversation {
		return 0, fmt.Errorf("sqlite: put embeddings: unknown kind %q", kind)
	}
	n := 0
	err := db.tx(ctx, func(tx *sql.Tx) error {
		n = 0
		for _, t := range tasks {
			current, err := embedText(ctx, tx, kind, t.UID, t.ID)
			if omi.ErrorCode(err) == omi.ENOTFOUND {
				continue
			}
			if err != nil {
				return err
			}
			if current != t.Text {
				continue
			}
			if err := putVector(ctx, tx, t.UID, kind, t.ID, &omi.Embedding{Model: model, Vector: t.Vector}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// embedText is the text a row's vector should be made of now.
func embedText(ctx context.Context, tx *sql.Tx, kind, uid, id string) (string, error) {
	if kind == omi.KindMemory {
		m := omi.Memory{}
		err := tx.QueryRowContext(ctx, `SELECT content FROM memories WHERE uid = ? AND id = ?`, uid, id).Scan(&m.Content)
		if errors.Is(err, sql.ErrNoRows) {
			return "", notFound("Memory")
		}
		if err != nil {
			return "", fmt.Errorf("sqlite: read memory text: %w", err)
		}
		return m.EmbedText(), nil
	}
	c, err := getConversation(ctx, tx, uid, id, true)
	if err != nil {
		return "", err
	}
	return c.EmbedText(), nil
}

func (db *DB) RebuildSearchIndex(ctx context.Context) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		// Both indexes are contentless: emptied, then refilled from the rows.
		for _, q := range []string{
			`INSERT INTO memories_fts (memories_fts) VALUES ('delete-all')`,
			`INSERT INTO memories_fts (rowid, ukey, content) SELECT rowid, 'u' || hex(uid) || 'x', content FROM memories`,
			`INSERT INTO conversations_fts (conversations_fts) VALUES ('delete-all')`,
			`INSERT INTO conversations_fts (rowid, ukey, title, overview, transcript)
				SELECT rid, ukey, title, overview, transcript FROM conversations_text`,
			`INSERT INTO memories_fts (memories_fts) VALUES ('optimize')`,
			`INSERT INTO conversations_fts (conversations_fts) VALUES ('optimize')`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("sqlite: rebuild search index: %w", err)
			}
		}
		return nil
	})
}
