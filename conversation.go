package omi

import (
	"context"
	"encoding/json"
	"strconv"
	"time"
)

// ConversationCategories is the spec's CategoryEnum, in its order.
var ConversationCategories = []string{
	"personal", "education", "health", "finance", "legal", "philosophy", "spiritual", "science",
	"entrepreneurship", "parenting", "romantic", "travel", "inspiration", "technology", "business",
	"social", "work", "sports", "politics", "literature", "history", "architecture", "music", "weather",
	"news", "entertainment", "psychology", "real", "design", "family", "economics", "environment", "other",
}

// ConversationSources is the spec's ConversationSource enum.
var ConversationSources = []string{
	"friend", "omi", "fieldy", "bee", "plaud", "frame", "friend_com", "apple_watch", "phone", "phone_call",
	"desktop", "openglass", "screenpipe", "workflow", "sdcard", "external_integration", "limitless",
	"rayban_meta", "onboarding", "unknown",
}

// TextSources is the spec's ExternalIntegrationConversationSource enum.
var TextSources = []string{"audio_transcript", "message", "other_text"}

// TranscriptSegment is one utterance. JSON is the spec's
// DeveloperTranscriptSegment; Speaker, IsUser and PersonID are stored but
// only shown through SpeakerName.
type TranscriptSegment struct {
	ID          string  `json:"id"`
	Text        string  `json:"text"`
	Speaker     string  `json:"-"`
	SpeakerID   int     `json:"speaker_id"`
	SpeakerName *string `json:"speaker_name"`
	IsUser      bool    `json:"-"`
	PersonID    *string `json:"-"`
	Start       float64 `json:"start"`
	End         float64 `json:"end"`
}

// ConversationActionItem is an action item as listed inside a
// conversation's structured output (DeveloperConversationActionItem).
type ConversationActionItem struct {
	Description    string     `json:"description"`
	Completed      bool       `json:"completed"`
	CreatedAt      *time.Time `json:"created_at"`
	UpdatedAt      *time.Time `json:"updated_at"`
	DueAt          *time.Time `json:"due_at"`
	CompletedAt    *time.Time `json:"completed_at"`
	ConversationID *string    `json:"conversation_id"`
}

// Event is a calendar event found in a conversation (DeveloperConversationEvent).
type Event struct {
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Start       time.Time `json:"start"`
	Duration    int       `json:"duration"` // minutes
	Created     bool      `json:"created"`
}

// Structured is what processing makes of a conversation
// (DeveloperConversationStructured).
type Structured struct {
	Title       string                   `json:"title"`
	Overview    string                   `json:"overview"`
	Emoji       string                   `json:"emoji"`
	Category    string                   `json:"category"`
	ActionItems []ConversationActionItem `json:"action_items"`
	Events      []Event                  `json:"events"`
}

// ProcessInput is a conversation as the processor sees it.
type ProcessInput struct {
	// Text is the whole conversation as plain text: the submitted text, or
	// the segments joined one per line.
	Text       string
	Segments   []TranscriptSegment // empty for text conversations
	TextSource string              // audio_transcript, message or other_text; "" for segments
	StartedAt  time.Time           // resolves relative dates ("tomorrow at 3pm")
	FinishedAt time.Time
	Language   string
}

// ExtractedMemory is a fact about the user found in a conversation.
type ExtractedMemory struct {
	Content  string
	Category string // a MemoryCategories value
}

// ProcessResult is everything processing produces; the caller stores it
// with the conversation in one transaction.
type ProcessResult struct {
	// Discarded conversations had nothing worth keeping (too short, no
	// content); they are stored but hidden from lists, as upstream does.
	Discarded  bool
	Structured Structured // action items here carry description and due_at only
	Memories   []ExtractedMemory
}

// Processor turns a conversation into structured output and memories.
type Processor interface {
	Process(ctx context.Context, in ProcessInput) (*ProcessResult, error)
}

// Conversation is a stored conversation. JSON is the spec's
// DeveloperConversation; the rest is kept for processing, search and
// idempotency.
type Conversation struct {
	ID                 string              `json:"id"`
	UID                string              `json:"-"`
	CreatedAt          time.Time           `json:"created_at"`
	StartedAt          *time.Time          `json:"started_at"`
	FinishedAt         *time.Time          `json:"finished_at"`
	Source             *string             `json:"source"`
	Language           *string             `json:"language"`
	Structured         Structured          `json:"structured"`
	TranscriptSegments []TranscriptSegment `json:"transcript_segments"`
	Geolocation        *Geolocation        `json:"geolocation"`
	FolderID           *string             `json:"folder_id"`
	FolderName         *string             `json:"folder_name"`
	Status             string              `json:"-"`
	Discarded          bool                `json:"-"`
	Starred            bool                `json:"-"`
	ExternalData       json.RawMessage     `json:"-"`
	ClientSessionID    *string             `json:"-"`
	// Embedding, when set, is stored with the conversation (search); reads
	// leave it nil.
	Embedding *Embedding `json:"-"`
}

// Geolocation is where a conversation happened.
type Geolocation struct {
	Latitude      float64 `json:"latitude"`
	Longitude     float64 `json:"longitude"`
	Address       *string `json:"address"`
	GooglePlaceID *string `json:"google_place_id"`
	LocationType  *string `json:"location_type"`
}

// ConversationCursor is the position after a conversation in list order.
type ConversationCursor struct {
	CreatedAt int64  `json:"c"` // Unix microseconds
	ID        string `json:"i"`
}

// Cursor returns the position just after c.
func (c *Conversation) Cursor() ConversationCursor {
	return ConversationCursor{CreatedAt: c.CreatedAt.UnixMicro(), ID: c.ID}
}

// ConversationFilter selects conversations for a list. Lists always leave
// out discarded and unfinished conversations, as upstream does.
type ConversationFilter struct {
	UID               string
	Start, End        *time.Time // inclusive bounds on created_at
	Categories        []string   // OR-matched; empty: all
	FolderID          *string
	Starred           *bool
	IncludeTranscript bool
	Page              Page // Page.After is *ConversationCursor
}

// ConversationStore persists conversations with what processing derived
// from them.
type ConversationStore interface {
	// CreateConversation stores c, the action items and the memories
	// processing extracted from it, in one transaction. If c has a
	// ClientSessionID that the user already used, nothing is written and the
	// stored conversation is returned with created false.
	CreateConversation(ctx context.Context, c *Conversation, items []*ActionItem, memories []*Memory) (stored *Conversation, created bool, err error)
	// FindConversationBySession returns the user's conversation created with
	// that client session id; ENOTFOUND if none.
	FindConversationBySession(ctx context.Context, uid, sessionID string) (*Conversation, error)
	// GetConversation returns one conversation, discarded ones included;
	// TranscriptSegments is nil unless transcript is true.
	GetConversation(ctx context.Context, uid, id string, transcript bool) (*Conversation, error)
	// ListConversations orders by created_at then id, both descending.
	ListConversations(ctx context.Context, f ConversationFilter) ([]*Conversation, error)
	// UpdateConversation reads (with transcript), lets fn change, and writes
	// back title, discarded and starred in one transaction.
	UpdateConversation(ctx context.Context, uid, id string, fn func(*Conversation) error) (*Conversation, error)
	// DeleteConversation removes the conversation; the memories and action
	// items derived from it stay, as upstream leaves them.
	DeleteConversation(ctx context.Context, uid, id string) error
}

// NameSpeakers fills SpeakerName as upstream shows it: the user (we keep no
// profile names) is "User"; anyone else is "Speaker <id>".
func NameSpeakers(segs []TranscriptSegment) {
	for i := range segs {
		name := "User"
		if !segs[i].IsUser {
			name = "Speaker " + strconv.Itoa(segs[i].SpeakerID)
		}
		segs[i].SpeakerName = &name
	}
}

// Derive applies a processing result to c and returns the action items and
// memories it leaves behind, linked to c, as upstream's pipeline would make
// them visible through the other endpoints. Discarded conversations leave
// nothing behind.
func (c *Conversation) Derive(res *ProcessResult, now time.Time, newID func() string) ([]*ActionItem, []*Memory) {
	c.Discarded = res.Discarded
	c.Structured = res.Structured
	if c.Structured.Emoji == "" {
		c.Structured.Emoji = "🧠"
	}
	if c.Structured.Category == "" {
		c.Structured.Category = "other"
	}
	if c.Structured.Events == nil {
		c.Structured.Events = []Event{}
	}
	listed := make([]ConversationActionItem, 0, len(res.Structured.ActionItems))
	var items []*ActionItem
	var memories []*Memory
	if res.Discarded {
		c.Structured.ActionItems = listed
		return nil, nil
	}
	convID := c.ID
	for _, ai := range res.Structured.ActionItems {
		t := now
		ai.CreatedAt, ai.UpdatedAt, ai.ConversationID = &t, &t, &convID
		listed = append(listed, ai)
		items = append(items, &ActionItem{
			ID: newID(), UID: c.UID, Description: ai.Description, Completed: ai.Completed,
			CreatedAt: now, UpdatedAt: now, DueAt: ai.DueAt, CompletedAt: ai.CompletedAt, ConversationID: &convID,
		})
	}
	c.Structured.ActionItems = listed
	for _, em := range res.Memories {
		memories = append(memories, &Memory{
			ID: newID(), UID: c.UID, Content: em.Content, Category: em.Category, Visibility: "private", Tags: []string{},
			CreatedAt: now, UpdatedAt: now, ManuallyAdded: false, Scoring: MemoryScore(false, em.Category, now),
			ConversationID: &convID,
		})
	}
	return items, memories
}
