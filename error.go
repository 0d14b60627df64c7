// Package omi holds the domain of omi-devapi: the types the Omi Developer API
// talks about, the errors every layer shares, and the interfaces that the
// store, auth and HTTP packages implement or consume.
package omi

import (
	"errors"
	"fmt"
)

// Error codes. The HTTP layer maps each to one status; nothing else in the
// program needs to know about HTTP.
const (
	ECONFLICT     = "conflict"     // 409
	EINTERNAL     = "internal"     // 500
	EINVALID      = "invalid"      // 422
	ENOTFOUND     = "not_found"    // 404
	EUNAUTHORIZED = "unauthorized" // 401
	EFORBIDDEN    = "forbidden"    // 403
	ETOOLARGE     = "too_large"    // 413
	ERATELIMIT    = "rate_limited" // 429
	EUNAVAILABLE  = "unavailable"  // 503
)

// FieldError is one validation failure in pydantic's shape: where (loc), what
// (msg) and which rule (type). Loc elements are strings or ints. Input and
// Ctx are what pydantic also reports; the wire carries only the spec's
// ValidationError fields (type, loc, msg), so they stay for logs and tests.
type FieldError struct {
	Type  string         `json:"type"`
	Loc   []any          `json:"loc"`
	Msg   string         `json:"msg"`
	Input any            `json:"-"`
	Ctx   map[string]any `json:"-"`
}

// Error is the error type every layer returns for failures a client should
// see. Message is safe to show to the caller; internal causes stay in Err.
type Error struct {
	Code    string
	Message string
	// Fields carries pydantic-style details for EINVALID errors.
	Fields []FieldError
	// RetryAfter, in seconds, for ERATELIMIT.
	RetryAfter int
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error with a formatted, client-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid builds a 422 error from one or more field errors.
func Invalid(fields ...FieldError) *Error {
	msg := "validation failed"
	if len(fields) > 0 {
		msg = fields[0].Msg
	}
	return &Error{Code: EINVALID, Message: msg, Fields: fields}
}

// InvalidValue is the 422 for a hand-written check (upstream's plain-string
// 422s): pydantic's value_error at loc.
func InvalidValue(msg string, loc ...any) *Error {
	if len(loc) == 0 {
		loc = []any{"body"}
	}
	return Invalid(FieldError{Type: "value_error", Loc: loc, Msg: msg})
}

// ErrorCode returns the code of err, EINTERNAL for anything that is not an
// *Error (those are bugs or infrastructure failures, never shown).
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal Server Error"
}
