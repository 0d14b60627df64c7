package lax

import (
	"math"
	"unicode/utf8"
)

// maxDepth bounds container nesting so the recursive parser cannot be driven
// into a stack overflow; 64 is far deeper than any request schema we accept.
const maxDepth = 64

const (
	kNull uint8 = iota + 1
	kTrue
	kFalse
	kNum    // literal text in src[a:b]
	kStr    // no escapes: contents in src[a:b]
	kStrEsc // had escapes: decoded contents in strs[a]
	kArr    // a = number of elements
	kObj    // a = number of members (duplicates included)
)

// tok is one node of a flat parse tape. Containers are followed by their
// children; end is the index just past the subtree, so siblings can be
// skipped in O(1). A tape is several times smaller than a tree of interfaces,
// which matters because a few megabytes of "[1,1,1,...]" is a cheap attack.
type tok struct {
	kind uint8
	a, b uint32
	end  uint32
}

type doc struct {
	src  string
	toks []tok
	strs []string
	// index maps key -> value token for objects too big to scan on every
	// getter call; built on first lookup.
	index map[int]map[string]int
}

// indexFrom is the member count above which lookups use an index.
const indexFrom = 32

func (d *doc) str(i int) string {
	t := &d.toks[i]
	if t.kind == kStrEsc {
		return d.strs[t.a]
	}
	return d.src[t.a:t.b]
}

// jsonError mirrors Python's json.JSONDecodeError (msg, pos), which is what
// FastAPI copies into ctx.error and loc. pos is a byte offset.
type jsonError struct {
	msg string
	pos int
}

type parser struct {
	src  string
	i    int
	toks []tok
	strs []string
	err  *jsonError
}

func (p *parser) fail(msg string, pos int) bool {
	if p.err == nil {
		p.err = &jsonError{msg: msg, pos: pos}
	}
	return false
}

// parseJSON parses a whole document with Python's json.loads acceptance
// rules (minus NaN/Infinity, which we refuse) and Python's error messages.
func parseJSON(raw []byte) (*doc, *jsonError) {
	if uint64(len(raw)) >= math.MaxUint32 {
		return nil, &jsonError{msg: "document too large", pos: 0}
	}
	// Python decodes the whole body before parsing, so a bad byte anywhere is
	// reported before any syntax error, and a UTF-8 BOM is silently dropped.
	start := 0
	if len(raw) >= 3 && raw[0] == 0xEF && raw[1] == 0xBB && raw[2] == 0xBF {
		start = 3
	}
	if !utf8.Valid(raw[start:]) {
		return nil, &jsonError{msg: "invalid UTF-8", pos: firstInvalidUTF8(raw, start)}
	}
	// One copy of the body lets every unescaped string and number be a
	// substring of src, with no further allocation.
	p := parser{src: string(raw), i: start}
	p.toks = make([]tok, 0, 16)
	p.skipWS()
	if !p.value(0) {
		return nil, p.err
	}
	p.skipWS()
	if p.i < len(p.src) {
		return nil, &jsonError{msg: "Extra data", pos: p.i}
	}
	return &doc{src: p.src, toks: p.toks, strs: p.strs}, nil
}

func firstInvalidUTF8(b []byte, i int) int {
	for i < len(b) {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

func (p *parser) skipWS() {
	for p.i < len(p.src) {
		switch p.src[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) bool {
	if p.i >= len(p.src) {
		return p.fail("Expecting value", p.i)
	}
	switch c := p.src[p.i]; c {
	case '{':
		return p.object(depth)
	case '[':
		return p.array(depth)
	case '"':
		return p.string()
	case 'n':
		return p.literal("null", kNull)
	case 't':
		return p.literal("true", kTrue)
	case 'f':
		return p.literal("false", kFalse)
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return p.number()
		}
		return p.fail("Expecting value", p.i)
	}
}

func (p *parser) literal(word string, kind uint8) bool {
	if len(p.src)-p.i < len(word) || p.src[p.i:p.i+len(word)] != word {
		return p.fail("Expecting value", p.i)
	}
	p.i += len(word)
	p.toks = append(p.toks, tok{kind: kind, end: uint32(len(p.toks) + 1)})
	return true
}

// number consumes the longest prefix matching Python's NUMBER_RE
// (-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)? and leaves the rest for the
// caller to trip over, which reproduces Python's positions ("01" -> Extra data
// at 1).
func (p *parser) number() bool {
	s, start := p.src, p.i
	i := start
	if s[i] == '-' {
		i++
	}
	if i >= len(s) || s[i] < '0' || s[i] > '9' {
		return p.fail("Expecting value", start)
	}
	if s[i] == '0' {
		i++
	} else {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i+1 < len(s) && s[i] == '.' && s[i+1] >= '0' && s[i+1] <= '9' {
		i += 2
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			i = j
		}
	}
	p.i = i
	p.toks = append(p.toks, tok{kind: kNum, a: uint32(start), b: uint32(i), end: uint32(len(p.toks) + 1)})
	return true
}

func (p *parser) string() bool {
	s, start := p.src, p.i
	i := start + 1
	for i < len(s) {
		c := s[i]
		if c == '"' {
			p.i = i + 1
			p.toks = append(p.toks, tok{kind: kStr, a: uint32(start + 1), b: uint32(i), end: uint32(len(p.toks) + 1)})
			return true
		}
		if c == '\\' {
			return p.escapedString(start, i)
		}
		if c < 0x20 {
			return p.fail("Invalid control character at", i)
		}
		i++
	}
	return p.fail("Unterminated string starting at", start)
}

// escapedString finishes a string whose first escape is at i.
func (p *parser) escapedString(start, i int) bool {
	s := p.src
	buf := make([]byte, 0, i-start+16)
	buf = append(buf, s[start+1:i]...)
	for {
		if i >= len(s) {
			return p.fail("Unterminated string starting at", start)
		}
		c := s[i]
		switch {
		case c == '"':
			p.i = i + 1
			p.strs = append(p.strs, string(buf))
			p.toks = append(p.toks, tok{kind: kStrEsc, a: uint32(len(p.strs) - 1), end: uint32(len(p.toks) + 1)})
			return true
		case c < 0x20:
			return p.fail("Invalid control character at", i)
		case c != '\\':
			j := i + 1
			for j < len(s) && s[j] != '"' && s[j] != '\\' && s[j] >= 0x20 {
				j++
			}
			buf = append(buf, s[i:j]...)
			i = j
			continue
		}
		if i+1 >= len(s) {
			return p.fail("Unterminated string starting at", start)
		}
		switch s[i+1] {
		case '"', '\\', '/':
			buf = append(buf, s[i+1])
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hex4(s, i+2)
			if !ok {
				return p.fail("Invalid \\uXXXX escape", i+1)
			}
			i += 6
			if r >= 0xD800 && r <= 0xDBFF && i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
				r2, ok := hex4(s, i+2)
				if !ok {
					return p.fail("Invalid \\uXXXX escape", i+1)
				}
				if r2 >= 0xDC00 && r2 <= 0xDFFF {
					r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
					i += 6
				}
			}
			// Python keeps lone surrogates; Go strings cannot hold them, so
			// they become U+FFFD (utf8.AppendRune does that for us).
			buf = utf8.AppendRune(buf, r)
			continue
		default:
			return p.fail("Invalid \\escape", i)
		}
		i += 2
	}
}

// hex4 reads the 4 hex digits of a \u escape at i. Like CPython's scanner
// it also wants a byte after them, so an escape that ends the input is an
// invalid escape rather than an unterminated string.
func hex4(s string, i int) (rune, bool) {
	if i+4 >= len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func (p *parser) array(depth int) bool {
	if depth >= maxDepth {
		return p.fail("nesting too deep", p.i)
	}
	at := len(p.toks)
	p.toks = append(p.toks, tok{kind: kArr})
	p.i++
	p.skipWS()
	n := 0
	if p.i < len(p.src) && p.src[p.i] == ']' {
		p.i++
	} else {
		for {
			if !p.value(depth + 1) {
				return false
			}
			n++
			p.skipWS()
			if p.i < len(p.src) && p.src[p.i] == ',' {
				p.i++
				p.skipWS()
				continue
			}
			if p.i < len(p.src) && p.src[p.i] == ']' {
				p.i++
				break
			}
			return p.fail("Expecting ',' delimiter", p.i)
		}
	}
	p.toks[at].a = uint32(n)
	p.toks[at].end = uint32(len(p.toks))
	return true
}

func (p *parser) object(depth int) bool {
	if depth >= maxDepth {
		return p.fail("nesting too deep", p.i)
	}
	at := len(p.toks)
	p.toks = append(p.toks, tok{kind: kObj})
	p.i++
	p.skipWS()
	n := 0
	if p.i < len(p.src) && p.src[p.i] == '}' {
		p.i++
	} else {
		for {
			if p.i >= len(p.src) || p.src[p.i] != '"' {
				return p.fail("Expecting property name enclosed in double quotes", p.i)
			}
			if !p.string() {
				return false
			}
			p.skipWS()
			if p.i >= len(p.src) || p.src[p.i] != ':' {
				return p.fail("Expecting ':' delimiter", p.i)
			}
			p.i++
			p.skipWS()
			if !p.value(depth + 1) {
				return false
			}
			n++
			p.skipWS()
			if p.i < len(p.src) && p.src[p.i] == ',' {
				p.i++
				p.skipWS()
				continue
			}
			if p.i < len(p.src) && p.src[p.i] == '}' {
				p.i++
				break
			}
			return p.fail("Expecting ',' delimiter", p.i)
		}
	}
	p.toks[at].a = uint32(n)
	p.toks[at].end = uint32(len(p.toks))
	return true
}

// lookup returns the token index of the value of key name in the object at
// i, or -1. Duplicate keys: the last one wins, as with Python's json.
func (d *doc) lookup(i int, name string) int {
	if d.toks[i].a > indexFrom {
		m, ok := d.index[i]
		if !ok {
			m = make(map[string]int)
			end := int(d.toks[i].end)
			for j := i + 1; j < end; j = int(d.toks[j+1].end) {
				m[d.str(j)] = j + 1
			}
			if d.index == nil {
				d.index = make(map[int]map[string]int)
			}
			d.index[i] = m
		}
		if v, ok := m[name]; ok {
			return v
		}
		return -1
	}
	found := -1
	end := int(d.toks[i].end)
	for j := i + 1; j < end; {
		v := j + 1
		if d.str(j) == name {
			found = v
		}
		j = int(d.toks[v].end)
	}
	return found
}

// keys returns the distinct keys of the object at i in first-seen order
// (a Python dict keeps the first position of a repeated key).
func (d *doc) keys(i int) []string {
	n := int(d.toks[i].a)
	out := make([]string, 0, n)
	var seen map[string]struct{}
	if n > 16 {
		seen = make(map[string]struct{}, n)
	}
	end := int(d.toks[i].end)
outer:
	for j := i + 1; j < end; j = int(d.toks[j+1].end) {
		k := d.str(j)
		if seen != nil {
			if _, dup := seen[k]; dup {
				continue
			}
			seen[k] = struct{}{}
		} else {
			for _, have := range out {
				if have == k {
					continue outer
				}
			}
		}
		out = append(out, k)
	}
	return out
}

// elems returns the token indexes of the elements of the array at i.
func (d *doc) elems(i int) []int {
	out := make([]int, 0, d.toks[i].a)
	end := int(d.toks[i].end)
	for j := i + 1; j < end; j = int(d.toks[j].end) {
		out = append(out, j)
	}
	return out
}

// input converts the token at i to the scalar view the coercions use.
func (d *doc) input(i int) input {
	t := &d.toks[i]
	switch t.kind {
	case kStr, kStrEsc:
		return input{kind: kStr, s: d.str(i)}
	case kNum:
		return input{kind: kNum, s: d.src[t.a:t.b]}
	default:
		return input{kind: t.kind}
	}
}
