package omi

import (
	"context"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// Embedder turns texts into vectors, one per text, in order. Vectors are
// L2-normalised, so cosine similarity is their dot product.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	// Dimensions is the length of every vector; 0 while unknown (a remote
	// model before its first answer).
	Dimensions() int
	// Model names what made the vectors. Vectors of different models are
	// never compared, so changing it (or the offline embedder's version)
	// makes old vectors stale until `omi-devapi reindex` rebuilds them.
	Model() string
}

// Embedding is a row's vector with the model that made it. A Memory or
// Conversation carrying one has it stored with the row, in the row's
// transaction; reads never load it.
type Embedding struct {
	Model  string
	Vector []float32
}

// Kinds of searchable rows.
const (
	KindMemory       = "memory"
	KindConversation = "conversation"
)

// MaxEmbedText bounds what is embedded per row: remote models refuse inputs
// over their context (8k tokens for the common ones), and a conversation's
// gist is in its title, overview and opening anyway. The lexical index
// keeps the whole text.
const MaxEmbedText = 8000

// EmbedText is what a memory's vector is made from.
func (m *Memory) EmbedText() string { return truncateUTF8(m.Content, MaxEmbedText) }

// EmbedText is what a conversation's vector is made from: title, overview
// and transcript, one per line.
func (c *Conversation) EmbedText() string {
	parts := []string{c.Structured.Title, c.Structured.Overview}
	if t := c.TranscriptText(); t != "" {
		parts = append(parts, t)
	}
	return truncateUTF8(strings.TrimSpace(strings.Join(parts, "\n")), MaxEmbedText)
}

// TranscriptText is a conversation's words: the submitted text of a text
// conversation, or its segments one per line.
func (c *Conversation) TranscriptText() string {
	if len(c.TranscriptSegments) > 0 {
		lines := make([]string, len(c.TranscriptSegments))
		for i, s := range c.TranscriptSegments {
			lines[i] = s.Text
		}
		return strings.Join(lines, "\n")
	}
	var ext struct {
		Text string `json:"text"`
	}
	if len(c.ExternalData) > 0 && json.Unmarshal(c.ExternalData, &ext) == nil {
		return ext.Text
	}
	return ""
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// SearchQuery asks a store for the rankings of one user's rows.
type SearchQuery struct {
	UID string
	// Terms are the words to match lexically (any of them), already split
	// from the user's input by search.Terms. Stores must still treat each
	// as plain text, never as query syntax. Empty: no lexical ranking.
	Terms []string
	// Vector is the query's embedding by Model; nil: no vector ranking.
	// Only stored vectors of the same model and length are compared.
	Vector []float32
	Model  string
	// Limit is how many candidates each ranking returns at most.
	Limit int
}

// Ranked is one candidate in a ranking. Score is higher for better: for the
// lexical ranking a store-specific relevance (BM25 in SQLite), comparable
// only within one query; for the vector ranking the cosine similarity.
type Ranked struct {
	ID    string
	Score float64
}

// Rankings are a query's candidates, best first, ties by id ascending.
// Fusing them is the search package's job, so every store ranks the same
// way.
type Rankings struct {
	Lexical []Ranked
	Vector  []Ranked
}

// EmbedTask is a row whose vector is missing or stale: the text to embed,
// and, once embedded, the vector to store.
type EmbedTask struct {
	UID, ID string
	Text    string
	Vector  []float32
}

// EmbedCursor is where a walk over rows needing vectors resumes: strictly
// after (UID, ID).
type EmbedCursor struct {
	UID, ID string
}

// SearchStore is what search and ask need from a store. Rankings leave out
// what lists leave out (memories the user rejected; discarded or unfinished
// conversations), before the limit, and never include another user's rows.
type SearchStore interface {
	SearchMemories(ctx context.Context, q SearchQuery) (Rankings, error)
	SearchConversations(ctx context.Context, q SearchQuery) (Rankings, error)
	// MemoriesByID returns the user's memories with those ids that a list
	// would show, in no particular order; unknown ids are left out.
	MemoriesByID(ctx context.Context, uid string, ids []string) ([]*Memory, error)
	// ConversationsByID returns the user's listed (completed, not
	// discarded) conversations with those ids, transcripts included.
	ConversationsByID(ctx context.Context, uid string, ids []string) ([]*Conversation, error)

	// PendingEmbeddings returns up to limit rows of kind (KindMemory or
	// KindConversation) after the cursor, ordered by uid then id, whose
	// vector is missing or not by model; all: every row.
	PendingEmbeddings(ctx context.Context, kind, model string, all bool, after EmbedCursor, limit int) ([]EmbedTask, error)
	// PutEmbeddings stores the tasks' vectors in one transaction, skipping
	// rows that are gone or whose text changed since it was read (a
	// concurrent edit stored its own vector). It returns how many it stored.
	PutEmbeddings(ctx context.Context, kind, model string, tasks []EmbedTask) (int, error)
	// RebuildSearchIndex rebuilds the lexical index from the rows.
	RebuildSearchIndex(ctx context.Context) error
}
