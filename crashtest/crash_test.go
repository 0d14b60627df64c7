package crashtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/postgres/pgtest"
)

const (
	// writers is how many clients write at once.
	writers = 8
	// sqliteWrites and postgresWrites are the acknowledged rows to reach
	// over all kill points (each memory, action item and conversation is
	// one, batches count their items).
	sqliteWrites   = 10_000
	sqliteKills    = 3
	postgresWrites = 2_000
	postgresKills  = 1
)

// TestCrashDurability: the real binary, SIGKILLed at random moments while
// concurrent clients write, loses no acknowledged write, alters none, and
// never applies part of a batch (nor part of a conversation with the rows
// derived from it). Once on SQLite (several kill points) and, when
// OMI_TEST_POSTGRES_DSN is set, once on a fresh PostgreSQL schema.
func TestCrashDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it: not in -short")
	}
	bin := buildBinary(t)
	t.Run("sqlite", func(t *testing.T) {
		c := newCluster(t, bin, map[string]string{"OMI_DATA_DIR": t.TempDir()})
		c.crashRuns(sqliteKills, sqliteWrites)
	})
	t.Run("postgres", func(t *testing.T) {
		if os.Getenv(pgtest.EnvDSN) == "" {
			t.Skip(pgtest.EnvDSN + " is not set")
		}
		dsn := pgtest.Schema(t)
		c := newCluster(t, bin, map[string]string{"OMI_DATA_DIR": t.TempDir(), "OMI_DATABASE_URL": dsn})
		c.crashRuns(postgresKills, postgresWrites)
	})
}

func buildBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "omi-devapi")
	cmd := exec.Command(goTool, "build", "-o", bin, "github.com/omi-devapi/omi-devapi/cmd/omi-devapi")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// cluster is one data store and the server processes run on it in turn.
type cluster struct {
	t    *testing.T
	bin  string
	vars map[string]string
	key  string
	proc *exec.Cmd
	base string
	logs *os.File

	client *http.Client
	rng    *rand.Rand

	mu sync.Mutex
	// acked is every row a 2xx acknowledged, as the response showed it.
	memories      map[string]map[string]any
	actionItems   map[string]map[string]any
	conversations map[string]sentConversation
	// batches holds the contents of every batch whose outcome the client
	// does not know (the server died first): all or none may exist.
	unknownBatches []batch
	written        atomic.Int64
}

type sentConversation struct {
	segments []string // from-segments: the texts sent
	started  string   // text: the started_at sent
}

type batch struct {
	kind     string // "memories" or "action_items"
	contents []string
}

func newCluster(t *testing.T, bin string, vars map[string]string) *cluster {
	vars["OMI_ADDR"] = "127.0.0.1:0"
	vars["OMI_RATE_LIMITS"] = "off"
	vars["OMI_LOG_FORMAT"] = "json"
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	logs, err := os.Create(filepath.Join(t.TempDir(), "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{
		t: t, bin: bin, vars: vars, logs: logs,
		client:   &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: writers}},
		rng:      rand.New(rand.NewPCG(seed, seed>>1)),
		memories: map[string]map[string]any{}, actionItems: map[string]map[string]any{},
		conversations: map[string]sentConversation{},
	}
	t.Cleanup(func() {
		c.stop()
		if t.Failed() {
			b, _ := os.ReadFile(logs.Name())
			if len(b) > 8000 {
				b = b[len(b)-8000:]
			}
			t.Logf("server log (tail):\n%s", b)
		}
	})
	scopes := make([]string, len(omi.AllScopes))
	for i, s := range omi.AllScopes {
		scopes[i] = string(s)
	}
	out, err := c.command("keys", "create", "--uid", "crash", "--name", "crash test", "--scopes", strings.Join(scopes, ",")).Output()
	if err != nil {
		if strings.Contains(c.vars["OMI_DATABASE_URL"], "://") && strings.Contains(fmt.Sprint(err), "unsupported") {
			t.Skipf("the binary does not take this database URL: %v", err)
		}
		t.Fatalf("keys create: %v", err)
	}
	c.key = strings.TrimSpace(string(out))
	return c
}

func (c *cluster) command(args ...string) *exec.Cmd {
	cmd := exec.Command(c.bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range c.vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stderr = c.logs
	return cmd
}

// start runs the server and waits until it listens.
func (c *cluster) start() {
	c.t.Helper()
	cmd := c.command("serve")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		c.t.Fatalf("server did not start: %v", err)
	}
	go io.Copy(io.Discard, stdout)
	c.proc = cmd
	c.base = strings.TrimSpace(strings.TrimPrefix(line, "omi-devapi listening on "))
}

// kill is kill -9.
func (c *cluster) kill() {
	c.proc.Process.Kill()
	c.proc.Wait()
	c.proc = nil
	c.client.CloseIdleConnections()
}

// stop shuts the server down as an operator would (SIGTERM).
func (c *cluster) stop() {
	if c.proc == nil {
		return
	}
	c.proc.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- c.proc.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			c.t.Errorf("server exited with %v after SIGTERM", err)
		}
	case <-time.After(20 * time.Second):
		c.proc.Process.Kill()
		c.t.Errorf("server did not stop on SIGTERM")
	}
	c.proc = nil
}

// crashRuns writes, kills at a random point and restarts, kills times,
// then verifies once more after a last restart and stops cleanly.
func (c *cluster) crashRuns(kills, total int) {
	t := c.t
	c.start()
	for run := range kills {
		target := int64(total * (run + 1) / kills)
		// A random point past the target share, so kills land anywhere in
		// the write mix.
		killAt := target + int64(c.rng.IntN(total/kills/5+1))
		c.writeUntilKilled(run, killAt)
		c.start()
		c.verify(fmt.Sprintf("after kill %d", run+1))
		if t.Failed() {
			return
		}
	}
	t.Logf("%d acknowledged rows: %d memories, %d action items, %d conversations; %d batches in flight at a kill",
		c.written.Load(), len(c.memories), len(c.actionItems), len(c.conversations), len(c.unknownBatches))
	if c.written.Load() < int64(total) {
		t.Errorf("only %d writes acknowledged, want %d", c.written.Load(), total)
	}
}

// writeUntilKilled runs the writers until killAt rows were acknowledged,
// then kills the server while they are still writing.
func (c *cluster) writeUntilKilled(run int, killAt int64) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		seed := c.rng.Uint64()
		go func() {
			defer wg.Done()
			c.writer(ctx, run, w, rand.New(rand.NewPCG(seed, uint64(w))))
		}()
	}
	stopped := make(chan struct{})
	go func() { wg.Wait(); close(stopped) }()
	for c.written.Load() < killAt {
		select {
		case <-stopped:
			c.t.Fatalf("every writer stopped at %d rows, before the kill point %d", c.written.Load(), killAt)
		case <-time.After(time.Millisecond):
		}
	}
	time.Sleep(time.Duration(c.rng.IntN(5)) * time.Millisecond)
	c.kill()
	cancel()
	<-stopped
}

var words = strings.Fields("tea coffee run meeting budget report Anna Paris garden book call mom dentist Friday " +
	"piano code review lunch train ticket birthday gift plan trip swim yoga idea note")

func sentence(r *rand.Rand, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = words[r.IntN(len(words))]
	}
	return strings.Join(w, " ")
}

// writer sends writes until the server is gone.
func (c *cluster) writer(ctx context.Context, run, w int, r *rand.Rand) {
	for n := 0; ctx.Err() == nil; n++ {
		tag := fmt.Sprintf("r%dw%dn%d", run, w, n)
		var ok bool
		switch op := r.IntN(12); {
		case op < 3:
			ok = c.memory(tag, r)
		case op < 5:
			ok = c.batch("memories", tag, r)
		case op < 7:
			ok = c.actionItem(tag, r)
		case op < 9:
			ok = c.batch("action_items", tag, r)
		case op < 10:
			ok = c.textConversation(tag, r)
		default:
			ok = c.segmentsConversation(tag, r)
		}
		if !ok {
			return // the server is gone
		}
	}
}

// post sends a write; ok is false when no answer came (the server died).
// Any answer other than 200 fails the test.
func (c *cluster) post(path string, body any, out any) bool {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", c.base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		return false // cut off mid-answer: not acknowledged
	}
	if resp.StatusCode != 200 {
		c.t.Errorf("POST %s: %d %s", path, resp.StatusCode, rb)
		return false
	}
	if err := json.Unmarshal(rb, out); err != nil {
		c.t.Errorf("POST %s: %v: %s", path, err, rb)
		return false
	}
	return true
}

func (c *cluster) memoryBody(content string, r *rand.Rand) map[string]any {
	return map[string]any{
		"content": content, "category": omi.MemoryCategories[r.IntN(len(omi.MemoryCategories))],
		"visibility": []string{"public", "private"}[r.IntN(2)], "tags": []string{sentence(r, 1), sentence(r, 1)},
	}
}

func (c *cluster) itemBody(desc string, r *rand.Rand) map[string]any {
	b := map[string]any{"description": desc, "completed": r.IntN(2) == 0}
	if r.IntN(2) == 0 {
		b["due_at"] = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(1e6)) * time.Second).Format(time.RFC3339)
	}
	return b
}

func (c *cluster) memory(tag string, r *rand.Rand) bool {
	var m map[string]any
	if !c.post("/v1/dev/user/memories", c.memoryBody(tag+" "+sentence(r, 6), r), &m) {
		return false
	}
	c.mu.Lock()
	c.memories[m["id"].(string)] = m
	c.mu.Unlock()
	c.written.Add(1)
	return true
}

func (c *cluster) actionItem(tag string, r *rand.Rand) bool {
	var a map[string]any
	if !c.post("/v1/dev/user/action-items", c.itemBody(tag+" "+sentence(r, 5), r), &a) {
		return false
	}
	c.mu.Lock()
	c.actionItems[a["id"].(string)] = a
	c.mu.Unlock()
	c.written.Add(1)
	return true
}

func (c *cluster) batch(kind, tag string, r *rand.Rand) bool {
	n := 2 + r.IntN(9)
	b := batch{kind: kind}
	var items []any
	for i := range n {
		content := fmt.Sprintf("%s.%d %s", tag, i, sentence(r, 4))
		b.contents = append(b.contents, content)
		if kind == "memories" {
			items = append(items, c.memoryBody(content, r))
		} else {
			items = append(items, c.itemBody(content, r))
		}
	}
	var resp map[string]any
	if !c.post("/v1/dev/user/"+strings.ReplaceAll(kind, "_", "-")+"/batch", map[string]any{kind: items}, &resp) {
		c.mu.Lock()
		c.unknownBatches = append(c.unknownBatches, b)
		c.mu.Unlock()
		return false
	}
	got, _ := resp[kind].([]any)
	if len(got) != n || resp["created_count"] != float64(n) {
		c.t.Errorf("batch of %d answered %v", n, resp)
	}
	c.mu.Lock()
	for _, x := range got {
		m := x.(map[string]any)
		if kind == "memories" {
			c.memories[m["id"].(string)] = m
		} else {
			c.actionItems[m["id"].(string)] = m
		}
	}
	c.mu.Unlock()
	c.written.Add(int64(len(got)))
	return true
}

func (c *cluster) textConversation(tag string, r *rand.Rand) bool {
	started := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(1e7)) * time.Second).Format(time.RFC3339)
	var resp struct{ ID string }
	body := map[string]any{"text": tag + ". " + sentence(r, 12) + ". I need to call Anna tomorrow about the budget.", "started_at": started}
	if !c.post("/v1/dev/user/conversations", body, &resp) {
		return false
	}
	c.mu.Lock()
	c.conversations[resp.ID] = sentConversation{started: started}
	c.mu.Unlock()
	c.written.Add(1)
	return true
}

func (c *cluster) segmentsConversation(tag string, r *rand.Rand) bool {
	var segs []any
	var texts []string
	for i := range 1 + r.IntN(4) {
		text := fmt.Sprintf("%s.%d %s", tag, i, sentence(r, 8))
		texts = append(texts, text)
		segs = append(segs, map[string]any{"text": text, "start": float64(i), "end": float64(i) + 0.5, "speaker": fmt.Sprintf("SPEAKER_%02d", i%2)})
	}
	var resp struct{ ID string }
	if !c.post("/v1/dev/user/conversations/from-segments", map[string]any{"transcript_segments": segs, "client_session_id": tag}, &resp) {
		return false
	}
	c.mu.Lock()
	c.conversations[resp.ID] = sentConversation{segments: texts}
	c.mu.Unlock()
	c.written.Add(1)
	return true
}

// get fetches a path on the running server.
func (c *cluster) get(path string, out any) int {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.key)
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("GET %s: %v", path, err)
		}
	}
	return resp.StatusCode
}

// listAll pages through a list by its Link header.
func (c *cluster) listAll(path string) []map[string]any {
	c.t.Helper()
	var all []map[string]any
	next := path + "?limit=1000"
	for next != "" {
		req, _ := http.NewRequest("GET", c.base+next, nil)
		req.Header.Set("Authorization", "Bearer "+c.key)
		resp, err := c.client.Do(req)
		if err != nil {
			c.t.Fatalf("GET %s: %v", next, err)
		}
		var page []map[string]any
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if resp.StatusCode != 200 || err != nil {
			c.t.Fatalf("GET %s: %d %v", next, resp.StatusCode, err)
		}
		all = append(all, page...)
		next = ""
		if l := resp.Header.Get("Link"); l != "" {
			u, _ := url.Parse(strings.TrimSuffix(strings.TrimPrefix(strings.Split(l, ";")[0], "<"), ">"))
			next = u.RequestURI()
		}
	}
	return all
}

// verify checks everything acknowledged so far against the restarted
// server, and that no batch of unknown outcome was half applied.
func (c *cluster) verify(when string) {
	t := c.t
	memories := byID(c.listAll("/v1/dev/user/memories"))
	items := byID(c.listAll("/v1/dev/user/action-items"))
	check := func(kind string, acked map[string]map[string]any, stored map[string]map[string]any, path string) {
		lost := 0
		for id, want := range acked {
			got, ok := stored[id]
			if !ok {
				// Not in the list: ask for it by id before calling it lost.
				var m map[string]any
				if c.get(path+id, &m) != 200 {
					lost++
					if lost <= 5 {
						t.Errorf("%s: acknowledged %s %s is gone: %v", when, kind, id, want)
					}
					continue
				}
				got = m
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %s %s changed:\n got %v\nwant %v", when, kind, id, got, want)
			}
		}
		if lost > 0 {
			t.Errorf("%s: %d of %d acknowledged %s lost", when, lost, len(acked), kind)
		}
	}
	check("memory", c.memories, memories, "/v1/dev/user/memories/")
	check("action item", c.actionItems, items, "/v1/dev/user/action-items/")

	// Batches whose answer never came: all or nothing.
	byContent := map[string]int{}
	for _, m := range memories {
		byContent["memories\x00"+m["content"].(string)]++
	}
	for _, a := range items {
		byContent["action_items\x00"+a["description"].(string)]++
	}
	applied := 0
	for _, b := range c.unknownBatches {
		n := 0
		for _, content := range b.contents {
			n += byContent[b.kind+"\x00"+content]
		}
		switch n {
		case 0:
		case len(b.contents):
			applied++
		default:
			t.Errorf("%s: %s batch half applied: %d of %d rows exist: %q", when, b.kind, n, len(b.contents), b.contents)
		}
	}

	// Conversations: each with exactly what was sent, and with all the
	// action items derived from it (stored in the same transaction).
	derived := map[string]int{}
	for _, a := range items {
		if id, ok := a["conversation_id"].(string); ok {
			derived[id]++
		}
	}
	for id, sent := range c.conversations {
		var conv struct {
			StartedAt  string `json:"started_at"`
			Structured struct {
				ActionItems []any `json:"action_items"`
			} `json:"structured"`
			TranscriptSegments []struct {
				Text string `json:"text"`
			} `json:"transcript_segments"`
		}
		if code := c.get("/v1/dev/user/conversations/"+id+"?include_transcript=true", &conv); code != 200 {
			t.Errorf("%s: acknowledged conversation %s: %d", when, id, code)
			continue
		}
		var texts []string
		for _, s := range conv.TranscriptSegments {
			texts = append(texts, s.Text)
		}
		switch {
		case sent.segments != nil && !reflect.DeepEqual(texts, sent.segments):
			t.Errorf("%s: conversation %s segments %q, sent %q", when, id, texts, sent.segments)
		case sent.segments == nil && !sameInstant(conv.StartedAt, sent.started):
			t.Errorf("%s: conversation %s started_at %s, sent %s", when, id, conv.StartedAt, sent.started)
		}
		if derived[id] != len(conv.Structured.ActionItems) {
			t.Errorf("%s: conversation %s lists %d action items, %d are stored", when, id, len(conv.Structured.ActionItems), derived[id])
		}
	}
	t.Logf("%s: %d memories, %d action items, %d conversations verified; %d of %d unanswered batches were applied whole",
		when, len(c.memories), len(c.actionItems), len(c.conversations), applied, len(c.unknownBatches))
}

func byID(list []map[string]any) map[string]map[string]any {
	out := make(map[string]map[string]any, len(list))
	for _, m := range list {
		out[m["id"].(string)] = m
	}
	return out
}

func sameInstant(a, b string) bool {
	ta, err1 := time.Parse(time.RFC3339Nano, a)
	tb, err2 := time.Parse(time.RFC3339Nano, b)
	return err1 == nil && err2 == nil && ta.Equal(tb)
}
