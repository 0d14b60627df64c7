package search

import (
	"context"
	"errors"
	"log/slog"
	"time"
	"unicode/utf8"

	omi "github.com/omi-devapi/omi-devapi"
)

// DefaultMinSimilarity is the cosine from which ask counts a conversation as
// about the question although no word matches. Calibrated on the offline
// embedder (unrelated texts score below 0.1; paraphrases 0.2 to 0.5);
// remote models place unrelated texts higher, so set it per model
// (OMI_SEARCH_MIN_SIMILARITY).
const DefaultMinSimilarity = 0.2

// DefaultEmbedTimeout bounds one embedding call on a request's path; past
// it a write is stored without a vector (reindex adds it later) and a query
// is answered from the lexical ranking alone.
const DefaultEmbedTimeout = 15 * time.Second

// Engine serves search and ask over a store.
type Engine struct {
	Store omi.SearchStore
	// Embedder makes vectors; nil means lexical ranking only.
	Embedder omi.Embedder
	// Conversations lists a date range for questions like "what did I talk
	// about yesterday"; nil: such questions are searched by their words only.
	Conversations omi.ConversationStore
	// LLM, when set, writes ask's answers; without it (or when it fails) the
	// answer is extractive.
	LLM           *Chat
	Logger        *slog.Logger
	MinSimilarity float64
	EmbedTimeout  time.Duration

	// local scores sentences for extractive answers: always the offline
	// embedder, so building an answer never waits on the network.
	local *Hashing
}

// NewEngine fills in defaults.
func NewEngine(e Engine) *Engine {
	if e.Logger == nil {
		e.Logger = slog.New(slog.DiscardHandler)
	}
	if e.MinSimilarity <= 0 {
		e.MinSimilarity = DefaultMinSimilarity
	}
	if e.EmbedTimeout <= 0 {
		e.EmbedTimeout = DefaultEmbedTimeout
	}
	e.local = NewHashing(DefaultDimensions)
	return &e
}

// Embeds reports whether the engine makes vectors.
func (e *Engine) Embeds() bool { return e != nil && e.Embedder != nil }

// embed returns vectors for texts, or nil (logged) when the embedder is
// missing or fails: callers go on without vectors.
func (e *Engine) embed(ctx context.Context, what string, texts []string) [][]float32 {
	if e == nil || e.Embedder == nil || len(texts) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, e.EmbedTimeout)
	defer cancel()
	vecs, err := e.Embedder.Embed(ctx, texts)
	if err == nil && len(vecs) != len(texts) {
		err = errCount
	}
	if err != nil {
		e.Logger.WarnContext(ctx, "embedding failed; going on without vectors", "what", what, "texts", len(texts), "error", err)
		return nil
	}
	return vecs
}

var errCount = errors.New("embedder returned the wrong number of vectors")

// EmbedMemories sets the Embedding of each memory, to be stored with it.
// On failure the memories go without (reindex adds them later).
func (e *Engine) EmbedMemories(ctx context.Context, ms []*omi.Memory) {
	texts := make([]string, len(ms))
	for i, m := range ms {
		texts[i] = m.EmbedText()
	}
	vecs := e.embed(ctx, "memories", texts)
	for i := range vecs {
		ms[i].Embedding = &omi.Embedding{Model: e.Embedder.Model(), Vector: vecs[i]}
	}
}

// EmbedConversation sets the Embedding of c and of the memories derived
// from it, in one call to the embedder.
func (e *Engine) EmbedConversation(ctx context.Context, c *omi.Conversation, ms []*omi.Memory) {
	texts := []string{c.EmbedText()}
	for _, m := range ms {
		texts = append(texts, m.EmbedText())
	}
	vecs := e.embed(ctx, "conversation", texts)
	if vecs == nil {
		return
	}
	model := e.Embedder.Model()
	c.Embedding = &omi.Embedding{Model: model, Vector: vecs[0]}
	for i, m := range ms {
		m.Embedding = &omi.Embedding{Model: model, Vector: vecs[i+1]}
	}
}

// Embed returns the embedding of one text, or nil.
func (e *Engine) Embed(ctx context.Context, text string) *omi.Embedding {
	vecs := e.embed(ctx, "text", []string{text})
	if vecs == nil {
		return nil
	}
	return &omi.Embedding{Model: e.Embedder.Model(), Vector: vecs[0]}
}

// query builds a store query for text: its terms, and its vector when one
// can be made.
func (e *Engine) query(ctx context.Context, uid, text string, terms []string, limit int) omi.SearchQuery {
	q := omi.SearchQuery{UID: uid, Terms: terms, Limit: limit}
	if len(text) > omi.MaxEmbedText {
		text = text[:omi.MaxEmbedText]
		for !utf8.ValidString(text) { // cut inside a character
			text = text[:len(text)-1]
		}
	}
	if emb := e.Embed(ctx, text); emb != nil {
		q.Vector, q.Model = emb.Vector, emb.Model
	}
	return q
}

// depth is how many candidates each ranking contributes: enough below the
// cut that an item ranked modestly by both rankings can still rise above it.
func depth(limit int) int { return min(max(3*limit, 30), 300) }

// MemoryHit is a memory with its fused relevance.
type MemoryHit struct {
	Memory *omi.Memory
	Score  float64
}

// SearchMemories returns the user's memories best matching query, at most
// limit, best first.
func (e *Engine) SearchMemories(ctx context.Context, uid, query string, limit int) ([]MemoryHit, error) {
	r, err := e.Store.SearchMemories(ctx, e.query(ctx, uid, query, Terms(query), depth(limit)))
	if err != nil {
		return nil, err
	}
	hits := Fuse(r)
	// A few spare ones, in case some vanish between ranking and loading.
	hits = hits[:min(len(hits), limit+10)]
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	ms, err := e.Store.MemoriesByID(ctx, uid, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*omi.Memory, len(ms))
	for _, m := range ms {
		byID[m.ID] = m
	}
	out := make([]MemoryHit, 0, min(limit, len(hits)))
	for _, h := range hits {
		if m := byID[h.ID]; m != nil && len(out) < limit {
			out = append(out, MemoryHit{Memory: m, Score: h.Score})
		}
	}
	return out, nil
}
