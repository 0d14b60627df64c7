package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/auth"
	"github.com/omi-devapi/omi-devapi/lax"
	"github.com/omi-devapi/omi-devapi/process"
	"github.com/omi-devapi/omi-devapi/search"
	"github.com/omi-devapi/omi-devapi/sqlite"
)

// FuzzQuery: any query string parses (as Starlette would) without a panic;
// a listing that validates is within its bounds, and every error is
// located in the query.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{
		"", "limit=10&offset=5", "limit=-1", "offset=-1", "limit=1000000000", "limit=0", "limit=1e400", "limit=NaN",
		"limit=99999999999999999999999", "limit=%00", "limit=%ff", "cursor=%%%", "cursor=eyJpIjoiYSJ9", "cursor=",
		"limit=1&limit=2&&=&a", "start_date=2024-01-01T00:00:00Z&end_date=garbage", "completed=maybe", "+limit=+1+",
		"categories=' OR 1=1 --", "limit=%2B1", "limit=%20 1", "limit=1_000", "limit=0x10", "%=%&%%=%%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r := httptest.NewRequest("GET", "/x", nil)
		r.URL.RawQuery = raw
		v := lax.New()
		q := query(v, r)
		l := parseListing(v, q, 25, 1000, &omi.MemoryCursor{})
		q.OptTime("start_date")
		q.OptBool("completed")
		q.OptStr("conversation_id")
		q.Float("current_value")
		parseCategories(v, q, omi.MemoryCategories, "MemoryCategory")
		err := v.Err()
		if err == nil {
			if l.Limit < 1 || l.Limit > 1000 || l.Offset < 0 {
				t.Fatalf("%q: listing %+v out of bounds", raw, l.Page)
			}
			if f := l.fetch(); f.Limit != l.Limit+1 {
				t.Fatalf("fetch %+v", f)
			}
			return
		}
		var e *omi.Error
		if !errors.As(err, &e) || e.Code != omi.EINVALID || len(e.Fields) == 0 {
			t.Fatalf("%q: %v is not a validation error", raw, err)
		}
		for _, fe := range e.Fields {
			if len(fe.Loc) < 2 || fe.Loc[0] != "query" || fe.Msg == "" || fe.Type == "" {
				t.Fatalf("%q: field error %+v", raw, fe)
			}
		}
		if _, err := json.Marshal(e.Fields); err != nil {
			t.Fatalf("%q: errors do not encode: %v", raw, err)
		}
	})
}

// fuzzRoutes are the handlers FuzzHandlers drives, each body through one.
var fuzzRoutes = []string{
	"POST /v1/dev/user/memories",
	"POST /v1/dev/user/memories/batch",
	"POST /v1/dev/user/action-items",
	"POST /v1/dev/user/action-items/batch",
	"POST /v1/dev/user/conversations",
	"POST /v1/dev/user/conversations/from-segments",
	"POST /v1/dev/user/goals",
	"POST /v1/dev/user/folders",
	"POST /v1/dev/user/ask",
	"POST /v1/dev/keys",
	"PATCH /v1/dev/user/memories/{id}",
	"PATCH /v1/dev/user/action-items/{id}",
	"PATCH /v1/dev/user/conversations/{id}",
	"PATCH /v1/dev/user/goals/{id}",
	"PATCH /v1/dev/user/folders/{id}",
	"GET /v1/dev/user/memories",
	"GET /v1/dev/user/action-items",
	"GET /v1/dev/user/conversations",
	"GET /v1/dev/user/memories/vector/search",
}

// FuzzHandlers sends a fuzzed body (or query, for the lists) to a real
// handler on a real SQLite store, with a valid key: whatever the input,
// the answer is never a 5xx, and always JSON in FastAPI's shape.
func FuzzHandlers(f *testing.F) {
	ctx := context.Background()
	dir := f.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "omi.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	signer, err := auth.LoadOrCreateSigner(dir, nil)
	if err != nil {
		f.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	keys := auth.NewKeys(db, auth.KeysConfig{}, nil, log, nil)
	f.Cleanup(func() { keys.Close(ctx) })
	scopes := make([]string, len(omi.AllScopes))
	for i, s := range omi.AllScopes {
		scopes[i] = string(s)
	}
	_, key, err := keys.Create(ctx, "fuzzer", "fuzz", scopes, nil)
	if err != nil {
		f.Fatal(err)
	}
	token, err := signer.Mint("fuzzer", 24*time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	srv := NewServer(Deps{Logger: log, Keys: keys, Tokens: signer, Memories: db, ActionItems: db, Conversations: db,
		Goals: db, Folders: db, Processor: process.NewBuiltin(), Search: fuzzSearch(db, log)})

	// One row of each kind, for the PATCH routes.
	ids := map[string]string{}
	for prefix, body := range map[string]string{
		"/v1/dev/user/memories":      `{"content":"likes tea"}`,
		"/v1/dev/user/action-items":  `{"description":"buy tea"}`,
		"/v1/dev/user/goals":         `{"title":"drink tea","goal_type":"numeric","target_value":5}`,
		"/v1/dev/user/folders":       `{"name":"tea"}`,
		"/v1/dev/user/conversations": `{"text":"We talked about tea. I will buy green tea tomorrow."}`,
	} {
		code, out := fuzzDo(srv, "POST", prefix, key, []byte(body))
		var created struct{ ID string }
		if code != 200 || json.Unmarshal(out, &created) != nil {
			f.Fatalf("POST %s: %d %s", prefix, code, out)
		}
		ids[prefix] = created.ID
	}

	for i, body := range []string{
		`{"content":"likes green tea","category":"interesting","tags":["a"]}`,
		`{"memories":[{"content":"a"},{"content":"b","visibility":"public"}]}`,
		`{"description":"call mom","completed":"true","due_at":"2030-01-01"}`,
		`{"action_items":[{"description":"x","due_at":1700000000}]}`,
		`{"text":"Meeting tomorrow at 10am with Anna. I need to send the report by Friday.","started_at":"2026-01-01T10:00:00+02:00"}`,
		`{"transcript_segments":[{"text":"hello","start":0,"end":1.5,"speaker":"SPEAKER_02"}],"client_session_id":"s1"}`,
		`{"title":"run","goal_type":"scale","min_value":0,"max_value":10,"current_value":11}`,
		`{"name":"Work","color":"#fff","icon":"💼"}`,
		`{"question":"what about tea?","timezone":"Mars/Olympus"}`,
		`{"name":"k","scopes":["memories:read","memories:read"],"expires_at":"2099-01-01T00:00:00Z"}`,
		`{"content":null,"tags":[1,2]}`, `{"completed":1.0}`, `{"folder_id":""}`, `{"why_it_matters":null,"min_value":null}`,
		`{"description":null}`,
		"limit=5&offset=1", "completed=true&start_date=2020-01-01", "include_transcript=true&limit=1000", "query=tea&limit=100",
	} {
		f.Add(uint8(i), []byte(body))
	}
	for _, body := range []string{"", "{", "[]", "null", `{"a":NaN}`, "\xff", strings.Repeat("[", 10000), `{"content":"\u0000"}`} {
		f.Add(uint8(0), []byte(body))
	}

	f.Fuzz(func(t *testing.T, route uint8, input []byte) {
		pattern := fuzzRoutes[int(route)%len(fuzzRoutes)]
		method, path, _ := strings.Cut(pattern, " ")
		if strings.HasSuffix(path, "/{id}") {
			base := strings.TrimSuffix(path, "/{id}")
			path = base + "/" + ids[base]
		}
		cred := key
		if strings.HasPrefix(path, "/v1/dev/keys") {
			cred = token
		}
		body := input
		if method == "GET" {
			path += "?" + string(input)
			body = nil
		}
		code, out := fuzzDo(srv, method, path, cred, body)
		if code >= 500 {
			t.Fatalf("%s %q: %d %s", pattern, input, code, out)
		}
		if code >= 400 {
			var d map[string]any
			if err := json.Unmarshal(out, &d); err != nil || len(d) != 1 || d["detail"] == nil {
				t.Fatalf("%s %q: %d with body %s", pattern, input, code, out)
			}
		}
	})
}

func fuzzDo(srv http.Handler, method, path, cred string, body []byte) (int, []byte) {
	r := httptest.NewRequest(method, "http://omi.test/", bytes.NewReader(body))
	r.URL.Path, r.URL.RawQuery, _ = strings.Cut(path, "?")
	r.RequestURI = ""
	r.Header.Set("Authorization", "Bearer "+cred)
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	return w.Code, w.Body.Bytes()
}

func fuzzSearch(db *sqlite.DB, log *slog.Logger) *search.Engine {
	return search.NewEngine(search.Engine{Store: db, Embedder: search.NewHashing(0), Conversations: db, Logger: log})
}
