// Package postgres is the scaled-out store: any number of omi-devapi
// replicas share one PostgreSQL database through a pgx connection pool. It
// implements the same interfaces as the SQLite store with the same
// semantics (storetest runs against both), and adds what only a shared
// database can do: cross-replica key revocation through LISTEN/NOTIFY.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	omi "github.com/omi-devapi/omi-devapi"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DefaultTimeout bounds connecting, waiting for a pooled connection and each
// store operation, so an unreachable database answers 503 instead of
// hanging requests.
const DefaultTimeout = 5 * time.Second

// DB is an open PostgreSQL store.
type DB struct {
	pool    *pgxpool.Pool
	timeout time.Duration
	// attempts bounds retries of an operation whose connection turned out
	// dead. After a database restart every pooled connection is dead at
	// once, and each failed attempt discards one, so one more attempt than
	// the pool holds always reaches a fresh connection.
	attempts int
}

// Option tunes Open.
type Option func(*DB)

// WithTimeout sets the operation timeout (DefaultTimeout if d <= 0).
func WithTimeout(d time.Duration) Option {
	return func(db *DB) {
		if d > 0 {
			db.timeout = d
		}
	}
}

// Open connects to the database at dsn (a postgres:// URL or key=value
// string; pgxpool's pool_* parameters size the pool, search_path selects a
// schema) and applies pending migrations.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	db := &DB{timeout: DefaultTimeout}
	for _, o := range opts {
		o(db)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx redacts the password from its parse errors.
		return nil, fmt.Errorf("postgres: database URL: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout <= 0 || cfg.ConnConfig.ConnectTimeout > db.timeout {
		cfg.ConnConfig.ConnectTimeout = db.timeout
	}
	cfg.PingTimeout = db.timeout
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		// pgx scans timestamptz in the process's local zone; the API shows
		// UTC, and the SQLite store returns UTC, so both round-trip alike.
		c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open pool: %w", err)
	}
	db.pool = pool
	db.attempts = int(cfg.MaxConns) + 1
	if err := db.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

func (db *DB) migrate(ctx context.Context) error {
	// Replicas starting together take turns: the first applies what is
	// pending, the rest find nothing to do. The lock is a session lock on a
	// connection of its own, so it ends with that connection whatever
	// happens; its key names the schema, so installations sharing a
	// database in different schemas do not wait on each other.
	lockConn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig)
	if err != nil {
		return fmt.Errorf("postgres: migrate: connect: %w", err)
	}
	defer lockConn.Close(context.WithoutCancel(ctx))
	if _, err := lockConn.Exec(ctx, `SELECT pg_advisory_lock(hashtextextended('omi-devapi migrate ' || current_schema(), 0))`); err != nil {
		return fmt.Errorf("postgres: migrate: lock: %w", err)
	}
	sqlDB := stdlib.OpenDBFromPool(db.pool)
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, mustSub(migrations, "migrations"))
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // embedded at build time
	}
	return sub
}

// Migrate applies pending migrations; Open already does, this is for the
// `migrate` command's explicit run.
func (db *DB) Migrate(ctx context.Context) error { return db.migrate(ctx) }

// Close closes the pool, waiting for connections in use to be released.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Ping checks that the database answers within the timeout.
func (db *DB) Ping(ctx context.Context) error {
	return db.read(ctx, func(ctx context.Context, q querier) error {
		var one int
		if err := q.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
			return fmt.Errorf("postgres: ping: %w", err)
		}
		return nil
	})
}

// querier is what reads need: the pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// read runs fn against the pool within the timeout. Reads change nothing, so
// one that failed on a dead connection is simply run again.
func (db *DB) read(ctx context.Context, fn func(ctx context.Context, q querier) error) error {
	octx, cancel := context.WithTimeout(ctx, db.timeout)
	defer cancel()
	var err error
	for range db.attempts {
		if err = fn(octx, db.pool); err == nil || !connectionLost(err) || octx.Err() != nil {
			break
		}
	}
	return db.classify(ctx, octx, err)
}

// tx runs fn in one transaction within the timeout: committed if fn returns
// nil, rolled back otherwise. A transaction that lost its connection before
// COMMIT was sent committed nothing, so it is run again from the start (fn
// must not act outside tx); a failure during COMMIT is never retried, as the
// outcome is unknown.
func (db *DB) tx(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx) error) error {
	octx, cancel := context.WithTimeout(ctx, db.timeout)
	defer cancel()
	var err error
	for range db.attempts {
		var retry bool
		retry, err = db.try(octx, fn)
		if err == nil || !retry || !connectionLost(err) || octx.Err() != nil {
			break
		}
	}
	return db.classify(ctx, octx, err)
}

// try is one attempt of tx; retry reports whether COMMIT was never sent.
func (db *DB) try(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx) error) (retry bool, err error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return true, fmt.Errorf("postgres: begin: %w", err)
	}
	if err := fn(ctx, tx); err != nil {
		// Even when fn ran out of time: the rollback gets time of its own
		// (pgx discards the connection if it cannot roll back).
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), db.timeout)
		tx.Rollback(rctx)
		cancel()
		return true, err
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("postgres: commit: %w", err)
	}
	return false, nil
}

var errUnavailable = omi.Errorf(omi.EUNAVAILABLE, "Database unavailable")

// classify turns a lost or unreachable database into EUNAVAILABLE (503),
// as does running out of the operation's time while the caller still
// waits. Everything else, fn's own errors included, passes unchanged.
func (db *DB) classify(caller, op context.Context, err error) error {
	if err == nil {
		return nil
	}
	var e *omi.Error
	if errors.As(err, &e) {
		return err
	}
	if caller.Err() != nil {
		return err // the caller gave up; nobody reads the answer
	}
	if op.Err() != nil || connectionLost(err) {
		return &omi.Error{Code: errUnavailable.Code, Message: errUnavailable.Message, Err: err}
	}
	return err
}

// connectionLost reports whether err means the database could not be
// reached or the connection broke, as opposed to the database refusing a
// statement.
func connectionLost(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", "57P02", "57P03", // admin_shutdown, crash_shutdown, cannot_connect_now
			"53300": // too_many_connections
			return true
		}
		return len(pgErr.Code) == 5 && pgErr.Code[:2] == "08" // connection_exception
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		pgconn.SafeToRetry(err) || pgconn.Timeout(err)
}

// Times are timestamptz, which keeps microseconds, what the API shows; the
// UTC codec registered at connect makes them come back in UTC.

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func notFound(what string) error { return omi.Errorf(omi.ENOTFOUND, "%s not found", what) }

// mustAffect turns "no row matched" into ENOTFOUND.
func mustAffect(tag pgconn.CommandTag, what string) error {
	if tag.RowsAffected() == 0 {
		return notFound(what)
	}
	return nil
}

// nonNil stores a nil list as an empty one (the columns are NOT NULL).
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// lockUser serialises tx with other transactions that lock the same user
// and purpose until it ends; for writes whose conflicts no row lock can
// catch (the next folder order, the first system folders).
func lockUser(ctx context.Context, tx pgx.Tx, purpose, uid string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1 || ' ' || $2, 0))`, purpose, uid); err != nil {
		return fmt.Errorf("postgres: lock %s of %s: %w", purpose, uid, err)
	}
	return nil
}
