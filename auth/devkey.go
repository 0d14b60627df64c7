// Package auth verifies the two credentials the API takes: developer keys
// (for /v1/dev/user/*) and ID tokens (for key management), and mints both.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
	"regexp"
	"strings"

	omi "github.com/omi-devapi/omi-devapi"
)

// A developer key is KeyPrefix + 32 lowercase hex (128 CSPRNG bits, as upstream)
// + 8 hex CRC-32 of everything before it. The checksum lets us reject a
// mistyped, truncated or foreign token without touching the store (the idea
// GitHub uses for its tokens); it is not a secret.
const (
	KeyPrefix    = "omi_dev_"
	secretHexLen = 32
	checksumLen  = 8
	KeyLen       = len(KeyPrefix) + secretHexLen + checksumLen
)

// Hash identifies a key in the store and the cache: SHA-256 of the part after
// the prefix. Only this is stored.
type Hash [sha256.Size]byte

func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// NewKey returns a fresh raw key and its hash.
func NewKey() (raw string, h Hash) {
	var secret [secretHexLen / 2]byte
	if _, err := rand.Read(secret[:]); err != nil {
		panic("auth: crypto/rand failed: " + err.Error()) // never happens on supported platforms
	}
	body := KeyPrefix + hex.EncodeToString(secret[:])
	raw = body + checksum(body)
	h, _ = ParseKey(raw)
	return raw, h
}

func checksum(body string) string {
	var b [4]byte
	c := crc32.ChecksumIEEE([]byte(body))
	b[0], b[1], b[2], b[3] = byte(c>>24), byte(c>>16), byte(c>>8), byte(c)
	return hex.EncodeToString(b[:])
}

// Reasons a presented key is rejected before any lookup.
var (
	errNotDevKey = omi.Errorf(omi.EUNAUTHORIZED, "Invalid API Key")
	errMalformed = omi.Errorf(omi.EUNAUTHORIZED, "Invalid API Key: not a well-formed omi_dev_ key (expected omi_dev_ followed by 40 lowercase hex characters)")
	errChecksum  = omi.Errorf(omi.EUNAUTHORIZED, "Invalid API Key: checksum mismatch (the key is mistyped or truncated)")
)

// ParseKey checks a presented key's format and checksum and returns its hash.
// It allocates nothing on the success path.
func ParseKey(raw string) (Hash, error) {
	if !strings.HasPrefix(raw, KeyPrefix) {
		return Hash{}, errNotDevKey
	}
	if len(raw) != KeyLen {
		return Hash{}, errMalformed
	}
	for i := len(KeyPrefix); i < len(raw); i++ {
		if c := raw[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return Hash{}, errMalformed
		}
	}
	body := raw[:len(raw)-checksumLen]
	var want [4]byte
	hex.Decode(want[:], []byte(raw[len(body):])) // validated above
	c := crc32.ChecksumIEEE([]byte(body))
	if want != [4]byte{byte(c >> 24), byte(c >> 16), byte(c >> 8), byte(c)} {
		return Hash{}, errChecksum
	}
	return sha256.Sum256([]byte(raw[len(KeyPrefix):])), nil
}

// DisplayPrefix is what lists show instead of the key, upstream's format:
// omi_dev_ + first 4 + "..." + last 4 characters of the secret part.
func DisplayPrefix(raw string) string {
	s := raw[len(KeyPrefix):]
	return KeyPrefix + s[:4] + "..." + s[len(s)-4:]
}

// rawKeyPattern finds a raw Omi key pasted somewhere it must not be (a key
// name), as upstream rejects them.
var rawKeyPattern = regexp.MustCompile(`omi_(dev|mcp)_[0-9a-fA-F]{32}`)

// ContainsRawKey reports whether s contains something that looks like a raw key.
func ContainsRawKey(s string) bool { return rawKeyPattern.MatchString(s) }

// LooksLikeJWT reports whether a bearer token has a JWT's three-part shape,
// so we can tell a caller they sent an ID token where a key was expected.
func LooksLikeJWT(tok string) bool {
	return strings.Count(tok, ".") == 2 && strings.HasPrefix(tok, "eyJ")
}
