package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	omi "github.com/omi-devapi/omi-devapi"
)

// Memory batches are committed in groups. A commit waits for its fsync
// (synchronous=FULL) and SQLite has one writer, so concurrent batches each
// paying for their own commit made the disk, not the CPU, the limit: 25-
// memory batches from 16 clients committed about 6,000 memories a second.
// One goroutine takes every batch waiting, writes them in one transaction
// and commits once; each caller returns when the commit that holds its
// batch is durable. If any batch fails, the group is written again with
// each batch inside a savepoint, and a batch that fails rolls back to its
// savepoint alone: batches stay all-or-nothing and independent, exactly as
// with a transaction each.

// maxGroupMemories bounds one group's transaction (and so the latency of
// the batches at its end).
const maxGroupMemories = 5_000

var errClosed = errors.New("sqlite: store is closed")

type pendingBatch struct {
	ctx  context.Context
	ms   []*omi.Memory
	done chan error // buffered: the committer never blocks on a caller
}

type groupCommitter struct {
	once sync.Once
	// mu is held (shared) while queueing and (exclusive) while closing, so
	// nothing is queued after the committer's last look at the queue.
	mu      sync.RWMutex
	closed  bool
	reqs    chan *pendingBatch
	closing chan struct{}
	stopped chan struct{}
}

// commitMemories stores ms in a group commit and returns once it is
// durable, or with why not (nothing of ms is then stored).
func (db *DB) commitMemories(ctx context.Context, ms []*omi.Memory) error {
	g := &db.group
	g.once.Do(func() {
		g.reqs = make(chan *pendingBatch, 256)
		g.closing = make(chan struct{})
		g.stopped = make(chan struct{})
		go db.runGroups()
	})
	p := &pendingBatch{ctx: ctx, ms: ms, done: make(chan error, 1)}
	g.mu.RLock()
	if g.closed || g.reqs == nil {
		g.mu.RUnlock()
		return errClosed
	}
	select {
	case g.reqs <- p:
		g.mu.RUnlock()
	case <-ctx.Done():
		g.mu.RUnlock()
		return ctx.Err()
	}
	// Once queued, the outcome is the commit's: a caller that gave up here
	// could otherwise report failure for a batch that was then committed.
	// The committer drops batches whose context ended before their group
	// began.
	return <-p.done
}

func (db *DB) runGroups() {
	g := &db.group
	defer close(g.stopped)
	for {
		var first *pendingBatch
		select {
		case first = <-g.reqs:
		case <-g.closing:
			// Answer whatever is still queued, so no caller waits forever.
			for {
				select {
				case p := <-g.reqs:
					p.done <- errClosed
				default:
					return
				}
			}
		}
		group, n := []*pendingBatch{first}, len(first.ms)
	more:
		for n < maxGroupMemories {
			select {
			case p := <-g.reqs:
				group = append(group, p)
				n += len(p.ms)
			default:
				break more
			}
		}
		db.commitGroup(group)
	}
}

func (db *DB) commitGroup(group []*pendingBatch) {
	live := group[:0:0]
	for _, p := range group {
		if err := p.ctx.Err(); err != nil {
			p.done <- err
			continue
		}
		live = append(live, p)
	}
	switch len(live) {
	case 0:
		return
	case 1:
		// Alone: its own transaction, under its own context, as before.
		p := live[0]
		p.done <- db.tx(p.ctx, func(tx *sql.Tx) error { return insertMemories(p.ctx, tx, p.ms) })
		return
	}
	// The group's transaction belongs to no one request: a client that
	// goes away must not roll back the others' batches.
	ctx := context.Background()
	// Usually no batch fails: then the whole group goes in as one insert
	// (every statement of a transaction flushes the full-text index's
	// pending terms, so fewer statements is less work).
	var all []*omi.Memory
	for _, p := range live {
		all = append(all, p.ms...)
	}
	errBatch := errors.New("a batch of the group failed")
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := insertMemories(ctx, tx, all); err != nil {
			return errBatch
		}
		return nil
	})
	if !errors.Is(err, errBatch) {
		for _, p := range live {
			p.done <- err
		}
		return
	}
	// Some batch failed: again, each in a savepoint, so only it fails.
	results := make([]error, len(live))
	err = db.tx(ctx, func(tx *sql.Tx) error {
		for i, p := range live {
			if _, err := tx.ExecContext(ctx, `SAVEPOINT batch`); err != nil {
				return fmt.Errorf("sqlite: savepoint: %w", err)
			}
			if err := insertMemories(ctx, tx, p.ms); err != nil {
				results[i] = err
				if _, err := tx.ExecContext(ctx, `ROLLBACK TO batch`); err != nil {
					return fmt.Errorf("sqlite: roll back a failed batch: %w", err)
				}
			}
			if _, err := tx.ExecContext(ctx, `RELEASE batch`); err != nil {
				return fmt.Errorf("sqlite: release savepoint: %w", err)
			}
		}
		return nil
	})
	for i, p := range live {
		if err != nil {
			p.done <- err
		} else {
			p.done <- results[i]
		}
	}
}

// close stops the committer (if it ever started) once the group in hand
// is committed; queued and later batches fail with errClosed.
func (g *groupCommitter) close() {
	g.once.Do(func() {}) // never start after close
	g.mu.Lock()
	already := g.closed
	g.closed = true
	g.mu.Unlock()
	if already || g.closing == nil {
		return
	}
	close(g.closing)
	<-g.stopped
}
