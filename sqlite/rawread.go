package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// The memory list is the hottest read, and it runs below database/sql and
// the driver, on connections of its own that call SQLite's C API (as
// modernc.org/sqlite translates it) directly. Through database/sql and the
// driver, a page of 26 memories cost twice the CPU of reading it here: the
// driver opens every connection SQLITE_OPEN_FULLMUTEX, so each of the two or
// three calls it makes per column locks the connection's mutex, it boxes
// every value in an interface, and database/sql converts each again on
// Scan. These connections are opened SQLITE_OPEN_NOMUTEX (each is used by
// one goroutine at a time, which is all SQLite asks of it), keep their
// statements prepared, and let the caller copy a row's text out as it likes.
//
// They are ordinary connections to the same file: SQLite's locking and WAL
// index are shared with the database/sql pools and with other processes as
// for any connection, and a query sees the database as of its start.

// rawPool is a fixed-size pool of rawConns, opened as needed.
type rawPool struct {
	path string
	sem  chan struct{} // a slot per connection in use
	mu   sync.Mutex
	idle []*rawConn
	done bool
}

func newRawPool(path string, size int) *rawPool {
	return &rawPool{path: path, sem: make(chan struct{}, size)}
}

var errPoolClosed = errors.New("sqlite: database closed")

// get takes an idle connection, or opens one while the pool has room.
func (p *rawPool) get(ctx context.Context) (*rawConn, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		<-p.sem
		return nil, errPoolClosed
	}
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return c, nil
	}
	p.mu.Unlock()
	c, err := openRawConn(p.path)
	if err != nil {
		<-p.sem
		return nil, err
	}
	return c, nil
}

// put returns c to the pool, or closes it when the pool is closed or c
// failed in a way that may have left it in a bad state.
func (p *rawPool) put(c *rawConn, failed bool) {
	p.mu.Lock()
	if p.done || failed {
		p.mu.Unlock()
		c.close()
	} else {
		p.idle = append(p.idle, c)
		p.mu.Unlock()
	}
	<-p.sem
}

// close closes the idle connections; those in use close when put back.
func (p *rawPool) close() error {
	p.mu.Lock()
	p.done = true
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	var errs []error
	for _, c := range idle {
		errs = append(errs, c.close())
	}
	return errors.Join(errs...)
}

// query runs q with args (string or int64 each) on a pooled connection and
// calls row for each result row; r is reused for the next row, and only
// valid until row returns. keep says q is one of few shapes, to be kept
// prepared on the connection.
func (p *rawPool) query(ctx context.Context, q string, keep bool, args []any, row func(*rawRow) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c, err := p.get(ctx)
	if err != nil {
		return err
	}
	failed, err := c.query(ctx, q, keep, args, row)
	p.put(c, failed)
	return err
}

// rawConn is one connection. It is not safe for concurrent use.
type rawConn struct {
	tls   *libc.TLS
	db    uintptr
	stmts map[string]uintptr // kept prepared, by query text
	row   rawRow
}

// openRawConn opens path read-only (query_only: the connection may still
// take part in WAL recovery and checkpoints, as a reader must), with the
// store's busy timeout.
func openRawConn(path string) (_ *rawConn, err error) {
	c := &rawConn{tls: libc.NewTLS(), stmts: map[string]uintptr{}}
	defer func() {
		if err != nil {
			c.close()
		}
	}()
	name, err := libc.CString(path)
	if err != nil {
		return nil, err
	}
	defer libc.Xfree(c.tls, name)
	pdb, err := c.cPointer()
	if err != nil {
		return nil, err
	}
	defer libc.Xfree(c.tls, pdb)
	rc := sqlite3.Xsqlite3_open_v2(c.tls, name, pdb, sqlite3.SQLITE_OPEN_READWRITE|sqlite3.SQLITE_OPEN_NOMUTEX|sqlite3.SQLITE_OPEN_EXRESCODE, 0)
	// Set even when the open fails, for the message (close frees it).
	c.db = libc.AtomicLoadNUintptr(pdb, 0)
	if rc != sqlite3.SQLITE_OK {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, c.error(rc))
	}
	if err := c.exec("PRAGMA busy_timeout = 10000; PRAGMA query_only = 1"); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return c, nil
}

// cPointer allocates a NULL pointer in C memory, for an out parameter; the
// caller frees it.
func (c *rawConn) cPointer() (uintptr, error) {
	p := libc.Xcalloc(c.tls, 1, 8)
	if p == 0 {
		return 0, errors.New("sqlite: out of memory")
	}
	return p, nil
}

func (c *rawConn) exec(q string) error {
	cq, err := libc.CString(q)
	if err != nil {
		return err
	}
	defer libc.Xfree(c.tls, cq)
	if rc := sqlite3.Xsqlite3_exec(c.tls, c.db, cq, 0, 0, 0); rc != sqlite3.SQLITE_OK {
		return c.error(rc)
	}
	return nil
}

// close finalizes the statements and closes the connection.
func (c *rawConn) close() error {
	var err error
	if c.db != 0 {
		for _, st := range c.stmts {
			sqlite3.Xsqlite3_finalize(c.tls, st)
		}
		c.stmts = nil
		if rc := sqlite3.Xsqlite3_close_v2(c.tls, c.db); rc != sqlite3.SQLITE_OK {
			err = c.error(rc)
		}
		c.db = 0
	}
	if c.tls != nil {
		c.tls.Close()
		c.tls = nil
	}
	return err
}

// error describes rc with the connection's message for it.
func (c *rawConn) error(rc int32) error {
	msg := libc.GoString(sqlite3.Xsqlite3_errstr(c.tls, rc))
	if c.db != 0 {
		if m := libc.GoString(sqlite3.Xsqlite3_errmsg(c.tls, c.db)); m != "" && m != msg {
			msg += ": " + m
		}
	}
	return &rawError{code: rc, msg: msg}
}

// rawError is an SQLite result code and its message.
type rawError struct {
	code int32
	msg  string
}

func (e *rawError) Error() string { return fmt.Sprintf("%s (%d)", e.msg, e.code) }

// prepare returns q's statement: kept for the next query when keep is set,
// otherwise for the caller to finalize.
func (c *rawConn) prepare(q string, keep bool) (uintptr, error) {
	if st := c.stmts[q]; st != 0 {
		return st, nil
	}
	cq, err := libc.CString(q)
	if err != nil {
		return 0, err
	}
	defer libc.Xfree(c.tls, cq)
	pst, err := c.cPointer()
	if err != nil {
		return 0, err
	}
	defer libc.Xfree(c.tls, pst)
	var flags uint32
	if keep {
		flags = sqlite3.SQLITE_PREPARE_PERSISTENT
	}
	if rc := sqlite3.Xsqlite3_prepare_v3(c.tls, c.db, cq, -1, flags, pst, 0); rc != sqlite3.SQLITE_OK {
		return 0, fmt.Errorf("prepare: %w", c.error(rc))
	}
	st := libc.AtomicLoadNUintptr(pst, 0)
	if keep {
		c.stmts[q] = st
	}
	return st, nil
}

// query runs q and calls row for each result row. failed reports an error
// after which the connection should not be reused.
func (c *rawConn) query(ctx context.Context, q string, keep bool, args []any, row func(*rawRow) error) (failed bool, err error) {
	st, err := c.prepare(q, keep)
	if err != nil {
		return true, err
	}
	tls := c.tls
	defer func() {
		// Reset ends the read transaction. The parameters stay bound (text
		// is copied in); sqlite3_clear_bindings would make SQLite re-prepare
		// the statement on its next run.
		sqlite3.Xsqlite3_reset(tls, st)
		if !keep {
			sqlite3.Xsqlite3_finalize(tls, st)
		}
	}()
	// Parameters stay bound from the last run: every one must be bound anew.
	if n := sqlite3.Xsqlite3_bind_parameter_count(tls, st); int(n) != len(args) {
		return false, fmt.Errorf("sqlite: %d arguments for %d parameters", len(args), n)
	}
	for i, a := range args {
		var rc int32
		switch v := a.(type) {
		case string:
			rc, err = c.bindText(st, int32(i+1), v)
			if err != nil {
				return true, err
			}
		case int64:
			rc = sqlite3.Xsqlite3_bind_int64(tls, st, int32(i+1), v)
		default:
			return false, fmt.Errorf("sqlite: cannot bind %T", a)
		}
		if rc != sqlite3.SQLITE_OK {
			return true, fmt.Errorf("bind: %w", c.error(rc))
		}
	}
	// A cancelled request interrupts the statement (from another goroutine,
	// as sqlite3_interrupt allows, on a TLS of its own). An interrupt that
	// lands after the statement ended is harmless: SQLite clears the flag
	// when the connection's next statement starts. One landing during the
	// next statement is not, so the connection goes back to the pool only
	// once an interrupt under way is done.
	interrupted := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(interrupted)
		t := libc.NewTLS()
		defer t.Close()
		sqlite3.Xsqlite3_interrupt(t, c.db)
	})
	defer func() {
		if !stop() {
			<-interrupted
		}
	}()
	c.row.c, c.row.st = c, st
	for {
		switch rc := sqlite3.Xsqlite3_step(tls, st); rc {
		case sqlite3.SQLITE_ROW:
			if err := row(&c.row); err != nil {
				return false, err
			}
		case sqlite3.SQLITE_DONE:
			return false, nil
		default:
			if rc&0xff == sqlite3.SQLITE_INTERRUPT && ctx.Err() != nil {
				return false, ctx.Err()
			}
			return rc&0xff != sqlite3.SQLITE_BUSY, c.error(rc)
		}
	}
}

// bindText binds a copy of s (SQLITE_TRANSIENT) to parameter i.
func (c *rawConn) bindText(st uintptr, i int32, s string) (int32, error) {
	cs, err := libc.CString(s)
	if err != nil {
		return 0, err
	}
	defer libc.Xfree(c.tls, cs)
	return sqlite3.Xsqlite3_bind_text(c.tls, st, i, cs, int32(len(s)), sqlite3.SQLITE_TRANSIENT), nil
}

// rawRow is the current row of a query; its values are valid until the
// row callback returns.
type rawRow struct {
	c  *rawConn
	st uintptr
}

// null reports whether column i is NULL.
func (r *rawRow) null(i int) bool {
	return sqlite3.Xsqlite3_column_type(r.c.tls, r.st, int32(i)) == sqlite3.SQLITE_NULL
}

func (r *rawRow) int64(i int) int64 {
	return sqlite3.Xsqlite3_column_int64(r.c.tls, r.st, int32(i))
}

// text is column i as text: a view of SQLite's memory, to be copied before
// the row callback returns.
func (r *rawRow) text(i int) []byte {
	p := sqlite3.Xsqlite3_column_text(r.c.tls, r.st, int32(i))
	n := sqlite3.Xsqlite3_column_bytes(r.c.tls, r.st, int32(i))
	if p == 0 || n <= 0 {
		return nil
	}
	return libc.GoBytes(p, int(n))
}

// texts sets *dst[k] to column cols[k] as text, appended to sb. The
// strings share sb's memory: a Builder only ever appends, and the strings
// it returned stay valid (and unchanged) as it grows.
func (r *rawRow) texts(sb *strings.Builder, cols []int, dst []*string) {
	var ends [16]int
	if len(cols) > len(ends) {
		panic("sqlite: texts: too many columns")
	}
	start := sb.Len()
	for k, i := range cols {
		sb.Write(r.text(i))
		ends[k] = sb.Len()
	}
	s := sb.String()
	for k, end := range ends[:len(cols)] {
		*dst[k] = s[start:end]
		start = end
	}
}
