package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// stmtCache keeps read statements prepared. Parsing and planning a query
// cost SQLite more than running it on the hot paths (a page of a memory
// list: a quarter of the request's CPU), and database/sql re-prepares a
// *sql.Stmt on each pooled connection only once. Only queries built from a
// small, fixed set of shapes may be cached: the cache never evicts.
type stmtCache struct {
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

// query runs a cached statement for q on the read pool, preparing it on
// first use.
func (db *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	c := &db.stmts
	c.mu.RLock()
	st := c.stmts[q]
	c.mu.RUnlock()
	if st == nil {
		c.mu.Lock()
		if st = c.stmts[q]; st == nil {
			var err error
			if st, err = db.r.PrepareContext(ctx, q); err != nil {
				c.mu.Unlock()
				return nil, fmt.Errorf("prepare: %w", err)
			}
			if c.stmts == nil {
				c.stmts = map[string]*sql.Stmt{}
			}
			c.stmts[q] = st
		}
		c.mu.Unlock()
	}
	return st.QueryContext(ctx, args...)
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, st := range c.stmts {
		errs = append(errs, st.Close())
	}
	c.stmts = nil
	return errors.Join(errs...)
}
