package lax

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Opt configures a getter. A getter ignores options that do not apply to
// its type. Opt is a plain value so passing options does not allocate.
type Opt struct {
	kind optKind
	n    int
	f    float64
	vals []string
}

type optKind uint8

const (
	optRequired optKind = iota + 1
	optNullable
	optMinLen
	optMaxLen
	optMinItems
	optMaxItems
	optGe
	optLe
	optGt
	optLt
	optOneOf
)

var (
	// Required makes an absent field a "missing" error. On the value getters
	// (Str, Int, ...) null is the type error unless Nullable; on the Opt* getters a
	// Required field may still be null (Optional[T] without a default). On
	// StrList, List and Object, Required also rejects null unless Nullable
	// is given too.
	Required = Opt{kind: optRequired}
	// Nullable lets a value getter accept null (returning the zero value and
	// false, with no error), and a Required list or object be null.
	Nullable = Opt{kind: optNullable}
)

// MinLen and MaxLen bound a string's length in code points (Python len).
func MinLen(n int) Opt { return Opt{kind: optMinLen, n: n} }
func MaxLen(n int) Opt { return Opt{kind: optMaxLen, n: n} }

// MinItems and MaxItems bound a list's length.
func MinItems(n int) Opt { return Opt{kind: optMinItems, n: n} }
func MaxItems(n int) Opt { return Opt{kind: optMaxItems, n: n} }

// Ge, Le, Gt and Lt bound a number.
func Ge(x float64) Opt { return Opt{kind: optGe, f: x} }
func Le(x float64) Opt { return Opt{kind: optLe, f: x} }
func Gt(x float64) Opt { return Opt{kind: optGt, f: x} }
func Lt(x float64) Opt { return Opt{kind: optLt, f: x} }

// OneOf restricts a string to the given values, like a str Enum in pydantic
// (error type "enum"). It keeps values without copying them.
func OneOf(values ...string) Opt {
	return Opt{kind: optOneOf, vals: values}
}

// expectedList renders values as pydantic does: 'a', 'b' or 'c'.
func expectedList(values []string) string {
	var b strings.Builder
	for i, v := range values {
		switch {
		case i == 0:
		case i == len(values)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(pyRepr(v))
	}
	return b.String()
}

// pyRepr is Python's repr() of a str, enough for enum values.
func pyRepr(s string) string {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	b := make([]byte, 0, len(s)+2)
	b = append(b, q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r < 0x20 || r == 0x7f:
			b = append(b, '\\', 'x', "0123456789abcdef"[r>>4], "0123456789abcdef"[r&15])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return string(append(b, q))
}

type config struct {
	required, nullable bool
	minLen, maxLen     int
	minItems, maxItems int
	ge, le, gt, lt     float64
	bounds             uint8 // bits: 1 ge, 2 le, 4 gt, 8 lt
	oneOf              *Opt
}

func configure(opts []Opt) config {
	c := config{minLen: -1, maxLen: -1, minItems: -1, maxItems: -1}
	for i := range opts {
		o := &opts[i]
		switch o.kind {
		case optRequired:
			c.required = true
		case optNullable:
			c.nullable = true
		case optMinLen:
			c.minLen = o.n
		case optMaxLen:
			c.maxLen = o.n
		case optMinItems:
			c.minItems = o.n
		case optMaxItems:
			c.maxItems = o.n
		case optGe:
			c.ge, c.bounds = o.f, c.bounds|1
		case optLe:
			c.le, c.bounds = o.f, c.bounds|2
		case optGt:
			c.gt, c.bounds = o.f, c.bounds|4
		case optLt:
			c.lt, c.bounds = o.f, c.bounds|8
		case optOneOf:
			c.oneOf = o
		}
	}
	return c
}

func checkStr(in input, c config) (string, *failure) {
	if c.oneOf != nil {
		if in.kind == kStr {
			for _, v := range c.oneOf.vals {
				if in.s == v {
					return v, nil
				}
			}
		}
		// Rendered only on failure: handlers build OneOf on every request.
		exp := expectedList(c.oneOf.vals)
		return "", &failure{typ: "enum", msg: "Input should be " + exp, ctx: map[string]any{"expected": exp}}
	}
	s, f := coerceStr(in)
	if f != nil {
		return "", f
	}
	if c.minLen >= 0 || c.maxLen >= 0 {
		n := utf8.RuneCountInString(s)
		if c.minLen >= 0 && n < c.minLen {
			return "", &failure{typ: "string_too_short", msg: "String should have at least " + plural(c.minLen, "character"), ctx: map[string]any{"min_length": c.minLen}}
		}
		if c.maxLen >= 0 && n > c.maxLen {
			return "", &failure{typ: "string_too_long", msg: "String should have at most " + plural(c.maxLen, "character"), ctx: map[string]any{"max_length": c.maxLen}}
		}
	}
	return s, nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

func tooShort(n, min int) *failure {
	return &failure{
		typ: "too_short",
		msg: "List should have at least " + plural(min, "item") + " after validation, not " + strconv.Itoa(n),
		ctx: map[string]any{"field_type": "List", "min_length": min, "actual_length": n},
	}
}

func tooLong(n, max int) *failure {
	return &failure{
		typ: "too_long",
		msg: "List should have at most " + plural(max, "item") + " after validation, not " + strconv.Itoa(n),
		ctx: map[string]any{"field_type": "List", "max_length": max, "actual_length": n},
	}
}

// formatNum renders a bound like pydantic's message does (Rust's Display):
// 1, 1.5, 100000000000000000000; never an exponent.
func formatNum(x float64) string {
	return strconv.FormatFloat(x, 'f', -1, 64)
}

func boundFailure(kind string, bound float64, ctxVal any) *failure {
	var msg string
	switch kind {
	case "ge":
		msg = "greater_than_equal|Input should be greater than or equal to "
	case "le":
		msg = "less_than_equal|Input should be less than or equal to "
	case "gt":
		msg = "greater_than|Input should be greater than "
	default:
		msg = "less_than|Input should be less than "
	}
	typ, text, _ := strings.Cut(msg, "|")
	return &failure{typ: typ, msg: text + formatNum(bound), ctx: map[string]any{kind: ctxVal}}
}

// checkFloatBounds applies bounds in pydantic-core's order (le, lt, ge, gt).
func checkFloatBounds(x float64, c *config) *failure {
	if c.bounds == 0 {
		return nil
	}
	switch {
	case c.bounds&2 != 0 && !(x <= c.le):
		return boundFailure("le", c.le, c.le)
	case c.bounds&8 != 0 && !(x < c.lt):
		return boundFailure("lt", c.lt, c.lt)
	case c.bounds&1 != 0 && !(x >= c.ge):
		return boundFailure("ge", c.ge, c.ge)
	case c.bounds&4 != 0 && !(x > c.gt):
		return boundFailure("gt", c.gt, c.gt)
	}
	return nil
}

// intCtx is the ctx value for a bound on an int field: an int when the bound
// is whole (pydantic echoes Field(ge=1) as 1), else the float.
func intCtx(b float64) any {
	if b == math.Trunc(b) && b >= math.MinInt64 && b < math.MaxInt64 {
		return int64(b)
	}
	return b
}

// checkIntBounds compares exactly: converting a large int64 to float64 would
// round, so each bound is first turned into the equivalent integer test.
func checkIntBounds(x int64, c *config) *failure {
	if c.bounds == 0 {
		return nil
	}
	switch {
	case c.bounds&2 != 0 && !intLE(x, math.Floor(c.le)):
		return boundFailure("le", c.le, intCtx(c.le))
	case c.bounds&8 != 0 && !intLT(x, math.Ceil(c.lt)):
		return boundFailure("lt", c.lt, intCtx(c.lt))
	case c.bounds&1 != 0 && !intGE(x, math.Ceil(c.ge)):
		return boundFailure("ge", c.ge, intCtx(c.ge))
	case c.bounds&4 != 0 && !intGT(x, math.Floor(c.gt)):
		return boundFailure("gt", c.gt, intCtx(c.gt))
	}
	return nil
}

// The helpers below compare an int64 with a whole float64 (or ±Inf/NaN).
// A NaN bound never rejects.
func intLE(x int64, b float64) bool {
	switch {
	case math.IsNaN(b) || b >= 1<<63:
		return true
	case b < -(1 << 63):
		return false
	}
	return x <= int64(b)
}

func intGE(x int64, b float64) bool {
	switch {
	case math.IsNaN(b) || b <= -(1<<63):
		return true
	case b >= 1<<63:
		return false
	}
	return x >= int64(b)
}

func intLT(x int64, b float64) bool {
	switch {
	case math.IsNaN(b) || b >= 1<<63:
		return true
	case b <= -(1 << 63):
		return false
	}
	return x < int64(b)
}

func intGT(x int64, b float64) bool {
	switch {
	case math.IsNaN(b) || b < -(1<<63):
		return true
	case b >= 1<<63:
		return false
	}
	return x > int64(b)
}
