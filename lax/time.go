package lax

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// TimeError is a datetime failure with pydantic's type and reason; Error()
// is pydantic's msg.
type TimeError struct {
	Type   string // "datetime_from_date_parsing" or "datetime_parsing"
	Reason string // ctx.error, e.g. "input is too short"
}

func (e *TimeError) Error() string {
	if e.Type == "datetime_parsing" {
		return "Input should be a valid datetime, " + e.Reason
	}
	return "Input should be a valid datetime or date, " + e.Reason
}

func (e *TimeError) failure() *failure {
	return &failure{typ: e.Type, msg: e.Error(), ctx: map[string]any{"error": e.Reason}}
}

// speedate's error texts, as pydantic puts them in ctx.error.
const (
	reasonTooShort     = "input is too short"
	reasonYearChar     = "invalid character in year"
	reasonMonthChar    = "invalid character in month"
	reasonDayChar      = "invalid character in day"
	reasonDateSep      = "invalid date separator, expected `-`"
	reasonMonthRange   = "month value is outside expected range of 1-12"
	reasonDayRange     = "day value is outside expected range"
	reasonExtra        = "unexpected extra characters at the end of the input"
	reasonTooSmall     = "dates before 0000 are not supported as unix timestamps"
	reasonTooLarge     = "dates after 9999 are not supported as unix timestamps"
	reasonYear0        = "year 0 is out of range"
	reasonYear10000UTC = "year 10000 is out of range"
)

const (
	// Above this magnitude speedate reads a timestamp as milliseconds.
	msWatershed = 20_000_000_000
	unix0000    = -62_167_219_200 // 0000-01-01T00:00:00Z
	unix9999    = 253_402_300_799 // 9999-12-31T23:59:59Z
)

// ParseTime parses s the way pydantic v2 (speedate) validates a str for a
// datetime field in lax mode: RFC 3339-ish datetimes, bare dates (midnight),
// and Unix timestamps in seconds or milliseconds. Naive values are taken as
// UTC. The result is in UTC with microsecond precision. Errors are
// *TimeError.
func ParseTime(s string) (time.Time, error) {
	t, fail := parseTimeString(s)
	if fail != nil {
		return time.Time{}, fail
	}
	return t, nil
}

func parseTimeString(s string) (time.Time, *TimeError) {
	if t, ok, err := parseRFC3339(s); ok {
		return t, err
	}
	// pydantic then tries s as a timestamp and, failing that, as a date; the
	// date parser's complaint is the one reported.
	switch kind, n, f := speedateNumber(s); kind {
	case numInt:
		if sec, us, reason := fromTimestamp(n, 0); reason == "" {
			return fromUnix(sec, us)
		}
	case numFloat:
		// speedate scales milliseconds here and fromTimestamp applies the
		// watershed again, so "1000000000000000.5" lands in 2001. Kept.
		if math.Abs(f) > msWatershed {
			f /= 1000
		}
		sec := saturatingInt64(math.Floor(f))
		us := saturatingUint32(math.Round((f - float64(sec)) * 1e6))
		if sec, us, reason := fromTimestamp(sec, us); reason == "" {
			return fromUnix(sec, us)
		}
	}
	y, m, d, reason := parseDate(s)
	if reason == "" && len(s) > 10 {
		reason = reasonExtra
	}
	if reason == "" {
		if y == 0 {
			return time.Time{}, &TimeError{"datetime_parsing", reasonYear0}
		}
		return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), nil
	}
	// speedate's date parser also reads an int as a timestamp. Had it been
	// in range, the datetime attempt above would have succeeded, so only its
	// range error can surface here.
	if n, ok := speedateInt(s); ok {
		if _, _, r := fromTimestamp(n, 0); r != "" {
			reason = r
		}
	}
	return time.Time{}, &TimeError{"datetime_from_date_parsing", reason}
}

// parseDate is speedate's Date::parse_bytes_partial: YYYY-MM-DD at the start
// of s, reporting the first problem in speedate's order.
func parseDate(s string) (y, m, d int, reason string) {
	if len(s) < 10 {
		return 0, 0, 0, reasonTooShort
	}
	for i := 0; i < 4; i++ {
		if !isDigit(s[i]) {
			return 0, 0, 0, reasonYearChar
		}
	}
	if s[4] != '-' {
		return 0, 0, 0, reasonDateSep
	}
	if !isDigit(s[5]) || !isDigit(s[6]) {
		return 0, 0, 0, reasonMonthChar
	}
	if s[7] != '-' {
		return 0, 0, 0, reasonDateSep
	}
	if !isDigit(s[8]) || !isDigit(s[9]) {
		return 0, 0, 0, reasonDayChar
	}
	y = int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	m = int(s[5]-'0')*10 + int(s[6]-'0')
	d = int(s[8]-'0')*10 + int(s[9]-'0')
	if m < 1 || m > 12 {
		return 0, 0, 0, reasonMonthRange
	}
	if d < 1 || d > daysIn(y, m) {
		return 0, 0, 0, reasonDayRange
	}
	return y, m, d, ""
}

func daysIn(y, m int) int {
	switch m {
	case 4, 6, 9, 11:
		return 30
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	}
	return 31
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digits2(s string, i int) (int, bool) {
	if i+2 > len(s) || !isDigit(s[i]) || !isDigit(s[i+1]) {
		return 0, false
	}
	return int(s[i]-'0')*10 + int(s[i+1]-'0'), true
}

// parseRFC3339 is speedate's DateTime::parse_bytes_rfc3339. ok reports
// whether s had datetime syntax; err is set when it did but Python could not
// hold the value (year 0), or its UTC form needs year 10000.
func parseRFC3339(s string) (t time.Time, ok bool, err *TimeError) {
	y, mo, d, reason := parseDate(s)
	if reason != "" || len(s) < 11 {
		return t, false, nil
	}
	switch s[10] {
	case 'T', 't', ' ', '_':
	default:
		return t, false, nil
	}
	hh, ok1 := digits2(s, 11)
	if !ok1 || len(s) < 16 || s[13] != ':' {
		return t, false, nil
	}
	mm, ok2 := digits2(s, 14)
	if !ok2 || hh > 23 || mm > 59 {
		return t, false, nil
	}
	i := 16
	ss, us := 0, 0
	if i < len(s) && s[i] == ':' {
		var ok3 bool
		if ss, ok3 = digits2(s, i+1); !ok3 || ss > 59 {
			return t, false, nil
		}
		i += 3
		if i < len(s) && (s[i] == '.' || s[i] == ',') {
			i++
			n := 0
			for i < len(s) && isDigit(s[i]) {
				// Beyond microseconds speedate truncates.
				if n < 6 {
					us = us*10 + int(s[i]-'0')
				}
				n++
				i++
			}
			if n == 0 {
				return t, false, nil
			}
			for ; n < 6; n++ {
				us *= 10
			}
		}
	}
	offset := 0
	if i < len(s) {
		sign := 0
		switch {
		case s[i] == 'Z' || s[i] == 'z':
			i++
		case s[i] == '+':
			sign, i = 1, i+1
		case s[i] == '-':
			sign, i = -1, i+1
		case strings.HasPrefix(s[i:], "\u2212"): // ISO 8601 minus sign
			sign, i = -1, i+len("\u2212")
		default:
			return t, false, nil
		}
		if sign != 0 {
			oh, okh := digits2(s, i)
			if !okh {
				return t, false, nil
			}
			i += 2
			if i < len(s) && s[i] == ':' {
				i++
			}
			om, okm := digits2(s, i)
			if !okm || oh > 23 || om > 59 {
				return t, false, nil
			}
			i += 2
			offset = sign * (oh*3600 + om*60)
		}
	}
	if i != len(s) {
		return t, false, nil
	}
	if y == 0 {
		return t, true, &TimeError{"datetime_parsing", reasonYear0}
	}
	t = time.Date(y, time.Month(mo), d, hh, mm, ss, us*1000, time.UTC).Add(-time.Duration(offset) * time.Second)
	if t.Year() > 9999 {
		// Python keeps the offset and is fine; we return UTC, and Go's
		// encoders refuse years past 9999, so refuse it here instead of
		// failing later with a 500.
		return time.Time{}, true, &TimeError{"datetime_parsing", reasonYear10000UTC}
	}
	return t, true, nil
}

const (
	numErr = iota
	numInt
	numFloat
)

// speedateNumber is speedate's float_parse_bytes: an optional sign and an
// integer part read by speedateInt's rules; then either the end (an int) or,
// if s has a '.', the whole of s as a standard float (no inf/nan, no
// underscores).
func speedateNumber(s string) (kind int, n int64, f float64) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if _, ok := speedateDigits(s[i:j]); !ok && j > i {
		return numErr, 0, 0
	}
	if j == len(s) {
		if n, ok := speedateInt(s); ok {
			return numInt, n, 0
		}
		return numErr, 0, 0
	}
	if strings.IndexByte(s, '.') < 0 {
		return numErr, 0, 0
	}
	digits := j - i
	i = j
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return numErr, 0, 0
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		ed := 0
		for i < len(s) && isDigit(s[i]) {
			i, ed = i+1, ed+1
		}
		if ed == 0 {
			return numErr, 0, 0
		}
	}
	if i != len(s) {
		return numErr, 0, 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return numErr, 0, 0
	}
	return numFloat, 0, f
}

// speedateInt is speedate's int_parse_bytes: an optional sign then at least
// one ASCII digit.
func speedateInt(s string) (int64, bool) {
	neg := false
	if len(s) >= 2 && (s[0] == '-' || s[0] == '+') {
		neg, s = s[0] == '-', s[1:]
	}
	if s == "" {
		return 0, false
	}
	u, ok := speedateDigits(s)
	if !ok {
		return 0, false
	}
	if neg {
		return -int64(u), true
	}
	return int64(u), true
}

// speedateDigits accumulates digits the way the speedate in pydantic-core
// 2.46 does: in a wrapping u64, failing only when a partial result lands
// above i64::MAX. So "18446744073709551616" (2**64) is 0, while
// "99999999999999999999" fails. Faithful, not sensible.
func speedateDigits(s string) (uint64, bool) {
	var u uint64
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		u = u*10 + uint64(s[i]-'0')
		if u > math.MaxInt64 {
			return 0, false
		}
	}
	return u, true
}

// fromTimestamp is speedate's DateTime::from_timestamp_with_config: seconds,
// or milliseconds above the watershed, plus extra microseconds.
func fromTimestamp(ts int64, us uint32) (sec int64, micro uint32, reason string) {
	if ts == math.MinInt64 {
		return 0, 0, reasonTooSmall
	}
	sec = ts
	var extra int64
	if ts > msWatershed || ts < -msWatershed {
		sec = ts / 1000
		extra = ts % 1000 * 1000
		if extra < 0 {
			sec--
			extra += 1_000_000
		}
	}
	total := int64(us) + extra
	if total >= 1_000_000 {
		sec += total / 1_000_000
		total %= 1_000_000
	}
	if sec < unix0000 {
		return 0, 0, reasonTooSmall
	}
	if sec > unix9999 {
		return 0, 0, reasonTooLarge
	}
	return sec, uint32(total), ""
}

func fromUnix(sec int64, us uint32) (time.Time, *TimeError) {
	t := time.Unix(sec, int64(us)*1000).UTC()
	if t.Year() == 0 {
		return time.Time{}, &TimeError{"datetime_parsing", reasonYear0}
	}
	return t, nil
}

// timeFromNumber handles a JSON number for a datetime field, which Python's
// json hands to pydantic as an int or a float.
func timeFromNumber(lit string) (time.Time, *TimeError) {
	if isIntLiteral(lit) {
		n, err := strconv.ParseInt(lit, 10, 64)
		if err != nil {
			if strings.HasPrefix(lit, "-") {
				return time.Time{}, &TimeError{"datetime_parsing", reasonTooSmall}
			}
			return time.Time{}, &TimeError{"datetime_parsing", reasonTooLarge}
		}
		sec, us, reason := fromTimestamp(n, 0)
		if reason != "" {
			return time.Time{}, &TimeError{"datetime_parsing", reason}
		}
		return fromUnix(sec, us)
	}
	f, _ := strconv.ParseFloat(lit, 64)
	// pydantic-core's float path: floor for the seconds but |fract| for the
	// sub-second part (so -1.25 lands on -2 + 0.25), with the fraction read
	// as milliseconds above the watershed. Odd, but that is what it does.
	frac := math.Abs(f - math.Trunc(f))
	var us uint32
	if math.Abs(f) > msWatershed {
		us = saturatingUint32(math.Round(frac * 1e3))
	} else {
		us = saturatingUint32(math.Round(frac * 1e6))
	}
	sec, us, reason := fromTimestamp(saturatingInt64(math.Floor(f)), us)
	if reason != "" {
		return time.Time{}, &TimeError{"datetime_parsing", reason}
	}
	return fromUnix(sec, us)
}

// saturatingInt64 is Rust's `f as i64`; Go's conversion is undefined out of
// range.
func saturatingInt64(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

func saturatingUint32(f float64) uint32 {
	switch {
	case math.IsNaN(f) || f <= 0:
		return 0
	case f >= math.MaxUint32:
		return math.MaxUint32
	}
	return uint32(f)
}

func coerceTime(in input) (time.Time, *failure) {
	var t time.Time
	var err *TimeError
	switch in.kind {
	case kStr:
		t, err = parseTimeString(in.s)
	case kNum:
		t, err = timeFromNumber(in.s)
	default:
		return time.Time{}, errDatetimeType
	}
	if err != nil {
		return time.Time{}, err.failure()
	}
	return t, nil
}
