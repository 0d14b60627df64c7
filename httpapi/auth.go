package httpapi

import (
	"net/http"
	"strings"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/auth"
)

func principal(r *http.Request) *omi.Principal {
	p, _ := r.Context().Value(principalKey).(*omi.Principal)
	return p
}

func withPrincipal(r *http.Request, p *omi.Principal) *http.Request {
	return r.WithContext(contextWith(r.Context(), principalKey, p))
}

var (
	errMissingKeyHeader = omi.Errorf(omi.EUNAUTHORIZED, "Missing or invalid Authorization header. Must be 'Bearer API_KEY'")
	errIDTokenForKey    = omi.Errorf(omi.EUNAUTHORIZED, "Invalid API Key: this endpoint requires a Developer API key (omi_dev_...), not an ID token")
	errMCPKey           = omi.Errorf(omi.EUNAUTHORIZED, "MCP API keys (omi_mcp_...) only authenticate the MCP endpoints under /v1/mcp/ (for example GET /v1/mcp/memories, GET /v1/mcp/conversations) and the MCP server at /v1/mcp/sse. This endpoint requires a Developer API key (Settings -> Developer -> Create Key).")
	errNotAuthenticated = omi.Errorf(omi.EUNAUTHORIZED, "Not authenticated")
)

// devKey guards /v1/dev/user/*: a developer key with scope, in upstream's
// order of checks (header, key, scope, rate limit).
func (s *Server) devKey(scope omi.Scope, next handlerFunc) handlerFunc {
	next = s.rateLimit(next)
	return func(w http.ResponseWriter, r *http.Request) error {
		// Upstream requires exactly "Bearer " (case-sensitive) here.
		h := r.Header.Get("Authorization")
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || tok == "" {
			return errMissingKeyHeader
		}
		switch {
		case strings.HasPrefix(tok, "omi_mcp_"):
			return errMCPKey
		case auth.LooksLikeJWT(tok):
			return errIDTokenForKey
		}
		key, err := s.Keys.Verify(r.Context(), tok)
		if err != nil {
			return err
		}
		if !key.Has(scope) {
			return omi.Errorf(omi.EFORBIDDEN, "Insufficient permissions. Required scope: %s", scope)
		}
		return next(w, withPrincipal(r, &omi.Principal{UID: key.UID, Key: key}))
	}
}

// idToken guards /v1/dev/keys*: an ID token, scheme case-insensitive as
// FastAPI's HTTPBearer.
func (s *Server) idToken(next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
		tok = strings.TrimSpace(tok)
		if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
			return errNotAuthenticated
		}
		uid, err := s.Tokens.VerifyIDToken(r.Context(), tok)
		if err != nil {
			return err
		}
		return next(w, withPrincipal(r, &omi.Principal{UID: uid}))
	}
}
