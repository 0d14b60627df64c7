package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/lax"
)

// routePolicy is the upstream policy buckets one route counts against, on
// top of the per-key minute and per-user day budgets every route shares.
type routePolicy struct {
	policies []string
	// transcript: include_transcript=true also charges
	// dev:conversation_transcript_read, as upstream does.
	transcript bool
}

// routePolicies is the one table from route to policies, keyed by the
// pattern exactly as routes.go registers it (r.Pattern at request time).
// Upstream's assignment (behaviour notes, section 0), plus ours for the
// operations upstream lacks (marked). A test fails when a /v1/dev/user route
// is registered, or declared in the contract, without an entry here.
var routePolicies = map[string]routePolicy{
	"GET /v1/dev/user/memories":                           {policies: []string{omi.PolicyMemoriesRead}},
	"GET /v1/dev/user/memories/vector/search":             {policies: []string{omi.PolicyMemoriesRead}},
	"GET /v1/dev/user/memories/{memory_id}":               {policies: []string{omi.PolicyMemoriesRead}}, // ours
	"POST /v1/dev/user/memories":                          {policies: []string{omi.PolicyMemories}},
	"POST /v1/dev/user/memories/batch":                    {policies: []string{omi.PolicyMemoriesBatch}},
	"PATCH /v1/dev/user/memories/{memory_id}":             {policies: []string{omi.PolicyMemories}},
	"DELETE /v1/dev/user/memories/{memory_id}":            {policies: []string{omi.PolicyMemories}},
	"GET /v1/dev/user/action-items":                       {policies: []string{omi.PolicyActionItemsRead}},
	"GET /v1/dev/user/action-items/{action_item_id}":      {policies: []string{omi.PolicyActionItemsRead}}, // ours
	"POST /v1/dev/user/action-items":                      {policies: []string{omi.PolicyActionItemsWrite}},
	"POST /v1/dev/user/action-items/batch":                {policies: []string{omi.PolicyActionItemsWrite}},
	"PATCH /v1/dev/user/action-items/{action_item_id}":    {policies: []string{omi.PolicyActionItemsWrite}},
	"DELETE /v1/dev/user/action-items/{action_item_id}":   {policies: []string{omi.PolicyActionItemsWrite}},
	"GET /v1/dev/user/conversations":                      {policies: []string{omi.PolicyConversationsRead}, transcript: true},
	"GET /v1/dev/user/conversations/{conversation_id}":    {policies: []string{omi.PolicyConversationDetailRead}, transcript: true},
	"POST /v1/dev/user/conversations":                     {policies: []string{omi.PolicyConversations}},
	"POST /v1/dev/user/conversations/from-segments":       {policies: []string{omi.PolicyConversations}},
	"PATCH /v1/dev/user/conversations/{conversation_id}":  {policies: []string{omi.PolicyConversations}},
	"DELETE /v1/dev/user/conversations/{conversation_id}": {policies: []string{omi.PolicyConversations}},
	"POST /v1/dev/user/ask":                               {policies: []string{omi.PolicyAsk}},
	"GET /v1/dev/user/folders":                            {policies: []string{omi.PolicyConversationsRead}},
	"POST /v1/dev/user/folders":                           {policies: []string{omi.PolicyConversations}}, // ours
	"PATCH /v1/dev/user/folders/{folder_id}":              {policies: []string{omi.PolicyConversations}}, // ours
	"DELETE /v1/dev/user/folders/{folder_id}":             {policies: []string{omi.PolicyConversations}}, // ours
	"GET /v1/dev/user/goals":                              {policies: []string{omi.PolicyGoalsRead}},
	"GET /v1/dev/user/goals/{goal_id}":                    {policies: []string{omi.PolicyGoalsRead}},
	"GET /v1/dev/user/goals/{goal_id}/history":            {policies: []string{omi.PolicyGoalsRead}},
	"POST /v1/dev/user/goals":                             {policies: []string{omi.PolicyGoalsWrite}},
	"PATCH /v1/dev/user/goals/{goal_id}":                  {policies: []string{omi.PolicyGoalsWrite}},
	"DELETE /v1/dev/user/goals/{goal_id}":                 {policies: []string{omi.PolicyGoalsWrite}},
	"PATCH /v1/dev/user/goals/{goal_id}/progress":         {policies: []string{omi.PolicyGoalsWrite}},
}

// RateLimits configures the rate-limit step of /v1/dev/user/*. Deps holds a
// pointer; nil turns limiting off, headers included. Give each server its
// own (servers may share the Limiter).
type RateLimits struct {
	Limiter omi.Limiter
	// PerMinute is each key's budget per minute; 0 means no minute bucket.
	PerMinute int
	// PerDay is each user's budget per day, across all their keys; 0 means
	// no day bucket.
	PerDay int
	// Boost multiplies the hourly policy bases: the limit is
	// max(1, int(base × Boost)), upstream's formula. Zero means 1.
	Boost float64
	// Bases overrides omi.PolicyBases for the policies it names.
	Bases map[string]int
	// FailClosed answers 503 when the limiter cannot decide (Redis down);
	// otherwise the request proceeds unlimited, logged and counted.
	FailClosed bool

	once     sync.Once
	policies map[string]omi.Limit
	plans    map[string]*[2]*plan // by route pattern; [1] with the transcript charge
	fallback *plan                // routes without policies: minute and day only
	errors   prometheus.Counter
	logged   atomic.Int64 // when a limiter failure was last logged (Unix ns)
}

// plan is one kind of request's buckets, worked out once: what each charge
// is keyed by, and the RateLimit-Policy header they make.
type plan struct {
	buckets []bucket
	policy  string
}

type bucket struct {
	prefix string // the charge's key: prefix + key id, or prefix + uid when user
	user   bool
	limit  omi.Limit
}

var errLimiterUnavailable = omi.Errorf(omi.EUNAVAILABLE, "Rate limiter unavailable")

// failureLogEvery spaces out log lines while the limiter's backend is down:
// one per request would flood the log exactly when it is read.
const failureLogEvery = 10 * time.Second

func (rl *RateLimits) setup(m *Metrics) {
	rl.once.Do(func() {
		boost := rl.Boost
		if boost == 0 {
			boost = 1
		}
		rl.policies = map[string]omi.Limit{}
		for name, base := range omi.PolicyBases {
			if b, ok := rl.Bases[name]; ok {
				base = b
			}
			rl.policies[name] = omi.Limit{Name: name, Quota: max(1, int(float64(base)*boost)), Window: time.Hour}
		}
		rl.fallback = rl.plan(nil)
		rl.plans = map[string]*[2]*plan{}
		for pattern, rp := range routePolicies {
			p := &[2]*plan{rl.plan(rp.policies), nil}
			if rp.transcript {
				p[1] = rl.plan(append(slices.Clone(rp.policies), omi.PolicyConversationTranscriptRead))
			}
			rl.plans[pattern] = p
		}
		rl.errors = prometheus.NewCounter(prometheus.CounterOpts{
			Name: "omi_rate_limiter_errors_total",
			Help: "Requests the rate limiter could not decide (backend unreachable); they failed open or closed as configured.",
		})
		var already prometheus.AlreadyRegisteredError
		if err := m.Registry.Register(rl.errors); err != nil && !errors.As(err, &already) {
			panic(fmt.Sprintf("httpapi: register rate-limit metric: %v", err))
		}
	})
}

// plan orders a request's buckets: the key's minute, the policies (per key,
// as upstream), the user's day. The bucket most likely to refuse comes
// first; the headers list them in this order.
func (rl *RateLimits) plan(policies []string) *plan {
	p := &plan{}
	if rl.PerMinute > 0 {
		p.buckets = append(p.buckets, bucket{prefix: "minute:k:", limit: omi.Limit{Name: "minute", Quota: rl.PerMinute, Window: time.Minute}})
	}
	for _, name := range policies {
		p.buckets = append(p.buckets, bucket{prefix: name + ":k:", limit: rl.policies[name]})
	}
	if rl.PerDay > 0 {
		p.buckets = append(p.buckets, bucket{prefix: "day:u:", user: true, limit: omi.Limit{Name: "day", Quota: rl.PerDay, Window: 24 * time.Hour}})
	}
	var b []byte
	for i, bk := range p.buckets {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = appendItem(b, bk.limit.Name, "q", bk.limit.Quota, "w", ceilSeconds(bk.limit.Window))
	}
	p.policy = string(b)
	return p
}

// rateLimit is the step devKey runs after the scope check (upstream's
// order): it charges the request to its buckets, reports them in headers,
// and refuses with 429 before the handler runs, so a refused request has no
// effect.
func (s *Server) rateLimit(next handlerFunc) handlerFunc {
	rl := s.RateLimits
	if rl == nil || rl.Limiter == nil {
		return next
	}
	rl.setup(s.Metrics)
	return func(w http.ResponseWriter, r *http.Request) error {
		p, charges := rl.charges(r, principal(r))
		if len(charges) == 0 {
			return next(w, r)
		}
		d, err := rl.Limiter.Allow(r.Context(), charges...)
		if err != nil {
			rl.errors.Inc()
			if last := rl.logged.Load(); time.Since(time.Unix(0, last)) >= failureLogEvery && rl.logged.CompareAndSwap(last, time.Now().UnixNano()) {
				s.Logger.ErrorContext(r.Context(), "rate limiter unavailable", "request_id", requestID(r.Context()),
					"fail_closed", rl.FailClosed, "error", err)
			}
			if rl.FailClosed {
				return errLimiterUnavailable
			}
			return next(w, r)
		}
		setRateLimitHeaders(w.Header(), p.policy, d)
		if !d.Allowed {
			n := retryAfterSeconds(d)
			return &omi.Error{Code: omi.ERATELIMIT, Message: fmt.Sprintf("Rate limit exceeded. Try again in %ds.", n), RetryAfter: n}
		}
		return next(w, r)
	}
}

// charges lists the buckets a request counts against.
func (rl *RateLimits) charges(r *http.Request, p *omi.Principal) (*plan, []omi.Charge) {
	pl := rl.fallback
	if plans, ok := rl.plans[r.Pattern]; ok {
		pl = plans[0]
		if plans[1] != nil && transcriptRequested(r) {
			pl = plans[1]
		}
	}
	cs := make([]omi.Charge, len(pl.buckets))
	for i, b := range pl.buckets {
		subject := p.Key.ID
		if b.user {
			subject = p.UID
		}
		cs[i] = omi.Charge{Key: b.prefix + subject, Limit: b.limit}
	}
	return pl, cs
}

// transcriptRequested reads include_transcript as the handler will (lax
// bool); a value the handler will refuse charges nothing extra.
func transcriptRequested(r *http.Request) bool {
	if !strings.Contains(r.URL.RawQuery, "include_transcript") {
		return false
	}
	b := query(lax.New(), r).OptBool("include_transcript")
	return b != nil && *b
}

// setRateLimitHeaders reports the decision: upstream's X-RateLimit-* for the
// bucket closest to running out (on a refusal, the one that refuses
// longest), and the IETF draft's RateLimit-Policy and RateLimit
// (draft-ietf-httpapi-ratelimit-headers, structured fields) for every bucket.
// Keys are written in canonical form directly: this runs on every request.
func setRateLimitHeaders(h http.Header, policy string, d omi.Decision) {
	if len(d.Buckets) == 0 {
		return
	}
	c := d.Buckets[0]
	for _, b := range d.Buckets[1:] {
		if d.Allowed && b.Remaining < c.Remaining || !d.Allowed && b.RetryAfter > c.RetryAfter {
			c = b
		}
	}
	var buf [256]byte
	b := buf[:0]
	for i, bk := range d.Buckets {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = appendItem(b, bk.Limit.Name, "r", bk.Remaining, "t", ceilSeconds(bk.Reset))
	}
	v := []string{strconv.Itoa(c.Limit.Quota), strconv.Itoa(c.Remaining), strconv.Itoa(ceilSeconds(c.Reset)), policy, string(b)}
	h["X-Ratelimit-Limit"] = v[0:1:1]
	h["X-Ratelimit-Remaining"] = v[1:2:2]
	h["X-Ratelimit-Reset"] = v[2:3:3]
	h["Ratelimit-Policy"] = v[3:4:4]
	h["Ratelimit"] = v[4:5:5]
}

// appendItem appends one structured-field list item: a string (policy names
// are plain ASCII, nothing to escape) with two integer parameters.
func appendItem(b []byte, name, k1 string, v1 int, k2 string, v2 int) []byte {
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, '"', ';')
	b = append(b, k1...)
	b = append(b, '=')
	b = strconv.AppendInt(b, int64(v1), 10)
	b = append(b, ';')
	b = append(b, k2...)
	b = append(b, '=')
	b = strconv.AppendInt(b, int64(v2), 10)
	return b
}

// retryAfterSeconds is when every refusing bucket has room again, in whole
// seconds rounded up and at least 1 (Retry-After's unit).
func retryAfterSeconds(d omi.Decision) int {
	var wait time.Duration
	for _, b := range d.Buckets {
		wait = max(wait, b.RetryAfter)
	}
	return max(1, ceilSeconds(wait))
}

func ceilSeconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}
