package httpapi

import (
	"net/http"

	omi "github.com/omi-devapi/omi-devapi"
)

// AddProbe mounts GET /v1/dev/user/_probe behind the developer-key guard,
// so auth tests do not depend on any resource.
func (s *Server) AddProbe(scope omi.Scope) {
	s.handle("GET /v1/dev/user/_probe", s.devKey(scope, func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, http.StatusOK, map[string]string{"uid": principal(r).UID})
		return nil
	}))
}

// AddPanic mounts GET /v1/dev/_panic, which panics, to test recovery.
func (s *Server) AddPanic() {
	s.handle("GET /v1/dev/_panic", func(w http.ResponseWriter, r *http.Request) error {
		panic("boom: secret internals")
	})
}

// Patterns returns the patterns registered through handle, in order: the
// route table the security tests are generated from.
func (s *Server) Patterns() []string { return append([]string(nil), s.patterns...) }
