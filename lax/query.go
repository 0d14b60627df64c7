package lax

import (
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Query reads query parameters. Every value is a string, validated as
// pydantic validates a str input in lax mode; locs are ["query", name].
type Query struct {
	v      *Validator
	values url.Values
}

// Query wraps values (typically r.URL.Query()).
func (v *Validator) Query(values url.Values) *Query {
	return &Query{v: v, values: values}
}

// get returns the parameter's last value, as FastAPI does for repeats.
func (q *Query) get(name string) (string, bool) {
	vs := q.values[name]
	if len(vs) == 0 {
		return "", false
	}
	return cleanUTF8(vs[len(vs)-1]), true
}

// cleanUTF8 replaces each invalid byte with U+FFFD, as Starlette's
// unquote(errors="replace") does before FastAPI sees the value.
func cleanUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		b.WriteRune(r) // invalid bytes arrive as utf8.RuneError
	}
	return b.String()
}

func (q *Query) loc(name string) []any { return []any{"query", name} }

func queryScalar[T any](q *Query, name string, opts []Opt, check func(input, config) (T, *failure)) (T, bool) {
	var zero T
	c := configure(opts)
	s, ok := q.get(name)
	if !ok {
		if c.required {
			q.v.record(nil, missing(q.loc(name)), nil)
		}
		return zero, false
	}
	in := input{kind: kStr, s: s}
	x, f := check(in, c)
	if f != nil {
		q.v.record(nil, failureError(f, q.loc(name), in, true), nil)
		return zero, false
	}
	return x, true
}

// Int returns the parameter, or def when it is absent. On error it returns 0.
func (q *Query) Int(name string, def int64, opts ...Opt) int64 {
	if _, ok := q.get(name); !ok && !configure(opts).required {
		return def
	}
	n, _ := queryScalar(q, name, opts, checkInt)
	return n
}

// OptInt returns the parameter, or nil when it is absent or invalid.
func (q *Query) OptInt(name string, opts ...Opt) *int64 {
	return ptr(queryScalar(q, name, opts, checkInt))
}

// Float returns the parameter; ok is false when absent or invalid.
func (q *Query) Float(name string, opts ...Opt) (float64, bool) {
	return queryScalar(q, name, opts, checkFloat)
}

// OptFloat returns the parameter, or nil when it is absent or invalid.
func (q *Query) OptFloat(name string, opts ...Opt) *float64 {
	return ptr(queryScalar(q, name, opts, checkFloat))
}

// Bool returns the parameter, or def when it is absent. On error it returns
// false.
func (q *Query) Bool(name string, def bool, opts ...Opt) bool {
	if _, ok := q.get(name); !ok && !configure(opts).required {
		return def
	}
	b, _ := queryScalar(q, name, opts, checkBool)
	return b
}

// OptBool returns the parameter, or nil when it is absent or invalid.
func (q *Query) OptBool(name string, opts ...Opt) *bool {
	return ptr(queryScalar(q, name, opts, checkBool))
}

// Time returns the parameter in UTC; ok is false when absent or invalid.
func (q *Query) Time(name string, opts ...Opt) (time.Time, bool) {
	return queryScalar(q, name, opts, checkTime)
}

// OptTime returns the parameter in UTC, or nil when it is absent or invalid.
func (q *Query) OptTime(name string, opts ...Opt) *time.Time {
	return ptr(queryScalar(q, name, opts, checkTime))
}

// Str returns the parameter; "" is a valid value (MinLen can refuse it).
func (q *Query) Str(name string, opts ...Opt) (string, bool) {
	return queryScalar(q, name, opts, checkStr)
}

// OptStr returns the parameter, or nil when it is absent or invalid.
func (q *Query) OptStr(name string, opts ...Opt) *string {
	return ptr(queryScalar(q, name, opts, checkStr))
}

// StrList returns every value of a repeated parameter (FastAPI's
// list[str] = Query()), errors at ["query", name, i].
func (q *Query) StrList(name string, opts ...Opt) ([]string, bool) {
	c := configure(opts)
	vs := q.values[name]
	if len(vs) == 0 {
		if c.required {
			q.v.record(nil, missing(q.loc(name)), nil)
		}
		return nil, false
	}
	if c.maxItems >= 0 && len(vs) > c.maxItems {
		q.v.record(nil, failureError(tooLong(len(vs), c.maxItems), q.loc(name), input{}, false), nil)
		return nil, false
	}
	out := make([]string, 0, len(vs))
	bad := false
	for i, s := range vs {
		in := input{kind: kStr, s: cleanUTF8(s)}
		x, f := checkStr(in, c)
		if f != nil {
			bad = true
			q.v.record(nil, failureError(f, []any{"query", name, i}, in, true), nil)
			continue
		}
		out = append(out, x)
	}
	if bad {
		return nil, false
	}
	if c.minItems >= 0 && len(vs) < c.minItems {
		q.v.record(nil, failureError(tooShort(len(vs), c.minItems), q.loc(name), input{}, false), nil)
		return nil, false
	}
	return out, true
}
