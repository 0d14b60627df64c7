package sqlite

import (
	"container/heap"
	"container/list"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	omi "github.com/omi-devapi/omi-devapi"
)

var _ omi.SearchStore = (*DB)(nil)

// Lexical weights per FTS column (uid first, never scored): a title says more
// about a conversation than its overview, the overview more than a line of
// the transcript.
const (
	memoryBM25       = `bm25(memories_fts, 0.0, 1.0)`
	conversationBM25 = `bm25(conversations_fts, 0.0, 3.0, 2.0, 1.0)`
)

func (db *DB) SearchMemories(ctx context.Context, q omi.SearchQuery) (omi.Rankings, error) {
	return db.rankings(ctx, q, omi.KindMemory, ftsMatch(q.UID, "{content}", q.Terms), `SELECT m.id, -`+memoryBM25+` AS s
		FROM memories_fts JOIN memories m ON m.rowid = memories_fts.rowid
		WHERE memories_fts MATCH ? AND m.uid = ? AND (m.user_review IS NULL OR m.user_review = 1)
		ORDER BY s DESC, m.id LIMIT ?`,
		`SELECT id FROM memories WHERE uid = ? AND user_review = 0`)
}

func (db *DB) SearchConversations(ctx context.Context, q omi.SearchQuery) (omi.Rankings, error) {
	return db.rankings(ctx, q, omi.KindConversation, ftsMatch(q.UID, "{title overview transcript}", q.Terms), `SELECT c.id, -`+conversationBM25+` AS s
		FROM conversations_fts JOIN conversations c ON c.rowid = conversations_fts.rowid
		WHERE conversations_fts MATCH ? AND c.uid = ? AND c.discarded = 0 AND c.status = 'completed'
		ORDER BY s DESC, c.id LIMIT ?`,
		`SELECT id FROM conversations WHERE uid = ? AND (discarded = 1 OR status <> 'completed')`)
}

// rankings runs the lexical ranking (lexical, given match) and the vector
// ranking (skipping the ids hidden selects) side by side: they read
// different tables on different connections.
func (db *DB) rankings(ctx context.Context, q omi.SearchQuery, kind, match, lexical, hidden string) (omi.Rankings, error) {
	var r omi.Rankings
	if q.Limit <= 0 {
		return r, nil
	}
	g, gctx := errgroup.WithContext(ctx)
	if match != "" {
		g.Go(func() error {
			lex, err := db.lexical(gctx, lexical, match, q.UID, q.Limit)
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

// ftsMatch turns terms into an FTS5 query that matches any of them in cols,
// limited to uid's postings. Every term is a quoted string, so nothing a
// user types (AND, NEAR/3, *, ^, col:, quotes, parentheses) is ever read as
// syntax. The last term, if long enough, matches as a prefix: people stop
// typing mid-word ("photog" finds photography).
func ftsMatch(uid, cols string, terms []string) string {
	var b strings.Builder
	n := 0
	for i, t := range terms {
		if !hasTokenChar(t) {
			continue // a phrase of no tokens matches nothing
		}
		if n > 0 {
			b.WriteString(" OR ")
		}
		n++
		b.WriteString(ftsQuote(t))
		if i == len(terms)-1 && len([]rune(t)) >= 4 {
			b.WriteString("*")
		}
	}
	if n == 0 {
		return ""
	}
	expr := cols + " : (" + b.String() + ")"
	if hasTokenChar(uid) {
		// Narrows the scan only: the row's uid is compared exactly too, since
		// two uids can tokenize alike ("a-b", "a b").
		expr = "{uid} : " + ftsQuote(uid) + " AND " + expr
	}
	return expr
}

// ftsQuote makes s one FTS5 string. FTS5 reads its query up to the first
// NUL ("unterminated string" after it), so a NUL becomes a space, which
// separates tokens as it does in the indexed text.
func ftsQuote(s string) string {
	s = strings.ReplaceAll(s, "\x00", " ")
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// hasTokenChar reports whether FTS5's unicode61 tokenizer finds a token in
// s: it keeps letters, numbers and private-use characters.
func hasTokenChar(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r)
	}) >= 0
}

// nearest is the vector ranking: the dot product (cosine: vectors are
// normalised) of the query with every one of the user's vectors of its
// model and length, best q.Limit kept. hidden selects the ids to skip
// (rejected or unlisted rows: few, found through a partial index).
//
// Brute force over vectors decoded into memory (vectorCache): reading 100k
// rows through SQLite costs about half a second, scoring them from memory
// about 10 ms. The cache is checked against the user's vector version, read
// in the same snapshot, so a search sees every write committed before it,
// from any connection or process; after writes it reads only the rows the
// vector log says changed.
func (db *DB) nearest(ctx context.Context, q omi.SearchQuery, kind, hidden string) ([]omi.Ranked, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var version int64
	err = tx.QueryRowContext(ctx, `SELECT version FROM vector_versions WHERE uid = ? AND kind = ?`, q.UID, kind).Scan(&version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil // no vector was ever stored for this user
	}
	if err != nil {
		return nil, err
	}
	key := vectorKey{path: db.path, uid: q.UID, kind: kind, model: q.Model, dim: len(q.Vector)}
	set, err := vectors.get(key, version, func(old *vectorSet) (*vectorSet, error) {
		if old != nil && version-old.version <= vectorLogKeep {
			return refreshVectors(ctx, tx, old, version)
		}
		return loadVectors(ctx, tx, key, version)
	})
	if err != nil {
		return nil, err
	}
	skip := map[string]bool{}
	rows, err := tx.QueryContext(ctx, hidden, q.UID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		skip[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return set.nearest(q.Vector, q.Limit, skip), nil
}

// vectorLogKeep is how many changes per user and kind vector_log keeps (the
// migration's triggers prune beyond it): a cache that far behind reloads.
const vectorLogKeep = 4096

// loadVectors reads and decodes one user's vectors of a model and length
// into one contiguous slice.
func loadVectors(ctx context.Context, tx *sql.Tx, k vectorKey, version int64) (*vectorSet, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM vectors WHERE uid = ? AND kind = ? AND model = ? AND dim = ?`,
		k.uid, k.kind, k.model, k.dim).Scan(&n); err != nil {
		return nil, err
	}
	b := &vectorBase{ids: make([]string, 0, n), vecs: make([]float32, 0, n*k.dim)}
	rows, err := tx.QueryContext(ctx, `SELECT id, vec FROM vectors WHERE uid = ? AND kind = ? AND model = ? AND dim = ?`,
		k.uid, k.kind, k.model, k.dim)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var raw sql.RawBytes
	for rows.Next() {
		var id string
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, err
		}
		if len(raw) == 4*k.dim {
			b.ids = append(b.ids, id)
			b.vecs = appendDecoded(b.vecs, raw)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	b.index()
	return &vectorSet{key: k, version: version, base: b}, nil
}

// refreshVectors brings old up to version: it reads the ids that vector_log
// lists as changed since, then their current vectors (absent: deleted, or
// now of another model), and overlays them on old's base, which it shares.
func refreshVectors(ctx context.Context, tx *sql.Tx, old *vectorSet, version int64) (*vectorSet, error) {
	k := old.key
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT id FROM vector_log WHERE uid = ? AND kind = ? AND seq > ?`, k.uid, k.kind, old.version)
	if err != nil {
		return nil, err
	}
	changed := map[string][]float32{}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		changed[id] = nil
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := append([]any{k.uid, k.kind, k.model, k.dim}, stringArgs(chunk)...)
		rows, err := tx.QueryContext(ctx, `SELECT id, vec FROM vectors WHERE uid = ? AND kind = ? AND model = ? AND dim = ?
			AND id IN (`+placeholders(len(chunk))+`)`, args...)
		if err != nil {
			return nil, err
		}
		var raw sql.RawBytes
		for rows.Next() {
			var id string
			if err := rows.Scan(&id, &raw); err != nil {
				rows.Close()
				return nil, err
			}
			if len(raw) == 4*k.dim {
				changed[id] = appendDecoded(nil, raw)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return old.with(changed, version), nil
}

func appendDecoded(dst []float32, raw []byte) []float32 {
	for i := 0; i+4 <= len(raw); i += 4 {
		dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(raw[i:])))
	}
	return dst
}

// VectorCacheBytes bounds the memory the decoded vectors of all users may
// take (least recently searched go first). 384-dimension vectors take
// 1.5 KB each: the default holds about 350,000.
var VectorCacheBytes int64 = 512 << 20

// vectorKey names one user's vectors of one kind, model and length in one
// database file. Keyed by path rather than by *DB: a file reopened keeps
// its cache, and validity is decided by the version in the file anyway.
type vectorKey struct {
	path, uid, kind, model string
	dim                    int
}

// vectorBase is a user's vectors as loaded: immutable once built, shared by
// the sets that overlay later changes on it.
type vectorBase struct {
	ids  []string
	vecs []float32 // len(ids) vectors, back to back
	pos  map[string]int32
}

func (b *vectorBase) index() {
	b.pos = make(map[string]int32, len(b.ids))
	for i, id := range b.ids {
		b.pos[id] = int32(i)
	}
}

// vectorSet is the base plus the changes since it was loaded: base rows
// replaced or deleted are dead, current vectors of changed rows are in
// extra. Immutable: a refresh makes a new set.
type vectorSet struct {
	key     vectorKey
	version int64
	base    *vectorBase
	dead    []bool // by base position; nil: none
	extra   map[string][]float32
	elem    *list.Element
}

// compactAt is how many changed rows a set carries before its base is
// rebuilt (one copy of the vectors in memory, no SQLite reads).
const compactAt = 2048

// with returns s with changed applied (a nil vector: the row has none now).
func (s *vectorSet) with(changed map[string][]float32, version int64) *vectorSet {
	n := &vectorSet{key: s.key, version: version, base: s.base, extra: make(map[string][]float32, len(s.extra)+len(changed))}
	for id, v := range s.extra {
		n.extra[id] = v
	}
	for id, v := range changed {
		if i, ok := s.base.pos[id]; ok {
			if n.dead == nil {
				n.dead = make([]bool, len(s.base.ids))
				copy(n.dead, s.dead)
			}
			n.dead[i] = true
		}
		if v == nil {
			delete(n.extra, id)
		} else {
			n.extra[id] = v
		}
	}
	if n.dead == nil {
		n.dead = s.dead
	}
	if len(n.extra) > compactAt || n.deadCount() > compactAt {
		n.compact()
	}
	return n
}

func (s *vectorSet) deadCount() int {
	c := 0
	for _, d := range s.dead {
		if d {
			c++
		}
	}
	return c
}

// compact folds the changes into a new base.
func (s *vectorSet) compact() {
	dim := s.key.dim
	b := &vectorBase{ids: make([]string, 0, len(s.base.ids)+len(s.extra)), vecs: make([]float32, 0, len(s.base.vecs)+len(s.extra)*dim)}
	for i, id := range s.base.ids {
		if s.dead == nil || !s.dead[i] {
			b.ids = append(b.ids, id)
			b.vecs = append(b.vecs, s.base.vecs[i*dim:(i+1)*dim]...)
		}
	}
	for id, v := range s.extra {
		b.ids = append(b.ids, id)
		b.vecs = append(b.vecs, v...)
	}
	b.index()
	s.base, s.dead, s.extra = b, nil, nil
}

func (s *vectorSet) bytes() int64 {
	return int64(len(s.base.vecs))*4 + int64(len(s.base.ids))*64 + int64(len(s.extra))*int64(4*s.key.dim+64)
}

type vectorCache struct {
	mu    sync.Mutex
	sets  map[vectorKey]*vectorSet
	lru   *list.List // of *vectorSet, most recently used first
	bytes int64
	loads singleflight.Group
}

var vectors = &vectorCache{sets: map[vectorKey]*vectorSet{}, lru: list.New()}

// get returns a set for k at least as new as version. When the cached one
// is older or missing, load makes one from it (or from nothing), once
// however many searches ask at the same time.
func (c *vectorCache) get(k vectorKey, version int64, load func(old *vectorSet) (*vectorSet, error)) (*vectorSet, error) {
	c.mu.Lock()
	old := c.sets[k]
	if old != nil && old.version >= version {
		c.lru.MoveToFront(old.elem)
		c.mu.Unlock()
		return old, nil
	}
	c.mu.Unlock()
	v, err, _ := c.loads.Do(fmt.Sprintf("%q %q %q %q %d %d", k.path, k.uid, k.kind, k.model, k.dim, version), func() (any, error) {
		s, err := load(old)
		if err != nil {
			return nil, err
		}
		c.put(s)
		return s, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*vectorSet), nil
}

func (c *vectorCache) put(s *vectorSet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.bytes() > VectorCacheBytes {
		// Larger than the whole budget: serve this search from it and let it
		// go, rather than hold it past the bound.
		if old := c.sets[s.key]; old != nil {
			c.lru.Remove(old.elem)
			delete(c.sets, s.key)
			c.bytes -= old.bytes()
		}
		return
	}
	if old := c.sets[s.key]; old != nil {
		if old.version > s.version {
			return // a newer one is already here
		}
		c.lru.Remove(old.elem)
		c.bytes -= old.bytes()
	}
	s.elem = c.lru.PushFront(s)
	c.sets[s.key] = s
	c.bytes += s.bytes()
	for c.bytes > VectorCacheBytes && c.lru.Len() > 1 {
		last := c.lru.Back().Value.(*vectorSet)
		c.lru.Remove(last.elem)
		delete(c.sets, last.key)
		c.bytes -= last.bytes()
	}
}

// nearest scores every live vector against q, the base in parallel chunks
// when large, and returns the best k not in skip.
func (s *vectorSet) nearest(q []float32, k int, skip map[string]bool) []omi.Ranked {
	b, dim := s.base, len(q)
	n := len(b.ids)
	workers := max(1, min(runtime.GOMAXPROCS(0), n/8192))
	tops := make([]*topK, workers+1)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		tops[w] = &topK{k: k}
		wg.Go(func() {
			t := tops[w]
			for i := lo; i < hi; i++ {
				if s.dead != nil && s.dead[i] {
					continue
				}
				sc := float64(dot(q, b.vecs[i*dim:(i+1)*dim]))
				if t.wants(sc, b.ids[i]) && !skip[b.ids[i]] {
					t.add(omi.Ranked{ID: b.ids[i], Score: sc})
				}
			}
		})
	}
	t := &topK{k: k}
	for id, v := range s.extra {
		sc := float64(dot(q, v))
		if t.wants(sc, id) && !skip[id] {
			t.add(omi.Ranked{ID: id, Score: sc})
		}
	}
	tops[workers] = t
	wg.Wait()
	all := &topK{k: k}
	for _, t := range tops {
		for _, r := range t.h {
			if all.wants(r.Score, r.ID) {
				all.add(r)
			}
		}
	}
	return all.sorted()
}

// dot is the dot product of two vectors of equal length, eight lanes at a
// time so the additions do not wait on one another.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		a8, b8 := a[i:i+8:i+8], b[i:i+8:i+8]
		s0 += a8[0] * b8[0]
		s1 += a8[1] * b8[1]
		s2 += a8[2] * b8[2]
		s3 += a8[3] * b8[3]
		s4 += a8[4] * b8[4]
		s5 += a8[5] * b8[5]
		s6 += a8[6] * b8[6]
		s7 += a8[7] * b8[7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

// topK keeps the k best hits: a min-heap whose root is the worst kept.
// Better is a higher score, then a smaller id.
type topK struct {
	k int
	h []omi.Ranked
}

func worse(a omi.Ranked, b omi.Ranked) bool {
	if a.Score != b.Score {
		return a.Score < b.Score
	}
	return a.ID > b.ID
}

func (t *topK) Len() int           { return len(t.h) }
func (t *topK) Less(i, j int) bool { return worse(t.h[i], t.h[j]) }
func (t *topK) Swap(i, j int)      { t.h[i], t.h[j] = t.h[j], t.h[i] }
func (t *topK) Push(x any)         { t.h = append(t.h, x.(omi.Ranked)) }
func (t *topK) Pop() any {
	x := t.h[len(t.h)-1]
	t.h = t.h[:len(t.h)-1]
	return x
}

// wants reports whether a hit with this score and id would be kept.
func (t *topK) wants(s float64, id string) bool {
	if len(t.h) < t.k {
		return true
	}
	return worse(t.h[0], omi.Ranked{ID: id, Score: s})
}

func (t *topK) add(r omi.Ranked) {
	if len(t.h) < t.k {
		heap.Push(t, r)
		return
	}
	t.h[0] = r
	heap.Fix(t, 0)
}

// sorted empties the heap, best first.
func (t *topK) sorted() []omi.Ranked {
	out := make([]omi.Ranked, len(t.h))
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(t).(omi.Ranked)
	}
	return out
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
	rows, err := db.r.QueryContext(ctx, `SELECT `+memoryColumns+` FROM memories
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
		for _, q := range []string{
			`INSERT INTO memories_fts (memories_fts) VALUES ('rebuild')`,
			// Contentless: refilled from the view (see the migration).
			`DELETE FROM conversations_fts`,
			`INSERT INTO conversations_fts (rowid, uid, title, overview, transcript)
				SELECT rid, uid, title, overview, transcript FROM conversations_text`,
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
