package sqlite

import (
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// ftsTokens is what FTS5's index holds for each text: its terms in order,
// read back through an fts5vocab table.
func ftsTokens(t *testing.T, texts []string) [][]string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "tok.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'porter unicode61 remove_diacritics 2')`,
		`CREATE VIRTUAL TABLE v USING fts5vocab(t, instance)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range texts {
		if _, err := tx.Exec(`INSERT INTO t (rowid, x) VALUES (?, ?)`, i+1, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`SELECT doc, "offset", term FROM v`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type inst struct {
		off  int
		term string
	}
	byDoc := make([][]inst, len(texts))
	for rows.Next() {
		var doc, off int
		var term string
		if err := rows.Scan(&doc, &off, &term); err != nil {
			t.Fatal(err)
		}
		byDoc[doc-1] = append(byDoc[doc-1], inst{off, term})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	out := make([][]string, len(texts))
	for i, is := range byDoc {
		slices.SortFunc(is, func(a, b inst) int { return a.off - b.off })
		out[i] = []string{}
		for _, x := range is {
			out[i] = append(out[i], x.term)
		}
	}
	return out
}

func goTokens(s string) []string {
	out := []string{}
	tokenize([]byte(s), nil, func(tok []byte) { out = append(out, string(stem(slices.Clone(tok)))) })
	return out
}

// corpusWords is English from the repository's own text (documentation,
// comments, the search evaluation set) and words built to reach every
// stemming rule.
func corpusWords(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	var words []string
	add := func(w string) {
		if !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if ext := filepath.Ext(path); d.IsDir() || ext != ".md" && ext != ".go" && ext != ".json" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, w := range strings.FieldsFunc(string(b), func(r rune) bool {
			return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
		}) {
			add(strings.ToLower(w))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	stems := []string{"rel", "gener", "happ", "hop", "agre", "fil", "tann", "cr", "y", "sky", "bo", "ab", "fizz", "condit",
		"digit", "sens", "ration", "form", "hope", "plaster", "conflat", "troubl", "siz", "fail", "control", "roll",
		"tri", "feu", "ii", "yy", "ye", "oy", "ey", "ay", "by", "syzyg", "rhythm", "a", "e", "o", "u", "b"}
	suffixes := []string{"", "s", "es", "sses", "ies", "ss", "eed", "ed", "ing", "at", "ated", "ating", "bl", "bled",
		"iz", "ized", "y", "ly", "ily", "ational", "tional", "enci", "anci", "izer", "logi", "bli", "alli", "entli",
		"eli", "ousli", "ization", "ation", "ator", "alism", "iveness", "fulness", "ousness", "aliti", "iviti", "biliti",
		"icate", "ative", "alize", "iciti", "ical", "ful", "ness", "al", "ance", "ence", "er", "ic", "able", "ible",
		"ant", "ement", "ment", "ent", "ion", "sion", "tion", "ou", "ism", "ate", "iti", "ous", "ive", "ize", "e", "le",
		"ll", "ell", "ally", "ingly", "edly", "nesses", "ments", "ities"}
	for _, s := range stems {
		for _, x := range suffixes {
			add(s + x)
			for _, y := range []string{"", "s", "ed", "ing", "ly", "ness"} {
				add(s + x + y)
			}
		}
	}
	return words
}

// The tokenizer and stemmer here must give FTS5's terms: every word of the
// corpus, one per row and in sentences, and text around ASCII's edges.
func TestTokenizerMatchesFTS5(t *testing.T) {
	words := corpusWords(t)
	if len(words) < 5000 {
		t.Fatalf("only %d corpus words", len(words))
	}
	texts := slices.Clone(words)
	for i := 0; i < len(words); i += 17 {
		texts = append(texts, strings.Join(words[i:min(i+17, len(words))], " "))
	}
	texts = append(texts,
		"Café au lait, NAÏVE façade; Ångström über straße", "ÀÁÂÃÄÅ àáâãäå ÇçÈÉÊËèéêë ÌÍÎÏìíîï ÑñÒÓÔÕÖòóôõö ÙÚÛÜùúûü Ýýÿ",
		"ĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽž",
		"e\u0301cole re\u0301sume\u0301", "x1 2y 3.14 1,000 a_b a-b a'b a\"b", "MiXeD CaSe WORDS Running RUNS",
		"tab\there\nnewline\r\nend", "日本語 テキスト", "Ελληνικά κείμενα", "Русский текст", "emoji 🍵 tea",
		strings.Repeat("x", 70)+" "+strings.Repeat("ab", 40), "a ab abc abcd",
	)
	want := ftsTokens(t, texts)
	bad := 0
	for i, s := range texts {
		if got := goTokens(s); !slices.Equal(got, want[i]) {
			if bad++; bad <= 20 {
				t.Errorf("%q: tokens %q, FTS5 %q", s, got, want[i])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d texts tokenized unlike FTS5", bad, len(texts))
	}
	t.Logf("%d words, %d texts", len(words), len(texts))
}

func TestStemExamples(t *testing.T) {
	for w, want := range map[string]string{
		"caresses": "caress", "ponies": "poni", "cats": "cat", "feed": "feed", "agreed": "agre", "plastered": "plaster",
		"motoring": "motor", "sing": "sing", "conflated": "conflat", "hopping": "hop", "filing": "file", "happy": "happi",
		"relational": "relat", "generalization": "gener", "photography": "photographi", "running": "run", "deadline": "deadlin",
		"coffee": "coffe", "ab": "ab",
	} {
		if got := string(stem([]byte(w))); got != want {
			t.Errorf("stem(%q) = %q, want %q", w, got, want)
		}
	}
}

// FuzzTokenizer holds the tokenizer and stemmer to FTS5's on any ASCII
// text (beyond ASCII, folding is only close to SQLite's: see ftstext.go).
func FuzzTokenizer(f *testing.F) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(f.TempDir(), "tok.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		`CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'porter unicode61 remove_diacritics 2')`,
		`CREATE VIRTUAL TABLE v USING fts5vocab(t, instance)`,
	} {
		if _, err := db.Exec(q); err != nil {
			f.Fatal(err)
		}
	}
	for _, s := range []string{"", "running runs ran", "agreed generalization happily", "a1b2 C3 x_y", "sss ies eed yy"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		s = strings.Map(func(r rune) rune {
			if r >= 0x80 {
				return -1
			}
			return r
		}, s)
		if _, err := db.Exec(`INSERT INTO t (rowid, x) VALUES (1, ?)`, s); err != nil {
			t.Fatal(err)
		}
		defer db.Exec(`DELETE FROM t WHERE rowid = 1`)
		rows, err := db.Query(`SELECT term FROM v WHERE doc = 1 ORDER BY "offset"`)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{}
		for rows.Next() {
			var term string
			if err := rows.Scan(&term); err != nil {
				t.Fatal(err)
			}
			want = append(want, term)
		}
		rows.Close()
		if got := goTokens(s); !slices.Equal(got, want) {
			t.Fatalf("%q: tokens %q, FTS5 %q", s, got, want)
		}
	})
}
