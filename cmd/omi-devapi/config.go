package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// config is every setting, from the environment (documented in the README)
// with flags overriding where a subcommand offers them.
type config struct {
	Addr              string        `env:"OMI_ADDR" envDefault:"127.0.0.1:8080"`
	DataDir           string        `env:"OMI_DATA_DIR" envDefault:"./data"`
	DatabaseURL       string        `env:"OMI_DATABASE_URL"`
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
	return nil
}

// sqlitePath resolves OMI_DATABASE_URL to a SQLite file, or says why not.
func (c config) sqlitePath() (string, error) {
	u := c.DatabaseURL
	switch {
	case u == "":
		return filepath.Join(c.DataDir, "omi.db"), nil
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return "", fmt.Errorf("config: OMI_DATABASE_URL is a PostgreSQL URL, but this build only has the SQLite store")
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
