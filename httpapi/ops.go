package httpapi

import (
	"context"
	"net/http"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/api"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readyz answers 503 while any dependency (store, cache) is unreachable, so
// a load balancer stops sending traffic here.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	for _, p := range s.Ready {
		if err := p.Ping(ctx); err != nil {
			s.Logger.WarnContext(ctx, "not ready", "error", err)
			return omi.Errorf(omi.EUNAVAILABLE, "Service not ready: a dependency is unreachable")
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	b := api.Spec()
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
	return nil
}
