package postgres_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/omi-devapi/omi-devapi/postgres"
	"github.com/omi-devapi/omi-devapi/postgres/pgtest"
)

// proxy stands between a store and PostgreSQL so a test can take the
// database away: "down" resets every connection and refuses new ones (a
// stopped server); "blackhole" keeps connections open but lets nothing
// through (a network partition, where only timeouts help).
type proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	state string
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, state: "up", conns: map[net.Conn]bool{}}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		ln.Close()
		p.set("down")
		p.wg.Wait()
	})
	return p
}

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Go(func() { p.handle(c) })
	}
}

func (p *proxy) current() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// track registers c, or closes it and reports false when the proxy is down.
func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == "down" {
		c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

func (p *proxy) set(state string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state = state
	if state == "down" {
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	}
}

func (p *proxy) handle(client net.Conn) {
	if !p.track(client) {
		return
	}
	defer client.Close()
	if p.current() == "blackhole" {
		io.Copy(io.Discard, client) // hold it open, answer nothing
		return
	}
	server, err := net.Dial("tcp", p.target)
	if err != nil || !p.track(server) {
		return
	}
	defer server.Close()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		defer func() { done <- struct{}{} }()
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 && p.current() != "blackhole" {
				if _, err := dst.Write(buf[:n]); err != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	go pipe(server, client)
	go pipe(client, server)
	<-done
	client.Close()
	server.Close()
	<-done
}

// viaProxy returns dsn with its host replaced by the proxy's.
func viaProxy(t *testing.T, dsn string, p *proxy) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Skip("the outage test needs OMI_TEST_POSTGRES_DSN as a postgres:// URL")
	}
	u.Host = p.ln.Addr().String()
	return u.String()
}

// TestOutageAnswers503AndRecovers takes the database away under write
// traffic: requests answer 503 {"detail"} within the configured timeout
// (also when the network swallows packets), /readyz fails, service comes
// back by itself when the database does, and every acknowledged write is
// there afterwards.
func TestOutageAnswers503AndRecovers(t *testing.T) {
	dsn := pgtest.Schema(t)
	u, _ := url.Parse(dsn)
	p := startProxy(t, u.Host)
	const timeout = 500 * time.Millisecond
	r := newReplica(t, viaProxy(t, dsn, p), signingKey(t), postgres.WithTimeout(timeout))
	key := createKey(r, r.token("alice")).Key

	type ack struct{ id, content string }
	var (
		mu         sync.Mutex
		acked      []ack
		ok, failed atomic.Int64
		slowest    atomic.Int64 // nanoseconds, during the outage
		outage     atomic.Bool
		stop       = make(chan struct{})
		writers    sync.WaitGroup
	)
	for w := range 4 {
		writers.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				content := fmt.Sprintf("writer %d, memory %d", w, i)
				start := time.Now()
				resp := r.do(http.MethodPost, "/v1/dev/user/memories", key, map[string]any{"content": content})
				if took := time.Since(start); outage.Load() && int64(took) > slowest.Load() {
					slowest.Store(int64(took))
				}
				switch resp.Status {
				case http.StatusOK:
					var m struct {
						ID string `json:"id"`
					}
					resp.Decode(t, &m)
					mu.Lock()
					acked = append(acked, ack{m.ID, content})
					mu.Unlock()
					ok.Add(1)
				case http.StatusServiceUnavailable:
					if d := resp.Detail(); d != "Database unavailable" {
						t.Errorf("503 detail %q", d)
					}
					failed.Add(1)
					time.Sleep(10 * time.Millisecond)
				default:
					t.Errorf("status %d during the outage test: %s", resp.Status, resp.Body)
					return
				}
			}
		})
	}
	stopWriters := sync.OnceFunc(func() {
		close(stop)
		writers.Wait()
	})
	defer stopWriters()
	waitFor := func(what string, within time.Duration, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(within); !cond(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within %v", what, within)
			}
		}
	}
	readyz := func() int {
		t.Helper()
		start := time.Now()
		status := r.do(http.MethodGet, "/readyz", "", nil).Status
		if took := time.Since(start); took > 4*timeout+time.Second {
			t.Errorf("/readyz took %v", took)
		}
		return status
	}

	waitFor("writes before the outage", 5*time.Second, func() bool { return ok.Load() >= 20 })
	if readyz() != http.StatusOK {
		t.Fatal("not ready before the outage")
	}

	for _, state := range []string{"down", "blackhole"} {
		outage.Store(true)
		p.set(state)
		before := failed.Load()
		waitFor(state+": requests answer 503", 5*time.Second, func() bool { return failed.Load() >= before+8 })
		if s := readyz(); s != http.StatusServiceUnavailable {
			t.Fatalf("%s: /readyz %d, want 503", state, s)
		}
		time.Sleep(3 * timeout) // keep it away under traffic for a while
	}
	if took := time.Duration(slowest.Load()); took > 3*timeout {
		t.Errorf("a request took %v during the outage; the timeout is %v", took, timeout)
	}

	outage.Store(false)
	p.set("up")
	recovered := ok.Load()
	waitFor("service recovers without a restart", 10*time.Second, func() bool { return ok.Load() >= recovered+20 })
	if readyz() != http.StatusOK {
		t.Fatal("not ready after the outage")
	}
	stopWriters()

	// Nothing acknowledged was lost: read it all back directly, not through
	// the proxy or the server.
	direct := pgtest.OpenDSN(t, dsn)
	mu.Lock()
	defer mu.Unlock()
	for _, a := range acked {
		m, err := direct.GetMemory(t.Context(), "alice", a.id)
		if err != nil {
			t.Fatalf("acknowledged memory %s (%q): %v", a.id, a.content, err)
		}
		if m.Content != a.content {
			t.Fatalf("memory %s is %q, want %q", a.id, m.Content, a.content)
		}
	}
	t.Logf("%d writes acknowledged and found, %d answered 503; slowest request during the outage %v",
		len(acked), failed.Load(), time.Duration(slowest.Load()).Round(time.Millisecond))
}
