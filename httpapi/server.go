// Package httpapi is the HTTP face of omi-devapi: one routing table
// (routes.go), a file per resource, FastAPI-compatible errors and the
// middleware every request passes through.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/auth"
	"github.com/omi-devapi/omi-devapi/search"
)

// Pinger reports whether a dependency is reachable (for /readyz).
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps is everything the server needs; NewServer wires nothing itself.
type Deps struct {
	Logger      *slog.Logger
	Keys        *auth.Keys
	Memories    omi.MemoryStore
	ActionItems omi.ActionItemStore
	// Conversations and Processor serve the conversation endpoints.
	Conversations omi.ConversationStore
	Processor     omi.Processor
	Goals         omi.GoalStore
	Folders       omi.FolderStore
	Tokens        omi.TokenVerifier
	Ready         []Pinger
	Metrics       *Metrics
	// RateLimits limits /v1/dev/user/*; nil means no limits and no headers.
	RateLimits *RateLimits
	// Search serves vector search and ask, and embeds memories and
	// conversations as they are written; nil: both answer 503.
	Search *search.Engine
	// MaxBodyBytes caps request bodies (413 beyond); default 2 MiB.
	MaxBodyBytes int64
	Now          func() time.Time
}

// Server routes and serves the API.
type Server struct {
	Deps
	mux     *http.ServeMux
	handler http.Handler
	// patterns are the routes registered through handle, for tests.
	patterns []string
}

// DefaultMaxBodyBytes fits the largest legitimate request (a 100,000
// character conversation, JSON-escaped) with room to spare.
const DefaultMaxBodyBytes = 2 << 20

// NewServer returns the API's http.Handler.
func NewServer(d Deps) *Server {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Metrics == nil {
		d.Metrics = NewMetrics()
	}
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &Server{Deps: d, mux: http.NewServeMux()}
	s.routes()
	s.handler = s.observe(s.recoverPanics(s.limitBody(s.fallback(s.mux))))
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// now is the request clock: UTC, microseconds (what the stores keep).
func (s *Server) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }
