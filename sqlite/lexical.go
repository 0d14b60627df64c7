package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	omi "github.com/omi-devapi/omi-devapi"
)

// Memory search's lexical ranking: BM25 over a bounded set of candidates.
//
// Ranking every match of a common word costs time in proportion to how many
// memories have it (FTS5's bm25() walks each term's whole posting list once
// per query, then scores every matching row): half a second for one word at
// a million memories. So the candidates are the user's newest memories that
// have each term (lexicalWindow shared among the terms), which FTS5 reads
// straight off the end of the term's posting list, and, for a query of
// several terms, the newest that have them all. The user is one token of the
// index (its user key, migration 00008), so these reads never walk another
// user's rows; where the user wrote nearly all of the index's recent rows
// they skip the key, which is cheaper still (see rankMemories).
//
// Each candidate is scored with BM25 as FTS5's bm25() computes it (k1 1.2,
// b 0.75, its length and the index's mean length from the index), each
// term's frequency counted in the candidate's text (ftstext.go), so a term
// a candidate has counts even when the candidate is older than that term's
// window. The statistics are the user's: their memory count, and how many
// of them have each term; exact while the user's memories fit userWindow and
// a term's matches fit its window, beyond that estimated from the span of
// rowids the window covers, as if the matches were spread evenly over the
// user's rowids. A user with at most lexicalWindow memories has them all as
// candidates: the ranking is then exactly BM25 (TestBoundedRankingIsExact).
// At a million memories a common word ranks its best among the newest
// matches; bench/RESULTS.md measures that against the exhaustive ranking.

var (
	// lexicalWindow is about how many candidate rows a query reads: shared
	// among its terms (each reads at least minTermWindow), half of it for
	// the rows that have them all when there are several. A user with no
	// more memories than this has all of them as candidates.
	lexicalWindow = 1000
	// userWindow is how many of a user's memories are counted exactly
	// before the count is estimated.
	userWindow = 2048
)

const (
	minTermWindow = 50
	// maxPrefixTerms is how many index terms a prefix may stand for and
	// still be read as those terms (see prefixExpr).
	maxPrefixTerms = 16
	bm25K1         = 1.2
	bm25B          = 0.75
)

// userKey is uid as the indexes hold it: one token (see migration 00008).
func userKey(uid string) string {
	return "u" + strings.ToUpper(hex.EncodeToString([]byte(uid))) + "x"
}

// userMatch is the FTS5 expression that restricts a query to uid's rows.
func userMatch(uid string) string { return "{ukey} : " + ftsQuote(userKey(uid)) }

// ftsMatch turns terms into an FTS5 query that matches any of them in cols,
// limited to uid's rows. Every term is a quoted string, so nothing a user
// types (AND, NEAR/3, *, ^, col:, quotes, parentheses) is ever read as
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
		if isPrefixTerm(terms, i) {
			b.WriteString("*")
		}
	}
	if n == 0 {
		return ""
	}
	return userMatch(uid) + " AND " + cols + " : (" + b.String() + ")"
}

func isPrefixTerm(terms []string, i int) bool {
	return i == len(terms)-1 && utf8.RuneCountInString(terms[i]) >= 4
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

// lexPhrase is one query term: FTS5 finds the rows that have it, and its
// tokens (stemmed as the index stems them) count how often a row does.
type lexPhrase struct {
	term   string
	toks   [][]byte
	prefix bool // the last token matches any term it begins
}

func lexPhrases(terms []string) []lexPhrase {
	var out []lexPhrase
	for i, t := range terms {
		if !hasTokenChar(t) {
			continue
		}
		p := lexPhrase{term: t, prefix: isPrefixTerm(terms, i)}
		tokenize([]byte(t), nil, func(tok []byte) { p.toks = append(p.toks, stem(append([]byte(nil), tok...))) })
		out = append(out, p)
	}
	return out
}

// lexicalMemories ranks uid's memories for terms (see the top of the file).
func (db *DB) lexicalMemories(ctx context.Context, uid string, terms []string, limit int) ([]omi.Ranked, error) {
	return db.rankMemories(ctx, uid, terms, limit, lexicalWindow, userWindow)
}

// rankMemories is lexicalMemories with its windows given, so tests can
// compare a bounded ranking with an unbounded one.
func (db *DB) rankMemories(ctx context.Context, uid string, terms []string, limit, window, users int) ([]omi.Ranked, error) {
	phrases := lexPhrases(terms)
	if len(phrases) == 0 || limit <= 0 {
		return nil, nil
	}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	st, err := readStats(ctx, tx, uid, users)
	if err != nil || st.n == 0 {
		return nil, err
	}
	exprs := make([]string, len(phrases))
	distinct := map[string]int{} // expression -> its window
	for i, p := range phrases {
		if exprs[i], err = phraseExpr(ctx, tx, p); err != nil {
			return nil, err
		}
		if _, ok := distinct[exprs[i]]; !ok {
			distinct[exprs[i]] = len(distinct)
		}
	}
	small := st.exact && st.n <= float64(window)
	scope := func(expr string) string { return userMatch(uid) + " AND {content} : (" + expr + ")" }
	scale := 1.0
	if !small && st.share >= globalShare {
		// The user wrote (nearly) all of the index's recent rows, as on a
		// one-person server: windows skip the user key, since intersecting
		// with a posting list as long as the index costs more than reading
		// the few other users' rows and dropping them.
		scope = func(expr string) string { return "{content} : (" + expr + ")" }
		scale = 1 / st.share
	}
	termSize, allSize := max(window, minTermWindow), 0
	switch {
	case small:
		// Few memories: every match is a candidate, the ranking exact.
		termSize = int(st.n)
	case len(distinct) > 1:
		// A query of several terms spends half its window on the rows that
		// have them all, which BM25 ranks first but which are a few of each
		// term's rows.
		termSize, allSize = max(window/(2*len(distinct)), minTermWindow), window/2
	}
	c := newCandidates(phrases)
	wins := make([]termWindow, len(distinct))
	for e, i := range distinct {
		if wins[i], err = readWindow(ctx, tx, scope(e), math.MinInt64, int(float64(termSize)*scale)); err != nil {
			return nil, err
		}
	}
	for i, e := range exprs {
		c.addWindow(wins[distinct[e]], i)
	}
	if allSize > 0 && !anyComplete(wins) {
		// Every row with all the terms has the rarest one: those in its
		// window are already candidates. The rest are older; they are read
		// no deeper than the rarest term's next allReach*window rows, which
		// bounds how much of its posting list the intersection walks when
		// the terms seldom meet.
		all := make([]string, 0, len(distinct))
		for e := range distinct {
			all = append(all, "("+e+")")
		}
		slices.Sort(all)
		newest, oldest := int64(math.MinInt64), int64(math.MaxInt64)
		for _, w := range wins {
			newest, oldest = max(newest, w.rowids[0]), min(oldest, w.lo)
		}
		floor := newest - int64(allReach*window/(termSize+1))*(newest-oldest+1)
		w, err := readWindow(ctx, tx, scope(strings.Join(all, " AND ")), floor, int(float64(allSize)*scale))
		if err != nil {
			return nil, err
		}
		c.addWindow(w, -1)
	}
	if len(c.rowids) == 0 {
		return nil, nil
	}
	if err := c.read(ctx, tx, uid); err != nil {
		return nil, err
	}
	termWins := make([]termWindow, len(phrases))
	for i, e := range exprs {
		termWins[i] = wins[distinct[e]]
	}
	return c.rank(termWins, st, limit), nil
}

// anyComplete reports whether some window holds all of its term's rows.
func anyComplete(wins []termWindow) bool {
	return slices.ContainsFunc(wins, func(w termWindow) bool { return w.complete })
}

// allReach bounds how deep the window of rows with all the terms reaches:
// as deep as allReach*lexicalWindow rows of the rarest term.
const allReach = 8

// globalShare is the share of the recent rows of the index a user must
// have written for windows to skip the user key.
var globalShare = 0.8

// lexStats is what BM25 needs beyond the candidates: how many memories
// the user has (n, exact or estimated) and the rowids they span, the
// index's average row length, and the share of the index's recent rows
// that are the user's.
type lexStats struct {
	n            float64
	exact        bool
	minID, maxID int64
	avgLen       float64
	share        float64
}

func readStats(ctx context.Context, tx *sql.Tx, uid string, window int) (lexStats, error) {
	var st lexStats
	var count int
	var lo, last int64
	err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(min(rowid), 0), coalesce(max(rowid), 0),
		(SELECT coalesce(max(rowid), 0) FROM memories) FROM (
		SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? ORDER BY rowid DESC LIMIT ?)`,
		userMatch(uid), window+1).Scan(&count, &lo, &st.maxID, &last)
	if err != nil {
		return st, fmt.Errorf("count: %w", err)
	}
	st.n, st.minID, st.exact = float64(count), lo, count <= window
	// Of the rowids from the oldest counted to the newest in the index,
	// the share that are the user's (an underestimate where rows were
	// deleted).
	st.share = float64(count) / float64(max(last-lo+1, 1))
	if !st.exact {
		// More than the window: the oldest row, and the count estimated
		// from how many rowids the newest ones span.
		if err := tx.QueryRowContext(ctx, `SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? ORDER BY rowid LIMIT 1`,
			userMatch(uid)).Scan(&st.minID); err != nil {
			return st, fmt.Errorf("oldest row: %w", err)
		}
		st.n = spread(count, lo, st.minID, st.maxID)
	}
	var block []byte
	err = tx.QueryRowContext(ctx, `SELECT block FROM memories_fts_data WHERE id = 1`).Scan(&block)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return st, fmt.Errorf("averages: %w", err)
	}
	rows, avgLen := averages(block)
	st.avgLen = avgLen
	if rows > 0 {
		st.n = min(st.n, max(rows, float64(count)))
	}
	return st, nil
}

// spread estimates how many rows of a set span [minID, maxID] when the
// newest count of them span [lo, maxID].
func spread(count int, lo, minID, maxID int64) float64 {
	return float64(count) * float64(maxID-minID+1) / float64(max(maxID-lo+1, 1))
}

// averages reads FTS5's averages record: the row count, then the total
// tokens of each column, as SQLite varints. It returns the row count and
// the mean row length (tokens over all columns, as bm25() counts it).
func averages(block []byte) (rows, avgLen float64) {
	n, k := sqliteVarint(block)
	if k == 0 || n == 0 {
		return 0, 1
	}
	total := uint64(0)
	for b := block[k:]; len(b) > 0; {
		v, k := sqliteVarint(b)
		if k == 0 {
			break
		}
		total += v
		b = b[k:]
	}
	return float64(n), float64(total) / float64(n)
}

// sqliteVarint decodes SQLite's big-endian varint (FTS5 uses it in its
// records), returning the value and its length, 0 if b is cut short.
func sqliteVarint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 9; i++ {
		if i == 8 {
			return v<<8 | uint64(b[i]), 9
		}
		v = v<<7 | uint64(b[i]&0x7f)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

// phraseExpr is p as an FTS5 expression over the content column. A prefix
// term is read as the index terms it begins when there are few: FTS5 reads
// a prefix query by merging the whole posting lists of every term it
// begins (the ten milliseconds "deadline"* costs at a million memories, for
// the one term "deadlin"), where an exact term's newest rows cost little.
func phraseExpr(ctx context.Context, tx *sql.Tx, p lexPhrase) (string, error) {
	q := ftsQuote(p.term)
	if !p.prefix {
		return q, nil
	}
	if len(p.toks) != 1 {
		return q + "*", nil
	}
	for i := 0; i < len(p.term); i++ {
		if p.term[i] >= utf8.RuneSelf {
			return q + "*", nil // beyond ASCII, folding is SQLite's to decide
		}
	}
	s := p.toks[0]
	// The terms that begin with s and are longer: above s+"\x01" (no term
	// has a byte below '0') and below s+"\xff" (no UTF-8 byte is 0xff). A
	// term range on an fts5vocab instance table seeks; it walks no list.
	lo, hi := string(s)+"\x01", string(s)+"\xff"
	terms := []string{q}
	for {
		var t string
		err := tx.QueryRowContext(ctx, `SELECT term FROM memories_fts_terms WHERE term >= ? AND term <= ? LIMIT 1`, lo, hi).Scan(&t)
		if errors.Is(err, sql.ErrNoRows) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("prefix terms: %w", err)
		}
		// The term must stem to itself to be found by quoting it, and stay
		// a single token.
		if len(terms) > maxPrefixTerms || !hasTokenChar(t) || string(stem([]byte(t))) != t {
			return q + "*", nil
		}
		terms = append(terms, ftsQuote(t))
		lo = t + "\x01"
	}
	return strings.Join(terms, " OR "), nil
}

// termWindow is the newest rows that have a term: all of them when
// complete, else the rows from lo up.
type termWindow struct {
	rowids   []int64
	lo       int64
	complete bool
}

// readWindow reads the newest n rows from floor up that match, and one
// more to tell whether there are more.
func readWindow(ctx context.Context, tx *sql.Tx, match string, floor int64, n int) (termWindow, error) {
	rows, err := tx.QueryContext(ctx, `SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? AND rowid >= ?
		ORDER BY rowid DESC LIMIT ?`, match, floor, n+1)
	if err != nil {
		return termWindow{}, err
	}
	defer rows.Close()
	var w termWindow
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return w, err
		}
		w.rowids = append(w.rowids, id)
	}
	if err := rows.Err(); err != nil {
		return w, err
	}
	w.complete = len(w.rowids) <= n
	if len(w.rowids) > 0 {
		w.lo = w.rowids[len(w.rowids)-1]
	}
	return w, nil
}

// candidates are the rows the windows found, read and counted.
type candidates struct {
	phrases []lexPhrase
	index   map[int64]int // rowid -> candidate
	rowids  []int64
	in      []bool // in[c*len(phrases)+i]: FTS5 found phrase i in candidate c
	// Read from the rows:
	ids     []string
	docLen  []float64
	mine    []bool  // the user's (only those count)
	visible []bool  // the user's and not rejected (only those rank)
	tf      []int32 // tf[c*len(phrases)+i]: phrase i's occurrences in candidate c's text
	counter tfCounter
}

func newCandidates(phrases []lexPhrase) *candidates {
	c := &candidates{phrases: phrases, index: map[int64]int{}}
	c.counter.init(phrases)
	return c
}

// addWindow adds w's rows as having phrase i, or every phrase if i < 0.
func (c *candidates) addWindow(w termWindow, i int) {
	np := len(c.phrases)
	for _, id := range w.rowids {
		k, ok := c.index[id]
		if !ok {
			k = len(c.rowids)
			c.index[id] = k
			c.rowids = append(c.rowids, id)
			c.in = append(c.in, make([]bool, np)...)
		}
		if i >= 0 {
			c.in[k*np+i] = true
		} else {
			for j := range np {
				c.in[k*np+j] = true
			}
		}
	}
}

// read fetches the candidates' rows and counts their terms.
func (c *candidates) read(ctx context.Context, tx *sql.Tx, uid string) error {
	n, np := len(c.rowids), len(c.phrases)
	c.ids, c.docLen, c.mine, c.visible = make([]string, n), make([]float64, n), make([]bool, n), make([]bool, n)
	c.tf = make([]int32, n*np)
	b := make([]byte, 0, 8*n+2)
	b = append(b, '[')
	for i, id := range c.rowids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	b = append(b, ']')
	rows, err := tx.QueryContext(ctx, `SELECT m.rowid, m.uid = ?, m.user_review IS NULL OR m.user_review = 1, m.id, m.content, d.sz
		FROM memories m LEFT JOIN memories_fts_docsize d ON d.id = m.rowid
		WHERE m.rowid IN (SELECT value FROM json_each(?))`, uid, string(b))
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		rowid           int64
		mine, approved  bool
		id, content, sz sql.RawBytes
		tf              = make([]int, np)
	)
	for rows.Next() {
		if err := rows.Scan(&rowid, &mine, &approved, &id, &content, &sz); err != nil {
			return err
		}
		k, ok := c.index[rowid]
		if !ok || !mine {
			continue // another user's row, from a window without the key
		}
		c.mine[k] = true
		if !approved {
			continue // rejected: counted, never ranked
		}
		c.visible[k] = true
		c.ids[k] = string(id)
		ntok := c.counter.count(content, tf)
		for i, n := range tf {
			c.tf[k*np+i] = int32(n)
		}
		c.docLen[k] = float64(ntok + 1) // the content's tokens and the user key
		if n, ok := columnSizes(sz); ok {
			c.docLen[k] = float64(n)
		}
	}
	return rows.Err()
}

// rank scores the visible candidates with BM25 as FTS5's bm25() computes
// it and returns the best limit.
func (c *candidates) rank(wins []termWindow, st lexStats, limit int) []omi.Ranked {
	np := len(c.phrases)
	idf := make([]float64, np)
	for i, w := range wins {
		mine := 0
		for _, id := range w.rowids {
			if c.mine[c.index[id]] {
				mine++
			}
		}
		hits := float64(mine)
		if !w.complete {
			hits = min(max(spread(mine, w.lo, st.minID, st.maxID), hits), max(st.n, hits))
		}
		// FTS5's IDF, floored just above zero as bm25() does.
		idf[i] = math.Log((st.n - hits + 0.5) / (hits + 0.5))
		if idf[i] <= 0 {
			idf[i] = 1e-6
		}
	}
	top := &topK{k: limit}
	for k, rowid := range c.rowids {
		if !c.visible[k] {
			continue
		}
		norm := bm25K1 * (1 - bm25B + bm25B*c.docLen[k]/st.avgLen)
		score := 0.0
		for i, w := range wins {
			tf := float64(c.tf[k*np+i])
			switch {
			case c.in[k*np+i]:
				tf = max(tf, 1) // FTS5 found it: at least once
			case w.complete || rowid >= w.lo:
				tf = 0 // FTS5 found it lacks the term
			}
			if tf > 0 {
				score += idf[i] * tf * (bm25K1 + 1) / (tf + norm)
			}
		}
		if top.wants(score, c.ids[k]) {
			top.add(omi.Ranked{ID: c.ids[k], Score: score})
		}
	}
	return top.sorted()
}

// columnSizes sums a docsize record: each column's token count, as SQLite
// varints.
func columnSizes(sz []byte) (uint64, bool) {
	total := uint64(0)
	for len(sz) > 0 {
		v, k := sqliteVarint(sz)
		if k == 0 {
			return 0, false
		}
		total += v
		sz = sz[k:]
	}
	return total, total > 0
}

// tfCounter counts each phrase's occurrences in a text, as FTS5 would
// match it: a phrase is its tokens at consecutive positions, the last one
// of a prefix phrase matching any stem it begins.
type tfCounter struct {
	first  [256]bool // first bytes of query tokens (stemming keeps a word's first byte)
	qtoks  []queryToken
	phr    [][]int // per phrase: its tokens' indexes in qtoks; nil if more than 64 tokens in all
	marks  []tokenMark
	buf    []byte
	stemmd []byte
}

type queryToken struct {
	stem   []byte
	prefix bool
}

type tokenMark struct {
	pos  int
	hits uint64 // bit j: matches qtoks[j]
}

func (c *tfCounter) init(phrases []lexPhrase) {
	c.phr = make([][]int, len(phrases))
	for i, p := range phrases {
		var idx []int
		for j, t := range p.toks {
			q := queryToken{stem: t, prefix: p.prefix && j == len(p.toks)-1}
			k := slices.IndexFunc(c.qtoks, func(x queryToken) bool { return x.prefix == q.prefix && bytes.Equal(x.stem, q.stem) })
			if k < 0 {
				k = len(c.qtoks)
				c.qtoks = append(c.qtoks, q)
			}
			idx = append(idx, k)
		}
		if slices.ContainsFunc(idx, func(k int) bool { return k >= 64 }) {
			idx = nil // counted as present or absent only
		}
		c.phr[i] = idx
	}
	for j, q := range c.qtoks {
		if j < 64 {
			c.first[q.stem[0]] = true
		}
	}
}

// count sets tf[i] to phrase i's occurrences in text and returns how many
// tokens text has.
func (c *tfCounter) count(text []byte, tf []int) int {
	c.marks = c.marks[:0]
	pos := 0
	c.buf = tokenize(text, c.buf, func(tok []byte) {
		if c.first[tok[0]] {
			st := stem(append(c.stemmd[:0], tok...))
			var hits uint64
			for j, q := range c.qtoks[:min(len(c.qtoks), 64)] {
				if bytes.Equal(st, q.stem) || q.prefix && bytes.HasPrefix(st, q.stem) {
					hits |= 1 << j
				}
			}
			if hits != 0 {
				c.marks = append(c.marks, tokenMark{pos, hits})
			}
			c.stemmd = st[:0]
		}
		pos++
	})
	for i, idx := range c.phr {
		tf[i] = 0
		if len(idx) == 0 {
			continue
		}
	marks:
		for k, m := range c.marks {
			if m.hits&(1<<idx[0]) == 0 {
				continue
			}
			// The phrase's next tokens at the next positions.
			next := k + 1
			for j := 1; j < len(idx); j++ {
				if next >= len(c.marks) || c.marks[next].pos != m.pos+j || c.marks[next].hits&(1<<idx[j]) == 0 {
					continue marks
				}
				next++
			}
			tf[i]++
		}
	}
	return pos
}
