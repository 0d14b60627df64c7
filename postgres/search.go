package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5"

	omi "github.com/omi-devapi/omi-devapi"
)

var _ omi.SearchStore = (*DB)(nil)

// Weights of the tsvector labels D, C, B, A for ts_rank: transcript 1,
// overview 2, title 3, as the SQLite store weighs its FTS columns. Memories
// have only D. Normalisation 1 divides by 1 + log(length), so long texts do
// not win by size alone (BM25's length term, roughly).
const rankExpr = `ts_rank('{0.333, 0.333, 0.667, 1.0}', search, q, 1)::float8`

func (db *DB) SearchMemories(ctx context.Context, q omi.SearchQuery) (omi.Rankings, error) {
	return db.rankings(ctx, q, omi.KindMemory,
		`SELECT id, `+rankExpr+` AS s FROM memories, (SELECT %s AS q) t
		WHERE uid = $1 AND search @@ q AND (user_review IS NULL OR user_review)
		ORDER BY s DESC, id LIMIT $2`,
		`NOT EXISTS (SELECT 1 FROM memories m WHERE m.uid = v.uid AND m.id = v.id AND m.user_review = false)`)
}

func (db *DB) SearchConversations(ctx context.Context, q omi.SearchQuery) (omi.Rankings, error) {
	return db.rankings(ctx, q, omi.KindConversation,
		`SELECT id, `+rankExpr+` AS s FROM conversations, (SELECT %s AS q) t
		WHERE uid = $1 AND search @@ q AND NOT discarded AND status = 'completed'
		ORDER BY s DESC, id LIMIT $2`,
		`NOT EXISTS (SELECT 1 FROM conversations c WHERE c.uid = v.uid AND c.id = v.id AND (c.discarded OR c.status <> 'completed'))`)
}

// rankings runs the lexical ranking (lexical, with the tsquery expression
// put in its %s) and the vector ranking (of the vectors that listed passes).
func (db *DB) rankings(ctx context.Context, q omi.SearchQuery, kind, lexical, listed string) (omi.Rankings, error) {
	var r omi.Rankings
	if q.Limit <= 0 {
		return r, nil
	}
	tsq, targs := tsQuery(q.Terms, 3)
	err := db.read(ctx, func(ctx context.Context, qr querier) error {
		r = omi.Rankings{}
		if tsq != "" {
			rows, err := qr.Query(ctx, fmt.Sprintf(lexical, tsq), append([]any{q.UID, q.Limit}, targs...)...)
			if err != nil {
				return fmt.Errorf("postgres: lexical %s search: %w", kind, err)
			}
			if r.Lexical, err = collect(rows, scanRanked); err != nil {
				return fmt.Errorf("postgres: lexical %s search: %w", kind, err)
			}
		}
		if len(q.Vector) > 0 {
			vec, err := nearest(ctx, qr, q, kind, listed)
			if err != nil {
				return fmt.Errorf("postgres: vector %s search: %w", kind, err)
			}
			r.Vector = vec
		}
		return nil
	})
	return r, err
}

func scanRanked(row pgx.Row) (omi.Ranked, error) {
	var h omi.Ranked
	err := row.Scan(&h.ID, &h.Score)
	return h, err
}

// tsQuery turns terms into a tsquery expression matching any of them, with
// each term a bound parameter (numbered from first) read as plain text by
// plainto_tsquery, so nothing a user types (&, |, !, <->, :*, quotes) is
// ever query syntax. The last term, if long enough and only letters and
// digits, matches as a prefix ("photog" finds photography): it is quoted
// as one tsquery word, which such a term cannot break out of.
func tsQuery(terms []string, first int) (string, []any) {
	var parts []string
	var args []any
	for i, t := range terms {
		// PostgreSQL text holds no NUL; a space separates tokens alike.
		t = strings.ToValidUTF8(strings.ReplaceAll(t, "\x00", " "), " ")
		if !hasTokenChar(t) {
			continue // no words: matches nothing
		}
		n := "$" + strconv.Itoa(first+len(args))
		if i == len(terms)-1 && len([]rune(t)) >= 4 && isWord(t) {
			parts = append(parts, `to_tsquery('english', `+n+`)`)
			args = append(args, "'"+t+"':*")
		} else {
			parts = append(parts, `plainto_tsquery('english', `+n+`)`)
			args = append(args, t)
		}
	}
	if len(parts) == 0 {
		return "", nil
	}
	return strings.Join(parts, " || "), args
}

func hasTokenChar(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) >= 0
}

func isWord(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) }) < 0
}

// nearest is the vector ranking, by brute force: the dot product (cosine:
// vectors are normalised) of the query with each of the user's listed
// vectors of its model and length, best q.Limit kept, ties by id.
func nearest(ctx context.Context, qr querier, q omi.SearchQuery, kind, listed string) ([]omi.Ranked, error) {
	rows, err := qr.Query(ctx, `SELECT v.id, v.vec FROM vectors v
		WHERE v.uid = $1 AND v.kind = $2 AND v.model = $3 AND v.dim = $4 AND `+listed,
		q.UID, kind, q.Model, len(q.Vector))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []omi.Ranked{}
	for rows.Next() {
		var id string
		var raw []byte
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, err
		}
		if len(raw) != 4*len(q.Vector) {
			continue
		}
		var s float32
		for i, x := range q.Vector {
			s += x * math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		out = append(out, omi.Ranked{ID: id, Score: float64(s)})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b omi.Ranked) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out[:min(len(out), q.Limit)], nil
}

func encodeVector(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

const putVectorSQL = `INSERT INTO vectors (uid, kind, id, model, dim, vec) VALUES ($1,$2,$3,$4,$5,$6)
	ON CONFLICT (uid, kind, id) DO UPDATE SET model = excluded.model, dim = excluded.dim, vec = excluded.vec`

// putVector stores e as the vector of (uid, kind, id), replacing any.
func putVector(ctx context.Context, q querier, uid, kind, id string, e *omi.Embedding) error {
	if e == nil || len(e.Vector) == 0 {
		return nil
	}
	if _, err := q.Exec(ctx, putVectorSQL, uid, kind, id, e.Model, len(e.Vector), encodeVector(e.Vector)); err != nil {
		return fmt.Errorf("postgres: store %s vector: %w", kind, err)
	}
	return nil
}

func (db *DB) MemoriesByID(ctx context.Context, uid string, ids []string) ([]*omi.Memory, error) {
	out := []*omi.Memory{}
	if len(ids) == 0 {
		return out, nil
	}
	err := db.read(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.Query(ctx, `SELECT `+memoryColumns+` FROM memories
			WHERE uid = $1 AND id = ANY($2) AND (user_review IS NULL OR user_review)`, uid, ids)
		if err != nil {
			return fmt.Errorf("postgres: memories by id: %w", err)
		}
		if out, err = collect(rows, scanMemory); err != nil {
			return fmt.Errorf("postgres: memories by id: %w", err)
		}
		return nil
	})
	return out, err
}

func (db *DB) ConversationsByID(ctx context.Context, uid string, ids []string) ([]*omi.Conversation, error) {
	out := []*omi.Conversation{}
	if len(ids) == 0 {
		return out, nil
	}
	err := db.read(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.Query(ctx, `SELECT `+conversationColumns+`, c.transcript_segments`+conversationFrom+`
			WHERE c.uid = $1 AND c.id = ANY($2) AND NOT c.discarded AND c.status = 'completed'`, uid, ids)
		if err != nil {
			return fmt.Errorf("postgres: conversations by id: %w", err)
		}
		if out, err = collect(rows, scanConversation); err != nil {
			return fmt.Errorf("postgres: conversations by id: %w", err)
		}
		return nil
	})
	return out, err
}

func (db *DB) PendingEmbeddings(ctx context.Context, kind, model string, all bool, after omi.EmbedCursor, limit int) ([]omi.EmbedTask, error) {
	var query string
	switch kind {
	case omi.KindMemory:
		query = `SELECT m.uid, m.id, m.content FROM memories m
			LEFT JOIN vectors v ON v.uid = m.uid AND v.kind = 'memory' AND v.id = m.id
			WHERE (m.uid, m.id) > ($1, $2) AND ($3 OR v.model IS NULL OR v.model <> $4)
			ORDER BY m.uid, m.id LIMIT $5`
	case omi.KindConversation:
		query = `SELECT ` + conversationColumns + `, c.transcript_segments` + conversationFrom + `
			LEFT JOIN vectors v ON v.uid = c.uid AND v.kind = 'conversation' AND v.id = c.id
			WHERE (c.uid, c.id) > ($1, $2) AND ($3 OR v.model IS NULL OR v.model <> $4)
			ORDER BY c.uid, c.id LIMIT $5`
	default:
		return nil, fmt.Errorf("postgres: pending embeddings: unknown kind %q", kind)
	}
	var out []omi.EmbedTask
	err := db.read(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.Query(ctx, query, after.UID, after.ID, all, model, limit)
		if err != nil {
			return fmt.Errorf("postgres: pending %s embeddings: %w", kind, err)
		}
		out, err = collect(rows, func(row pgx.Row) (omi.EmbedTask, error) {
			var t omi.EmbedTask
			if kind == omi.KindMemory {
				m := omi.Memory{}
				err := row.Scan(&t.UID, &t.ID, &m.Content)
				t.Text = m.EmbedText()
				return t, err
			}
			c, err := scanConversation(row)
			if err != nil {
				return t, err
			}
			t.UID, t.ID, t.Text = c.UID, c.ID, c.EmbedText()
			return t, nil
		})
		if err != nil {
			return fmt.Errorf("postgres: pending %s embeddings: %w", kind, err)
		}
		return nil
	})
	return out, err
}

func (db *DB) PutEmbeddings(ctx context.Context, kind, model string, tasks []omi.EmbedTask) (int, error) {
	if kind != omi.KindMemory && kind != omi.KindConversation {
		return 0, fmt.Errorf("postgres: put embeddings: unknown kind %q", kind)
	}
	n := 0
	err := db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
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
				continue // edited since it was read: the edit stored its own vector
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

// embedText is the text a row's vector should be made of now; the row is
// locked, so it cannot change before the vector is stored.
func embedText(ctx context.Context, tx pgx.Tx, kind, uid, id string) (string, error) {
	if kind == omi.KindMemory {
		m := omi.Memory{}
		err := tx.QueryRow(ctx, `SELECT content FROM memories WHERE uid = $1 AND id = $2 FOR SHARE`, uid, id).Scan(&m.Content)
		if errors.Is(err, pgx.ErrNoRows) {
			return "", notFound("Memory")
		}
		if err != nil {
			return "", fmt.Errorf("postgres: read memory text: %w", err)
		}
		return m.EmbedText(), nil
	}
	c, err := getConversation(ctx, tx, uid, id, true, "FOR SHARE OF c")
	if err != nil {
		return "", err
	}
	return c.EmbedText(), nil
}

// RebuildSearchIndex rebuilds the GIN indexes. The tsvectors themselves are
// generated columns, recomputed by every write of their text, so there is
// nothing else to rebuild.
func (db *DB) RebuildSearchIndex(ctx context.Context) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		for _, ix := range []string{"memories_search", "conversations_search"} {
			if _, err := tx.Exec(ctx, `REINDEX INDEX `+ix); err != nil {
				return fmt.Errorf("postgres: rebuild search index %s: %w", ix, err)
			}
		}
		return nil
	})
}
