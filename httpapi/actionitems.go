package httpapi

import (
	"net/http"
	"strings"

	"github.com/google/uuid"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/lax"
)

const (
	actionItemsDefaultLimit = 100
	actionItemsMaxLimit     = 1000
	actionItemsMaxBatch     = 50
)

func (s *Server) listActionItems(w http.ResponseWriter, r *http.Request) error {
	v := lax.New()
	q := query(v, r)
	f := omi.ActionItemFilter{
		UID:            principal(r).UID,
		ConversationID: q.OptStr("conversation_id"),
		Completed:      q.OptBool("completed"),
		Start:          q.OptTime("start_date"),
		End:            q.OptTime("end_date"),
	}
	l := parseListing(v, q, actionItemsDefaultLimit, actionItemsMaxLimit, &omi.ActionItemCursor{})
	if err := v.Err(); err != nil {
		return err
	}
	f.Page = l.fetch()
	items, err := s.ActionItems.ListActionItems(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, finish(w, r, l, items, func(a *omi.ActionItem) any { return a.Cursor() }))
	return nil
}

func (s *Server) getActionItem(w http.ResponseWriter, r *http.Request) error {
	a, err := s.ActionItems.GetActionItem(r.Context(), principal(r).UID, r.PathValue("action_item_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// actionItemInput reads one CreateActionItemRequest; it returns nil when
// invalid (the errors are recorded on o's validator). A blank description is
// not checked here: upstream checks it only once pydantic has passed the
// whole request, so callers check it after the validator is clean.
func (s *Server) actionItemInput(o *lax.Obj, uid string) *omi.ActionItem {
	desc, ok := o.Str("description", lax.Required, lax.MinLen(1), lax.MaxLen(500))
	// Bool, not OptBool: a bool with a default still refuses null.
	completed, _ := o.Bool("completed")
	dueAt := o.OptTime("due_at")
	if !ok {
		return nil
	}
	return omi.NewActionItem(uuid.Must(uuid.NewV7()).String(), uid, desc, completed, dueAt, s.now())
}

func (s *Server) createActionItem(w http.ResponseWriter, r *http.Request) error {
	v, body, err := s.body(r)
	if err != nil {
		return err
	}
	a := s.actionItemInput(body, principal(r).UID)
	if err := v.Err(); err != nil {
		return err
	}
	if a.Description == "" {
		return omi.InvalidValue("description cannot be empty", body.Loc("description")...)
	}
	if err := s.ActionItems.CreateActionItems(r.Context(), []*omi.ActionItem{a}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) createActionItemsBatch(w http.ResponseWriter, r *http.Request) error {
	v, body, err := s.body(r)
	if err != nil {
		return err
	}
	objs, _ := body.List("action_items", lax.Required, lax.MaxItems(actionItemsMaxBatch))
	items := make([]*omi.ActionItem, len(objs))
	for i, o := range objs {
		items[i] = s.actionItemInput(o, principal(r).UID)
	}
	if err := v.Err(); err != nil {
		return err
	}
	for i, a := range items {
		if a.Description == "" {
			return omi.InvalidValue("All action items must have non-empty descriptions", objs[i].Loc("description")...)
		}
	}
	if err := s.ActionItems.CreateActionItems(r.Context(), items); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		ActionItems  []*omi.ActionItem `json:"action_items"`
		CreatedCount int               `json:"created_count"`
	}{items, len(items)})
	return nil
}

func (s *Server) updateActionItem(w http.ResponseWriter, r *http.Request) error {
	v, body, err := s.body(r)
	if err != nil {
		return err
	}
	u := omi.ActionItemUpdate{
		Description: body.OptStr("description", lax.MinLen(1), lax.MaxLen(500)),
		Completed:   body.OptBool("completed"),
		DueAt:       body.OptTime("due_at"),
	}
	if err := v.Err(); err != nil {
		return err
	}
	// Upstream looks the item up first, so a missing id is 404 whatever the
	// body says; the checks run inside the store's transaction, after the read.
	a, err := s.ActionItems.UpdateActionItem(r.Context(), principal(r).UID, r.PathValue("action_item_id"), func(a *omi.ActionItem) error {
		switch {
		case u.Empty():
			return omi.InvalidValue("At least one field must be provided")
		case u.Description != nil && strings.TrimSpace(*u.Description) == "":
			// Upstream would store the empty string; create refuses it, so
			// PATCH does too.
			return omi.InvalidValue("description cannot be empty", "body", "description")
		}
		a.Apply(u, s.now())
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) deleteActionItem(w http.ResponseWriter, r *http.Request) error {
	if err := s.ActionItems.DeleteActionItem(r.Context(), principal(r).UID, r.PathValue("action_item_id")); err != nil {
		return err
	}
	return writeSuccess(w)
}
