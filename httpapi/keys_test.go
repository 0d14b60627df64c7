package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
)

const probe = "/v1/dev/user/_probe"

func TestKeyLifecycle(t *testing.T) {
	e := setup(t)
	alice := e.token("alice")

	k := e.key("alice", omi.ScopeMemoriesRead)
	if !strings.HasPrefix(k.Key, "omi_dev_") || len(k.Key) != 48 {
		t.Fatalf("key %q: want omi_dev_ + 40 hex", k.Key)
	}
	if want := k.Key[:12] + "..." + k.Key[len(k.Key)-4:]; k.Prefix != want {
		t.Fatalf("key_prefix %q, want %q", k.Prefix, want)
	}

	// The list shows the prefix and never the key.
	resp := e.do("GET", "/v1/dev/keys", alice, nil)
	wantStatus(t, resp, 200)
	if strings.Contains(string(resp.Body), k.Key) || strings.Contains(string(resp.Body), k.Key[8:]) {
		t.Fatalf("list leaks the key: %s", resp.Body)
	}
	var list []map[string]any
	resp.Decode(t, &list)
	if len(list) != 1 || list[0]["id"] != k.ID || list[0]["key_prefix"] != k.Prefix || list[0]["last_used_at"] != nil {
		t.Fatalf("list = %s", resp.Body)
	}
	if _, ok := list[0]["key"]; ok {
		t.Fatal("list has a key field")
	}

	// Use it.
	resp = e.do("GET", probe, k.Key, nil)
	wantStatus(t, resp, 200)
	if !strings.Contains(string(resp.Body), `"alice"`) {
		t.Fatalf("probe acted for %s", resp.Body)
	}

	// last_used_at is written asynchronously, and appears once flushed.
	if err := e.keys.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	resp = e.do("GET", "/v1/dev/keys", alice, nil)
	resp.Decode(t, &list)
	if list[0]["last_used_at"] == nil {
		t.Fatalf("last_used_at not recorded: %s", resp.Body)
	}

	// Revoke: 204, then the very next request is refused.
	resp = e.do("DELETE", "/v1/dev/keys/"+k.ID, alice, nil)
	wantStatus(t, resp, 204)
	wantDetail(t, e.do("GET", probe, k.Key, nil), 401, "revoked")
	resp = e.do("GET", "/v1/dev/keys", alice, nil)
	if string(resp.Body) != "[]" {
		t.Fatalf("revoked key still listed: %s", resp.Body)
	}
	// Revoking again: it no longer exists for the owner.
	wantStatus(t, e.do("DELETE", "/v1/dev/keys/"+k.ID, alice, nil), 404)
}

func TestKeyListNewestFirst(t *testing.T) {
	e := setup(t)
	var ids []string
	for range 3 {
		ids = append(ids, e.key("alice").ID)
		e.clock.Add(time.Second)
	}
	var list []map[string]any
	e.do("GET", "/v1/dev/keys", e.token("alice"), nil).Decode(t, &list)
	if len(list) != 3 {
		t.Fatalf("got %d keys", len(list))
	}
	for i, k := range list {
		if k["id"] != ids[2-i] {
			t.Fatalf("order: %v, created %v", list, ids)
		}
	}
}

func TestChecksumRejectedWithoutStoreLookup(t *testing.T) {
	e := setup(t)
	k := e.key("alice")
	// Flip one character of the secret: the checksum no longer matches.
	c := byte('0')
	if k.Key[10] == '0' {
		c = '1'
	}
	typo := k.Key[:10] + string(c) + k.Key[11:]
	before := e.store.lookups
	for _, bad := range []string{typo, k.Key[:len(k.Key)-1], k.Key + "0", strings.ToUpper(k.Key), "omi_dev_xyz"} {
		resp := e.do("GET", probe, bad, nil)
		wantDetail(t, resp, 401, "Invalid API Key")
	}
	if e.store.lookups != before {
		t.Fatalf("malformed keys caused %d store lookups", e.store.lookups-before)
	}
	wantDetail(t, e.do("GET", probe, typo, nil), 401, "checksum")

	// A well-formed unknown key asks the store once, then the negative cache answers.
	other := e.key("bob")
	e.do("DELETE", "/v1/dev/keys/"+other.ID, e.token("bob"), nil)
	before = e.store.lookups
	for range 3 {
		wantStatus(t, e.do("GET", probe, other.Key, nil), 401)
	}
	if n := e.store.lookups - before; n > 1 {
		t.Fatalf("negative cache: %d lookups for 3 requests", n)
	}
}

func TestCachedKeyDoesNoStoreIO(t *testing.T) {
	e := setup(t)
	k := e.key("alice")
	wantStatus(t, e.do("GET", probe, k.Key, nil), 200)
	before := e.store.lookups
	for range 20 {
		wantStatus(t, e.do("GET", probe, k.Key, nil), 200)
	}
	if e.store.lookups != before {
		t.Fatalf("cached key caused %d lookups", e.store.lookups-before)
	}
}

func TestForeignKeyIDIs404(t *testing.T) {
	e := setup(t)
	k := e.key("alice")
	wantDetail(t, e.do("DELETE", "/v1/dev/keys/"+k.ID, e.token("bob"), nil), 404, "not found")
	wantDetail(t, e.do("DELETE", "/v1/dev/keys/does-not-exist", e.token("bob"), nil), 404, "not found")
	// Alice's key still works, and bob's list never shows it.
	wantStatus(t, e.do("GET", probe, k.Key, nil), 200)
	if r := e.do("GET", "/v1/dev/keys", e.token("bob"), nil); string(r.Body) != "[]" {
		t.Fatalf("bob sees %s", r.Body)
	}
}

func TestKeyScopes(t *testing.T) {
	e := setup(t)
	alice := e.token("alice")
	tests := []struct {
		name   string
		body   string
		status int
		scopes []string
		detail string
	}{
		{"default is read-only", `{"name":"ci"}`, 200, []string{"conversations:read", "memories:read", "action_items:read", "goals:read"}, ""},
		{"null is the default", `{"name":"ci","scopes":null}`, 200, []string{"conversations:read", "memories:read", "action_items:read", "goals:read"}, ""},
		{"canonical order, deduplicated", `{"name":"ci","scopes":["goals:write","memories:read","goals:write"]}`, 200, []string{"memories:read", "goals:write"}, ""},
		{"empty list allowed", `{"name":"ci","scopes":[]}`, 200, []string{}, ""},
		{"unknown scope", `{"name":"ci","scopes":["memories:read","admin"]}`, 422, nil, "Invalid scopes. Available: ['conversations:read', "},
		{"scope not a string", `{"name":"ci","scopes":[1]}`, 422, nil, "valid string"},
		{"blank name", `{"name":"   "}`, 422, nil, "Key name cannot be empty"},
		{"missing name", `{}`, 422, nil, "Field required"},
		{"raw key in name", `{"name":"mine omi_dev_0123456789abcdef0123456789abcdef"}`, 422, nil, "must not contain a raw API key"},
		{"malformed JSON", `{"name":`, 422, nil, "JSON decode error"},
		{"expiry in the past", `{"name":"ci","expires_at":"2001-01-01T00:00:00"}`, 422, nil, "future"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do("POST", "/v1/dev/keys", alice, tc.body)
			wantStatus(t, resp, tc.status)
			if tc.status != 200 {
				var v struct {
					Detail []struct {
						Msg string `json:"msg"`
						Loc []any  `json:"loc"`
					} `json:"detail"`
				}
				resp.Decode(t, &v)
				if len(v.Detail) == 0 || !strings.Contains(v.Detail[0].Msg, tc.detail) {
					t.Fatalf("detail %s, want %q", resp.Body, tc.detail)
				}
				return
			}
			var k createdKey
			resp.Decode(t, &k)
			if strings.Join(k.Scopes, ",") != strings.Join(tc.scopes, ",") {
				t.Fatalf("scopes %v, want %v", k.Scopes, tc.scopes)
			}
		})
	}
}

func TestMissingScopeIs403(t *testing.T) {
	e := setup(t)
	k := e.key("alice", omi.ScopeGoalsRead)
	wantDetail(t, e.do("GET", probe, k.Key, nil), 403, "Insufficient permissions. Required scope: memories:read")
	none := e.key("alice")
	_ = none
	resp := e.do("POST", "/v1/dev/keys", e.token("alice"), `{"name":"nothing","scopes":[]}`)
	var empty createdKey
	resp.Decode(t, &empty)
	wantStatus(t, e.do("GET", probe, empty.Key, nil), 403)
}

func TestExpiredKeyIs401(t *testing.T) {
	e := setup(t)
	exp := e.clock.Now().Add(time.Hour).UTC()
	resp := e.do("POST", "/v1/dev/keys", e.token("alice"), map[string]any{
		"name": "short", "scopes": []string{"memories:read"}, "expires_at": exp.Format("2006-01-02T15:04:05.999999"),
	})
	wantStatus(t, resp, 200)
	var k createdKey
	resp.Decode(t, &k)
	wantStatus(t, e.do("GET", probe, k.Key, nil), 200)
	e.clock.Set(exp.Add(time.Second))
	wantDetail(t, e.do("GET", probe, k.Key, nil), 401, "expired")
}

func TestWrongCredentialKind(t *testing.T) {
	e := setup(t)
	k := e.key("alice")
	tok := e.token("alice")
	// An ID token where a key is expected, and the reverse.
	wantDetail(t, e.do("GET", probe, tok, nil), 401, "requires a Developer API key")
	wantDetail(t, e.do("GET", "/v1/dev/keys", k.Key, nil), 401, "takes an ID token, not a Developer API key")

	cases := []struct {
		name, path, header, detail string
	}{
		{"no header on user route", probe, "", "Missing or invalid Authorization header"},
		{"lowercase bearer on user route", probe, "bearer " + k.Key, "Missing or invalid Authorization header"},
		{"basic auth on user route", probe, "Basic YWxpY2U6cHc=", "Missing or invalid Authorization header"},
		{"mcp key", probe, "Bearer omi_mcp_0123456789abcdef0123456789abcdef", "MCP API keys"},
		{"not a key", probe, "Bearer hello", "Invalid API Key"},
		{"no header on keys route", "/v1/dev/keys", "", "Not authenticated"},
		{"garbage token on keys route", "/v1/dev/keys", "Bearer x.y.z", "Invalid authentication credentials"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.header != "" {
				h.Set("Authorization", tc.header)
			}
			resp := e.h.Do(apitestRequest("GET", tc.path, h))
			wantDetail(t, resp, 401, tc.detail)
			if resp.Header.Get("WWW-Authenticate") != "Bearer" {
				t.Fatal("401 without WWW-Authenticate: Bearer")
			}
		})
	}
	// Keys route accepts the scheme case-insensitively, as FastAPI's HTTPBearer.
	h := http.Header{"Authorization": {"bearer " + tok}}
	wantStatus(t, e.h.Do(apitestRequest("GET", "/v1/dev/keys", h)), 200)
}
