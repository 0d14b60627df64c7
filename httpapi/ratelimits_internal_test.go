package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/api"
	"github.com/omi-devapi/omi-devapi/ratelimit"
)

// TestEveryUserRouteHasRatePolicy: a /v1/dev/user route registered in the
// mux, or declared in the served contract, without an entry in
// routePolicies would be limited only by the minute and day budgets.
func TestEveryUserRouteHasRatePolicy(t *testing.T) {
	s := NewServer(Deps{})
	registered := 0
	for _, p := range s.patterns {
		if _, path, _ := strings.Cut(p, " "); !strings.HasPrefix(path, "/v1/dev/user/") {
			continue
		}
		registered++
		if _, ok := routePolicies[p]; !ok {
			t.Errorf("route %q has no entry in routePolicies (httpapi/ratelimits.go)", p)
		}
	}
	if registered == 0 {
		t.Fatal("no /v1/dev/user routes recorded")
	}

	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(api.Spec(), &doc); err != nil {
		t.Fatal(err)
	}
	for path, ops := range doc.Paths {
		if !strings.HasPrefix(path, "/v1/dev/user/") {
			continue
		}
		for method := range ops {
			switch method {
			case "get", "post", "put", "patch", "delete":
			default:
				continue // "parameters" and the like
			}
			p := strings.ToUpper(method) + " " + path
			if _, ok := routePolicies[p]; !ok {
				t.Errorf("contract operation %q has no entry in routePolicies", p)
			}
		}
	}

	for p, rp := range routePolicies {
		if len(rp.policies) == 0 {
			t.Errorf("%q: no policy", p)
		}
		for _, name := range rp.policies {
			if _, ok := omi.PolicyBases[name]; !ok {
				t.Errorf("%q: unknown policy %q", p, name)
			}
		}
	}
}

// TestTranscriptCharge: include_transcript, read as the handler reads a lax
// bool, adds upstream's transcript bucket to conversation reads only.
func TestTranscriptCharge(t *testing.T) {
	rl := &RateLimits{Limiter: ratelimit.NewMemory(nil), PerMinute: 100, PerDay: 1000, Boost: 100}
	rl.setup(NewMetrics())
	p := &omi.Principal{UID: "alice", Key: &omi.APIKey{ID: "k1", UID: "alice"}}
	names := func(pattern, target string) []string {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		r.Pattern = pattern
		var out []string
		_, cs := rl.charges(r, p)
		for _, c := range cs {
			out = append(out, c.Limit.Name)
		}
		return out
	}
	list, one := "GET /v1/dev/user/conversations", "GET /v1/dev/user/conversations/{conversation_id}"
	for _, tc := range []struct {
		pattern, target string
		want            []string
	}{
		{list, "/v1/dev/user/conversations", []string{"minute", omi.PolicyConversationsRead, "day"}},
		{list, "/v1/dev/user/conversations?include_transcript=true", []string{"minute", omi.PolicyConversationsRead, omi.PolicyConversationTranscriptRead, "day"}},
		{list, "/v1/dev/user/conversations?include_transcript=YES&limit=2", []string{"minute", omi.PolicyConversationsRead, omi.PolicyConversationTranscriptRead, "day"}},
		{list, "/v1/dev/user/conversations?include_transcript=1", []string{"minute", omi.PolicyConversationsRead, omi.PolicyConversationTranscriptRead, "day"}},
		{list, "/v1/dev/user/conversations?include_transcript=false", []string{"minute", omi.PolicyConversationsRead, "day"}},
		{list, "/v1/dev/user/conversations?include_transcript=maybe", []string{"minute", omi.PolicyConversationsRead, "day"}},
		{list, "/v1/dev/user/conversations?include_transcript=true&include_transcript=off", []string{"minute", omi.PolicyConversationsRead, "day"}},
		{one, "/v1/dev/user/conversations/c1?include_transcript=true", []string{"minute", omi.PolicyConversationDetailRead, omi.PolicyConversationTranscriptRead, "day"}},
		{"GET /v1/dev/user/memories", "/v1/dev/user/memories?include_transcript=true", []string{"minute", omi.PolicyMemoriesRead, "day"}},
		{"GET /v1/dev/user/_probe", "/v1/dev/user/_probe", []string{"minute", "day"}},
	} {
		if got := names(tc.pattern, tc.target); !slices.Equal(got, tc.want) {
			t.Errorf("%s: charges %v, want %v", tc.target, got, tc.want)
		}
	}
}

// TestPolicyLimits: max(1, int(base × boost)) per hour, with overrides.
func TestPolicyLimits(t *testing.T) {
	rl := &RateLimits{Limiter: ratelimit.NewMemory(nil), Boost: 0.01, Bases: map[string]int{omi.PolicyAsk: 1000}}
	rl.setup(NewMetrics())
	for name, want := range map[string]int{omi.PolicyMemories: 1, omi.PolicyMemoriesBatch: 1, omi.PolicyAsk: 10} {
		if l := rl.policies[name]; l.Quota != want || l.Window != time.Hour || l.Name != name {
			t.Errorf("%s: %+v, want %d per hour", name, l, want)
		}
	}
}

// BenchmarkRateLimitStep is the whole step as devKey runs it, in process:
// listing the request's buckets, the limiter, and formatting five headers.
// The limiter alone is benchmarked in bench/ratelimit_test.go.
func BenchmarkRateLimitStep(b *testing.B) {
	s := NewServer(Deps{RateLimits: &RateLimits{Limiter: ratelimit.NewMemory(nil), PerMinute: 1 << 30, PerDay: 1 << 30, Boost: 1 << 20}})
	step := s.rateLimit(func(http.ResponseWriter, *http.Request) error { return nil })
	r := httptest.NewRequest(http.MethodPost, "/v1/dev/user/memories", nil)
	r.Pattern = "POST /v1/dev/user/memories"
	r = withPrincipal(r, &omi.Principal{UID: "alice", Key: &omi.APIKey{ID: "3f0c1d9e-5b1a-4c77-9d8e-2a6b4f1e0c55", UID: "alice"}})
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		clear(w.Header())
		if err := step(w, r); err != nil {
			b.Fatal(err)
		}
	}
}
