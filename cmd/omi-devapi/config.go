package main

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/auth"
	"github.com/omi-devapi/omi-devapi/ratelimit"
)

// config is every setting, from the environment (documented in the README)
// with flags overriding where a subcommand offers them.
type config struct {
	Addr              string        `env:"OMI_ADDR" envDefault:"127.0.0.1:8080"`
	DataDir           string        `env:"OMI_DATA_DIR" envDefault:"./data"`
	DatabaseURL       string        `env:"OMI_DATABASE_URL"`
	DatabaseTimeout   time.Duration `env:"OMI_DATABASE_TIMEOUT" envDefault:"5s"`
	LocalSigningKey   string        `env:"OMI_LOCAL_SIGNING_KEY"`
	AuthMode          string        `env:"OMI_AUTH_MODE" envDefault:"local"`
	FirebaseProjectID string        `env:"OMI_FIREBASE_PROJECT_ID"`
	JWKSURL           string        `env:"OMI_JWKS_URL"`
	LogFormat         string        `env:"OMI_LOG_FORMAT" envDefault:"text"`
	LogLevel          string        `env:"OMI_LOG_LEVEL" envDefault:"info"`
	MaxBodyBytes      int64         `env:"OMI_MAX_BODY_BYTES" envDefault:"2097152"`
	KeyCacheTTL       time.Duration `env:"OMI_KEY_CACHE_TTL" envDefault:"30s"`
	LastUsedInterval  time.Duration `env:"OMI_LAST_USED_FLUSH_INTERVAL" envDefault:"10s"`
	ReadHeaderTimeout time.Duration `env:"OMI_READ_HEADER_TIMEOUT" envDefault:"10s"`
	ReadTimeout       time.Duration `env:"OMI_READ_TIMEOUT" envDefault:"60s"`
	WriteTimeout      time.Duration `env:"OMI_WRITE_TIMEOUT" envDefault:"120s"`
	IdleTimeout       time.Duration `env:"OMI_IDLE_TIMEOUT" envDefault:"120s"`
	MaxHeaderBytes    int           `env:"OMI_MAX_HEADER_BYTES" envDefault:"65536"`
	ShutdownTimeout   time.Duration `env:"OMI_SHUTDOWN_TIMEOUT" envDefault:"15s"`
	MemoryLimitMiB    int64         `env:"OMI_MEMORY_LIMIT_MIB" envDefault:"88"`

	// Rate limits (README, "Rate limits").
	RedisURL              string  `env:"OMI_REDIS_URL"`
	RateLimits            string  `env:"OMI_RATE_LIMITS" envDefault:"on"`
	RateLimitBoost        float64 `env:"OMI_RATE_LIMIT_BOOST" envDefault:"100"`
	RateLimitPerMinute    int     `env:"OMI_RATE_LIMIT_PER_MINUTE" envDefault:"100"`
	RateLimitPerDay       int     `env:"OMI_RATE_LIMIT_PER_DAY" envDefault:"10000"`
	RateLimitRedisFailure string  `env:"OMI_RATE_LIMIT_REDIS_FAILURE" envDefault:"open"`
	RateLimitPolicies     string  `env:"OMI_RATE_LIMIT_POLICIES"`

	SearchConfig // search and ask (search.go)
}

func loadConfig(getenv func(string) string) (config, error) {
	var cfg config
	params, err := env.GetFieldParams(&cfg)
	if err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	vars := map[string]string{}
	for _, p := range params {
		if v := getenv(p.Key); v != "" {
			vars[p.Key] = v
		}
	}
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: vars}); err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	return cfg, cfg.validate()
}

func (c config) validate() error {
	switch c.AuthMode {
	case "local":
	case "firebase":
		if c.FirebaseProjectID == "" {
			return fmt.Errorf("config: OMI_AUTH_MODE=firebase needs OMI_FIREBASE_PROJECT_ID")
		}
	default:
		return fmt.Errorf("config: OMI_AUTH_MODE must be local or firebase, not %q", c.AuthMode)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("config: OMI_LOG_FORMAT must be text or json, not %q", c.LogFormat)
	}
	if c.MaxBodyBytes <= 0 {
		return fmt.Errorf("config: OMI_MAX_BODY_BYTES must be positive")
	}
	if c.MemoryLimitMiB < 0 {
		return fmt.Errorf("config: OMI_MEMORY_LIMIT_MIB must be 0 (no limit) or positive")
	}
	if c.DatabaseTimeout <= 0 {
		return fmt.Errorf("config: OMI_DATABASE_TIMEOUT must be positive")
	}
	return c.validateRateLimits()
}

func (c config) validateRateLimits() error {
	switch strings.ToLower(c.RateLimits) {
	case "on", "off":
	default:
		return fmt.Errorf("config: OMI_RATE_LIMITS must be on or off, not %q", c.RateLimits)
	}
	switch c.RateLimitRedisFailure {
	case "open", "closed":
	default:
		return fmt.Errorf("config: OMI_RATE_LIMIT_REDIS_FAILURE must be open or closed, not %q", c.RateLimitRedisFailure)
	}
	if !(c.RateLimitBoost > 0) || math.IsInf(c.RateLimitBoost, 0) {
		return fmt.Errorf("config: OMI_RATE_LIMIT_BOOST must be a positive number, not %v", c.RateLimitBoost)
	}
	if c.RateLimitPerMinute < 0 || c.RateLimitPerDay < 0 {
		return fmt.Errorf("config: OMI_RATE_LIMIT_PER_MINUTE and OMI_RATE_LIMIT_PER_DAY must be 0 (no such budget) or positive")
	}
	if _, err := c.policyBases(); err != nil {
		return err
	}
	if c.RedisURL != "" {
		if _, err := ratelimit.RedisOptions(c.RedisURL); err != nil {
			return fmt.Errorf("config: OMI_REDIS_URL: %w", err)
		}
	}
	return nil
}

func (c config) rateLimitsOn() bool { return strings.EqualFold(c.RateLimits, "on") }

// policyBases parses OMI_RATE_LIMIT_POLICIES, "dev:memories=200,dev:ask=10":
// hourly bases (before the boost) overriding upstream's. The "dev:" prefix
// may be left out.
func (c config) policyBases() (map[string]int, error) {
	bases := map[string]int{}
	for _, item := range strings.Split(c.RateLimitPolicies, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, val, ok := strings.Cut(item, "=")
		name = strings.TrimSpace(name)
		if !strings.HasPrefix(name, "dev:") {
			name = "dev:" + name
		}
		if _, known := omi.PolicyBases[name]; !ok || !known {
			return nil, fmt.Errorf("config: OMI_RATE_LIMIT_POLICIES: %q is not policy=base with a known policy (%s)", item, policyNames())
		}
		n, err := strconv.Atoi(strings.TrimSpace(val))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("config: OMI_RATE_LIMIT_POLICIES: %s: the hourly base must be a positive integer, not %q", name, val)
		}
		bases[name] = n
	}
	return bases, nil
}

func policyNames() string {
	names := make([]string, 0, len(omi.PolicyBases))
	for n := range omi.PolicyBases {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// sqlitePath resolves OMI_DATABASE_URL to a SQLite file, or says why not.
func (c config) sqlitePath() (string, error) {
	u := c.DatabaseURL
	switch {
	case u == "":
		return filepath.Join(c.DataDir, "omi.db"), nil
	case c.isPostgres():
		return "", fmt.Errorf("config: OMI_DATABASE_URL is a PostgreSQL URL, not a SQLite path")
	case strings.HasPrefix(u, "sqlite://"):
		return strings.TrimPrefix(u, "sqlite://"), nil
	case strings.HasPrefix(u, "file:"):
		return strings.TrimPrefix(u, "file:"), nil
	case strings.Contains(u, "://"):
		return "", fmt.Errorf("config: OMI_DATABASE_URL %q: unsupported scheme", u)
	default:
		return u, nil
	}
}

// isPostgres reports whether OMI_DATABASE_URL names a PostgreSQL database.
func (c config) isPostgres() bool {
	return strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://")
}

// localSigner is the key local-mode ID tokens are signed with:
// OMI_LOCAL_SIGNING_KEY when set (every replica must share it), otherwise
// the data dir's, created on first use.
func (c config) localSigner() (*auth.LocalSigner, error) {
	if c.LocalSigningKey == "" {
		return auth.LoadOrCreateSigner(c.DataDir, nil)
	}
	key := c.LocalSigningKey
	if !strings.Contains(key, "\n") {
		// Some deployment tools only take one-line values: accept the PEM
		// with its newlines written as \n.
		key = strings.ReplaceAll(key, `\n`, "\n")
	}
	return auth.NewLocalSigner([]byte(key), nil)
}
