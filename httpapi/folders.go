package httpapi

import (
	"net/http"
	"strings"

	"github.com/google/uuid"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/lax"
)

// Upstream's folder model limits.
const (
	folderNameMax        = 100
	folderDescriptionMax = 500
	// folderTokenMax bounds color and icon, which upstream leaves unbounded:
	// a hex colour or an emoji (or a short icon name) fits with room.
	folderTokenMax = 64
)

func (s *Server) listFolders(w http.ResponseWriter, r *http.Request) error {
	uid := principal(r).UID
	// Every user starts with upstream's system folders; they are made on
	// first use rather than at sign-up, since users are created elsewhere.
	if err := s.Folders.EnsureSystemFolders(r.Context(), uid); err != nil {
		return err
	}
	fs, err := s.Folders.ListFolders(r.Context(), uid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, fs)
	return nil
}

func (s *Server) createFolder(w http.ResponseWriter, r *http.Request) error {
	v, body, err := s.body(r)
	if err != nil {
		return err
	}
	name, nameOK := body.Str("name", lax.Required, lax.MinLen(1), lax.MaxLen(folderNameMax))
	desc := body.OptStr("description", lax.MaxLen(folderDescriptionMax))
	color := body.OptStr("color", lax.MinLen(1), lax.MaxLen(folderTokenMax))
	icon := body.OptStr("icon", lax.MinLen(1), lax.MaxLen(folderTokenMax))
	if nameOK && strings.TrimSpace(name) == "" {
		v.Add(omi.FieldError{Type: "value_error", Loc: body.Loc("name"), Msg: "name cannot be empty"})
	}
	if err := v.Err(); err != nil {
		return err
	}
	now := s.now()
	f := &omi.Folder{
		ID: uuid.Must(uuid.NewV7()).String(), UID: principal(r).UID, Name: strings.TrimSpace(name), Description: desc,
		Color: omi.DefaultFolderColor, Icon: omi.DefaultFolderIcon, CreatedAt: now, UpdatedAt: now,
	}
	if color != nil {
		f.Color = *color
	}
	if icon != nil {
		f.Icon = *icon
	}
	if err := s.Folders.CreateFolder(r.Context(), f); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

func (s *Server) updateFolder(w http.ResponseWriter, r *http.Request) error {
	v, body, err := s.body(r)
	if err != nil {
		return err
	}
	// name, color and icon are never null on a folder; description may be
	// cleared.
	for _, name := range []string{"name", "color", "icon"} {
		if body.IsNull(name) {
			v.Add(omi.FieldError{Type: "value_error", Loc: body.Loc(name), Msg: name + " cannot be null"})
		}
	}
	u := omi.FolderUpdate{
		Name:           body.OptStr("name", lax.MinLen(1), lax.MaxLen(folderNameMax)),
		Description:    body.OptStr("description", lax.MaxLen(folderDescriptionMax)),
		SetDescription: body.Has("description"),
		Color:          body.OptStr("color", lax.MinLen(1), lax.MaxLen(folderTokenMax)),
		Icon:           body.OptStr("icon", lax.MinLen(1), lax.MaxLen(folderTokenMax)),
	}
	if u.Name != nil && strings.TrimSpace(*u.Name) == "" {
		v.Add(omi.FieldError{Type: "value_error", Loc: body.Loc("name"), Msg: "name cannot be empty"})
	}
	if err := v.Err(); err != nil {
		return err
	}
	if u.Empty() {
		return omi.InvalidValue("At least one field must be provided")
	}
	f, err := s.Folders.UpdateFolder(r.Context(), principal(r).UID, r.PathValue("folder_id"), func(f *omi.Folder) error {
		f.Apply(u, s.now())
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

func (s *Server) deleteFolder(w http.ResponseWriter, r *http.Request) error {
	if err := s.Folders.DeleteFolder(r.Context(), principal(r).UID, r.PathValue("folder_id")); err != nil {
		return err
	}
	return writeSuccess(w)
}
