package httpapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestFastAPIErrorShapes(t *testing.T) {
	e := setup(t)
	wantDetail(t, e.do("GET", "/v1/dev/nope", "", nil), 404, "Not Found")
	resp := e.do("PUT", "/v1/dev/keys", "", nil)
	wantDetail(t, resp, 405, "Method Not Allowed")
	if string(resp.Body) != `{"detail":"Method Not Allowed"}` {
		t.Fatalf("405 body %s", resp.Body)
	}
	// The harness fails every 500, so this expected one goes around it.
	raw, err := http.Get(e.h.Server.URL + "/v1/dev/_panic")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(raw.Body)
	raw.Body.Close()
	if raw.StatusCode != 500 || string(body) != `{"detail":"Internal Server Error"}` {
		t.Fatalf("panic answered %d %s", raw.StatusCode, body)
	}
}

func TestBodyTooLarge(t *testing.T) {
	e := setup(t)
	big := `{"name":"` + strings.Repeat("a", 3<<20) + `"}`
	wantDetail(t, e.do("POST", "/v1/dev/keys", e.token("alice"), big), 413, "too large")
}

func TestOpsEndpoints(t *testing.T) {
	e := setup(t)
	wantStatus(t, e.do("GET", "/healthz", "", nil), 200)
	wantStatus(t, e.do("GET", "/readyz", "", nil), 200)
	resp := e.do("GET", "/openapi.json", "", nil)
	wantStatus(t, resp, 200)
	if !strings.Contains(string(resp.Body), `"operationId":"listMemories"`) || !strings.Contains(string(resp.Body), "x-omi-devapi") {
		t.Fatal("openapi.json lacks the spec or our marked additions")
	}
	resp = e.do("GET", "/docs/", "", nil)
	wantStatus(t, resp, 200)
	if !strings.Contains(string(resp.Body), "swagger-ui-bundle.js") {
		t.Fatalf("docs page: %s", resp.Body)
	}
	wantStatus(t, e.do("GET", "/docs/swagger-ui-bundle.js", "", nil), 200)
	e.do("GET", "/healthz", "", nil)
	resp = e.do("GET", "/metrics", "", nil)
	wantStatus(t, resp, 200)
	for _, want := range []string{`omi_http_requests_total{route="GET /healthz",status="200"}`, "omi_key_cache_hits_total"} {
		if !strings.Contains(string(resp.Body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if rid := resp.Header.Get("X-Request-ID"); rid == "" {
		t.Error("no X-Request-ID")
	}
	h := http.Header{"X-Request-Id": {"abc-123"}}
	if rid := e.h.Do(apitestRequest("GET", "/healthz", h)).Header.Get("X-Request-ID"); rid != "abc-123" {
		t.Errorf("request id not propagated: %q", rid)
	}
}
