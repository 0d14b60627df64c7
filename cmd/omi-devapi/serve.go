package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"github.com/redis/go-redis/v9"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/auth"
	"github.com/omi-devapi/omi-devapi/httpapi"
	"github.com/omi-devapi/omi-devapi/postgres"
	"github.com/omi-devapi/omi-devapi/process"
	"github.com/omi-devapi/omi-devapi/ratelimit"
	"github.com/omi-devapi/omi-devapi/sqlite"
)

func newLogger(cfg config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// store is what serve and the admin commands need of a store; both the
// SQLite and the PostgreSQL store are one.
type store interface {
	omi.KeyStore
	omi.MemoryStore
	omi.ActionItemStore
	omi.ConversationStore
	omi.GoalStore
	omi.FolderStore
	httpapi.Pinger
	Migrate(ctx context.Context) error
	Close() error
}

// revocationListener is a store that hears of key revocations made through
// other replicas (PostgreSQL's LISTEN/NOTIFY).
type revocationListener interface {
	ListenRevocations(ctx context.Context, forget func(hash string), log *slog.Logger)
}

func openStore(ctx context.Context, cfg config) (store, error) {
	if cfg.isPostgres() {
		db, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.WithTimeout(cfg.DatabaseTimeout))
		if err != nil {
			return nil, err
		}
		return db, nil
	}
	path, err := cfg.sqlitePath()
	if err != nil {
		return nil, err
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	return db, nil
}

func tokenVerifier(ctx context.Context, cfg config) (omi.TokenVerifier, error) {
	if cfg.AuthMode == "firebase" {
		return auth.NewFirebaseVerifier(ctx, auth.FirebaseConfig{ProjectID: cfg.FirebaseProjectID, JWKSURL: cfg.JWKSURL})
	}
	return cfg.localSigner()
}

// rateLimits builds the rate-limit step: none when OMI_RATE_LIMITS=off, on
// Redis when OMI_REDIS_URL is set (replicas share one budget), in process
// otherwise. Redis counts towards readiness only when failing closed: a
// fail-open replica still serves while Redis is away, so the load balancer
// should keep sending it traffic.
func rateLimits(cfg config, log *slog.Logger) (*httpapi.RateLimits, []httpapi.Pinger, func() error, error) {
	noop := func() error { return nil }
	if !cfg.rateLimitsOn() {
		log.Info("rate limits off")
		return nil, nil, noop, nil
	}
	bases, err := cfg.policyBases()
	if err != nil {
		return nil, nil, nil, err
	}
	rl := &httpapi.RateLimits{
		PerMinute: cfg.RateLimitPerMinute, PerDay: cfg.RateLimitPerDay, Boost: cfg.RateLimitBoost,
		Bases: bases, FailClosed: cfg.RateLimitRedisFailure == "closed",
	}
	if cfg.RedisURL == "" {
		rl.Limiter = ratelimit.NewMemory(nil)
		log.Info("rate limits in process", "per_minute", rl.PerMinute, "per_day", rl.PerDay, "boost", rl.Boost)
		return rl, nil, noop, nil
	}
	opts, err := ratelimit.RedisOptions(cfg.RedisURL)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("config: OMI_REDIS_URL: %w", err)
	}
	rdb := redis.NewClient(opts)
	limiter := ratelimit.NewRedis(rdb, "")
	rl.Limiter = limiter
	var ready []httpapi.Pinger
	if rl.FailClosed {
		ready = append(ready, limiter)
	}
	log.Info("rate limits on redis", "addr", opts.Addr, "db", opts.DB, "on_failure", cfg.RateLimitRedisFailure,
		"per_minute", rl.PerMinute, "per_day", rl.PerDay, "boost", rl.Boost)
	return rl, ready, rdb.Close, nil
}

func serve(ctx context.Context, cfg config, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (OMI_ADDR)")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data directory (OMI_DATA_DIR)")
	fs.StringVar(&cfg.DatabaseURL, "database-url", cfg.DatabaseURL, "database URL (OMI_DATABASE_URL)")
	fs.StringVar(&cfg.AuthMode, "auth-mode", cfg.AuthMode, "local or firebase (OMI_AUTH_MODE)")
	fs.StringVar(&cfg.LogFormat, "log-format", cfg.LogFormat, "text or json (OMI_LOG_FORMAT)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	started := time.Now()
	setMemoryLimit(cfg, log)

	// Background work (JWKS refresh) lives until serve returns.
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()

	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	tokens, err := tokenVerifier(bg, cfg)
	if err != nil {
		return err
	}
	metrics := httpapi.NewMetrics()
	limits, limiterReady, closeLimiter, err := rateLimits(cfg, log)
	if err != nil {
		return err
	}
	defer closeLimiter()
	keys := auth.NewKeys(db, auth.KeysConfig{PositiveTTL: cfg.KeyCacheTTL, TouchInterval: cfg.LastUsedInterval}, nil, log, metrics)
	if l, ok := db.(revocationListener); ok {
		// Revocations through other replicas reach this one's key cache.
		go l.ListenRevocations(bg, keys.Forget, log)
	}
	engine, err := searchEngine(cfg, db, log)
	if err != nil {
		return err
	}
	if cfg.SearchBackfill {
		// Rows stored without a vector, or by another model; stopped before
		// the store closes.
		bctx, stop := context.WithCancel(bg)
		done := make(chan struct{})
		go func() { defer close(done); engine.Backfill(bctx) }()
		defer func() { stop(); <-done }()
	}
	srv := httpapi.NewServer(httpapi.Deps{
		Logger: log, Keys: keys, Tokens: tokens, Ready: append([]httpapi.Pinger{db}, limiterReady...),
		Memories: db, ActionItems: db, Conversations: db, Goals: db, Folders: db,
		Processor: processor(cfg, log), Metrics: metrics, MaxBodyBytes: cfg.MaxBodyBytes,
		RateLimits: limits, Search: engine,
	})
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return bg },
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	log.Info("serving", "addr", ln.Addr().String(), "auth_mode", cfg.AuthMode, "data_dir", cfg.DataDir,
		"startup", time.Since(started).Round(time.Millisecond))
	fmt.Fprintf(stdout, "omi-devapi listening on http://%s\n", ln.Addr())

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		keys.Close(context.Background())
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests")
	sctx, scancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer scancel()
	shutdownErr := hs.Shutdown(sctx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		shutdownErr = errors.Join(shutdownErr, err)
	}
	if err := keys.Close(sctx); err != nil {
		shutdownErr = errors.Join(shutdownErr, err)
	}
	log.Info("stopped")
	return shutdownErr
}

func migrate(ctx context.Context, cfg config, args []string, stdout, stderr io.Writer) error {
	// Parsed like serve's, so that -h or a typo never migrates the default
	// database by accident.
	fs := newFlags("migrate", stderr)
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data directory (OMI_DATA_DIR)")
	fs.StringVar(&cfg.DatabaseURL, "database-url", cfg.DatabaseURL, "database URL (OMI_DATABASE_URL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("migrate: unexpected argument %q", fs.Arg(0))
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}

// processor is the built-in offline processor, or an OpenAI-compatible LLM
// that falls back to it when OMI_LLM_BASE_URL and OMI_LLM_MODEL are set.
func processor(cfg config, log *slog.Logger) omi.Processor {
	builtin := process.NewBuiltin()
	if cfg.LLMBaseURL == "" || cfg.LLMModel == "" {
		return builtin
	}
	return process.NewLLM(process.LLMConfig{
		BaseURL: cfg.LLMBaseURL, Model: cfg.LLMModel, APIKey: cfg.LLMAPIKey,
		Timeout: cfg.LLMTimeout, Logger: log,
	}, builtin)
}

// setMemoryLimit gives the Go runtime a soft memory limit, unless GOMEMLIMIT
// (which the runtime has already applied) or OMI_MEMORY_LIMIT_MIB=0 says
// otherwise. Without one the heap grows to twice what is live before a
// collection, and the largest live thing, a user's vector codes (68 bytes a
// memory, 65 MiB at a million), would double the resident set for nothing.
// Under the limit the collector can run less often while the live heap is
// small (GOGC 400 unless GOGC is set: the list's throughput rose by about a
// tenth), since the limit, not the ratio, bounds the heap once it is large.
// The limit is soft: when more than it is live, the runtime lets the heap
// grow and caps the collector at half the CPU, so it slows a server down,
// never stops it.
func setMemoryLimit(cfg config, log *slog.Logger) {
	if os.Getenv("GOMEMLIMIT") != "" || cfg.MemoryLimitMiB == 0 {
		return
	}
	debug.SetMemoryLimit(cfg.MemoryLimitMiB << 20)
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	log.Debug("soft memory limit", "mib", cfg.MemoryLimitMiB)
}
