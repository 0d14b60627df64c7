package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	omi "github.com/omi-devapi/omi-devapi"
)

// handlerFunc is what every route implements: a returned error becomes the
// response, in FastAPI's shape.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

var statusOf = map[string]int{
	omi.EINVALID:      http.StatusUnprocessableEntity,
	omi.ENOTFOUND:     http.StatusNotFound,
	omi.EUNAUTHORIZED: http.StatusUnauthorized,
	omi.EFORBIDDEN:    http.StatusForbidden,
	omi.ECONFLICT:     http.StatusConflict,
	omi.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	omi.ERATELIMIT:    http.StatusTooManyRequests,
	omi.EUNAVAILABLE:  http.StatusServiceUnavailable,
}

// writeError answers err as FastAPI would: {"detail": "message"}, or for
// validation errors {"detail": [{type, loc, msg}, ...]}. Anything that is not
// an *omi.Error is a bug or an outage: logged, and answered with a bare 500.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *omi.Error
	if !errors.As(err, &e) {
		s.Logger.ErrorContext(r.Context(), "request failed", "request_id", requestID(r.Context()), "error", err)
		writeJSON(w, http.StatusInternalServerError, detail{"Internal Server Error"})
		return
	}
	status, ok := statusOf[e.Code]
	if !ok {
		s.Logger.ErrorContext(r.Context(), "request failed", "request_id", requestID(r.Context()), "error", err)
		writeJSON(w, http.StatusInternalServerError, detail{"Internal Server Error"})
		return
	}
	if status >= 500 {
		s.Logger.ErrorContext(r.Context(), "request failed", "request_id", requestID(r.Context()), "error", err)
	}
	switch status {
	case http.StatusUnprocessableEntity:
		fields := e.Fields
		if len(fields) == 0 {
			fields = []omi.FieldError{{Type: "value_error", Loc: []any{"body"}, Msg: e.Message}}
		}
		writeJSON(w, status, struct {
			Detail []omi.FieldError `json:"detail"`
		}{fields})
		return
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", "Bearer")
	case http.StatusTooManyRequests:
		if e.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
		}
	}
	writeJSON(w, status, detail{e.Message})
}

type detail struct {
	Detail string `json:"detail"`
}

// writeJSON encodes v as FastAPI does: UTF-8, no HTML escaping, no trailing
// newline.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only unsupported values (NaN, channels) get here: a bug.
		status, buf = http.StatusInternalServerError, *bytes.NewBufferString(`{"detail":"Internal Server Error"}`)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
