package httpapi_test

// The security matrices are generated from the server's own route table
// (Server.Patterns): a route added to routes.go without an entry in
// routeTemplates fails TestEveryRouteHasTemplate, and every matrix below
// covers it as soon as it has one.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/apitest"
	"github.com/omi-devapi/omi-devapi/auth"
	"github.com/omi-devapi/omi-devapi/httpapi"
)

// routeTemplate says how to call one route validly, so the matrices can
// call it with the wrong credentials, the wrong user or hostile input and
// know that only that is wrong.
type routeTemplate struct {
	// id names the fixture whose id fills the path parameter ("" for none).
	id string
	// query is a valid query string, without '?'.
	query string
	// body is a valid body (nil for none).
	body any
	// list marks routes answering the caller's rows (lists, searches).
	list bool
	// clamp is the limit a huge ?limit= is clamped to (and reported in
	// X-Applied-Limit); 0 where the route takes no limit or refuses one out
	// of range.
	clamp int
	// offset marks routes taking ?offset=.
	offset bool
}

// fixtureKinds are the ids a fixture holds.
const (
	fxMemory       = "memory"
	fxActionItem   = "action_item"
	fxConversation = "conversation"
	fxGoal         = "goal"
	fxFolder       = "folder"
	fxKey          = "key"
)

// routeTemplates covers every route the server registers under /v1/dev/user
// and /v1/dev/keys (and the spec's routes before they land).
var routeTemplates = map[string]routeTemplate{
	"GET /v1/dev/keys":             {list: true},
	"POST /v1/dev/keys":            {body: map[string]any{"name": "template key", "scopes": []string{"memories:read"}, "expires_at": "2099-01-01T00:00:00Z"}},
	"DELETE /v1/dev/keys/{key_id}": {id: fxKey},

	"GET /v1/dev/user/memories":  {list: true, query: "limit=10&offset=0&categories=interesting,system", clamp: 1000, offset: true},
	"POST /v1/dev/user/memories": {body: map[string]any{"content": "template memory about tea", "category": "interesting", "visibility": "private", "tags": []string{"t"}}},
	"POST /v1/dev/user/memories/batch": {body: map[string]any{"memories": []any{
		map[string]any{"content": "template batch memory", "category": "system", "visibility": "public", "tags": []string{"t"}}}}},
	"GET /v1/dev/user/memories/{memory_id}":    {id: fxMemory},
	"PATCH /v1/dev/user/memories/{memory_id}":  {id: fxMemory, body: map[string]any{"content": "patched memory", "visibility": "public", "tags": []string{"x"}, "category": "system"}},
	"DELETE /v1/dev/user/memories/{memory_id}": {id: fxMemory},
	"GET /v1/dev/user/memories/vector/search":  {list: true, query: "query=tea&limit=5"},

	"GET /v1/dev/user/action-items":  {list: true, query: "completed=false&start_date=2000-01-01T00:00:00Z&limit=10&offset=0", clamp: 1000, offset: true},
	"POST /v1/dev/user/action-items": {body: map[string]any{"description": "template item", "completed": false, "due_at": "2030-01-01T00:00:00Z"}},
	"POST /v1/dev/user/action-items/batch": {body: map[string]any{"action_items": []any{
		map[string]any{"description": "template batch item", "completed": true, "due_at": "2030-01-02T00:00:00Z"}}}},
	"GET /v1/dev/user/action-items/{action_item_id}":    {id: fxActionItem},
	"PATCH /v1/dev/user/action-items/{action_item_id}":  {id: fxActionItem, body: map[string]any{"description": "patched item", "completed": true, "due_at": "2031-01-01T00:00:00Z"}},
	"DELETE /v1/dev/user/action-items/{action_item_id}": {id: fxActionItem},

	"GET /v1/dev/user/conversations": {list: true, query: "include_transcript=true&limit=10&offset=0&categories=other,work&starred=false", clamp: 25, offset: true},
	"POST /v1/dev/user/conversations": {body: map[string]any{
		"text": "We talked about tea. I need to buy green tea tomorrow.", "text_source": "other_text", "text_source_spec": "notes",
		"started_at": "2026-01-01T10:00:00Z", "finished_at": "2026-01-01T10:05:00Z", "language": "en",
		"geolocation": map[string]any{"latitude": 48.85, "longitude": 2.35, "address": "Paris"}}},
	"POST /v1/dev/user/conversations/from-segments": {body: map[string]any{
		"transcript_segments": []any{map[string]any{"text": "Let us talk about tea.", "speaker": "SPEAKER_01", "speaker_id": 1, "is_user": true, "start": 0, "end": 1.5}},
		"started_at":          "2026-01-02T10:00:00Z", "language": "en", "source": "phone", "client_session_id": "template-session"}},
	"GET /v1/dev/user/conversations/{conversation_id}":    {id: fxConversation, query: "include_transcript=true"},
	"PATCH /v1/dev/user/conversations/{conversation_id}":  {id: fxConversation, body: map[string]any{"title": "patched title", "discarded": false, "starred": true}},
	"DELETE /v1/dev/user/conversations/{conversation_id}": {id: fxConversation},
	"POST /v1/dev/user/ask":                               {list: true, body: map[string]any{"question": "What did I say about tea?", "limit": 3, "timezone": "Europe/Paris"}},

	"GET /v1/dev/user/goals": {list: true, query: "include_inactive=true&limit=10", clamp: 1000},
	"POST /v1/dev/user/goals": {body: map[string]any{"title": "template goal", "goal_type": "numeric", "target_value": 10, "current_value": 1,
		"min_value": 0, "max_value": 20, "unit": "km", "success_criteria": []string{"run"}, "desired_outcome": "fit", "why_it_matters": "health",
		"horizon_at": "2030-01-01T00:00:00Z"}},
	"GET /v1/dev/user/goals/{goal_id}":            {id: fxGoal},
	"PATCH /v1/dev/user/goals/{goal_id}":          {id: fxGoal, body: map[string]any{"title": "patched goal", "current_value": 2}},
	"DELETE /v1/dev/user/goals/{goal_id}":         {id: fxGoal},
	"PATCH /v1/dev/user/goals/{goal_id}/progress": {id: fxGoal, query: "current_value=3"},
	"GET /v1/dev/user/goals/{goal_id}/history":    {id: fxGoal, query: "days=30"},

	"GET /v1/dev/user/folders":                {list: true},
	"POST /v1/dev/user/folders":               {body: map[string]any{"name": "template folder", "description": "d", "color": "#112233", "icon": "x"}},
	"PATCH /v1/dev/user/folders/{folder_id}":  {id: fxFolder, body: map[string]any{"name": "patched folder", "description": "d2"}},
	"DELETE /v1/dev/user/folders/{folder_id}": {id: fxFolder},

	// Test-only: mounted by setup (AddProbe).
	"GET /v1/dev/user/_probe": {list: true},
}

// protected reports whether pattern is an API route that takes credentials,
// and which kind: an ID token (/v1/dev/keys*) or a developer key
// (/v1/dev/user/*).
func protected(pattern string) (ok, idToken bool) {
	_, path, _ := strings.Cut(pattern, " ")
	switch {
	case path == "/v1/dev/keys" || strings.HasPrefix(path, "/v1/dev/keys/"):
		return true, true
	case strings.HasPrefix(path, "/v1/dev/user/"):
		return true, false
	}
	return false, false
}

// apiRoutes returns the server's protected routes, sorted, failing the test
// for any without a template.
func apiRoutes(t *testing.T, srv *httpapi.Server) []string {
	t.Helper()
	var out []string
	for _, p := range srv.Patterns() {
		if ok, _ := protected(p); !ok {
			continue
		}
		if _, ok := routeTemplates[p]; !ok {
			t.Errorf("route %q has no entry in routeTemplates (httpapi/security_test.go): add how to call it validly", p)
			continue
		}
		out = append(out, p)
	}
	if len(out) < 20 {
		t.Fatalf("only %d protected routes registered: %v", len(out), srv.Patterns())
	}
	sort.Strings(out)
	return out
}

// TestEveryRouteHasTemplate: the matrices cannot forget a route.
func TestEveryRouteHasTemplate(t *testing.T) {
	e := setup(t)
	apiRoutes(t, e.srv)
}

// path fills pattern's path parameter with id (escaped as given: callers
// pass ids already escaped when they mean to).
func routePath(pattern, rawID string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	return method, regexp.MustCompile(`\{[a-z_]+\}`).ReplaceAllLiteralString(path, rawID)
}

// fixture is one user's data, one row of each kind with a marker no other
// user's data contains.
type fixture struct {
	uid    string
	marker string
	key    createdKey
	token  string
	ids    map[string]string
	// session is the client_session_id of the from-segments conversation.
	session string
}

// echo is a processor that keeps the text: the conversation's title,
// overview, derived action item and memory all carry it (and the marker).
type echo struct{}

func (echo) Process(_ context.Context, in omi.ProcessInput) (*omi.ProcessResult, error) {
	text := in.Text
	if len(text) > 200 {
		text = text[:200]
	}
	text = strings.ToValidUTF8(text, "")
	return &omi.ProcessResult{
		Structured: omi.Structured{Title: "About " + text, Overview: text, Emoji: "🍵", Category: "other",
			ActionItems: []omi.ConversationActionItem{{Description: "Follow up: " + text}}},
		Memories: []omi.ExtractedMemory{{Content: "Remember: " + text, Category: "system"}},
	}, nil
}

// makeFixture creates uid's key and one of everything, through the API.
func (e *env) makeFixture(uid string) *fixture {
	e.t.Helper()
	var b [6]byte
	rand.Read(b[:])
	f := &fixture{uid: uid, marker: "MARK" + strings.ToUpper(hex.EncodeToString(b[:])), ids: map[string]string{}}
	f.token = e.token(uid)
	f.key = e.key(uid)
	f.ids[fxKey] = f.key.ID
	f.session = "session-" + f.marker
	must := func(method, path string, body any) map[string]any {
		e.t.Helper()
		resp := e.do(method, path, f.key.Key, body)
		wantStatus(e.t, resp, http.StatusOK)
		var out map[string]any
		resp.Decode(e.t, &out)
		return out
	}
	f.ids[fxMemory] = must("POST", "/v1/dev/user/memories", map[string]any{"content": "tea " + f.marker, "tags": []string{f.marker}})["id"].(string)
	f.ids[fxActionItem] = must("POST", "/v1/dev/user/action-items", map[string]any{"description": "tea " + f.marker})["id"].(string)
	f.ids[fxFolder] = must("POST", "/v1/dev/user/folders", map[string]any{"name": "tea " + f.marker, "description": f.marker})["id"].(string)
	f.ids[fxGoal] = must("POST", "/v1/dev/user/goals", map[string]any{"title": "tea " + f.marker, "goal_type": "numeric", "target_value": 5, "current_value": 1})["id"].(string)
	f.ids[fxConversation] = must("POST", "/v1/dev/user/conversations/from-segments", map[string]any{
		"transcript_segments": []any{map[string]any{"text": "We talked about tea " + f.marker, "start": 0, "end": 2}},
		"client_session_id":   f.session,
	})["id"].(string)
	must("POST", "/v1/dev/user/conversations", map[string]any{"text": "Tea again " + f.marker})
	must("PATCH", "/v1/dev/user/conversations/"+f.ids[fxConversation], map[string]any{"folder_id": f.ids[fxFolder]})
	if resp := e.do("PATCH", "/v1/dev/user/goals/"+f.ids[fxGoal]+"/progress?current_value=2", f.key.Key, nil); resp.Status != 200 {
		e.t.Fatalf("goal progress: %d %s", resp.Status, resp.Body)
	}
	return f
}

// request builds the template's request for pattern with the given id.
func request(pattern, id, cred string) apitest.Request {
	tmpl := routeTemplates[pattern]
	method, path := routePath(pattern, url.PathEscape(id))
	if tmpl.query != "" {
		path += "?" + tmpl.query
	}
	return apitest.Request{Method: method, Path: path, Token: cred, Body: tmpl.body}
}

// credFor is the credential f uses on pattern: its ID token on the key
// routes, its key elsewhere.
func (f *fixture) credFor(pattern string) string {
	if _, idToken := protected(pattern); idToken {
		return f.token
	}
	return f.key.Key
}

// rowIDs returns the ids of every row uid owns, in any table.
func (e *env) rowIDs(uid string) []string {
	e.t.Helper()
	db := e.rawDB()
	var ids []string
	for _, table := range tables(e.t, db) {
		cols := columns(e.t, db, table)
		if !slices.Contains(cols, "uid") || !slices.Contains(cols, "id") {
			continue
		}
		ids = append(ids, queryStrings(e.t, db, `SELECT id FROM "`+table+`" WHERE uid = ?`, uid)...)
	}
	return ids
}

// TestTenantIsolationMatrix: every route, called by user B on user A's
// ids, answers 404 (or, for lists and searches, only B's rows) with nothing
// of A's in the body, and A's rows are exactly as they were.
func TestTenantIsolationMatrix(t *testing.T) {
	e := setup(t, withProcessor(echo{}))
	routes := apiRoutes(t, e.srv)
	a := e.makeFixture("tenant-a-" + strings.ToLower(randHex(4)))
	b := e.makeFixture("tenant-b-" + strings.ToLower(randHex(4)))
	aIDs := e.rowIDs(a.uid)
	if len(aIDs) < 8 {
		t.Fatalf("fixture made only %d rows: %v", len(aIDs), aIDs)
	}
	before := e.digest(a.uid)

	leaks := func(what string, body []byte) {
		t.Helper()
		s := string(body)
		for _, secret := range append([]string{a.marker, a.uid, a.key.Key}, aIDs...) {
			if strings.Contains(s, secret) {
				t.Errorf("%s: response leaks A's %q: %s", what, secret, truncate(s))
			}
		}
	}

	for _, p := range routes {
		tmpl := routeTemplates[p]
		req := request(p, a.ids[tmpl.id], b.credFor(p))
		if tmpl.id == "" {
			// No id to steal: B works on its own data (and must see only it).
			req = request(p, "", b.credFor(p))
		}
		resp := e.h.Do(req)
		switch {
		case tmpl.id != "":
			if resp.Status != http.StatusNotFound {
				t.Errorf("%s on A's %s as B: %d, want 404: %s", p, tmpl.id, resp.Status, resp.Body)
			}
			// The message is the one a missing id gets.
			missing := e.h.Do(request(p, "00000000-0000-7000-8000-000000000000", b.credFor(p)))
			if resp.Detail() != missing.Detail() {
				t.Errorf("%s: A's id answers %q, a missing id %q", p, resp.Detail(), missing.Detail())
			}
		case resp.Status != http.StatusOK:
			t.Errorf("%s as B: %d: %s", p, resp.Status, resp.Body)
		}
		leaks(p, resp.Body)
	}

	// Ids given in bodies and queries are the caller's too.
	refs := []struct {
		name     string
		req      apitest.Request
		statuses []int
	}{
		{"action items of A's conversation", apitest.Request{Method: "GET", Path: "/v1/dev/user/action-items?conversation_id=" + a.ids[fxConversation]}, []int{200}},
		{"conversations in A's folder", apitest.Request{Method: "GET", Path: "/v1/dev/user/conversations?folder_id=" + a.ids[fxFolder]}, []int{200, 404, 422}},
		{"move into A's folder", apitest.Request{Method: "PATCH", Path: "/v1/dev/user/conversations/" + b.ids[fxConversation],
			Body: map[string]any{"folder_id": a.ids[fxFolder]}}, []int{404, 422}},
		{"A's client session", apitest.Request{Method: "POST", Path: "/v1/dev/user/conversations/from-segments",
			Body: map[string]any{"client_session_id": a.session, "transcript_segments": []any{map[string]any{"text": "mine", "start": 0, "end": 1}}}}, []int{200}},
	}
	for _, r := range refs {
		r.req.Token = b.key.Key
		resp := e.h.Do(r.req)
		if !slices.Contains(r.statuses, resp.Status) {
			t.Errorf("%s: %d, want one of %v: %s", r.name, resp.Status, r.statuses, resp.Body)
		}
		if resp.Status == 200 && r.req.Method == "GET" && string(resp.Body) != "[]" {
			t.Errorf("%s: %s, want []", r.name, resp.Body)
		}
		leaks(r.name, resp.Body)
	}
	if got := e.getConversation(b.key.Key, b.ids[fxConversation], ""); got.FolderID != nil && *got.FolderID == a.ids[fxFolder] {
		t.Errorf("B's conversation was moved into A's folder")
	}

	if after := e.digest(a.uid); !maps(before, after) {
		t.Errorf("A's rows changed while B worked: %v", diffTables(before, after))
	}
	// And A still sees all of it.
	for kind, id := range a.ids {
		if kind == fxKey {
			continue
		}
		for _, p := range routes {
			if tmpl := routeTemplates[p]; tmpl.id == kind && strings.HasPrefix(p, "GET ") {
				resp := e.h.Do(request(p, id, a.credFor(p)))
				if resp.Status != 200 || (!strings.HasSuffix(p, "/history") && !strings.Contains(string(resp.Body), a.marker)) {
					t.Errorf("A's own %s: %d %s", p, resp.Status, truncate(string(resp.Body)))
				}
			}
		}
	}
}

// TestAuthenticationMatrix: every protected route refuses every kind of bad
// credential with 401 before doing anything.
func TestAuthenticationMatrix(t *testing.T) {
	e := setup(t, withProcessor(echo{}))
	routes := apiRoutes(t, e.srv)
	a := e.makeFixture("auth-a")

	// A key that worked, then was revoked (its positive cache entry must go).
	revoked := e.key(a.uid)
	wantStatus(t, e.do("GET", "/v1/dev/user/_probe", revoked.Key, nil), 200)
	wantStatus(t, e.do("DELETE", "/v1/dev/keys/"+revoked.ID, a.token, nil), 204)
	// A key that worked, then expired.
	resp := e.do("POST", "/v1/dev/keys", a.token, map[string]any{"name": "short-lived", "scopes": omi.AllScopes,
		"expires_at": e.clock.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	wantStatus(t, resp, 200)
	var expiring createdKey
	resp.Decode(t, &expiring)
	wantStatus(t, e.do("GET", "/v1/dev/user/_probe", expiring.Key, nil), 200)
	e.clock.Add(2 * time.Hour)

	good := a.key.Key
	badChecksum := good[:len(good)-1] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", good[len(good)-1])+1)%16])
	unknown, _ := auth.NewKey()
	otherSigner, err := auth.LoadOrCreateSigner(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := otherSigner.Mint(a.uid, time.Hour)
	expiredToken, _ := e.signer.Mint(a.uid, -time.Hour)
	noneAlg := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"`+a.uid+`","iss":"omi-devapi-local","aud":"omi-devapi","exp":4102444800,"iat":1700000000}`)) + "."
	hs256 := hmacToken(t, a.uid)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(a.uid+":"+good))

	type cred struct{ name, header string }
	common := []cred{
		{"no header", ""},
		{"basic auth", basic},
		{"scheme only", "Bearer"},
		{"empty bearer", "Bearer "},
		{"other scheme", "Token " + good},
		{"garbage", "Bearer not-a-credential"},
	}
	keyCreds := append(slices.Clone(common),
		cred{"lower-case scheme", "bearer " + good}, // upstream requires "Bearer " exactly here
		cred{"bad checksum", "Bearer " + badChecksum},
		cred{"truncated key", "Bearer " + good[:len(good)-1]},
		cred{"upper-case key", "Bearer " + strings.ToUpper(good)},
		cred{"well-formed unknown key", "Bearer " + unknown},
		cred{"revoked key", "Bearer " + revoked.Key},
		cred{"expired key", "Bearer " + expiring.Key},
		cred{"ID token", "Bearer " + a.token},
		cred{"MCP key", "Bearer omi_mcp_" + strings.Repeat("ab", 16)},
	)
	tokenCreds := append(slices.Clone(common),
		cred{"developer key", "Bearer " + good},
		cred{"bad-checksum key", "Bearer " + badChecksum},
		cred{"expired token", "Bearer " + expiredToken},
		cred{"token from another signer", "Bearer " + forged},
		cred{"alg none", "Bearer " + noneAlg},
		cred{"HS256 token", "Bearer " + hs256},
		cred{"truncated token", "Bearer " + a.token[:len(a.token)-5]},
	)

	w := e.watchWrites()
	lookups := e.store.lookups
	n := 0
	for _, p := range routes {
		_, idToken := protected(p)
		creds := keyCreds
		if idToken {
			creds = tokenCreds
		}
		tmpl := routeTemplates[p]
		for _, c := range creds {
			req := request(p, a.ids[tmpl.id], "")
			req.Header = http.Header{}
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			req.Header.Set("X-API-Key", good) // not a place credentials are read from
			resp := e.h.Do(req)
			n++
			if resp.Status != http.StatusUnauthorized {
				t.Errorf("%s with %s: %d, want 401: %s", p, c.name, resp.Status, resp.Body)
				continue
			}
			if resp.Detail() == "" || resp.Header.Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("%s with %s: detail %q, WWW-Authenticate %q", p, c.name, resp.Detail(), resp.Header.Get("WWW-Authenticate"))
			}
			if strings.Contains(string(resp.Body), good) || strings.Contains(string(resp.Body), a.marker) {
				t.Errorf("%s with %s: body echoes data: %s", p, c.name, resp.Body)
			}
		}
	}
	w.unchanged(t, "401s")
	// Malformed keys never reach the store; the unknown, revoked and
	// expired ones are looked up once each, then answered from the cache.
	if extra := e.store.lookups - lookups; extra > 3 {
		t.Errorf("%d requests with bad credentials made %d key lookups", n, extra)
	}
	t.Logf("%d requests over %d routes", n, len(routes))
}

func hmacToken(t *testing.T, uid string) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": uid, "iss": auth.LocalIssuer, "aud": auth.LocalAudience, "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(),
	}).SignedString([]byte("guessable"))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// syncBuffer collects log output written from handler goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// failingMemories fails listing with an internal error, to reach the 500 path.
type failingMemories struct{ omi.MemoryStore }

func (failingMemories) ListMemories(context.Context, omi.MemoryFilter) ([]*omi.Memory, error) {
	return nil, fmt.Errorf("sqlite: list memories: disk I/O error near /var/lib/omi/omi.db")
}

// TestNoSecretsInLogs: the JSON logs of a server handling keys, tokens,
// failed authentication, a store failure and a panic hold no raw key, key
// secret or token; and no response carries a stack trace.
func TestNoSecretsInLogs(t *testing.T) {
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := setup(t, withProcessor(echo{}), func(d *httpapi.Deps) { d.Logger = log })
	a := e.makeFixture("logs-a")
	secrets := []string{a.key.Key, a.key.Key[len(auth.KeyPrefix):], a.token, a.token[strings.LastIndexByte(a.token, '.')+1:]}

	revoked := e.key(a.uid)
	e.do("DELETE", "/v1/dev/keys/"+revoked.ID, a.token, nil)
	unknown, _ := auth.NewKey()
	bad := a.key.Key[:len(a.key.Key)-1] + "x"
	secrets = append(secrets, revoked.Key, revoked.Key[len(auth.KeyPrefix):], unknown, unknown[len(auth.KeyPrefix):], bad)

	for _, tok := range []string{a.key.Key, revoked.Key, unknown, bad, a.token, "garbage"} {
		e.do("GET", "/v1/dev/user/memories", tok, nil)
		e.do("GET", "/v1/dev/keys", tok, nil)
		e.do("POST", "/v1/dev/keys", tok, `{"name": "`+tok+`"}`) // a raw key as a name is refused
	}
	e.do("POST", "/v1/dev/user/memories", a.key.Key, map[string]any{"content": "my key is " + a.key.Key})
	e.do("GET", "/v1/dev/user/memories?api_key="+a.key.Key+"&token="+a.token, a.key.Key, nil)
	// Pasted into the path, where the access log would show them.
	e.do("GET", "/v1/dev/user/memories/"+a.key.Key, a.key.Key, nil)
	e.do("DELETE", "/v1/dev/keys/"+a.token, a.token, nil)
	e.do("GET", "/"+unknown[len(auth.KeyPrefix):]+"/"+a.key.Key[len(auth.KeyPrefix):], "", nil)

	// A panic and an internal error, with credentials on the request. The
	// harness fails every 500, so these expected ones go around it.
	broken := httptest.NewServer(httpapi.NewServer(httpapi.Deps{Logger: log, Keys: e.keys, Tokens: e.signer, Memories: failingMemories{e.db}}))
	t.Cleanup(broken.Close)
	for _, u := range []string{e.h.Server.URL + "/v1/dev/_panic", broken.URL + "/v1/dev/user/memories"} {
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Authorization", "Bearer "+a.key.Key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 500 {
			t.Errorf("%s: %d %s", u, resp.StatusCode, body)
		}
		noStack(t, body)
	}
	if err := e.keys.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}

	out := logs.String()
	for _, want := range []string{`"msg":"request"`, `"msg":"panic serving request"`, `"msg":"request failed"`, `"status":401`, `"stack":`} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %s:\n%s", want, out)
		}
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("logs contain a secret %q", s)
		}
	}
}

func noStack(t *testing.T, body []byte) {
	t.Helper()
	if string(body) != `{"detail":"Internal Server Error"}` {
		t.Errorf("500 body %s", body)
	}
	for _, s := range []string{"goroutine", ".go:", "panic", "sqlite", "runtime"} {
		if strings.Contains(string(body), s) {
			t.Errorf("500 body reveals %q: %s", s, body)
		}
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func truncate(s string) string {
	if len(s) > 500 {
		return s[:500] + "..."
	}
	return s
}

// Database views: what is stored, read straight from the file.

// queryer is a *sql.DB or a pinned *sql.Conn.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (e *env) rawDB() *sql.DB {
	e.t.Helper()
	if e.path == "" {
		// The suite's PostgreSQL run (OMI_TEST_HTTP_STORE=postgres): these
		// checks read SQLite's file and run in the SQLite run.
		e.t.Skip("reads the SQLite file directly: SQLite store only")
	}
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(e.path)+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	return db
}

func queryStrings(t *testing.T, db queryer, q string, args ...any) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func tables(t *testing.T, db queryer) []string {
	t.Helper()
	return queryStrings(t, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
		AND name NOT LIKE '%fts%' AND name <> 'goose_db_version' ORDER BY name`)
}

func columns(t *testing.T, db queryer, table string) []string {
	t.Helper()
	return queryStrings(t, db, `SELECT name FROM pragma_table_info(?)`, table)
}

// digest fingerprints every table (only uid's rows when uid is set), all
// columns but api_keys.last_used_at, which the key service writes on its
// own schedule.
func (e *env) digest(uid string) map[string]string {
	e.t.Helper()
	return digestDB(e.t, e.rawDB(), uid)
}

func digestDB(t *testing.T, db queryer, uid string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, table := range tables(t, db) {
		cols := columns(t, db, table)
		if uid != "" && !slices.Contains(cols, "uid") {
			continue
		}
		var sel []string
		for _, c := range cols {
			if !(table == "api_keys" && c == "last_used_at") {
				sel = append(sel, `quote("`+c+`")`)
			}
		}
		q := `SELECT ` + strings.Join(sel, ` || ',' || `) + ` FROM "` + table + `"`
		var args []any
		if uid != "" {
			q += ` WHERE uid = ?`
			args = append(args, uid)
		}
		lines := queryStrings(t, db, q, args...)
		sort.Strings(lines)
		sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
		out[table] = fmt.Sprintf("%d rows %x", len(lines), sum[:8])
	}
	return out
}

func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func diffTables(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, fmt.Sprintf("%s: %s -> %s", k, v, b[k]))
		}
	}
	sort.Strings(out)
	return out
}

// writeWatch tells whether anything was committed since the last rebase,
// by SQLite's data_version (which moves when another connection commits).
// The key service's last_used_at flush is the one writer that is not a
// request: where the watch holds a digest (taken when it started) a move
// is checked against it, all columns but last_used_at; after a rebase it
// holds none, so tests that rebase run with quietKeys.
type writeWatch struct {
	t      *testing.T
	conn   *sql.Conn
	ver    int64
	digest map[string]string
}

// watchWrites returns nil (watching nothing) where there is no SQLite file.
func (e *env) watchWrites() *writeWatch {
	e.t.Helper()
	if e.path == "" {
		return nil
	}
	conn, err := e.rawDB().Conn(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { conn.Close() })
	w := &writeWatch{t: e.t, conn: conn}
	w.ver = w.version()
	w.digest = digestDB(w.t, w.conn, "")
	return w
}

func (w *writeWatch) version() int64 {
	var v int64
	if err := w.conn.QueryRowContext(context.Background(), `PRAGMA data_version`).Scan(&v); err != nil {
		w.t.Fatal(err)
	}
	return v
}

// rebase accepts what is stored now (after a request that may write).
func (w *writeWatch) rebase() {
	if w == nil {
		return
	}
	w.ver = w.version()
	w.digest = nil
}

// unchanged fails t if anything was committed since the last rebase.
func (w *writeWatch) unchanged(t *testing.T, what string) {
	t.Helper()
	if w == nil {
		return
	}
	v := w.version()
	if v == w.ver {
		return
	}
	w.ver = v
	if w.digest == nil {
		t.Errorf("%s: rejected, but something was committed", what)
		return
	}
	if now := digestDB(t, w.conn, ""); !maps(w.digest, now) {
		t.Errorf("%s: rejected, but the database changed: %v", what, diffTables(w.digest, now))
		w.digest = now
	}
}

// quietKeys gives the server a key service that writes last_used_at only
// when closed, so every commit during the test is a request's.
func quietKeys(t *testing.T) option {
	return func(d *httpapi.Deps) {
		keys := auth.NewKeys(d.Memories.(omi.KeyStore), auth.KeysConfig{TouchInterval: time.Hour}, d.Now, d.Logger, nil)
		t.Cleanup(func() { keys.Close(context.Background()) })
		d.Keys = keys
	}
}
