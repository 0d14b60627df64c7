package httpapi

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/lax"
)

const (
	memoriesDefaultLimit = 25
	memoriesMaxLimit     = 1000
	memoriesMaxBatch     = 25
)

var visibilities = []string{"public", "private"}

func (s *Server) listMemories(w http.ResponseWriter, r *http.Request) error {
	v := lax.New()
	q := query(v, r)
	l := parseListing(v, q, memoriesDefaultLimit, memoriesMaxLimit, &omi.MemoryCursor{})
	cats := parseCategories(v, q, omi.MemoryCategories, "MemoryCategory")
	if err := v.Err(); err != nil {
		return err
	}
	ms, err := s.Memories.ListMemories(r.Context(), omi.MemoryFilter{UID: principal(r).UID, Categories: cats, Page: l.fetch()})
	if err != nil {
		return err
	}
	writeMemories(w, http.StatusOK, finish(w, r, l, ms, func(m *omi.Memory) any { return m.Cursor() }))
	return nil
}

// parseCategories reads the comma-separated categories filter: blanks are
// ignored, an unknown value is 422 with upstream's message.
func parseCategories(v *lax.Validator, q *lax.Query, allowed []string, enum string) []string {
	raw, ok := q.Str("categories")
	if !ok {
		return nil
	}
	var out []string
	for _, c := range strings.Split(raw, ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if !contains(allowed, c) {
			v.Add(omi.FieldError{Type: "value_error", Loc: []any{"query", "categories"},
				Msg: fmt.Sprintf("Invalid category '%s' is not a valid %s", c, enum)})
			return nil
		}
		out = append(out, c)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Server) getMemory(w http.ResponseWriter, r *http.Request) error {
	m, err := s.Memories.GetMemory(r.Context(), principal(r).UID, r.PathValue("memory_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// memoryInput reads one CreateMemoryRequest; it returns nil when invalid
// (the errors are on v).
func (s *Server) memoryInput(v *lax.Validator, o *lax.Obj, uid string, blankMsg string) *omi.Memory {
	content, ok := o.Str("content", lax.Required, lax.MinLen(1), lax.MaxLen(500))
	category := o.OptStr("category", lax.OneOf(omi.MemoryCategories...))
	tags, _ := o.StrList("tags")
	visibility := o.OptStr("visibility")
	if ok && strings.TrimSpace(content) == "" {
		v.Add(omi.FieldError{Type: "value_error", Loc: o.Loc("content"), Msg: blankMsg})
		ok = false
	}
	if visibility != nil && !contains(visibilities, *visibility) {
		v.Add(omi.FieldError{Type: "value_error", Loc: o.Loc("visibility"), Msg: "visibility must be 'public' or 'private'"})
		ok = false
	}
	if !ok {
		return nil
	}
	return omi.NewMemory(uuid.Must(uuid.NewV7()).String(), uid, content, category, visibility, tags, s.now())
}

func (s *Server) createMemory(w http.ResponseWriter, r *http.Request) error {
	v, body, err := s.body(r)
	if err != nil {
		return err
	}
	m := s.memoryInput(v, body, principal(r).UID, "content cannot be empty")
	if err := v.Err(); err != nil {
		return err
	}
	s.Search.EmbedMemories(r.Context(), []*omi.Memory{m})
	if err := s.Memories.CreateMemories(r.Context(), []*omi.Memory{m}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) createMemoriesBatch(w http.ResponseWriter, r *http.Request) error {
	v, body, err := s.body(r)
	if err != nil {
		return err
	}
	items, _ := body.List("memories", lax.Required, lax.MaxItems(memoriesMaxBatch))
	ms := make([]*omi.Memory, 0, len(items))
	for _, o := range items {
		ms = append(ms, s.memoryInput(v, o, principal(r).UID, "All memories must have non-empty content"))
	}
	if err := v.Err(); err != nil {
		return err
	}
	s.Search.EmbedMemories(r.Context(), ms)
	if err := s.Memories.CreateMemories(r.Context(), ms); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Memories     []*omi.Memory `json:"memories"`
		CreatedCount int           `json:"created_count"`
	}{ms, len(ms)})
	return nil
}

func (s *Server) updateMemory(w http.ResponseWriter, r *http.Request) error {
	v, body, err := s.body(r)
	if err != nil {
		return err
	}
	u := omi.MemoryUpdate{
		Content:    body.OptStr("content", lax.MinLen(1), lax.MaxLen(500)),
		Visibility: body.OptStr("visibility"),
		Category:   body.OptStr("category", lax.OneOf(omi.MemoryCategories...)),
	}
	u.Tags, _ = body.StrList("tags")
	if err := v.Err(); err != nil {
		return err
	}
	switch {
	case u.Content == nil && u.Visibility == nil && u.Tags == nil && u.Category == nil:
		return omi.InvalidValue("At least one field (content, visibility, tags, or category) must be provided")
	case u.Content != nil && strings.TrimSpace(*u.Content) == "":
		return omi.InvalidValue("content cannot be empty", "body", "content")
	case u.Visibility != nil && !contains(visibilities, *u.Visibility):
		return omi.InvalidValue("visibility must be 'public' or 'private'", "body", "visibility")
	}
	var emb *omi.Embedding // made before the store's transaction, never inside it
	if u.Content != nil {
		emb = s.Search.Embed(r.Context(), strings.TrimSpace(*u.Content))
	}
	m, err := s.Memories.UpdateMemory(r.Context(), principal(r).UID, r.PathValue("memory_id"), func(m *omi.Memory) error {
		m.Apply(u, s.now())
		m.Embedding = emb
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) deleteMemory(w http.ResponseWriter, r *http.Request) error {
	if err := s.Memories.DeleteMemory(r.Context(), principal(r).UID, r.PathValue("memory_id")); err != nil {
		return err
	}
	return writeSuccess(w)
}

func writeSuccess(w http.ResponseWriter) error {
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
	return nil
}
