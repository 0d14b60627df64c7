// Package seed fills a store with realistic, deterministic data for
// benchmarks: users with memories, conversations (with transcripts), action
// items and goals, written through the store interfaces (not HTTP), so the
// rows are exactly what the server would have written.
package seed

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/auth"
)

// Store is what the seeder writes through.
type Store interface {
	omi.MemoryStore
	omi.ConversationStore
	omi.ActionItemStore
	omi.GoalStore
	omi.FolderStore
}

// Config says how much to write. Counts are per user.
type Config struct {
	Users         int
	Memories      int
	Conversations int
	ActionItems   int
	Goals         int
	// Seed makes the data: the same Config writes the same rows, ids and
	// timestamps included.
	Seed uint64
	// End is the newest timestamp written; Span how far back the data
	// reaches. Defaults: 2026-01-01 and three years.
	End  time.Time
	Span time.Duration
	// Batch is how many memories or action items one transaction writes;
	// default 10,000 (big transactions are what makes seeding fast).
	Batch int
	// Embedder, when set, gives every memory and conversation a vector, as a
	// server with search on would store them.
	Embedder omi.Embedder
	// Progress, when set, is told about each committed batch.
	Progress func(Stats)
}

// Stats counts what was written.
type Stats struct {
	Users, Memories, Conversations, ActionItems, Goals int
	Elapsed                                            time.Duration
}

// DefaultEnd is Config.End's default.
var DefaultEnd = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func (c *Config) defaults() {
	if c.Users <= 0 {
		c.Users = 1
	}
	if c.End.IsZero() {
		c.End = DefaultEnd
	}
	if c.Span <= 0 {
		c.Span = 3 * 365 * 24 * time.Hour
	}
	if c.Batch <= 0 {
		c.Batch = 10_000
	}
}

// UID is the id of the i-th seeded user (from 0).
func UID(i int) string { return fmt.Sprintf("bench-user-%04d", i) }

// Streams of randomness: each resource draws from its own, so changing how
// many goals are seeded does not change the memories.
const (
	streamMemories = iota + 1
	streamConversations
	streamActionItems
	streamGoals
)

func (c *Config) rng(user, stream int) *rand.Rand {
	return rand.New(rand.NewPCG(c.Seed, uint64(user)<<8|uint64(stream)))
}

// Seed writes cfg's data into s.
func Seed(ctx context.Context, s Store, cfg Config) (Stats, error) {
	cfg.defaults()
	start := time.Now()
	var st Stats
	report := func() {
		st.Elapsed = time.Since(start)
		if cfg.Progress != nil {
			cfg.Progress(st)
		}
	}
	for u := range cfg.Users {
		uid := UID(u)
		convIDs, err := seedConversations(ctx, s, &cfg, u, uid, &st, report)
		if err != nil {
			return st, err
		}
		if err := seedMemories(ctx, s, &cfg, u, uid, convIDs, &st, report); err != nil {
			return st, err
		}
		if err := seedActionItems(ctx, s, &cfg, u, uid, convIDs, &st); err != nil {
			return st, err
		}
		if err := seedGoals(ctx, s, &cfg, u, uid, &st); err != nil {
			return st, err
		}
		st.Users++
		report()
	}
	st.Elapsed = time.Since(start)
	return st, nil
}

// newID is a UUIDv7 for t whose random bits come from r: valid, time-ordered
// and reproducible.
func newID(r *rand.Rand, t time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli())<<16)
	binary.BigEndian.PutUint64(b[8:], r.Uint64())
	b[6] = 0x70 | byte(r.Uint32()&0x0f)
	b[7] = byte(r.Uint32())
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// spread is the i-th of n instants spaced evenly over the span ending at
// end, with jitter inside each slot, so they are distinct and increasing.
func spread(r *rand.Rand, end time.Time, span time.Duration, i, n int) time.Time {
	step := max(span.Microseconds()/int64(max(n, 1)), 1)
	from := end.Add(-span).UnixMicro()
	return time.UnixMicro(from + int64(i)*step + r.Int64N(step)).UTC()
}

// Memory categories as extraction assigns them: mostly the two current
// ones, the rest from older clients.
var extractedCategories = []string{
	"system", "interesting", "system", "interesting", "system", "work", "habits", "hobbies", "lifestyle",
	"interests", "skills", "learnings", "core", "other",
}

var tagWords = []string{"health", "family", "work", "travel", "food", "fitness", "learning", "money"}

func memory(r *rand.Rand, uid string, created time.Time, convIDs []string) *omi.Memory {
	content := memoryText(r)
	var m *omi.Memory
	if r.IntN(4) == 0 || len(convIDs) == 0 {
		// Typed in through the API or app.
		cat := pick(r, []string{"interesting", "manual", "work", "hobbies", "core"})
		var vis *string
		if r.IntN(10) == 0 {
			v := "public"
			vis = &v
		}
		var tags []string
		for range r.IntN(3) {
			tags = append(tags, pick(r, tagWords))
		}
		m = omi.NewMemory(newID(r, created), uid, content, &cat, vis, tags, created)
	} else {
		cat := extractedCategories[r.IntN(len(extractedCategories))]
		conv := convIDs[r.IntN(len(convIDs))]
		m = &omi.Memory{
			ID: newID(r, created), UID: uid, Content: content, Category: cat, Visibility: "private", Tags: []string{},
			CreatedAt: created, UpdatedAt: created, Scoring: omi.MemoryScore(false, cat, created), ConversationID: &conv,
		}
		switch n := r.IntN(100); {
		case n < 2: // rejected: hidden from lists and search
			no := false
			m.Reviewed, m.UserReview = true, &no
		case n < 15:
			yes := true
			m.Reviewed, m.UserReview = true, &yes
		}
	}
	if r.IntN(30) == 0 {
		m.Edited = true
		m.UpdatedAt = created.Add(time.Duration(r.Int64N(int64(72 * time.Hour)))).Truncate(time.Microsecond)
	}
	return m
}

func seedMemories(ctx context.Context, s Store, cfg *Config, u int, uid string, convIDs []string, st *Stats, report func()) error {
	if cfg.Memories <= 0 {
		return nil
	}
	r := cfg.rng(u, streamMemories)
	// Generating text and vectors overlaps with the store committing the
	// previous batch: on a 2-core machine that is most of a core.
	batches := make(chan []*omi.Memory, 2)
	gen := make(chan error, 1)
	go func() {
		defer close(batches)
		for from := 0; from < cfg.Memories; from += cfg.Batch {
			n := min(cfg.Batch, cfg.Memories-from)
			batch := make([]*omi.Memory, n)
			for i := range batch {
				batch[i] = memory(r, uid, spread(r, cfg.End, cfg.Span, from+i, cfg.Memories), convIDs)
			}
			if err := embedMemories(ctx, cfg.Embedder, batch); err != nil {
				gen <- err
				return
			}
			select {
			case batches <- batch:
			case <-ctx.Done():
				gen <- ctx.Err()
				return
			}
		}
		gen <- nil
	}()
	for batch := range batches {
		if err := s.CreateMemories(ctx, batch); err != nil {
			// Unblock and drain the generator before returning.
			go func() {
				for range batches {
				}
			}()
			return fmt.Errorf("seed: memories of %s: %w", uid, err)
		}
		st.Memories += len(batch)
		report()
	}
	return <-gen
}

func embedMemories(ctx context.Context, e omi.Embedder, ms []*omi.Memory) error {
	if e == nil {
		return nil
	}
	texts := make([]string, len(ms))
	for i, m := range ms {
		texts[i] = m.EmbedText()
	}
	vecs, err := e.Embed(ctx, texts)
	if err != nil {
		return fmt.Errorf("seed: embed memories: %w", err)
	}
	for i, m := range ms {
		m.Embedding = &omi.Embedding{Model: e.Model(), Vector: vecs[i]}
	}
	return nil
}

// goalID is upstream's goal id shape ("goal_" and 12 hex digits), from r.
func goalID(r *rand.Rand) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], r.Uint64())
	return "goal_" + hex.EncodeToString(b[:6])
}

var sources = []string{"omi", "omi", "omi", "phone", "phone", "desktop", "apple_watch", "external_integration"}

func conversation(r *rand.Rand, uid string, started time.Time) (*omi.Conversation, []*omi.ActionItem) {
	id := newID(r, started)
	title, overview := conversationTopic(r)
	cat := omi.ConversationCategories[int(float64(len(omi.ConversationCategories))*r.Float64()*r.Float64())]
	segs := make([]omi.TranscriptSegment, 8+r.IntN(33))
	at := 0.0
	for i := range segs {
		speaker := r.IntN(2)
		if r.IntN(6) == 0 {
			speaker = 2 + r.IntN(3)
		}
		d := 2 + r.Float64()*12
		segs[i] = omi.TranscriptSegment{
			ID: newID(r, started), Text: utterance(r), Speaker: fmt.Sprintf("SPEAKER_%02d", speaker), SpeakerID: speaker,
			IsUser: speaker == 0, Start: at, End: at + d,
		}
		at += d + r.Float64()*2
	}
	omi.NameSpeakers(segs)
	finished := started.Add(time.Duration(at * float64(time.Second))).Truncate(time.Microsecond)
	src, lang := pick(r, sources), "en"
	c := &omi.Conversation{
		ID: id, UID: uid, CreatedAt: started, StartedAt: &started, FinishedAt: &finished, Source: &src, Language: &lang,
		Status: "completed", TranscriptSegments: segs,
		ExternalData: []byte(`{"client_device_id":null,"client_platform":null}`),
		Structured: omi.Structured{
			Title: title, Overview: overview, Emoji: pick(r, []string{"🧠", "💼", "✈️", "🏃", "📚", "☕"}),
			Category: cat, ActionItems: []omi.ConversationActionItem{}, Events: []omi.Event{},
		},
	}
	if r.IntN(5) == 0 {
		addr := pick(r, cities)
		c.Geolocation = &omi.Geolocation{Latitude: r.Float64()*140 - 70, Longitude: r.Float64()*360 - 180, Address: &addr}
	}
	if r.IntN(50) == 0 {
		// Too little said: stored, hidden from lists, nothing derived.
		c.Discarded = true
		return c, nil
	}
	var items []*omi.ActionItem
	for range r.IntN(3) {
		desc := taskText(r)
		var due *time.Time
		if r.IntN(2) == 0 {
			d := finished.Add(time.Duration(1+r.IntN(14)) * 24 * time.Hour).Truncate(time.Hour)
			due = &d
		}
		t, conv := finished, id
		c.Structured.ActionItems = append(c.Structured.ActionItems, omi.ConversationActionItem{
			Description: desc, CreatedAt: &t, UpdatedAt: &t, DueAt: due, ConversationID: &conv,
		})
		items = append(items, &omi.ActionItem{
			ID: newID(r, finished), UID: uid, Description: desc, CreatedAt: finished, UpdatedAt: finished,
			DueAt: due, ConversationID: &conv,
		})
	}
	return c, items
}

func seedConversations(ctx context.Context, s Store, cfg *Config, u int, uid string, st *Stats, report func()) ([]string, error) {
	if cfg.Conversations <= 0 {
		return nil, nil
	}
	r := cfg.rng(u, streamConversations)
	folders := map[string]string{} // folder category -> id
	ids := make([]string, 0, cfg.Conversations)
	for i := range cfg.Conversations {
		started := spread(r, cfg.End, cfg.Span, i, cfg.Conversations)
		c, items := conversation(r, uid, started)
		if !c.Discarded {
			fc := omi.FolderCategory(c.Structured.Category)
			id, ok := folders[fc]
			if !ok {
				f, err := s.FolderForCategory(ctx, uid, fc)
				if err != nil {
					return nil, fmt.Errorf("seed: folder of %s: %w", uid, err)
				}
				id, folders[fc] = f.ID, f.ID
			}
			c.FolderID = &id
		}
		if cfg.Embedder != nil {
			vecs, err := cfg.Embedder.Embed(ctx, []string{c.EmbedText()})
			if err != nil {
				return nil, fmt.Errorf("seed: embed conversation: %w", err)
			}
			c.Embedding = &omi.Embedding{Model: cfg.Embedder.Model(), Vector: vecs[0]}
		}
		if _, _, err := s.CreateConversation(ctx, c, items, nil); err != nil {
			return nil, fmt.Errorf("seed: conversation of %s: %w", uid, err)
		}
		if !c.Discarded {
			ids = append(ids, c.ID)
		}
		st.Conversations++
		st.ActionItems += len(items)
		if st.Conversations%1000 == 0 {
			report()
		}
	}
	return ids, nil
}

func seedActionItems(ctx context.Context, s Store, cfg *Config, u int, uid string, convIDs []string, st *Stats) error {
	r := cfg.rng(u, streamActionItems)
	for from := 0; from < cfg.ActionItems; from += cfg.Batch {
		batch := make([]*omi.ActionItem, min(cfg.Batch, cfg.ActionItems-from))
		for i := range batch {
			created := spread(r, cfg.End, cfg.Span, from+i, cfg.ActionItems)
			var due *time.Time
			if r.IntN(3) > 0 {
				d := created.Add(time.Duration(r.IntN(30*24)) * time.Hour).Truncate(time.Hour)
				due = &d
			}
			a := omi.NewActionItem(newID(r, created), uid, taskText(r), r.IntN(3) == 0, due, created)
			if len(convIDs) > 0 && r.IntN(4) == 0 {
				conv := convIDs[r.IntN(len(convIDs))]
				a.ConversationID = &conv
			}
			batch[i] = a
		}
		if err := s.CreateActionItems(ctx, batch); err != nil {
			return fmt.Errorf("seed: action items of %s: %w", uid, err)
		}
		st.ActionItems += len(batch)
	}
	return nil
}

func seedGoals(ctx context.Context, s Store, cfg *Config, u int, uid string, st *Stats) error {
	r := cfg.rng(u, streamGoals)
	for i := range cfg.Goals {
		created := spread(r, cfg.End.Add(-30*24*time.Hour), cfg.Span, i, cfg.Goals)
		in := omi.GoalInput{Title: goalTitles[r.IntN(len(goalTitles))]}
		if r.IntN(3) > 0 {
			typ, target := "numeric", float64(10+r.IntN(90))
			in.Metric = omi.MetricFields{Type: &typ, Target: &target}
		}
		g, err := omi.NewGoal(goalID(r), uid, in, created)
		if err != nil {
			return fmt.Errorf("seed: goal: %w", err)
		}
		if err := s.CreateGoal(ctx, g); err != nil {
			return fmt.Errorf("seed: goal of %s: %w", uid, err)
		}
		// A month of daily progress, newest last.
		if g.Metric != nil {
			v := 0.0
			for d := range 30 {
				v += r.Float64() * g.Metric.Target / 30
				at := cfg.End.Add(time.Duration(d-30) * 24 * time.Hour)
				if _, err := s.RecordGoalProgress(ctx, uid, g.ID, v, at); err != nil {
					return fmt.Errorf("seed: goal progress of %s: %w", uid, err)
				}
			}
		}
		st.Goals++
	}
	return nil
}

// Key creates a developer key with every scope for uid, as POST
// /v1/dev/keys would, and returns the raw key.
func Key(ctx context.Context, s omi.KeyStore, uid string) (string, error) {
	keys := auth.NewKeys(s, auth.KeysConfig{}, nil, slog.New(slog.DiscardHandler), nil)
	defer keys.Close(ctx)
	scopes := make([]string, len(omi.AllScopes))
	for i, sc := range omi.AllScopes {
		scopes[i] = string(sc)
	}
	_, raw, err := keys.Create(ctx, uid, "bench", scopes, nil)
	if err != nil {
		return "", fmt.Errorf("seed: key for %s: %w", uid, err)
	}
	return raw, nil
}
