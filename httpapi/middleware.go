package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"regexp"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/lax"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	principalKey
)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// statusWriter remembers the status for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe is the outermost layer: request id, one structured log line and
// the request metrics. It never logs headers, so keys and tokens stay out of logs.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if !validRequestID(id) {
			var b [12]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-ID", id)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		route := r.Pattern // set by the mux on this very request
		if route == "" {
			route = "unmatched"
		}
		elapsed := time.Since(start)
		s.Metrics.observeRequest(route, sw.status, elapsed)
		s.Logger.LogAttrs(r.Context(), levelFor(sw.status), "request",
			slog.String("request_id", id), slog.String("method", r.Method), slog.String("path", redactPath(r.URL.Path)),
			slog.String("route", route), slog.Int("status", sw.status), slog.Int64("bytes", sw.bytes),
			slog.Duration("duration", elapsed))
	})
}

// secretInPath matches what looks like a key, a key's secret part or a
// token: clients paste them into URLs, and the access log shows paths.
var secretInPath = regexp.MustCompile(`omi_(dev|mcp)_[0-9A-Za-z]*|eyJ[0-9A-Za-z_-]*(\.[0-9A-Za-z_-]*){0,2}|[0-9A-Fa-f]{32,}`)

// redactPath hides secrets in a path for the log. Every secret is at least
// 32 characters, so shorter paths are left alone without a match.
func redactPath(p string) string {
	if len(p) < 32 {
		return p
	}
	return secretInPath.ReplaceAllLiteralString(p, "[REDACTED]")
}

func validRequestID(id string) bool {
	// A key pasted here would be logged with every line: refuse anything
	// shaped like one and use our own id.
	if id == "" || len(id) > 128 || strings.Contains(id, "omi_") || strings.Count(id, ".") >= 2 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// recoverPanics turns a panic into a logged 500 with no stack in the body.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.Logger.ErrorContext(r.Context(), "panic serving request",
				"request_id", requestID(r.Context()), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			writeJSON(w, http.StatusInternalServerError, detail{"Internal Server Error"})
		}()
		next.ServeHTTP(w, r)
	})
}

// limitBody refuses bodies over the cap: at once when Content-Length says
// so, otherwise when the handler reads past it.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.MaxBodyBytes {
			s.writeError(w, r, errTooLarge(s.MaxBodyBytes))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

func errTooLarge(limit int64) error {
	return omi.Errorf(omi.ETOOLARGE, "Request body too large (limit %d bytes)", limit)
}

// readBody reads the whole body, mapping the cap to 413.
func (s *Server) readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, errTooLarge(tooBig.Limit)
	}
	if err != nil {
		return nil, omi.Errorf(omi.EINVALID, "could not read request body")
	}
	return b, nil
}

// body reads and parses a JSON request body, returning the validator that
// collects its field errors.
func (s *Server) body(r *http.Request) (*lax.Validator, *lax.Obj, error) {
	raw, err := s.readBody(r)
	if err != nil {
		return nil, nil, err
	}
	v := lax.New()
	return v, v.Body(raw), nil
}

// fallback gives the mux's own 404 and 405 answers FastAPI's JSON bodies.
func (s *Server) fallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The mux would redirect a path with dot segments or doubled slashes
		// to its cleaned form, turning ".../memories/." into the memories list
		// (and a PATCH into a GET for clients that follow). Starlette matches
		// the path as sent, where such a path names no route: 404, as upstream.
		if !isCleanPath(r.URL.Path) {
			writeJSON(w, http.StatusNotFound, detail{http.StatusText(http.StatusNotFound)})
			return
		}
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(&jsonErrorWriter{ResponseWriter: w}, r)
	})
}

// isCleanPath reports whether the mux would serve p as it is rather than
// redirect it: rooted, no "." or ".." segments, no empty ones but a
// trailing slash.
func isCleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	if c != "/" && strings.HasSuffix(p, "/") {
		c += "/"
	}
	return c == p
}

// wildcardNames lists a route pattern's path parameters.
func wildcardNames(pattern string) []string {
	var names []string
	for rest := pattern; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			return names
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return names
		}
		names = append(names, strings.TrimSuffix(rest[i+1:i+j], "..."))
		rest = rest[i+j+1:]
	}
}

// cleanPathValues makes path parameters valid UTF-8 without NUL, as
// Starlette decodes paths (invalid bytes become U+FFFD). No id we issue
// contains either, so the request still names nothing; but PostgreSQL
// refuses such text outright, which would be a 500 instead of a 404.
func cleanPathValues(r *http.Request, names []string) {
	for _, n := range names {
		v := r.PathValue(n)
		if utf8.ValidString(v) && strings.IndexByte(v, 0) < 0 {
			continue
		}
		r.SetPathValue(n, strings.ReplaceAll(strings.ToValidUTF8(v, "\uFFFD"), "\x00", "\uFFFD"))
	}
}

// jsonErrorWriter replaces the plain-text body of the mux's 404/405 with
// {"detail": "Not Found"} / {"detail": "Method Not Allowed"}.
type jsonErrorWriter struct {
	http.ResponseWriter
	replaced bool
}

func (w *jsonErrorWriter) WriteHeader(code int) {
	if code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.replaced = true
	w.Header().Del("X-Content-Type-Options")
	writeJSON(w.ResponseWriter, code, detail{http.StatusText(code)})
}

func (w *jsonErrorWriter) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

func levelFor(status int) slog.Level {
	if status >= 500 {
		return slog.LevelError
	}
	return slog.LevelInfo
}

func contextWith(ctx context.Context, k ctxKey, v any) context.Context {
	return context.WithValue(ctx, k, v)
}
