package auth

import (
	"crypto/sha256"
	"strings"
	"testing"
)

// FuzzParseKey: whatever is presented, ParseKey never panics, accepts only
// the exact format with a matching checksum (so no mistyped character of a
// real key passes), and the hash it returns is the SHA-256 of the secret
// part, as the store keeps it.
func FuzzParseKey(f *testing.F) {
	raw, _ := NewKey()
	for _, s := range []string{
		raw, raw[:len(raw)-1], raw + "0", strings.ToUpper(raw), " " + raw, raw[:10] + "G" + raw[11:],
		"", "omi_dev_", "omi_mcp_" + raw[len(KeyPrefix):], "Bearer " + raw, "eyJhbGciOiJub25lIn0.e30.",
		"omi_dev_" + strings.Repeat("0", 40), "omi_dev_" + strings.Repeat("f", 40), "omi_dev_\x00\xff",
		"omi_dev_" + strings.Repeat("é", 20),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseKey(s)
		if err != nil {
			if h != (Hash{}) {
				t.Fatalf("%q: error %v with a hash", s, err)
			}
			return
		}
		if len(s) != KeyLen || !strings.HasPrefix(s, KeyPrefix) {
			t.Fatalf("%q accepted: not the key format", s)
		}
		for i := len(KeyPrefix); i < len(s); i++ {
			if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				t.Fatalf("%q accepted with %q at %d", s, c, i)
			}
		}
		if h != sha256.Sum256([]byte(s[len(KeyPrefix):])) {
			t.Fatalf("%q: hash is not SHA-256 of the secret part", s)
		}
		if body := s[:len(s)-checksumLen]; checksum(body) != s[len(body):] {
			t.Fatalf("%q accepted with a wrong checksum", s)
		}
		// CRC-32 catches every single-character substitution.
		for i := len(KeyPrefix); i < len(s); i++ {
			for _, c := range []byte("0123456789abcdef") {
				if c == s[i] {
					continue
				}
				typo := s[:i] + string(c) + s[i+1:]
				if _, err := ParseKey(typo); err == nil {
					t.Fatalf("typo %q of %q accepted", typo, s)
				}
			}
		}
		if p := DisplayPrefix(s); len(p) != len(KeyPrefix)+11 || strings.Contains(p, s[len(KeyPrefix)+4:len(s)-4]) {
			t.Fatalf("display prefix %q of %q", p, s)
		}
	})
}
