package omi

import (
	"context"
	"strings"
	"time"
)

// Folder groups conversations. JSON is the spec's DeveloperFolder.
type Folder struct {
	ID          string    `json:"id"`
	UID         string    `json:"-"`
	Name        string    `json:"name"`
	Description *string   `json:"description"`
	Color       string    `json:"color"`
	Icon        string    `json:"icon"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Order       int64     `json:"order"`
	IsDefault   bool      `json:"is_default"`
	IsSystem    bool      `json:"is_system"`
	// CategoryMapping is the conversation category a system folder stands
	// for; stored, never shown (as upstream).
	CategoryMapping *string `json:"-"`
	// ConversationCount is computed when listing, never stored.
	ConversationCount int64 `json:"conversation_count"`
}

// Folder defaults for ones the user creates (upstream's model defaults,
// with the folder emoji the system folders use for an icon).
const (
	DefaultFolderColor = "#6B7280"
	DefaultFolderIcon  = "📁"
)

// SystemFolder describes one of the folders every user starts with.
type SystemFolder struct {
	Category    string // the CategoryEnum value it stands for
	Name        string
	Description string
	Color       string
	Icon        string
}

// SystemFolders are upstream's category folders, in their order. The last,
// Other, is every user's default folder.
var SystemFolders = []SystemFolder{
	{"personal", "Personal", "Personal life, family matters, self-improvement, and home-related topics", "#3B82F6", "👤"},
	{"work", "Work", "Work meetings, job-related discussions, projects, and professional conversations", "#EF4444", "💼"},
	{"health", "Health", "Doctor visits, medical discussions, fitness, gym, diet, and mental wellness", "#10B981", "🏥"},
	{"education", "Education", "Learning, courses, studying, school, tutorials, and educational content", "#8B5CF6", "📚"},
	{"finance", "Finance", "Money, budgeting, investments, banking, and financial planning", "#F59E0B", "💰"},
	{"travel", "Travel", "Trips, vacations, flights, hotels, and travel planning", "#06B6D4", "✈️"},
	{"social", "Social", "Friends, social gatherings, parties, and casual hangouts", "#EC4899", "👥"},
	{"technology", "Technology", "Software, coding, tech discussions, apps, and technical topics", "#6366F1", "💻"},
	{"entertainment", "Entertainment", "Movies, music, games, shows, and fun activities", "#F97316", "🎬"},
	{"other", "Other", "Anything that doesn't fit into other folders", "#6B7280", "📁"},
}

// DefaultFolderCategory is the system folder conversations fall back to.
const DefaultFolderCategory = "other"

// NewSystemFolders returns uid's system folders, ids from newID.
func NewSystemFolders(uid string, now time.Time, newID func() string) []*Folder {
	out := make([]*Folder, len(SystemFolders))
	for i, s := range SystemFolders {
		desc, cat := s.Description, s.Category
		out[i] = &Folder{
			ID: newID(), UID: uid, Name: s.Name, Description: &desc, Color: s.Color, Icon: s.Icon,
			CreatedAt: now, UpdatedAt: now, Order: int64(i), IsDefault: cat == DefaultFolderCategory,
			IsSystem: true, CategoryMapping: &cat,
		}
	}
	return out
}

// categoryFolder maps conversation categories that have no folder of their
// own to the closest system folder (upstream's mapping).
var categoryFolder = map[string]string{
	"business": "work", "entrepreneurship": "work", "legal": "work",
	"family": "personal", "parenting": "personal", "romance": "personal", "romantic": "personal",
	"spiritual": "personal", "inspiration": "personal",
	"sports":  "health",
	"science": "education", "philosophy": "education", "literature": "education", "history": "education",
	"psychology":   "education",
	"economics":    "finance",
	"architecture": "technology", "design": "technology",
	"music": "entertainment",
}

// FolderCategory returns the category of the system folder a conversation
// of the given category belongs in; anything unknown goes to Other.
func FolderCategory(category string) string {
	category = strings.ToLower(strings.TrimSpace(category))
	if c, ok := categoryFolder[category]; ok {
		return c
	}
	for _, s := range SystemFolders {
		if s.Category == category {
			return category
		}
	}
	return DefaultFolderCategory
}

// FolderUpdate is a PATCH of a folder's metadata; nil fields stay as they
// are, and SetDescription with a nil Description clears it.
type FolderUpdate struct {
	Name           *string
	Description    *string
	SetDescription bool
	Color          *string
	Icon           *string
}

// Empty reports whether the update changes nothing.
func (u *FolderUpdate) Empty() bool {
	return u.Name == nil && !u.SetDescription && u.Color == nil && u.Icon == nil
}

// Apply changes f's metadata and bumps updated_at. System folders may be
// renamed and recoloured too, as in upstream's app.
func (f *Folder) Apply(u FolderUpdate, now time.Time) {
	if u.Name != nil {
		f.Name = strings.TrimSpace(*u.Name)
	}
	if u.SetDescription {
		f.Description = u.Description
	}
	if u.Color != nil {
		f.Color = *u.Color
	}
	if u.Icon != nil {
		f.Icon = *u.Icon
	}
	f.UpdatedAt = now
}

// FolderStore persists folders. Every method is scoped to one uid; another
// user's id is ENOTFOUND ("Folder not found").
type FolderStore interface {
	// EnsureSystemFolders creates uid's system folders unless they exist;
	// concurrent calls create them once.
	EnsureSystemFolders(ctx context.Context, uid string) error
	// FolderForCategory returns uid's system folder for a conversation
	// category (FolderCategory), creating the system folders if needed.
	FolderForCategory(ctx context.Context, uid, category string) (*Folder, error)
	// ListFolders returns uid's folders by order then id, each with the
	// number of its non-discarded conversations.
	ListFolders(ctx context.Context, uid string) ([]*Folder, error)
	GetFolder(ctx context.Context, uid, id string) (*Folder, error)
	// CreateFolder stores f after the user's last folder (it sets f.Order),
	// creating the system folders first if needed.
	CreateFolder(ctx context.Context, f *Folder) error
	// UpdateFolder reads, lets fn change, and writes back in one transaction.
	UpdateFolder(ctx context.Context, uid, id string, fn func(*Folder) error) (*Folder, error)
	// DeleteFolder deletes a folder the user created and moves its
	// conversations to the default folder, in one transaction. EINVALID for
	// system folders.
	DeleteFolder(ctx context.Context, uid, id string) error
}
