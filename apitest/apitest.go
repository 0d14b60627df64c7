// Package apitest is the contract harness: every HTTP test sends its
// requests through a Harness, which serves the real handler over a real
// socket and fails the test when a response does not match the served
// OpenAPI contract (the official spec plus our marked additions).
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/omi-devapi/omi-devapi/api"
)

// specServer is the base URL the contract's routes are declared under.
const specServer = "https://api.omi.me"

// crossCutting statuses may answer any operation (body limit, rate limits,
// outages) although the spec lists them nowhere; they must still be
// {"detail": "<message>"}.
var crossCutting = map[int]bool{
	http.StatusRequestEntityTooLarge: true,
	http.StatusTooManyRequests:       true,
	http.StatusServiceUnavailable:    true,
}

var contract = sync.OnceValues(func() (routers.Router, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.Spec())
	if err != nil {
		return nil, fmt.Errorf("load spec: %w", err)
	}
	strict := false
	seen := map[*openapi3.Schema]bool{}
	for _, ref := range doc.Components.Schemas {
		closeObjects(ref, strict, seen)
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, resp := range op.Responses.Map() {
				if resp.Value == nil {
					continue
				}
				for _, mt := range resp.Value.Content {
					closeObjects(mt.Schema, strict, seen)
				}
			}
		}
	}
	return gorillamux.NewRouter(doc)
})

// closeObjects makes every object schema that does not say otherwise refuse
// properties it does not declare, so a response with a stray or misspelt
// field fails the test ("exactly the spec's fields").
func closeObjects(ref *openapi3.SchemaRef, no bool, seen map[*openapi3.Schema]bool) {
	if ref == nil || ref.Value == nil || seen[ref.Value] {
		return
	}
	s := ref.Value
	seen[s] = true
	if len(s.Properties) > 0 && s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil {
		s.AdditionalProperties.Has = &no
	}
	for _, p := range s.Properties {
		closeObjects(p, no, seen)
	}
	closeObjects(s.Items, no, seen)
	for _, group := range []openapi3.SchemaRefs{s.AnyOf, s.OneOf, s.AllOf} {
		for _, sub := range group {
			closeObjects(sub, no, seen)
		}
	}
}

// Harness serves a handler and checks every exchange against the contract.
type Harness struct {
	t      testing.TB
	Server *httptest.Server
	router routers.Router
}

// New serves h on a loopback socket for the duration of the test.
func New(t testing.TB, h http.Handler) *Harness {
	t.Helper()
	router, err := contract()
	if err != nil {
		t.Fatalf("apitest: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &Harness{t: t, Server: srv, router: router}
}

// Request describes one call. Body may be nil, a string or []byte (sent as
// is), or any other value (sent as JSON).
type Request struct {
	Method string
	Path   string // with query string
	Token  string // sent as "Authorization: Bearer <Token>" when set
	Body   any
	Header http.Header
}

// Response is what came back, already validated.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Decode unmarshals the body into v, failing the test on error.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Detail returns the message of a {"detail": "..."} error body ("" if not).
func (r *Response) Detail() string {
	var d struct {
		Detail any `json:"detail"`
	}
	json.Unmarshal(r.Body, &d)
	s, _ := d.Detail.(string)
	return s
}

// Do sends req and validates the response against the contract.
func (h *Harness) Do(req Request) *Response {
	h.t.Helper()
	var body []byte
	switch b := req.Body.(type) {
	case nil:
	case string:
		body = []byte(b)
	case []byte:
		body = b
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			h.t.Fatalf("apitest: encode body: %v", err)
		}
	}
	hr, err := http.NewRequest(req.Method, h.Server.URL+req.Path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatalf("apitest: %v", err)
	}
	for k, vs := range req.Header {
		hr.Header[k] = vs
	}
	if req.Token != "" {
		hr.Header.Set("Authorization", "Bearer "+req.Token)
	}
	if body != nil && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	resp, err := h.Server.Client().Do(hr)
	if err != nil {
		h.t.Fatalf("apitest: %s %s: %v", req.Method, req.Path, err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("apitest: read response: %v", err)
	}
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Body: rb}
	if err := h.check(req, body, out); err != nil {
		h.t.Errorf("contract violation: %s %s -> %d %s\n%v", req.Method, req.Path, out.Status, truncate(rb), err)
	}
	return out
}

func (h *Harness) check(req Request, body []byte, resp *Response) error {
	if resp.Status >= 500 && resp.Status != http.StatusServiceUnavailable {
		return fmt.Errorf("server error %d", resp.Status)
	}
	if resp.Status == http.StatusNoContent {
		if len(resp.Body) != 0 {
			return fmt.Errorf("204 with a body")
		}
	} else if ct := resp.Header.Get("Content-Type"); resp.Status >= 400 && !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("error response with Content-Type %q", ct)
	}
	vr, err := http.NewRequest(req.Method, specServer+req.Path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	route, params, err := h.router.FindRoute(vr)
	if err != nil || crossCutting[resp.Status] {
		// Not a contract operation (ops endpoints, unknown routes, wrong
		// methods) or a cross-cutting status: errors must still be FastAPI's.
		if resp.Status >= 400 {
			return checkDetail(resp)
		}
		return nil
	}
	in := &openapi3filter.RequestValidationInput{
		Request: vr, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.Status,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(resp.Body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
}

func checkDetail(resp *Response) error {
	var d map[string]any
	if err := json.Unmarshal(resp.Body, &d); err != nil {
		return fmt.Errorf("error body is not JSON: %v", err)
	}
	if len(d) != 1 {
		return fmt.Errorf("error body must be exactly {\"detail\": ...}")
	}
	switch d["detail"].(type) {
	case string, []any:
		return nil
	}
	return fmt.Errorf("error body has no string or list detail")
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "..."
	}
	return string(b)
}
