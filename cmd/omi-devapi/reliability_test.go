package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/omi-devapi/omi-devapi/sqlite"
)

// server is one `omi-devapi serve` run by run(), as main runs it.
type server struct {
	base   string // http://host:port
	addr   string // host:port
	stop   context.CancelFunc
	done   chan error
	stderr *lockedBuffer
}

// lockedBuffer collects the server's log output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serveWith starts serve with vars; the test must call shutdown, or the
// cleanup does.
func serveWith(t *testing.T, vars map[string]string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &server{stop: cancel, done: make(chan error, 1), stderr: &lockedBuffer{}}
	go func() {
		s.done <- run(ctx, []string{"omi-devapi", "serve"}, getenvFrom(vars), pw, s.stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("no listening line: %v\n%s", err, s.stderr)
	}
	go io.Copy(io.Discard, pr)
	s.base = strings.TrimSpace(strings.TrimPrefix(line, "omi-devapi listening on "))
	s.addr = strings.TrimPrefix(s.base, "http://")
	t.Cleanup(func() { s.shutdown(t) })
	return s
}

// shutdown cancels serve's context (SIGTERM in main) and waits for it.
func (s *server) shutdown(t *testing.T) error {
	t.Helper()
	s.stop()
	select {
	case err, ok := <-s.done:
		if ok {
			close(s.done)
		}
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not shut down")
		return nil
	}
}

func baseVars(t *testing.T) map[string]string {
	return map[string]string{
		"OMI_DATA_DIR": t.TempDir(), "OMI_ADDR": "127.0.0.1:0", "OMI_LOG_FORMAT": "json", "OMI_RATE_LIMITS": "off",
	}
}

func doReq(t *testing.T, c *http.Client, method, url, bearer, body string) (int, string, error) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// closedWithin reads from conn until the server closes it and reports how
// long that took (from start); the test fails if it stays open past limit.
func closedWithin(t *testing.T, conn net.Conn, start time.Time, limit time.Duration) (time.Duration, []byte) {
	t.Helper()
	conn.SetReadDeadline(start.Add(limit))
	got, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("connection still open after %v", limit)
	}
	return time.Since(start), got
}

// TestSlowClients runs serve with short timeouts (the same settings
// production takes from OMI_*): a slow-loris client dribbling headers is
// cut off at the header timeout while normal clients are served
// throughout; a slow body is cut off at the read timeout; oversized headers
// get 431; an idle keep-alive connection is closed at the idle timeout.
func TestSlowClients(t *testing.T) {
	vars := baseVars(t)
	vars["OMI_READ_HEADER_TIMEOUT"] = "500ms"
	vars["OMI_READ_TIMEOUT"] = "1s"
	vars["OMI_WRITE_TIMEOUT"] = "5s"
	vars["OMI_IDLE_TIMEOUT"] = "1s"
	vars["OMI_MAX_HEADER_BYTES"] = "4096"
	s := serveWith(t, vars)
	token := strings.TrimSpace(runCmd(t, vars, "token", "--uid", "slow"))

	t.Run("slow loris", func(t *testing.T) {
		const lorises = 50
		var wg sync.WaitGroup
		cutAt := make(chan time.Duration, lorises)
		for range lorises {
			conn, err := net.Dial("tcp", s.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			start := time.Now()
			wg.Add(2)
			go func() { // a byte of header every 100ms, until the server hangs up
				defer wg.Done()
				msg := "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 100)
				for i := 0; i < len(msg) && time.Since(start) < 4*time.Second; i++ {
					if _, err := conn.Write([]byte{msg[i]}); err != nil {
						return
					}
					time.Sleep(100 * time.Millisecond)
				}
			}()
			go func() {
				defer wg.Done()
				d, got := closedWithin(t, conn, start, 3*time.Second)
				// Go may say why before it hangs up; never with a 2xx.
				if len(got) != 0 && !bytes.HasPrefix(got, []byte("HTTP/1.1 4")) {
					t.Errorf("slow loris got an answer: %q", got)
				}
				cutAt <- d
			}()
		}
		// Meanwhile, everyone else is served promptly.
		c := &http.Client{Timeout: 2 * time.Second}
		served := 0
		for deadline := time.Now().Add(1500 * time.Millisecond); time.Now().Before(deadline); served++ {
			start := time.Now()
			code, body, err := doReq(t, c, "GET", s.base+"/healthz", "", "")
			if err != nil || code != 200 {
				t.Fatalf("normal client during slow loris: %d %s %v", code, body, err)
			}
			if d := time.Since(start); d > 500*time.Millisecond {
				t.Errorf("normal request took %v during slow loris", d)
			}
			time.Sleep(20 * time.Millisecond)
		}
		wg.Wait()
		close(cutAt)
		for d := range cutAt {
			if d < 400*time.Millisecond || d > 1500*time.Millisecond {
				t.Errorf("slow loris cut off after %v, want about the 500ms header timeout", d)
			}
		}
		t.Logf("%d normal requests served while %d slow lorises were cut off", served, lorises)
	})

	t.Run("slow body", func(t *testing.T) {
		conn, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		body := `{"name":"dribbled","scopes":["memories:read"]}`
		fmt.Fprintf(conn, "POST /v1/dev/keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", token, len(body))
		go func() {
			for i := 0; i < len(body); i++ {
				if _, err := conn.Write([]byte{body[i]}); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		d, got := closedWithin(t, conn, start, 3*time.Second)
		if d < 900*time.Millisecond || d > 2*time.Second {
			t.Errorf("slow body cut off after %v, want about the 1s read timeout", d)
		}
		if len(got) > 0 && !bytes.HasPrefix(got, []byte("HTTP/1.1 4")) {
			t.Errorf("slow body answered %q", got)
		}
		code, list, err := doReq(t, http.DefaultClient, "GET", s.base+"/v1/dev/keys", token, "")
		if err != nil || code != 200 || list != "[]" {
			t.Errorf("keys after a cut-off create: %d %s %v", code, list, err)
		}
	})

	t.Run("header too large", func(t *testing.T) {
		conn, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", strings.Repeat("b", 64<<10))
		conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("64 KB header: %d, want 431", resp.StatusCode)
		}
	})

	t.Run("idle timeout", func(t *testing.T) {
		conn, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprint(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(conn)
		conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		start := time.Now()
		conn.SetReadDeadline(start.Add(4 * time.Second))
		_, err = br.ReadByte()
		d := time.Since(start)
		if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("idle connection: %v after %v, want closed", err, d)
		}
		if d < 800*time.Millisecond || d > 2500*time.Millisecond {
			t.Errorf("idle connection closed after %v, want about the 1s idle timeout", d)
		}
	})

	if err := s.shutdown(t); err != nil {
		t.Errorf("serve returned %v", err)
	}
}

// TestGracefulShutdown: shutting down under load lets in-flight requests
// finish (their writes committed), refuses new connections at once instead
// of hanging them, and flushes the pending last_used_at writes.
func TestGracefulShutdown(t *testing.T) {
	vars := baseVars(t)
	vars["OMI_LAST_USED_FLUSH_INTERVAL"] = "1h" // only the shutdown flush can write it
	vars["OMI_SHUTDOWN_TIMEOUT"] = "20s"
	s := serveWith(t, vars)
	key := strings.TrimSpace(runCmd(t, vars, "keys", "create", "--uid", "drain", "--name", "load", "--scopes", "memories:read,memories:write"))
	if code, body, err := doReq(t, http.DefaultClient, "GET", s.base+"/v1/dev/user/memories", key, ""); err != nil || code != 200 {
		t.Fatalf("warm-up: %d %s %v", code, body, err)
	}

	// In flight: bodies arrive in two halves, the second after shutdown began.
	const inflight = 16
	type result struct {
		code int
		body string
		err  error
	}
	results := make(chan result, inflight)
	var writers []*io.PipeWriter
	for i := range inflight {
		pr, pw := io.Pipe()
		writers = append(writers, pw)
		req, _ := http.NewRequest("POST", s.base+"/v1/dev/user/memories", pr)
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		c := &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}
		go func() {
			resp, err := c.Do(req)
			if err != nil {
				results <- result{err: err}
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			results <- result{code: resp.StatusCode, body: string(b)}
		}()
		go fmt.Fprintf(pw, `{"content": "in flight %d`, i)
	}
	time.Sleep(300 * time.Millisecond) // headers read: the requests are active

	s.stop()
	time.Sleep(200 * time.Millisecond) // the listener is closed first

	// New work is refused cleanly: a refused connection (or a 503), at once.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	start := time.Now()
	code, body, err := doReq(t, fresh, "GET", s.base+"/v1/dev/user/memories", key, "")
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		t.Errorf("a new request during shutdown hung: %v", err)
	case err == nil && code != http.StatusServiceUnavailable:
		t.Errorf("a new request during shutdown: %d %s", code, body)
	case time.Since(start) > 2*time.Second:
		t.Errorf("refusing a new request took %v", time.Since(start))
	default:
		t.Logf("a new request during shutdown: %d %v (after %v)", code, err, time.Since(start).Round(time.Millisecond))
	}

	for _, pw := range writers {
		fmt.Fprintf(pw, ` finished"}`)
		pw.Close()
	}
	var ids []string
	for range inflight {
		r := <-results
		if r.err != nil || r.code != 200 {
			t.Errorf("in-flight request: %d %s %v", r.code, r.body, r.err)
			continue
		}
		var m struct{ ID, Content string }
		json.Unmarshal([]byte(r.body), &m)
		ids = append(ids, m.ID)
	}
	select {
	case err := <-s.done:
		close(s.done)
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not finish shutting down")
	}

	// Every acknowledged write is in the store, and last_used_at was flushed.
	db, err := sqlite.Open(context.Background(), filepath.Join(vars["OMI_DATA_DIR"], "omi.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, id := range ids {
		if m, err := db.GetMemory(context.Background(), "drain", id); err != nil || !strings.HasSuffix(m.Content, "finished") {
			t.Errorf("acknowledged memory %s: %+v %v", id, m, err)
		}
	}
	keys, err := db.ListKeys(context.Background(), "drain")
	if err != nil || len(keys) != 1 || keys[0].LastUsedAt == nil {
		t.Errorf("last_used_at not flushed at shutdown: %+v %v", keys, err)
	}
}

// TestNoSecretsInServeLogs: the JSON logs of serve and of the CLI, at debug
// level, across key creation, use, revocation and every kind of failed
// authentication, hold no raw key, secret part or token.
func TestNoSecretsInServeLogs(t *testing.T) {
	vars := baseVars(t)
	vars["OMI_LOG_LEVEL"] = "debug"
	vars["OMI_LAST_USED_FLUSH_INTERVAL"] = "100ms"
	s := serveWith(t, vars)

	var cliLogs bytes.Buffer
	cli := func(args ...string) string {
		var out bytes.Buffer
		if err := run(context.Background(), append([]string{"omi-devapi"}, args...), getenvFrom(vars), &out, &cliLogs); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, cliLogs.String())
		}
		return strings.TrimSpace(out.String())
	}
	token := cli("token", "--uid", "logs")
	cliKey := cli("keys", "create", "--uid", "logs", "--name", "cli", "--scopes", "memories:read")
	code, body, err := doReq(t, http.DefaultClient, "POST", s.base+"/v1/dev/keys", token, `{"name":"api","scopes":["memories:read","memories:write"]}`)
	if err != nil || code != 200 {
		t.Fatalf("create key: %d %s %v", code, body, err)
	}
	var created struct{ ID, Key string }
	json.Unmarshal([]byte(body), &created)
	secrets := []string{token, token[strings.LastIndexByte(token, '.')+1:], cliKey, cliKey[len("omi_dev_"):], created.Key, created.Key[len("omi_dev_"):]}

	for _, cred := range []string{created.Key, cliKey, created.Key[:len(created.Key)-1] + "x", token, "garbage"} {
		doReq(t, http.DefaultClient, "GET", s.base+"/v1/dev/user/memories?key="+cred, cred, "")
		doReq(t, http.DefaultClient, "POST", s.base+"/v1/dev/user/memories", cred, `{"content":"`+cred+`"}`)
		doReq(t, http.DefaultClient, "GET", s.base+"/v1/dev/keys", cred, "")
	}
	if code, _, _ := doReq(t, http.DefaultClient, "DELETE", s.base+"/v1/dev/keys/"+created.ID, token, ""); code != 204 {
		t.Fatalf("revoke: %d", code)
	}
	doReq(t, http.DefaultClient, "GET", s.base+"/v1/dev/user/memories", created.Key, "")
	time.Sleep(300 * time.Millisecond) // a last_used_at flush
	if err := s.shutdown(t); err != nil {
		t.Fatal(err)
	}

	logs := s.stderr.String() + cliLogs.String()
	if !strings.Contains(logs, `"msg":"request"`) || !strings.Contains(logs, `"status":401`) {
		t.Fatalf("no request logs captured:\n%s", logs)
	}
	for _, sec := range secrets {
		if strings.Contains(logs, sec) {
			t.Errorf("logs contain secret %q", sec)
		}
	}
}
