package httpapi_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/omi-devapi/omi-devapi/auth"
)

const project = "omi-test-project"

// jwksServer publishes the public half of key under kid, as Google does.
func jwksServer(t *testing.T, kid string, key *rsa.PrivateKey) *httptest.Server {
	t.Helper()
	pub := key.PublicKey
	set := map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestFirebaseIDTokens(t *testing.T) {
	good, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	evil, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwks := jwksServer(t, "kid-1", good)
	verifier, err := auth.NewFirebaseVerifier(t.Context(), auth.FirebaseConfig{ProjectID: project, JWKSURL: jwks.URL})
	if err != nil {
		t.Fatal(err)
	}
	e := setup(t, withTokens(verifier))

	now := time.Now()
	valid := func() jwt.MapClaims {
		return jwt.MapClaims{
			"iss": "https://securetoken.google.com/" + project, "aud": project, "sub": "firebase-uid-1",
			"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(), "auth_time": now.Add(-time.Minute).Unix(),
		}
	}
	sign := func(c jwt.MapClaims, key *rsa.PrivateKey, kid string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	with := func(k string, v any) jwt.MapClaims { c := valid(); c[k] = v; return c }
	without := func(k string) jwt.MapClaims { c := valid(); delete(c, k); return c }
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, valid())
	hs.Header["kid"] = "kid-1"
	hsTok, _ := hs.SignedString([]byte("secret"))
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, valid()).SignedString(jwt.UnsafeAllowNoneSignatureType)

	resp := e.do("POST", "/v1/dev/keys", sign(valid(), good, "kid-1"), `{"name":"fb"}`)
	wantStatus(t, resp, 200)
	var k createdKey
	resp.Decode(t, &k)
	wantStatus(t, e.do("GET", probe, k.Key, nil), 200)

	cases := []struct {
		name, token, detail string
	}{
		{"wrong issuer", sign(with("iss", "https://securetoken.google.com/other"), good, "kid-1"), "wrong issuer"},
		{"wrong audience", sign(with("aud", "other"), good, "kid-1"), "wrong audience"},
		{"expired", sign(with("exp", now.Add(-time.Hour).Unix()), good, "kid-1"), "expired"},
		{"no expiry", sign(without("exp"), good, "kid-1"), "Invalid authentication credentials"},
		{"issued in the future", sign(with("iat", now.Add(time.Hour).Unix()), good, "kid-1"), "not valid yet"},
		{"auth_time in the future", sign(with("auth_time", now.Add(time.Hour).Unix()), good, "kid-1"), "auth_time"},
		{"no subject", sign(with("sub", ""), good, "kid-1"), "subject"},
		{"wrong signature", sign(valid(), evil, "kid-1"), "signature"},
		{"unknown kid", sign(valid(), evil, "kid-2"), "Invalid authentication credentials"},
		{"HS256", hsTok, "Invalid authentication credentials"},
		{"alg none", none, "Invalid authentication credentials"},
		{"local token in firebase mode", e.token("alice"), "Invalid authentication credentials"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantDetail(t, e.do("GET", "/v1/dev/keys", tc.token, nil), 401, tc.detail)
		})
	}
}
