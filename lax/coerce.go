package lax

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// input is the scalar view of one value: a JSON token or a query string.
// For kNum, s is the JSON literal; for kStr, the decoded string.
type input struct {
	kind uint8
	s    string
}

// failure is a pydantic error without its loc.
type failure struct {
	typ string
	msg string
	ctx map[string]any
}

// Shared failures carry no ctx, so handing out the same pointer is safe.
var (
	errStringType   = &failure{typ: "string_type", msg: "Input should be a valid string"}
	errNUL          = &failure{typ: "value_error", msg: "Value error, String must not contain NUL characters"}
	errIntType      = &failure{typ: "int_type", msg: "Input should be a valid integer"}
	errIntParsing   = &failure{typ: "int_parsing", msg: "Input should be a valid integer, unable to parse string as an integer"}
	errIntFromFloat = &failure{typ: "int_from_float", msg: "Input should be a valid integer, got a number with a fractional part"}
	errIntSize      = &failure{typ: "int_parsing_size", msg: "Unable to parse input string as an integer, exceeded maximum size"}
	errFinite       = &failure{typ: "finite_number", msg: "Input should be a finite number"}
	errFloatType    = &failure{typ: "float_type", msg: "Input should be a valid number"}
	errFloatParsing = &failure{typ: "float_parsing", msg: "Input should be a valid number, unable to parse string as a number"}
	errBoolType     = &failure{typ: "bool_type", msg: "Input should be a valid boolean"}
	errBoolParsing  = &failure{typ: "bool_parsing", msg: "Input should be a valid boolean, unable to interpret input"}
	errDatetimeType = &failure{typ: "datetime_type", msg: "Input should be a valid datetime"}
	errListType     = &failure{typ: "list_type", msg: "Input should be a valid list"}
	errModelAttrs   = &failure{typ: "model_attributes_type", msg: "Input should be a valid dictionary or object to extract fields from"}
)

// isIntLiteral tells a JSON integer from a JSON float: Python's json gives
// int for the first and float for the second, and pydantic treats them
// differently (huge ints, bool coercion, timestamps).
func isIntLiteral(lit string) bool {
	return strings.IndexAny(lit, ".eE") < 0
}

func coerceStr(in input) (string, *failure) {
	if in.kind != kStr {
		return "", errStringType
	}
	if strings.IndexByte(in.s, 0) >= 0 {
		return "", errNUL
	}
	return in.s, nil
}

func coerceInt(in input) (int64, *failure) {
	switch in.kind {
	case kTrue:
		return 1, nil
	case kFalse:
		return 0, nil
	case kNum:
		if isIntLiteral(in.s) {
			n, err := strconv.ParseInt(in.s, 10, 64)
			if err != nil {
				return 0, errIntSize
			}
			return n, nil
		}
		f, _ := strconv.ParseFloat(in.s, 64)
		return floatAsInt(f)
	case kStr:
		return strAsInt(in.s)
	}
	return 0, errIntType
}

// floatAsInt is pydantic-core's float_as_int: the bounds are exclusive, so
// even -2**63 as a float is "exceeded maximum size".
func floatAsInt(f float64) (int64, *failure) {
	switch {
	case math.IsInf(f, 0) || math.IsNaN(f):
		return 0, errFinite
	case f != math.Trunc(f):
		return 0, errIntFromFloat
	case !(f > -(1<<63) && f < 1<<63):
		return 0, errIntSize
	}
	return int64(f), nil
}

// strAsInt is pydantic-core's str_as_int: first the string as a JSON
// integer, then again after clean_int_str has trimmed Unicode whitespace, a
// leading '+', leading zeros (and underscores among them), a ".000" tail and
// well-placed underscores. clean_int_str has quirks ("0-5" is -5) that we
// copy because they are what clients of the Python server got. Values beyond
// int64 are int_parsing_size (pydantic would return a big int), except where
// pydantic itself fails on length (over 4300 digits after cleaning).
func strAsInt(s string) (int64, *failure) {
	switch n, r := jsonInt(s); r {
	case intOK:
		return n, nil
	case intBig, intTooLong:
		return 0, errIntSize
	}
	c, ok := cleanIntStr(s)
	if !ok {
		return 0, errIntParsing
	}
	switch n, r := jsonInt(c); r {
	case intOK:
		return n, nil
	case intBig:
		return 0, errIntSize
	}
	return 0, errIntParsing
}

const (
	intOK      = iota
	intBig     // valid, beyond int64
	intTooLong // valid, more digits than jiter accepts
	intInvalid
)

// jsonInt parses s as a JSON integer (jiter's NumberInt): -?(0|[1-9][0-9]*).
func jsonInt(s string) (int64, int) {
	i, neg := 0, false
	if i < len(s) && s[i] == '-' {
		neg, i = true, 1
	}
	if i == len(s) || !isDigit(s[i]) || (s[i] == '0' && i+1 < len(s)) {
		return 0, intInvalid
	}
	digits := len(s) - i
	var u uint64
	big := false
	for ; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, intInvalid
		}
		d := uint64(s[i] - '0')
		if u > (math.MaxUint64-d)/10 {
			big = true
		} else {
			u = u*10 + d
		}
	}
	switch {
	case digits > 4300:
		return 0, intTooLong
	case big || (!neg && u > math.MaxInt64) || (neg && u > 1<<63):
		return 0, intBig
	case neg:
		return -int64(u), intOK
	}
	return int64(u), intOK
}

// cleanIntStr is pydantic-core's clean_int_str.
func cleanIntStr(s string) (string, bool) {
	lenBefore := len(s)
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "+") {
		if strings.HasPrefix(s[1:], "-") {
			return "", false
		}
		s = s[1:]
	}
	neg := false
	if strings.HasPrefix(s, "-") {
		if strings.HasPrefix(s[1:], "-") || strings.HasPrefix(s[1:], "+") {
			return "", false
		}
		neg, s = true, s[1:]
	}
	s, ok := stripLeadingZeros(s)
	if !ok {
		return "", false
	}
	if i := strings.IndexByte(s, '.'); i >= 0 {
		if dec := s[i+1:]; dec != "" && strings.Trim(dec, "0") == "" {
			s = s[:i]
		}
	}
	if t, ok := stripUnderscores(s); ok {
		s = t
	} else if lenBefore == len(s) {
		return "", false
	}
	if neg {
		return "-" + s, true
	}
	return s, true
}

// stripLeadingZeros is pydantic-core's strip_leading_zeros, including its
// habit of resuming at a '-' ("00-5" -> "-5").
func stripLeadingZeros(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	switch c := s[0]; {
	case c == '0':
	case (c >= '1' && c <= '9') || c == '-':
		return s, true
	default:
		return "", false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '0' || c == '_':
		case (c >= '1' && c <= '9') || c == '-':
			return s[i:], true
		case c == '.':
			return s[i-1:], true
		default:
			return "", false
		}
	}
	return s[len(s)-1:], true
}

// stripUnderscores is pydantic-core's strip_underscores: only when they are
// neither leading, trailing nor doubled.
func stripUnderscores(s string) (string, bool) {
	if !strings.Contains(s, "_") || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return "", false
	}
	return strings.ReplaceAll(s, "_", ""), true
}

func coerceFloat(in input) (float64, *failure) {
	var f float64
	switch in.kind {
	case kTrue:
		return 1, nil
	case kFalse:
		return 0, nil
	case kNum:
		f, _ = strconv.ParseFloat(in.s, 64)
		// A JSON int too big for a float is an OverflowError in Python's
		// int->float conversion, which pydantic reports as float_type.
		if isIntLiteral(in.s) {
			if math.IsInf(f, 0) {
				return 0, errFloatType
			}
			if f == 0 {
				f = 0 // float(int("-0")) is +0.0, not -0.0
			}
		}
	case kStr:
		var ok bool
		if f, ok = strAsFloat(in.s); !ok {
			return 0, errFloatParsing
		}
	default:
		return 0, errFloatType
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, errFinite
	}
	return f, nil
}

// strAsFloat is pydantic-core's str_as_float: Rust's f64::from_str on the
// trimmed string, then a retry with underscores removed (so "1_.5" and "in_f"
// pass, as in pydantic).
func strAsFloat(s string) (float64, bool) {
	if f, ok := rustParseFloat(strings.TrimSpace(s)); ok {
		return f, true
	}
	// pydantic strips underscores from the untrimmed string, so " 1_0" fails.
	t, ok := stripUnderscores(s)
	if !ok {
		return 0, false
	}
	return rustParseFloat(t)
}

// rustParseFloat accepts exactly Rust's f64 grammar; strconv.ParseFloat alone
// would also take hex floats and underscores.
func rustParseFloat(s string) (float64, bool) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if rest := s[i:]; asciiEqualFold(rest, "inf") || asciiEqualFold(rest, "infinity") {
		if neg {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	} else if asciiEqualFold(rest, "nan") {
		return math.NaN(), true
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		ed := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			ed++
		}
		if ed == 0 {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func coerceBool(in input) (bool, *failure) {
	switch in.kind {
	case kTrue:
		return true, nil
	case kFalse:
		return false, nil
	case kNum:
		return numAsBool(in.s)
	case kStr:
		if b, ok := ParseBool(in.s); ok {
			return b, nil
		}
		return false, errBoolParsing
	}
	return false, errBoolType
}

// numAsBool follows pydantic-core: a number that is an int64 (or a float
// holding one) must be 0 or 1 (else bool_parsing); anything else, including
// 1.5 and ints beyond int64, is bool_type.
func numAsBool(lit string) (bool, *failure) {
	var n int64
	if isIntLiteral(lit) {
		var err error
		if n, err = strconv.ParseInt(lit, 10, 64); err != nil {
			return false, errBoolType
		}
	} else {
		f, _ := strconv.ParseFloat(lit, 64)
		var fail *failure
		if n, fail = floatAsInt(f); fail != nil {
			return false, errBoolType
		}
	}
	switch n {
	case 0:
		return false, nil
	case 1:
		return true, nil
	}
	return false, errBoolParsing
}

// ParseBool reports whether s is one of pydantic's boolean spellings
// (ASCII case-insensitive, not trimmed) and which value it spells.
func ParseBool(s string) (value, ok bool) {
	for _, w := range [...]string{"0", "off", "f", "false", "n", "no"} {
		if asciiEqualFold(s, w) {
			return false, true
		}
	}
	for _, w := range [...]string{"1", "on", "t", "true", "y", "yes"} {
		if asciiEqualFold(s, w) {
			return true, true
		}
	}
	return false, false
}

// asciiEqualFold is Rust's eq_ignore_ascii_case. strings.EqualFold would
// also fold non-ASCII look-alikes ("yeſ" == "yes"), which pydantic rejects.
func asciiEqualFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// inputValue is what we put in FieldError.Input: cheap to produce and
// marshalling like the JSON the client sent.
func inputValue(in input) any {
	switch in.kind {
	case kStr:
		return in.s
	case kNum:
		return json.Number(in.s)
	case kTrue:
		return true
	case kFalse:
		return false
	}
	return nil
}
