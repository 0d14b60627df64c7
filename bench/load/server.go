package load

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/auth"
	"github.com/omi-devapi/omi-devapi/bench/seed"
	"github.com/omi-devapi/omi-devapi/httpapi"
	"github.com/omi-devapi/omi-devapi/postgres"
	"github.com/omi-devapi/omi-devapi/ratelimit"
	"github.com/omi-devapi/omi-devapi/search"
	"github.com/omi-devapi/omi-devapi/sqlite"
)

// Server is a running server: omi-devapi (a process of the real binary, or
// in this process) or a ceiling.
type Server struct {
	URL string
	// PID is the server's process; this process's when in process (then
	// RSS includes the load driver).
	PID int
	// Started is when the process was exec'd (zero in process).
	Started time.Time
	close   func() error
}

// Close stops the server.
func (s *Server) Close() error { return s.close() }

// RaisedLimits is the environment that keeps rate limits on (every request
// still pays for the step and its headers) with budgets no run can spend.
var RaisedLimits = []string{
	"OMI_RATE_LIMITS=on",
	"OMI_RATE_LIMIT_PER_MINUTE=1000000000",
	"OMI_RATE_LIMIT_PER_DAY=1000000000",
	"OMI_RATE_LIMIT_BOOST=100000000",
}

// raisedLimits is RaisedLimits for a server in this process.
func raisedLimits() *httpapi.RateLimits {
	return &httpapi.RateLimits{Limiter: ratelimit.NewMemory(nil), PerMinute: 1e9, PerDay: 1e9, Boost: 1e8}
}

// Store is what a server in process is wired with; both stores are one.
type Store interface {
	seed.Store
	omi.KeyStore
	httpapi.Pinger
	Close() error
}

// IsPostgres reports whether dsn names a PostgreSQL database rather than a
// SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// OpenStore opens a SQLite file or, for a postgres:// URL, a PostgreSQL
// database.
func OpenStore(ctx context.Context, dsn string) (Store, error) {
	if IsPostgres(dsn) {
		return postgres.Open(ctx, dsn)
	}
	return sqlite.Open(ctx, dsn)
}

// CreateKey gives uid a key with every scope, through the store at dsn (a
// SQLite file must not be open in a running server: a second writer would
// wait on its lock).
func CreateKey(ctx context.Context, dsn, uid string) (string, error) {
	db, err := OpenStore(ctx, dsn)
	if err != nil {
		return "", err
	}
	defer db.Close()
	return seed.Key(ctx, db, uid)
}

// Binary runs the real omi-devapi binary.
type Binary struct {
	Path    string // the omi-devapi executable
	DataDir string // OMI_DATA_DIR: holds omi.db
	Env     []string
	// Log receives the server's stdout and stderr; nil sends them to
	// /dev/null (the server still formats and writes every access-log line).
	Log io.Writer
}

// Start execs the binary with `serve` on a free loopback port and waits
// for its first 200 on /healthz; startup is the time from exec to that
// answer (cold start, as an operator sees it).
func (b Binary) Start(ctx context.Context) (srv *Server, startup time.Duration, err error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, 0, err
	}
	cmd := exec.Command(b.Path, "serve")
	cmd.Env = append(os.Environ(), "OMI_ADDR="+addr, "OMI_DATA_DIR="+b.DataDir)
	cmd.Env = append(cmd.Env, b.Env...)
	out := b.Log
	if out == nil {
		// A file, not io.Discard: os/exec would copy a pipe into it from a
		// goroutine of this process, taking CPU from the measurement.
		null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			return nil, 0, fmt.Errorf("load: open %s: %w", os.DevNull, err)
		}
		defer null.Close() // the child has its own descriptor once started
		out = null
	}
	cmd.Stdout, cmd.Stderr = out, out
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, fmt.Errorf("load: start %s: %w", b.Path, err)
	}
	exited, interrupt := watch(cmd, 20*time.Second)
	stop := func() error {
		interrupt()
		return nil
	}
	url := "http://" + addr
	if err := waitHealthy(ctx, url, exited); err != nil {
		stop()
		return nil, 0, err
	}
	return &Server{URL: url, PID: cmd.Process.Pid, Started: started, close: stop}, time.Since(started), nil
}

// waitHealthy polls /healthz every 200 µs until it answers 200.
func waitHealthy(ctx context.Context, url string, exited <-chan error) error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("load: server exited before serving: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		resp, err := client.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(200 * time.Microsecond)
	}
	return errors.New("load: server did not answer /healthz within 60s")
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("load: find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Search modes of a server in process.
const (
	SearchOff     = "off"     // no engine: search answers 503
	SearchLexical = "lexical" // FTS only: no embedder
	SearchFused   = "fused"   // lexical and vector rankings fused (offline hashing embedder)
)

// StartInProcess serves the SQLite database at path from this process,
// wired as `omi-devapi serve` wires it (text access log, key cache, metrics,
// rate limits on and raised), on a loopback listener. searchMode is one of
// the Search constants.
func StartInProcess(ctx context.Context, path, searchMode string) (*Server, error) {
	db, err := OpenStore(ctx, path)
	if err != nil {
		return nil, err
	}
	ss, searchable := db.(omi.SearchStore)
	if !searchable && searchMode != SearchOff && searchMode != "" {
		// The server answers 503 for search then, as the binary does.
		searchMode = SearchOff
	}
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	metrics := httpapi.NewMetrics()
	keys := auth.NewKeys(db, auth.KeysConfig{PositiveTTL: 30 * time.Second, TouchInterval: 10 * time.Second}, nil, log, metrics)
	var engine *search.Engine
	switch searchMode {
	case SearchOff, "":
	case SearchLexical:
		engine = search.NewEngine(search.Engine{Store: ss, Conversations: db, Logger: log})
	case SearchFused:
		engine = search.NewEngine(search.Engine{Store: ss, Conversations: db, Logger: log,
			Embedder: search.NewHashing(search.DefaultDimensions)})
	default:
		db.Close()
		return nil, fmt.Errorf("load: search mode %q is not off, lexical or fused", searchMode)
	}
	srv := httpapi.NewServer(httpapi.Deps{
		Logger: log, Keys: keys, Ready: []httpapi.Pinger{db},
		Memories: db, ActionItems: db, Conversations: db, Goals: db, Folders: db,
		Metrics: metrics, RateLimits: raisedLimits(), Search: engine,
	})
	s, err := serveHandler(srv)
	if err != nil {
		keys.Close(ctx)
		db.Close()
		return nil, err
	}
	closeHTTP := s.close
	s.close = func() error {
		err := closeHTTP()
		return errors.Join(err, keys.Close(context.Background()), db.Close())
	}
	return s, nil
}

func serveHandler(h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("load: listen: %w", err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	go hs.Serve(ln)
	return &Server{URL: "http://" + ln.Addr().String(), PID: os.Getpid(), close: func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return hs.Shutdown(ctx)
	}}, nil
}

// Ceiling is the fastest any server could answer: the bytes of a real
// response, written by a bare handler with no routing, auth or storage.
func Ceiling(body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
}

// StartCeiling serves Ceiling(body) from this process.
func StartCeiling(body []byte) (*Server, error) { return serveHandler(Ceiling(body)) }

// StartCeilingProcess runs the ceiling in a process of its own (exe with
// args, which must serve the body file on the address given after -addr),
// so it competes with the load driver for the CPUs as the real binary does.
func StartCeilingProcess(ctx context.Context, exe string, args []string, body []byte) (*Server, error) {
	f, err := os.CreateTemp("", "ceiling-*.json")
	if err != nil {
		return nil, fmt.Errorf("load: ceiling body: %w", err)
	}
	if _, err := f.Write(body); err != nil {
		f.Close()
		return nil, fmt.Errorf("load: ceiling body: %w", err)
	}
	f.Close()
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, append(args, "-body", f.Name(), "-addr", addr)...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("load: start ceiling: %w", err)
	}
	exited, interrupt := watch(cmd, 10*time.Second)
	stop := func() error {
		interrupt()
		return os.Remove(f.Name())
	}
	url := "http://" + addr
	if err := waitHealthy(ctx, url, exited); err != nil {
		stop()
		return nil, err
	}
	return &Server{URL: url, PID: cmd.Process.Pid, close: stop}, nil
}

// Memory is a process's resident set now and at its peak, in bytes.
type Memory struct{ RSS, Peak int64 }

// ReadMemory reads pid's VmRSS and VmHWM (Linux).
func ReadMemory(pid int) (Memory, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return Memory{}, fmt.Errorf("load: read memory of %d: %w", pid, err)
	}
	var m Memory
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			m.RSS = kb << 10
		case "VmHWM":
			m.Peak = kb << 10
		}
	}
	return m, nil
}

func readAll(resp *http.Response) ([]byte, error) { return io.ReadAll(resp.Body) }

// cpuTicks is pid's user+system CPU time in clock ticks (Linux).
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, err
	}
	// Fields after the command (which may hold spaces) are space-separated;
	// utime and stime are the 14th and 15th of the whole line.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("load: /proc/%d/stat: short", pid)
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st, nil
}

// WaitIdle waits until pid uses under a tenth of a CPU over half a second
// (a freshly started server may embed missing vectors or checkpoint), at
// most limit; it returns how long it waited.
func WaitIdle(ctx context.Context, pid int, limit time.Duration) (time.Duration, error) {
	began := time.Now()
	for time.Since(began) < limit {
		a, err := cpuTicks(pid)
		if err != nil {
			return 0, err
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		b, err := cpuTicks(pid)
		if err != nil {
			return 0, err
		}
		if b-a <= 5 { // 100 ticks a second: 5 in half a second is a tenth of a CPU
			return time.Since(began), nil
		}
	}
	return time.Since(began), fmt.Errorf("load: process %d still busy after %v", pid, limit)
}

// watch waits for the started cmd in the background: exited reports its
// end, and interrupt asks it to stop, killing it after grace, and returns
// once it has exited.
func watch(cmd *exec.Cmd, grace time.Duration) (exited <-chan error, interrupt func()) {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return done, func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(grace):
			cmd.Process.Kill()
			<-done
		}
	}
}
