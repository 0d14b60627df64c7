package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/api"
	"github.com/omi-devapi/omi-devapi/apitest"
	"github.com/omi-devapi/omi-devapi/auth"
	"github.com/omi-devapi/omi-devapi/httpapi"
	"github.com/omi-devapi/omi-devapi/postgres/pgtest"
	"github.com/omi-devapi/omi-devapi/search"
)

// contractQuery returns the query parameters the served contract declares
// for each operation, keyed "METHOD /path" as the route table is.
func contractQuery(t *testing.T) map[string][]string {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(api.Spec(), &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var op struct {
				Parameters []struct {
					In   string `json:"in"`
					Name string `json:"name"`
				} `json:"parameters"`
			}
			if json.Unmarshal(raw, &op) != nil {
				continue
			}
			for _, p := range op.Parameters {
				if p.In == "query" {
					k := strings.ToUpper(method) + " " + path
					out[k] = append(out[k], p.Name)
				}
			}
		}
	}
	return out
}

// Hostile values replace one value of a valid body. rejectedValues are not
// JSON at all, so every route must refuse them (tried at one place per
// route: where the parser meets them hardly matters). typeValues go
// everywhere; stringValues into a route's first few strings. Those may be
// valid somewhere (an SQL injection string is a fine memory), so the rule
// for them is only: a 4xx changes nothing, and nothing is a 5xx.
var (
	rejectedValues = []string{
		`NaN`, `Infinity`, `-Infinity`, `nan`, `undefined`, `'single'`, `0x10`, `+1`, `.5`, `01`,
		"\"raw \x00 NUL\"", "\"bad \xff\xfe UTF-8\"", "\"\xc3\x28\"", "\"unterminated",
		strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000),
		strings.Repeat(`{"a":`, 50_000) + "1" + strings.Repeat("}", 50_000),
	}
	typeValues = []string{
		`null`, `true`, `0`, `-1`, `3.5`, `1e400`, `-1e400`, `123456789012345678901234567890`, `-9223372036854775809`,
		`""`, `{}`, `[]`, `"\u0000"`, `"` + strings.Repeat("x", 100_001) + `"`, `"' OR '1'='1' --"`,
	}
	stringValues = []string{
		`"   "`, `[null]`, `{"$gt": ""}`, `[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]`, `1.7976931348623157e308`, `5e-324`, `-0`,
		`"a\u0000b"`, `"\ud800"`, `"\udfff\ud800"`, `"\u202e\ufeff"`, `"🍵🍵🍵"`,
		`"1; DROP TABLE memories; --"`, `"\" OR 1=1 --"`, `"Robert'); DELETE FROM api_keys;--"`,
		`"\" OR content:* NEAR(a b) ^x* AND uid:*"`, `"* OR -x {uid} : *"`,
		`"../../../../etc/passwd"`, `"..%2F..%2Fkeys"`, `"%00"`, `"<script>alert(1)</script>"`, `"${jndi:ldap://x}"`,
		`"2024-13-45T25:61:61Z"`, `"0000-00-00"`, `"9999-12-31T23:59:59.999999Z"`, `"-0001-01-01T00:00:00Z"`,
		`"1e400"`, `"NaN"`, `"Infinity"`, `99999999999999`,
	}
)

// stringLeaves is how many of a route's string values get stringValues.
const stringLeaves = 1

const placeholder = "@@HOSTILE@@"

// jsonPaths lists every value's path in v (keys and indexes), containers
// included, the root excluded.
func jsonPaths(v any, prefix []any) [][]any {
	var out [][]any
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := append(slices.Clone(prefix), k)
			out = append(out, p)
			out = append(out, jsonPaths(x[k], p)...)
		}
	case []any:
		if len(x) > 0 {
			p := append(slices.Clone(prefix), 0)
			out = append(out, p)
			out = append(out, jsonPaths(x[0], p)...)
		}
	}
	return out
}

// valueAt returns the generic JSON value at path in body.
func valueAt(body any, path []any) any {
	var v any
	b, _ := json.Marshal(body)
	json.Unmarshal(b, &v)
	for _, k := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[k.(string)]
		case []any:
			v = x[k.(int)]
		}
	}
	return v
}

// withValue returns body (generic JSON) with the value at path replaced by
// raw JSON text (which need not be valid JSON), or removed when raw is "".
func withValue(t *testing.T, body any, path []any, raw string) []byte {
	t.Helper()
	var v any
	b, _ := json.Marshal(body)
	json.Unmarshal(b, &v)
	var set func(cur any, i int) any
	set = func(cur any, i int) any {
		switch x := cur.(type) {
		case map[string]any:
			k := path[i].(string)
			if i == len(path)-1 {
				if raw == "" {
					delete(x, k)
				} else {
					x[k] = placeholder
				}
			} else {
				x[k] = set(x[k], i+1)
			}
		case []any:
			j := path[i].(int)
			if i == len(path)-1 {
				if raw == "" {
					return append(x[:j:j], x[j+1:]...)
				}
				x[j] = placeholder
			} else {
				x[j] = set(x[j], i+1)
			}
		}
		return cur
	}
	v = set(v, 0)
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Replace(out, []byte(`"`+placeholder+`"`), []byte(raw), 1)
}

// hostile runs requests and enforces the corpus's rules: never a 5xx (the
// harness fails those, and checks every error's FastAPI shape), a 4xx where
// one is required, and nothing written by a rejected request.
type hostile struct {
	t     *testing.T
	e     *env
	w     *writeWatch
	count int
	// storeOnly leaves out what never reaches a store (syntax errors,
	// oversized bodies): for running the corpus on another store.
	storeOnly bool
}

// send does req; mustReject says only a 4xx will do.
func (h *hostile) send(what string, req apitest.Request, mustReject bool) *apitest.Response {
	h.t.Helper()
	h.count++
	resp := h.e.h.Do(req)
	switch {
	case resp.Status >= 400 && resp.Status < 500:
		h.w.unchanged(h.t, what)
	case mustReject:
		h.t.Errorf("%s: %d, want a 4xx: %s", what, resp.Status, truncate(string(resp.Body)))
		h.w.rebase()
	default:
		h.w.rebase()
	}
	return resp
}

// TestHostileInput drives every route with a body or query through a
// corpus of malformed, mistyped, oversized and injected input, and every
// route with an id through hostile ids, on the SQLite store.
func TestHostileInput(t *testing.T) {
	hostileInput(t, setup(t, withProcessor(echo{}), quietKeys(t)), false)
}

// TestHostileInputPostgres runs the corpus on the PostgreSQL store, which
// refuses some text SQLite keeps (NUL, invalid UTF-8): those must be 4xx
// there too, never 500. Writes are not watched here.
func TestHostileInputPostgres(t *testing.T) {
	hostileInput(t, setupPostgres(t, withProcessor(echo{})), true)
}

func hostileInput(t *testing.T, e *env, storeOnly bool) {
	routes := apiRoutes(t, e.srv)
	params := contractQuery(t)
	a := e.makeFixture("hostile-a")
	h := &hostile{t: t, e: e, w: e.watchWrites(), storeOnly: storeOnly}
	for _, p := range routes {
		tmpl := routeTemplates[p]
		f := a
		if tmpl.id != "" {
			// Rows of their own: PATCH and DELETE may consume them.
			f = e.makeFixture("hostile-" + randHex(3))
			h.w.rebase()
		}
		base := request(p, f.ids[tmpl.id], f.credFor(p))
		if resp := e.h.Do(base); resp.Status == http.StatusServiceUnavailable {
			t.Logf("%s: skipped, the server answers 503 %s", p, resp.Body)
			continue
		}
		h.w.rebase()
		if tmpl.id != "" && strings.HasPrefix(p, "DELETE ") {
			f = e.makeFixture("hostile-" + randHex(3))
			h.w.rebase()
			base = request(p, f.ids[tmpl.id], f.credFor(p))
		}
		pathOnly, _, _ := strings.Cut(base.Path, "?")

		if tmpl.body != nil {
			bodyAttacks(h, p, base, tmpl)
		}
		if q := params[p]; len(q) > 0 {
			queryAttacks(h, p, base, pathOnly, tmpl, q)
		}
		if tmpl.id != "" {
			idAttacks(h, p, base, tmpl)
		}
	}
	t.Logf("%d hostile requests over %d routes", h.count, len(routes))
}

// setupPostgres is setup on a fresh PostgreSQL schema (skipping the test
// when OMI_TEST_POSTGRES_DSN is unset). It has no SQLite file to watch.
func setupPostgres(t *testing.T, opts ...option) *env {
	t.Helper()
	db := pgtest.Open(t)
	c := &clock{now: time.Now()}
	signer, err := auth.LoadOrCreateSigner(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	store := &countingStore{KeyStore: db}
	log := slog.New(slog.DiscardHandler)
	keys := auth.NewKeys(store, auth.KeysConfig{}, c.Now, log, nil)
	t.Cleanup(func() { keys.Close(context.Background()) })
	d := httpapi.Deps{Logger: log, Keys: keys, Tokens: signer, Ready: []httpapi.Pinger{db}, Now: c.Now,
		Memories: db, ActionItems: db, Conversations: db, Goals: db, Folders: db}
	if ss, ok := any(db).(omi.SearchStore); ok {
		d.Search = search.NewEngine(search.Engine{Store: ss, Embedder: search.NewHashing(0), Conversations: db, Logger: log})
	}
	for _, o := range opts {
		o(&d)
	}
	srv := httpapi.NewServer(d)
	srv.AddProbe(omi.ScopeMemoriesRead)
	return &env{t: t, h: apitest.New(t, srv), keys: keys, signer: signer, store: store, clock: c, srv: srv}
}

func bodyAttacks(h *hostile, p string, base apitest.Request, tmpl routeTemplate) {
	t := h.t
	valid, _ := json.Marshal(tmpl.body)
	whole := []string{
		"", " ", "{", "}", "[", "{\"", `{"a":`, `{"a":1,}`, `{'a': 1}`, `{"a" 1}`, "null", "true", "0", `"string"`, "[]", "[{}]",
		"NaN", "Infinity", string(valid[:len(valid)/2]), string(valid) + "}", string(valid) + string(valid),
		string(valid[:len(valid)-1]) + `,}`, "\xef\xbb\xbf\xef\xbb\xbf" + string(valid), "\xff\xfe" + string(valid),
		string(bytes.Replace(valid, []byte(`"`), []byte("\x00\""), 1)),
		strings.Repeat("[", 200_000), strings.Repeat(`{"a":`, 100_000),
		strings.Repeat(" ", 1<<20) + "{",
	}
	rejected := rejectedValues
	paths := jsonPaths(tmpl.body, nil)
	if h.storeOnly {
		whole, rejected = nil, nil
	}
	for i, raw := range whole {
		req := base
		req.Body = []byte(raw)
		h.send(fmt.Sprintf("%s whole body #%d %q", p, i, clip(raw)), req, true)
	}
	for _, raw := range rejected {
		req := base
		req.Body = withValue(t, tmpl.body, paths[0], raw)
		h.send(fmt.Sprintf("%s %v=%q", p, paths[0], clip(raw)), req, true)
	}
	strs := 0
	for _, path := range paths {
		values := append(slices.Clone(typeValues), "") // "" removes the field
		if _, ok := valueAt(tmpl.body, path).(string); ok && strs < stringLeaves {
			strs++
			values = append(values, stringValues...)
		}
		if _, ok := valueAt(tmpl.body, path).([]any); ok {
			values = append(values, "["+strings.Repeat(`"x",`, 10_000)+`"x"]`) // far too many
		}
		for _, raw := range values {
			req := base
			req.Body = withValue(t, tmpl.body, path, raw)
			h.send(fmt.Sprintf("%s %v=%q", p, path, clip(raw)), req, false)
		}
	}

	if h.storeOnly {
		return
	}
	// 10 MB, declared up front (refused before it is read) and streamed
	// without a length (refused when the cap is reached).
	big := tenMB()
	req := base
	req.Body = big
	if resp := h.send(p+" 10 MB body", req, true); resp.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("%s 10 MB body: %d, want 413", p, resp.Status)
	}
	streamed(h, p, base, big)
}

// tenMB is a 10 MB body, valid JSON, made once.
var tenMB = sync.OnceValue(func() []byte {
	return []byte(`{"content":"` + strings.Repeat("a", 10<<20) + `","text":"x","name":"x","question":"x","title":"x","description":"x"}`)
})

// streamed sends body chunked (no Content-Length), around the harness,
// which always sends a length; it checks the same rules itself.
func streamed(h *hostile, p string, base apitest.Request, body []byte) {
	t := h.t
	h.count++
	hr, _ := http.NewRequest(base.Method, h.e.h.Server.URL+base.Path, io.MultiReader(bytes.NewReader(body)))
	hr.ContentLength = -1
	hr.Header.Set("Authorization", "Bearer "+base.Token)
	hr.Header.Set("Content-Type", "application/json")
	resp, err := h.e.h.Server.Client().Do(hr)
	if err != nil {
		t.Errorf("%s streamed 10 MB: %v", p, err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var d map[string]any
	if resp.StatusCode != http.StatusRequestEntityTooLarge || json.Unmarshal(b, &d) != nil || len(d) != 1 || d["detail"] == nil {
		t.Errorf("%s streamed 10 MB: %d %s, want 413 {\"detail\": ...}", p, resp.StatusCode, clip(string(b)))
	}
	h.w.unchanged(t, p+" streamed 10 MB")
}

func queryAttacks(h *hostile, p string, base apitest.Request, pathOnly string, tmpl routeTemplate, names []string) {
	t := h.t
	// The template's valid query, with one parameter replaced.
	valid := map[string]string{}
	for _, kv := range strings.Split(tmpl.query, "&") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			valid[k] = v
		}
	}
	build := func(name, value string) string {
		var parts []string
		for _, k := range names {
			switch {
			case k == name:
				parts = append(parts, k+"="+value)
			case valid[k] != "":
				parts = append(parts, k+"="+valid[k])
			}
		}
		return pathOnly + "?" + strings.Join(parts, "&")
	}
	values := []string{
		"-1", "abc", "NaN", "-inf", "1e400", "99999999999999999999999", "1.5", "", "%00", "%ff%fe",
		"%", "%zz", "'%20OR%201=1--", "%22%20OR%20content:*%20NEAR(a)", strings.Repeat("a", 20_000), "2024-13-45",
		"-0001-01-01T00:00:00Z", "[]", "..%2F..%2F", "%2B1",
	}
	for _, name := range names {
		for _, v := range values {
			req := base
			req.Path = build(name, v)
			h.send(fmt.Sprintf("%s ?%s=%s", p, name, clip(v)), req, false)
		}
		// Repeated and empty names.
		req := base
		req.Path = build(name, "1") + "&" + name + "=2&" + name + "=&=x&&"
		h.send(p+" repeated "+name, req, false)
	}
	if slices.Contains(names, "limit") {
		for _, v := range []string{"-1", "-9999999999"} {
			req := base
			req.Path = build("limit", v)
			resp := h.send(p+" limit="+v, req, true)
			wantLoc(t, p, resp, "[query limit]")
		}
		req := base
		req.Path = build("limit", "1000000000")
		resp := h.send(p+" huge limit", req, false)
		switch {
		case tmpl.clamp > 0:
			if resp.Status != 200 || resp.Header.Get("X-Applied-Limit") != strconv.Itoa(tmpl.clamp) {
				t.Errorf("%s limit=1000000000: %d, X-Applied-Limit %q; want 200 clamped to %d", p, resp.Status, resp.Header.Get("X-Applied-Limit"), tmpl.clamp)
			}
			req.Path = build("limit", "0")
			if resp := h.send(p+" limit=0", req, false); resp.Status != 200 || resp.Header.Get("X-Applied-Limit") != "1" {
				t.Errorf("%s limit=0: %d, X-Applied-Limit %q; want 200 clamped to 1", p, resp.Status, resp.Header.Get("X-Applied-Limit"))
			}
		case resp.Status != 422:
			// The contract bounds this limit: out of range is refused.
			t.Errorf("%s limit=1000000000: %d, want 422 (or a clamp declared in routeTemplates)", p, resp.Status)
		}
	}
	if slices.Contains(names, "offset") {
		req := base
		req.Path = build("offset", "-1")
		resp := h.send(p+" offset=-1", req, true)
		wantLoc(t, p, resp, "[query offset]")
	}
}

func wantLoc(t *testing.T, p string, resp *apitest.Response, loc string) {
	t.Helper()
	if resp.Status != 422 {
		return // already reported
	}
	if got, _ := field(t, resp.Body); got != loc {
		t.Errorf("%s: 422 at %s, want %s", p, got, loc)
	}
}

func idAttacks(h *hostile, p string, base apitest.Request, tmpl routeTemplate) {
	ids := []string{
		strings.Repeat("a", 8000), "%00", "a%00b", "%ff%fe", "%c3%28", "%e2%80%ae",
		"..%2F..%2Fkeys", "..%2f..%2f..%2f..%2fetc%2fpasswd", "%2e%2e", "..", ".", "a%2Fb", "%5C..%5C",
		"'%20OR%20'1'='1", "1%3B%20DROP%20TABLE%20memories", "*", "%25", "%20", "null",
		"00000000-0000-0000-0000-000000000000", "%7Buid%7D",
	}
	for _, id := range ids {
		req := base
		_, rest, _ := strings.Cut(base.Path, "?")
		_, req.Path = routePath(p, id)
		if rest != "" {
			req.Path += "?" + rest
		}
		resp := h.send(fmt.Sprintf("%s id %q", p, clip(id)), req, true)
		if resp.Status != http.StatusNotFound {
			h.t.Errorf("%s id %q: %d, want 404: %s", p, clip(id), resp.Status, truncate(string(resp.Body)))
		}
	}
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + fmt.Sprintf("...(%d bytes)", len(s))
	}
	return s
}
