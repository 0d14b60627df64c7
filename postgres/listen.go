package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// Listener tuning. The catch-up margin absorbs clock skew between replicas:
// revoked_at comes from the revoking replica's clock, the gap from ours.
const (
	listenIdleCheck   = 30 * time.Second
	listenBackoffMax  = 5 * time.Second
	catchUpSkewMargin = time.Minute
)

// listenBackoffMin is the first reconnect delay (a variable for tests).
var listenBackoffMin = 100 * time.Millisecond

// ListenRevocations calls forget with the hash of every key revoked through
// any replica (RevokeKey announces it on RevocationChannel), until ctx ends.
// It holds a connection of its own and reconnects, with backoff, whenever
// that connection fails. Notifications sent while it was not listening are
// lost, so after every (re)connect it also forgets every key revoked since
// shortly before it stopped listening (or started): revocation reaches this
// replica's cache by the next request while the database is reachable,
// and as soon as the listener is back otherwise.
func (db *DB) ListenRevocations(ctx context.Context, forget func(hash string), log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	since := time.Now()
	backoff := listenBackoffMin
	for {
		connected, err := db.listen(ctx, forget, since)
		if ctx.Err() != nil {
			return
		}
		since = time.Now()
		if connected {
			backoff = listenBackoffMin
		}
		log.Warn("key revocation listener lost its connection; reconnecting", "error", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, listenBackoffMax)
	}
}

// listen is one connection's life: LISTEN, catch up, then forward
// notifications until the connection fails.
func (db *DB) listen(ctx context.Context, forget func(string), since time.Time) (connected bool, err error) {
	conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig)
	if err != nil {
		return false, fmt.Errorf("postgres: listen: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+RevocationChannel); err != nil {
		return false, fmt.Errorf("postgres: listen: %w", err)
	}
	// After LISTEN, so a revocation is either notified or found here.
	rows, err := conn.Query(ctx, `SELECT hash FROM api_keys WHERE revoked_at >= $1`, since.Add(-catchUpSkewMargin))
	if err != nil {
		return false, fmt.Errorf("postgres: listen: catch up: %w", err)
	}
	hashes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return false, fmt.Errorf("postgres: listen: catch up: %w", err)
	}
	for _, h := range hashes {
		forget(h)
	}
	for {
		wctx, cancel := context.WithTimeout(ctx, listenIdleCheck)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			forget(n.Payload)
		case ctx.Err() != nil:
			return true, ctx.Err()
		case errors.Is(err, context.DeadlineExceeded) || wctx.Err() != nil:
			// Quiet for a while: make sure the connection is still alive,
			// since a silently dropped one would never deliver again.
			if conn.IsClosed() {
				return true, errors.New("postgres: listen: connection closed")
			}
			pctx, cancel := context.WithTimeout(ctx, db.timeout)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return true, fmt.Errorf("postgres: listen: ping: %w", err)
			}
		default:
			return true, fmt.Errorf("postgres: listen: %w", err)
		}
	}
}
