package httpapi

import (
	"net/http"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/lax"
)

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) error {
	keys, err := s.Keys.List(r.Context(), principal(r).UID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, keys)
	return nil
}

type createdKey struct {
	*omi.APIKey
	Key string `json:"key"`
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request) error {
	v, body, err := s.body(r)
	if err != nil {
		return err
	}
	name, _ := body.Str("name", lax.Required)
	scopes, _ := body.StrList("scopes")
	expiresAt := body.OptTime("expires_at")
	if err := v.Err(); err != nil {
		return err
	}
	key, secret, err := s.Keys.Create(r.Context(), principal(r).UID, name, scopes, expiresAt)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, createdKey{key, secret})
	return nil
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) error {
	if err := s.Keys.Revoke(r.Context(), principal(r).UID, r.PathValue("key_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
