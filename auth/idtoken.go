package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	omi "github.com/omi-devapi/omi-devapi"
)

// GoogleJWKSURL is where Firebase Auth publishes the keys that sign ID tokens.
const GoogleJWKSURL = "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com"

// leeway absorbs clock skew between the token issuer and us.
const leeway = 30 * time.Second

type idClaims struct {
	jwt.RegisteredClaims
	AuthTime *jwt.NumericDate `json:"auth_time,omitempty"`
}

// tokenVerifier is the checks Firebase and local tokens share.
type tokenVerifier struct {
	keyfunc       jwt.Keyfunc
	parser        *jwt.Parser
	now           func() time.Time
	checkAuthTime bool
}

func newTokenVerifier(kf jwt.Keyfunc, method, issuer, audience string, now func() time.Time, authTime bool) *tokenVerifier {
	if now == nil {
		now = time.Now
	}
	return &tokenVerifier{
		keyfunc: kf,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{method}),
			jwt.WithIssuer(issuer),
			jwt.WithAudience(audience),
			jwt.WithLeeway(leeway),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithTimeFunc(now),
		),
		now:           now,
		checkAuthTime: authTime,
	}
}

func invalidToken(reason string) error {
	return omi.Errorf(omi.EUNAUTHORIZED, "Invalid authentication credentials: %s", reason)
}

func (v *tokenVerifier) VerifyIDToken(ctx context.Context, token string) (string, error) {
	if _, err := ParseKey(token); err == nil || errors.Is(err, errChecksum) || errors.Is(err, errMalformed) {
		return "", omi.Errorf(omi.EUNAUTHORIZED, "Invalid authentication credentials: this endpoint takes an ID token, not a Developer API key")
	}
	var claims idClaims
	_, err := v.parser.ParseWithClaims(token, &claims, v.keyfunc)
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "", invalidToken("malformed token")
	case errors.Is(err, jwt.ErrTokenExpired):
		return "", invalidToken("token expired")
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "", invalidToken("wrong issuer")
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "", invalidToken("wrong audience")
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued), errors.Is(err, jwt.ErrTokenNotValidYet):
		return "", invalidToken("token not valid yet")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "", invalidToken("signature not verified")
	case err != nil:
		return "", invalidToken("token rejected")
	}
	if claims.Subject == "" || len(claims.Subject) > 128 {
		return "", invalidToken("token has no valid subject")
	}
	if v.checkAuthTime && (claims.AuthTime == nil || claims.AuthTime.After(v.now().Add(leeway))) {
		return "", invalidToken("auth_time missing or in the future")
	}
	return claims.Subject, nil
}

// FirebaseConfig selects the Firebase project whose ID tokens are accepted.
type FirebaseConfig struct {
	ProjectID string
	JWKSURL   string // default GoogleJWKSURL
	Client    *http.Client
	Now       func() time.Time
}

// NewFirebaseVerifier verifies RS256 Firebase ID tokens against the JWKS,
// which keyfunc fetches, caches and refreshes (hourly, and on an unknown kid)
// until ctx ends.
func NewFirebaseVerifier(ctx context.Context, cfg FirebaseConfig) (omi.TokenVerifier, error) {
	if cfg.ProjectID == "" {
		return nil, errors.New("firebase auth: OMI_FIREBASE_PROJECT_ID is required")
	}
	if cfg.JWKSURL == "" {
		cfg.JWKSURL = GoogleJWKSURL
	}
	kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{cfg.JWKSURL}, keyfunc.Override{
		Client:      cfg.Client,
		HTTPTimeout: 10 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("firebase auth: JWKS %s: %w", cfg.JWKSURL, err)
	}
	iss := "https://securetoken.google.com/" + cfg.ProjectID
	return newTokenVerifier(kf.KeyfuncCtx(ctx), "RS256", iss, cfg.ProjectID, cfg.Now, true), nil
}

// Local tokens: what a self-hosted server accepts when there is no Firebase.
const (
	LocalIssuer   = "omi-devapi-local"
	LocalAudience = "omi-devapi"
	// SigningKeyFile is the name of the local signing key in the data dir.
	SigningKeyFile = "local-signing-key.pem"
)

// LocalSigner mints and verifies EdDSA ID tokens with a key of its own.
type LocalSigner struct {
	*tokenVerifier
	priv ed25519.PrivateKey
	now  func() time.Time
}

// LoadOrCreateSigner reads the signing key from dataDir, creating it (mode
// 0600) on first use.
func LoadOrCreateSigner(dataDir string, now func() time.Time) (*LocalSigner, error) {
	if now == nil {
		now = time.Now
	}
	path := filepath.Join(dataDir, SigningKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		b, err = createSigningKey(dataDir, path)
	}
	if err != nil {
		return nil, fmt.Errorf("local signing key: %w", err)
	}
	return parseSigner(b, path, now)
}

// NewLocalSigner uses a PEM-encoded (PKCS #8) Ed25519 key given by
// configuration (OMI_LOCAL_SIGNING_KEY) rather than kept in a data dir:
// replicas behind one load balancer must all verify the tokens any of them
// minted, so they must share the key.
func NewLocalSigner(pemKey []byte, now func() time.Time) (*LocalSigner, error) {
	if now == nil {
		now = time.Now
	}
	return parseSigner(pemKey, "from configuration", now)
}

func parseSigner(b []byte, source string, now func() time.Time) (*LocalSigner, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("local signing key %s: not PEM", source)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("local signing key %s: %w", source, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("local signing key %s: not an Ed25519 key", source)
	}
	s := &LocalSigner{priv: priv, now: now}
	pub := priv.Public()
	s.tokenVerifier = newTokenVerifier(func(*jwt.Token) (any, error) { return pub, nil },
		jwt.SigningMethodEdDSA.Alg(), LocalIssuer, LocalAudience, now, false)
	return s, nil
}

func createSigningKey(dir, path string) ([]byte, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	b := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	// O_EXCL: if two processes race to create it, one wins and the other reads it.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return b, f.Close()
}

// Mint returns an ID token for uid valid for ttl.
func (s *LocalSigner) Mint(uid string, ttl time.Duration) (string, error) {
	if uid == "" {
		return "", errors.New("uid is required")
	}
	now := s.now()
	claims := idClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: LocalIssuer, Audience: jwt.ClaimStrings{LocalAudience}, Subject: uid,
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		AuthTime: jwt.NewNumericDate(now),
	}
	return jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims).SignedString(s.priv)
}
