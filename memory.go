package omi

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// MemoryCategories is the spec's MemoryCategory enum, in its order.
var MemoryCategories = []string{
	"interesting", "system", "manual", "workflow", "core", "hobbies", "lifestyle",
	"interests", "habits", "work", "skills", "learnings", "other", "auto",
}

// boostedCategories rank above the rest in memory lists (upstream's scoring).
var boostedCategories = map[string]bool{
	"interesting": true, "manual": true, "core": true, "hobbies": true, "lifestyle": true,
	"interests": true, "work": true, "skills": true, "learnings": true,
}

// Memory is a fact about the user. JSON is the spec's DeveloperMemory.
type Memory struct {
	ID             string    `json:"id"`
	UID            string    `json:"-"`
	Content        string    `json:"content"`
	Category       string    `json:"category"`
	Visibility     string    `json:"visibility"`
	Tags           []string  `json:"tags"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	ManuallyAdded  bool      `json:"manually_added"`
	Scoring        string    `json:"scoring"`
	Reviewed       bool      `json:"reviewed"`
	UserReview     *bool     `json:"user_review"`
	Edited         bool      `json:"edited"`
	ConversationID *string   `json:"-"`
	// Embedding, when set, is stored with the memory (search); reads leave it nil.
	Embedding *Embedding `json:"-"`
}

// MemoryScore is upstream's sort key: manual first, then boosted
// categories, then newest ("%02d_%02d_%010d").
func MemoryScore(manual bool, category string, created time.Time) string {
	m, boost := 0, 0
	if manual {
		m = 1
	}
	if boostedCategories[category] {
		boost = 1
	}
	return fmt.Sprintf("%02d_%02d_%010d", m, 999-boost, created.Unix())
}

// NewMemory is a memory as the user creates it through the API: content
// stripped, reviewed and approved by the user, category "interesting" unless
// given (upstream asks an LLM to choose between system and interesting;
// offline, the user's own words are what upstream would call interesting).
func NewMemory(id, uid, content string, category, visibility *string, tags []string, now time.Time) *Memory {
	cat := "interesting"
	if category != nil {
		cat = *category
	}
	vis := "private"
	if visibility != nil {
		vis = *visibility
	}
	if tags == nil {
		tags = []string{}
	}
	approved := true
	return &Memory{
		ID: id, UID: uid, Content: strings.TrimSpace(content), Category: cat, Visibility: vis, Tags: tags,
		CreatedAt: now, UpdatedAt: now, ManuallyAdded: true, Scoring: MemoryScore(true, cat, now),
		Reviewed: true, UserReview: &approved,
	}
}

// MemoryUpdate is a PATCH: nil fields stay as they are.
type MemoryUpdate struct {
	Content    *string
	Visibility *string
	Tags       []string // nil: unchanged
	Category   *string
}

// Apply changes m as upstream's PATCH does: content marks the memory edited;
// tags and category bump updated_at; visibility alone does not.
func (m *Memory) Apply(u MemoryUpdate, now time.Time) {
	if u.Content != nil {
		m.Content = strings.TrimSpace(*u.Content)
		m.Edited = true
		m.UpdatedAt = now
	}
	if u.Visibility != nil {
		m.Visibility = *u.Visibility
	}
	if u.Tags != nil {
		m.Tags = u.Tags
		m.UpdatedAt = now
	}
	if u.Category != nil {
		m.Category = *u.Category
		m.Scoring = MemoryScore(m.ManuallyAdded, m.Category, m.CreatedAt)
		m.UpdatedAt = now
	}
}

// MemoryCursor is the position after a memory in list order.
type MemoryCursor struct {
	Scoring   string `json:"s"`
	CreatedAt int64  `json:"c"` // Unix microseconds
	ID        string `json:"i"`
}

// Cursor returns the position just after m.
func (m *Memory) Cursor() MemoryCursor {
	return MemoryCursor{Scoring: m.Scoring, CreatedAt: m.CreatedAt.UnixMicro(), ID: m.ID}
}

// MemoryFilter selects memories for a list; filters apply before paging.
type MemoryFilter struct {
	UID        string
	Categories []string // empty: all
	Page       Page     // Page.After is *MemoryCursor
}

// MemoryStore persists memories. Every method is scoped to one uid; another
// user's id is ENOTFOUND.
type MemoryStore interface {
	// CreateMemories stores all of ms in one transaction, or none.
	CreateMemories(ctx context.Context, ms []*Memory) error
	GetMemory(ctx context.Context, uid, id string) (*Memory, error)
	// ListMemories orders by scoring, created_at and id, all descending, and
	// leaves out memories the user rejected (user_review false).
	ListMemories(ctx context.Context, f MemoryFilter) ([]*Memory, error)
	// UpdateMemory reads, lets fn change, and writes back in one transaction.
	UpdateMemory(ctx context.Context, uid, id string, fn func(*Memory) error) (*Memory, error)
	DeleteMemory(ctx context.Context, uid, id string) error
}
