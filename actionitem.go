package omi

import (
	"context"
	"strings"
	"time"
)

// ActionItem is a task the user has to do, typed in or found in a
// conversation. JSON is the spec's DeveloperActionItem.
type ActionItem struct {
	ID             string     `json:"id"`
	UID            string     `json:"-"`
	Description    string     `json:"description"`
	Completed      bool       `json:"completed"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	DueAt          *time.Time `json:"due_at"`
	CompletedAt    *time.Time `json:"completed_at"`
	ConversationID *string    `json:"conversation_id"`
}

// NewActionItem is an action item as the user creates it through the API:
// description stripped, completed_at set when it is created done, and no
// conversation (conversation processing sets ConversationID itself).
func NewActionItem(id, uid, description string, completed bool, dueAt *time.Time, now time.Time) *ActionItem {
	a := &ActionItem{
		ID: id, UID: uid, Description: strings.TrimSpace(description), Completed: completed,
		CreatedAt: now, UpdatedAt: now, DueAt: utcPtr(dueAt),
	}
	if completed {
		a.CompletedAt = &now
	}
	return a
}

// ActionItemUpdate is a PATCH: nil fields stay as they are. A nil DueAt
// cannot clear a due date; upstream has no way to either.
type ActionItemUpdate struct {
	Description *string
	Completed   *bool
	DueAt       *time.Time
}

// Empty reports whether the update changes nothing (upstream's "At least one
// field must be provided").
func (u ActionItemUpdate) Empty() bool {
	return u.Description == nil && u.Completed == nil && u.DueAt == nil
}

// Apply changes a as upstream's PATCH does: completing stamps completed_at
// afresh even when a was already done (upstream re-stamps), un-completing
// clears it, and every PATCH bumps updated_at.
func (a *ActionItem) Apply(u ActionItemUpdate, now time.Time) {
	if u.Description != nil {
		a.Description = strings.TrimSpace(*u.Description)
	}
	if u.Completed != nil {
		a.Completed = *u.Completed
		if a.Completed {
			a.CompletedAt = &now
		} else {
			a.CompletedAt = nil
		}
	}
	if u.DueAt != nil {
		a.DueAt = utcPtr(u.DueAt)
	}
	a.UpdatedAt = now
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// ActionItemCursor is the position after an action item in list order: due
// items first by due_at ascending, then those without a due date; ties by
// created_at, then id, both descending.
type ActionItemCursor struct {
	DueAt     *int64 `json:"d"` // Unix microseconds; nil: no due date
	CreatedAt int64  `json:"c"` // Unix microseconds
	ID        string `json:"i"`
}

// Cursor returns the position just after a.
func (a *ActionItem) Cursor() ActionItemCursor {
	c := ActionItemCursor{CreatedAt: a.CreatedAt.UnixMicro(), ID: a.ID}
	if a.DueAt != nil {
		d := a.DueAt.UnixMicro()
		c.DueAt = &d
	}
	return c
}

// ActionItemFilter selects action items for a list; filters apply before
// paging.
type ActionItemFilter struct {
	UID            string
	ConversationID *string    // exact match; nil: any (including none)
	Completed      *bool      // nil: both
	Start, End     *time.Time // inclusive bounds on created_at
	Page           Page       // Page.After is *ActionItemCursor
}

// ActionItemStore persists action items. Every method is scoped to one uid;
// another user's id is ENOTFOUND.
type ActionItemStore interface {
	// CreateActionItems stores all of items in one transaction, or none.
	CreateActionItems(ctx context.Context, items []*ActionItem) error
	GetActionItem(ctx context.Context, uid, id string) (*ActionItem, error)
	// ListActionItems orders the whole filtered list as ActionItemCursor
	// describes and then pages it. Upstream pages by created_at and sorts
	// only each page, so its pages overlap and skip; ours do not.
	ListActionItems(ctx context.Context, f ActionItemFilter) ([]*ActionItem, error)
	// UpdateActionItem reads, lets fn change, and writes back in one
	// transaction. fn cannot change the id, owner, creation time or
	// conversation.
	UpdateActionItem(ctx context.Context, uid, id string, fn func(*ActionItem) error) (*ActionItem, error)
	DeleteActionItem(ctx context.Context, uid, id string) error
}
