package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	omi "github.com/omi-devapi/omi-devapi"
)

// lexicalCorpus writes n memories for uid: sentences over a small
// vocabulary, so words repeat within and across memories and many score
// alike; every 20th is rejected, and some are exact copies of others.
func lexicalCorpus(t *testing.T, db *DB, uid string, n int, seed uint64) []*omi.Memory {
	t.Helper()
	vocab := strings.Fields(`coffee coffee green green tea tea black espresso latte photography photographer photo
		photographs running runs ran agreed agreement zeta1 zeta2 zeta3 zeta4 zeta5 zeta6 zeta7 zeta8 zeta9 zeta10 zeta11
		zeta12 zeta13 zeta14 zeta15 zeta16 zeta17 zeta18 zeta19 zeta20 café naïve Ærø user the a morning deadline
		deadlines billing migration generalization relational happy happily e`)
	r := rand.New(rand.NewPCG(seed, 1))
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var ms []*omi.Memory
	for i := range n {
		var words []string
		if i > 10 && r.IntN(15) == 0 {
			words = strings.Fields(ms[r.IntN(len(ms))].Content) // a duplicate: ties
		} else {
			for range 1 + r.IntN(14) {
				words = append(words, vocab[r.IntN(len(vocab))])
			}
		}
		m := omi.NewMemory(fmt.Sprintf("%s-%04d", uid, r.IntN(10000)*1000+i), uid, strings.Join(words, " "), nil, nil, nil,
			base.Add(time.Duration(i)*time.Minute))
		if i%20 == 7 {
			no := false
			m.UserReview = &no
		}
		ms = append(ms, m)
	}
	if err := db.CreateMemories(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
	return ms
}

var lexicalQueries = [][]string{
	{"coffee"}, {"tea"}, {"green", "tea"}, {"coffee", "green", "tea", "photog"}, {"photo"}, {"zeta"}, {"zeta1"},
	{"agre"}, {"café"}, {"cafe"}, {"naïve"}, {"ærø"}, {"green tea"}, {"green", "green"}, {"nothing"}, {"e"},
	{"running"}, {"runs", "morning"}, {"billing", "migration", "deadline"}, {"happi"}, {"relat", "general"},
	{"deadline", "dead"}, {`"green" OR "x`, "NEAR(tea coffee)"},
}

// fts5Ranking is the exhaustive ranking FTS5's bm25() gives: every match
// scored, in one user's database (where its index-wide statistics are the
// user's).
func fts5Ranking(t *testing.T, db *DB, uid string, terms []string, limit int) []omi.Ranked {
	t.Helper()
	match := ftsMatch(uid, "{content}", terms)
	if match == "" {
		return nil
	}
	got, err := db.lexical(t.Context(), `SELECT m.id, -bm25(memories_fts, 0.0, 1.0) AS s
		FROM memories_fts JOIN memories m ON m.rowid = memories_fts.rowid
		WHERE memories_fts MATCH ? AND m.uid = ? AND (m.user_review IS NULL OR m.user_review = 1)
		ORDER BY s DESC, m.id LIMIT ?`, match, uid, limit)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func sameRanking(got, want []omi.Ranked) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i].ID != want[i].ID || math.Abs(got[i].Score-want[i].Score) > 1e-9*math.Max(1, math.Abs(want[i].Score)) {
			return false
		}
	}
	return true
}

// When every term's matches fit in the window, the bounded ranking is BM25
// exactly: FTS5's own bm25() over all matches, ties by id, rejected
// memories left out, prefixes, phrases and repeated words included.
func TestBoundedRankingIsExact(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "omi.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lexicalCorpus(t, db, "alice", 900, 1)
	for _, terms := range lexicalQueries {
		for _, limit := range []int{1, 7, 30, 1000} {
			want := fts5Ranking(t, db, "alice", terms, limit)
			got, err := db.SearchMemories(t.Context(), omi.SearchQuery{UID: "alice", Terms: terms, Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			if !sameRanking(got.Lexical, want) {
				t.Fatalf("%q limit %d:\n got %v\nwant %v", terms, limit, got.Lexical, want)
			}
			// The same through the windows, when they hold every match
			// (and the user's count is estimated, from dense rowids).
			windowed, err := db.rankMemories(t.Context(), "alice", terms, limit, 1_000_000, 100)
			if err != nil {
				t.Fatal(err)
			}
			if !sameRanking(windowed, want) {
				t.Fatalf("%q limit %d through windows:\n got %v\nwant %v", terms, limit, windowed, want)
			}
			if limit == 1000 && len(want) > 0 {
				// Ties exist and are ordered by id.
				for i := 1; i < len(want); i++ {
					if want[i].Score == want[i-1].Score && want[i].ID < want[i-1].ID {
						t.Fatalf("%q: tie out of id order", terms)
					}
				}
			}
		}
	}
	// The corpus does exercise ties and repeated words.
	r := fts5Ranking(t, db, "alice", []string{"coffee"}, 1000)
	ties := 0
	for i := 1; i < len(r); i++ {
		if r[i].Score == r[i-1].Score {
			ties++
		}
	}
	if ties < 10 || len(r) < 100 {
		t.Fatalf("%d matches, %d ties", len(r), ties)
	}
}

// Past the window, the candidates are each term's newest matches, and the
// counts BM25 needs are estimated from the rowids the windows span: close
// to the exact ones when a user's rows are evenly spread.
func TestBoundedRankingWindows(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "omi.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms := lexicalCorpus(t, db, "alice", 3000, 2)
	lexicalCorpus(t, db, "bob", 500, 3)
	ctx := t.Context()
	rowOf := map[string]int{}
	for i, m := range ms {
		rowOf[m.ID] = i
	}

	// Only the newest matches are candidates: with a window of 60 for one
	// term, every hit is among the 61 newest memories that have it.
	var newest []int
	for i := len(ms) - 1; i >= 0 && len(newest) < 61; i-- {
		if strings.Contains(" "+ms[i].Content+" ", " espresso ") {
			newest = append(newest, i)
		}
	}
	got, err := db.rankMemories(ctx, "alice", []string{"espresso"}, 1000, 60, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 {
		t.Fatal("no hits")
	}
	for _, h := range got {
		if !slices.Contains(newest, rowOf[h.ID]) {
			t.Fatalf("%s is not among the newest matches", h.ID)
		}
	}

	// The estimates: the user's count and a term's document frequency.
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	exact, err := readStats(ctx, tx, "alice", 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	est, err := readStats(ctx, tx, "alice", 300)
	if err != nil {
		t.Fatal(err)
	}
	if exact.n != 3000 || math.Abs(est.n-exact.n) > 0.15*exact.n {
		t.Fatalf("user count %v, estimated %v", exact.n, est.n)
	}
	match := userMatch("alice") + ` AND {content} : ("coffee")`
	all, err := readWindow(ctx, tx, match, math.MinInt64, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	w, err := readWindow(ctx, tx, match, math.MinInt64, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := float64(len(all.rowids))
	if e := spread(len(w.rowids), w.lo, exact.minID, exact.maxID); !all.complete || w.complete || math.Abs(e-n) > 0.25*n {
		t.Fatalf("coffee in %v memories, estimated %v", n, e)
	}

	// Bounded or not, only alice's visible memories rank.
	for _, terms := range lexicalQueries {
		for _, window := range []int{10, 100, 100000} {
			got, err := db.rankMemories(ctx, "alice", terms, 50, window, 100)
			if err != nil {
				t.Fatal(err)
			}
			for i, h := range got {
				j, ok := rowOf[h.ID]
				if !ok || ms[j].UserReview != nil && !*ms[j].UserReview {
					t.Fatalf("%q: %s ranked", terms, h.ID)
				}
				if i > 0 && (h.Score > got[i-1].Score || h.Score == got[i-1].Score && h.ID < got[i-1].ID) {
					t.Fatalf("%q: out of order at %d: %v", terms, i, got)
				}
			}
		}
	}
}

// A user who wrote nearly all of the recent rows reads windows without the
// user key: the other users' rows in them are dropped, never ranked or
// counted, and complete windows rank as exactly as keyed ones.
func TestBoundedRankingGlobalWindows(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "omi.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lexicalCorpus(t, db, "bob", 300, 5)
	ms := lexicalCorpus(t, db, "alice", 3000, 6)
	lexicalCorpus(t, db, "carol", 10, 7)
	ctx := t.Context()
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	st, err := readStats(ctx, tx, "alice", 100)
	tx.Rollback()
	if err != nil || st.share < globalShare || st.share > 0.95 {
		t.Fatalf("alice's share %v, %v", st.share, err)
	}
	mine := map[string]bool{}
	for _, m := range ms {
		mine[m.ID] = m.UserReview == nil || *m.UserReview
	}
	defer func(s float64) { globalShare = s }(globalShare)
	for _, terms := range lexicalQueries {
		for _, window := range []int{50, 1_000_000} {
			globalShare = 0.8
			global, err := db.rankMemories(ctx, "alice", terms, 40, window, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range global {
				if !mine[h.ID] {
					t.Fatalf("%q: %s ranked for alice", terms, h.ID)
				}
			}
			if window < 1000 {
				continue
			}
			globalShare = 2
			keyed, err := db.rankMemories(ctx, "alice", terms, 40, window, 100)
			if err != nil {
				t.Fatal(err)
			}
			if !sameRanking(global, keyed) {
				t.Fatalf("%q: without the key\n%v\nwith it\n%v", terms, global, keyed)
			}
		}
	}
}

// A prefix ranks the same whichever way it is read: as the index terms it
// begins (few of them, each stemming to itself), or as an FTS5 prefix
// query.
func TestPrefixExpression(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "omi.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lexicalCorpus(t, db, "alice", 400, 4)
	tx, err := db.r.BeginTx(t.Context(), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for term, want := range map[string]string{
		"photog": `"photog" OR "photograph" OR "photographi"`, // photographer stems to photograph
		"photo":  `"photo" OR "photograph" OR "photographi"`,
		"runn":   `"runn"`,
		"zeta":   `"zeta"*`, // twenty terms: FTS5's prefix query
		"café":   `"café"*`, // beyond ASCII
		"agre":   `"agre"*`, // agre is stemmed on to agr: it cannot be quoted
		"tea":    `"tea"`,   // too short for a prefix
	} {
		got, err := phraseExpr(t.Context(), tx, lexPhrases([]string{term})[0])
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: %s, want %s", term, got, want)
		}
	}
}

// The migration to the one-token user key keeps what was indexed before
// it: memories and conversations still found, each only by its user.
func TestUserKeyMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "omi.db")
	raw, err := sql.Open("sqlite", dsn(path, "_pragma=journal_mode(WAL)"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, raw, mustSub(migrations, "migrations"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO memories (uid, id, content, category, visibility, tags, created_at, updated_at, manually_added, scoring, reviewed, user_review, edited)
			VALUES ('alice', 'a1', 'Alice drinks green tea', 'core', 'private', '[]', 1, 1, 0, '', 0, NULL, 0),
			       ('alice', 'a2', 'Alice rejected this tea memory', 'core', 'private', '[]', 2, 2, 0, '', 1, 0, 0),
			       ('alice-b', 'b1', 'Someone else drinks green tea', 'core', 'private', '[]', 3, 3, 0, '', 0, NULL, 0),
			       ('alice b', 'b2', 'Yet another tea drinker', 'core', 'private', '[]', 4, 4, 0, '', 0, NULL, 0)`,
		`INSERT INTO conversations (uid, id, created_at, title, overview, transcript_segments)
			VALUES ('alice', 'c1', 1, 'Tea tasting', 'Oolong and sencha', '[{"text":"the kettle whistles"}]'),
			       ('alice b', 'c2', 2, 'Tea for two', '', '[]')`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()

	db, err := Open(ctx, path) // runs 00008
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	search := func(uid string, terms ...string) (string, string) {
		t.Helper()
		m, err := db.SearchMemories(ctx, omi.SearchQuery{UID: uid, Terms: terms, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		c, err := db.SearchConversations(ctx, omi.SearchQuery{UID: uid, Terms: terms, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		ids := func(rs []omi.Ranked) string {
			var s []string
			for _, r := range rs {
				s = append(s, r.ID)
			}
			return strings.Join(s, " ")
		}
		return ids(m.Lexical), ids(c.Lexical)
	}
	for _, c := range []struct{ uid, terms, memories, conversations string }{
		{"alice", "tea", "a1", "c1"},
		{"alice", "kettle", "", "c1"},
		{"alice-b", "green", "b1", ""},
		{"alice b", "tea", "b2", "c2"},
		{"carol", "tea", "", ""},
	} {
		m, cv := search(c.uid, strings.Fields(c.terms)...)
		if m != c.memories || cv != c.conversations {
			t.Errorf("%s %q: memories %q conversations %q, want %q %q", c.uid, c.terms, m, cv, c.memories, c.conversations)
		}
	}
	// Written after the migration, through the new triggers.
	if err := db.CreateMemories(ctx, []*omi.Memory{omi.NewMemory("a3", "alice", "More green tea", nil, nil, nil, time.Unix(5, 0))}); err != nil {
		t.Fatal(err)
	}
	if m, _ := search("alice", "green"); m != "a1 a3" && m != "a3 a1" {
		t.Fatalf("after a new memory: %q", m)
	}
	// And back down and up again.
	p, err = goose.NewProvider(goose.DialectSQLite3, db.w, mustSub(migrations, "migrations"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if m, c := search("alice", "tea"); m != "a1 a3" && m != "a3 a1" || c != "c1" {
		t.Fatalf("after down and up: %q %q", m, c)
	}
}

func TestUserKey(t *testing.T) {
	// One token, unchanged by the tokenizer but for case, for any uid.
	for _, uid := range []string{"alice", "bench-user-0000", "a b", "a-b", "ünï", `x" OR "y`, strings.Repeat("z", 200), ""} {
		k := userKey(uid)
		var toks []string
		tokenize([]byte(k), nil, func(tok []byte) { toks = append(toks, string(stem(slices.Clone(tok)))) })
		if len(toks) != 1 || toks[0] != strings.ToLower(k) {
			t.Errorf("%q: key %q tokenizes to %q", uid, k, toks)
		}
	}
	if userKey("a-b") == userKey("a b") {
		t.Fatal("two uids share a key")
	}
}

func TestSQLiteVarint(t *testing.T) {
	for _, c := range []struct {
		b []byte
		v uint64
		n int
	}{
		{[]byte{0x05}, 5, 1}, {[]byte{0x81, 0x00}, 128, 2}, {[]byte{0x82, 0x81, 0x01}, 2<<14 | 1<<7 | 1, 3},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, math.MaxUint64, 9}, {[]byte{0x81}, 0, 0}, {nil, 0, 0},
	} {
		if v, n := sqliteVarint(c.b); v != c.v || n != c.n {
			t.Errorf("%x: %d %d, want %d %d", c.b, v, n, c.v, c.n)
		}
	}
}
