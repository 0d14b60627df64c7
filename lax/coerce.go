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

// strAsInt accepts what pydantic-core's str_as_int accepts: Unicode
// whitespace trimmed, an optional sign, ASCII digits with single underscores
// between them, and an optional "." followed only by zeros ("1_000.00").
// Anything beyond int64 is int_parsing_size (pydantic would return a big int).
func strAsInt(s string) (int64, *failure) {
	s = strings.TrimSpace(s)
	i, neg := 0, false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var u uint64
	over := false
	digits := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			if u > (math.MaxUint64-9)/10 {
				over = true
			} else {
				u = u*10 + uint64(c-'0')
			}
			digits++
			continue
		}
		if c == '_' && digits > 0 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
			continue
		}
		break
	}
	if digits == 0 {
		return 0, errIntParsing
	}
	if i < len(s) {
		if s[i] != '.' || i+1 == len(s) {
			return 0, errIntParsing
		}
		for _, c := range []byte(s[i+1:]) {
			if c != '0' {
				return 0, errIntParsing
			}
		}
	}
	if over || (!neg && u > math.MaxInt64) || (neg && u > 1<<63) {
		return 0, errIntSize
	}
	if neg {
		return -int64(u), nil
	}
	return int64(u), nil
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
		if math.IsInf(f, 0) && isIntLiteral(in.s) {
			return 0, errFloatType
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
// trimmed string, then a retry with underscores removed when they are neither
// leading, trailing nor doubled (so "1_.5" and "in_f" pass, as in pydantic).
func strAsFloat(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if f, ok := rustParseFloat(s); ok {
		return f, true
	}
	if !strings.Contains(s, "_") || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return 0, false
	}
	return rustParseFloat(strings.ReplaceAll(s, "_", ""))
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
