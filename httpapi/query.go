package httpapi

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/omi-devapi/omi-devapi/lax"
)

// query reads the request's query string as Starlette does (Python's
// parse_qsl): pairs split on '&', '+' is a space, and a malformed percent
// escape stays literal instead of silently dropping the pair, as Go's
// url.ParseQuery would, so "?cursor=%%%" is validated, not ignored.
func query(v *lax.Validator, r *http.Request) *lax.Query {
	vals := url.Values{}
	for _, pair := range strings.Split(r.URL.RawQuery, "&") {
		if pair == "" {
			continue
		}
		k, val, _ := strings.Cut(pair, "=")
		vals[unescape(k)] = append(vals[unescape(k)], unescape(val))
	}
	return v.Query(vals)
}

func unescape(s string) string {
	s = strings.ReplaceAll(s, "+", " ")
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && ishex(s[i+1]) && ishex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return strings.ToValidUTF8(b.String(), "\uFFFD")
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
