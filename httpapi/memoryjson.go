package httpapi

import (
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	omi "github.com/omi-devapi/omi-devapi"
)

// Memory lists are the hottest response: encoding/json's reflection spent a
// tenth of a list request's CPU on 25 memories. appendMemory writes the same
// bytes directly (TestMemoryJSON holds it to encoding/json's output, so a
// field added to omi.Memory fails the test rather than going missing).

// jsonBufs recycles response buffers; a page of 25 memories is about 10 KB.
var jsonBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// maxPooledBuf keeps one huge page (limit=1000) from pinning its buffer.
const maxPooledBuf = 256 << 10

// writeMemories answers ms as writeJSON would.
func writeMemories(w http.ResponseWriter, status int, ms []*omi.Memory) {
	bp := jsonBufs.Get().(*[]byte)
	b, ok := appendMemories((*bp)[:0], ms)
	if !ok {
		// A time encoding/json refuses (year outside 0-9999): let it say so.
		writeJSON(w, status, ms)
	} else {
		writeBody(w, status, b)
	}
	if cap(b) <= maxPooledBuf {
		*bp = b[:0]
		jsonBufs.Put(bp)
	}
}

// writeBody sends an encoded JSON body with writeJSON's headers.
func writeBody(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// appendMemories appends ms as a JSON array; false if a memory cannot be
// encoded here.
func appendMemories(b []byte, ms []*omi.Memory) ([]byte, bool) {
	if ms == nil {
		return append(b, "null"...), true
	}
	b = append(b, '[')
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = appendMemory(b, m); !ok {
			return b, false
		}
	}
	return append(b, ']'), true
}

// appendMemory appends m as encoding/json (HTML escaping off) encodes it:
// the DeveloperMemory fields in omi.Memory's order.
func appendMemory(b []byte, m *omi.Memory) ([]byte, bool) {
	if m == nil {
		return append(b, "null"...), true
	}
	if !jsonTime(m.CreatedAt) || !jsonTime(m.UpdatedAt) {
		return b, false
	}
	b = append(b, `{"id":`...)
	b = appendJSONString(b, m.ID)
	b = append(b, `,"content":`...)
	b = appendJSONString(b, m.Content)
	b = append(b, `,"category":`...)
	b = appendJSONString(b, m.Category)
	b = append(b, `,"visibility":`...)
	b = appendJSONString(b, m.Visibility)
	b = append(b, `,"tags":`...)
	if m.Tags == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, t := range m.Tags {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, t)
		}
		b = append(b, ']')
	}
	b = append(b, `,"created_at":"`...)
	b = m.CreatedAt.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","updated_at":"`...)
	b = m.UpdatedAt.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","manually_added":`...)
	b = strconv.AppendBool(b, m.ManuallyAdded)
	b = append(b, `,"scoring":`...)
	b = appendJSONString(b, m.Scoring)
	b = append(b, `,"reviewed":`...)
	b = strconv.AppendBool(b, m.Reviewed)
	b = append(b, `,"user_review":`...)
	if m.UserReview == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendBool(b, *m.UserReview)
	}
	b = append(b, `,"edited":`...)
	b = strconv.AppendBool(b, m.Edited)
	return append(b, '}'), true
}

// jsonTime reports whether encoding/json would encode t (as RFC 3339 with
// a four-digit year and a zone offset under 24 hours).
func jsonTime(t time.Time) bool {
	if y := t.Year(); y < 0 || y > 9999 {
		return false
	}
	_, off := t.Zone()
	return off > -24*3600 && off < 24*3600
}

const hexDigits = "0123456789abcdef"

// appendJSONString is encoding/json's string encoding with HTML escaping
// off: quotes, backslashes and control characters escaped, invalid UTF-8
// replaced by U+FFFD, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Most text is plain ASCII: skip it eight bytes at a time.
		if i+8 <= len(s) && plain8(load64(s, i)) {
			i += 8
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const (
	lsb8 = 0x0101010101010101
	msb8 = 0x8080808080808080
)

// load64 is s[i:i+8] as a little-endian integer (one load on most
// machines).
func load64(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// plain8 reports whether the eight bytes of x are all ASCII that JSON
// strings hold as is: none at or above 0x80, below 0x20, '"' or '\\'.
// Once no byte has its top bit set, subtracting n from every byte sets the
// top bit of the first byte below n (a borrow only ever comes from a byte
// already below n), and a byte equal to c is one that XOR c makes zero.
func plain8(x uint64) bool {
	if x&msb8 != 0 {
		return false
	}
	quote, backslash := x^(lsb8*'"'), x^(lsb8*'\\')
	return ((x-lsb8*0x20)|(quote-lsb8)&^quote|(backslash-lsb8)&^backslash)&msb8 == 0
}
