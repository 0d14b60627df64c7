package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/auth"
	"github.com/omi-devapi/omi-devapi/httpapi"
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

func openStore(ctx context.Context, cfg config) (*sqlite.DB, error) {
	path, err := cfg.sqlitePath()
	if err != nil {
		return nil, err
	}
	return sqlite.Open(ctx, path)
}

func tokenVerifier(ctx context.Context, cfg config) (omi.TokenVerifier, error) {
	if cfg.AuthMode == "firebase" {
		return auth.NewFirebaseVerifier(ctx, auth.FirebaseConfig{ProjectID: cfg.FirebaseProjectID, JWKSURL: cfg.JWKSURL})
	}
	return auth.LoadOrCreateSigner(cfg.DataDir, nil)
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
	keys := auth.NewKeys(db, auth.KeysConfig{PositiveTTL: cfg.KeyCacheTTL, TouchInterval: cfg.LastUsedInterval}, nil, log, metrics)
	srv := httpapi.NewServer(httpapi.Deps{
		Logger: log, Keys: keys, Tokens: tokens, Ready: []httpapi.Pinger{db},
		Memories: db, ActionItems: db, Conversations: db, Goals: db, Folders: db,
		Metrics: metrics, MaxBodyBytes: cfg.MaxBodyBytes,
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

func migrate(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
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
