package httpapi

import (
	"net/http"

	omi "github.com/omi-devapi/omi-devapi"

	"github.com/omi-devapi/omi-devapi/api"
)

// routes is the whole API at a glance.
func (s *Server) routes() {
	// Key management: Firebase (or local) ID tokens.
	s.handle("GET /v1/dev/keys", s.idToken(s.listKeys))
	s.handle("POST /v1/dev/keys", s.idToken(s.createKey))
	s.handle("DELETE /v1/dev/keys/{key_id}", s.idToken(s.revokeKey))

	// Memories.
	s.handle("GET /v1/dev/user/memories", s.devKey(omi.ScopeMemoriesRead, s.listMemories))
	s.handle("POST /v1/dev/user/memories", s.devKey(omi.ScopeMemoriesWrite, s.createMemory))
	s.handle("POST /v1/dev/user/memories/batch", s.devKey(omi.ScopeMemoriesWrite, s.createMemoriesBatch))
	s.handle("GET /v1/dev/user/memories/{memory_id}", s.devKey(omi.ScopeMemoriesRead, s.getMemory)) // ours
	s.handle("PATCH /v1/dev/user/memories/{memory_id}", s.devKey(omi.ScopeMemoriesWrite, s.updateMemory))
	s.handle("DELETE /v1/dev/user/memories/{memory_id}", s.devKey(omi.ScopeMemoriesWrite, s.deleteMemory))

	// Operations.
	s.handle("GET /healthz", s.healthz)
	s.handle("GET /readyz", s.readyz)
	s.handle("GET /openapi.json", s.openAPI)
	s.mux.Handle("GET /metrics", s.Metrics.handler())
	s.mux.Handle("GET /docs/", http.StripPrefix("/docs/", http.FileServerFS(api.SwaggerUI())))
	s.mux.Handle("GET /docs", http.RedirectHandler("/docs/", http.StatusMovedPermanently))
}

func (s *Server) handle(pattern string, h handlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}
