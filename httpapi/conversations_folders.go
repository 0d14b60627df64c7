package httpapi

import (
	"net/http"

	omi "github.com/omi-devapi/omi-devapi"
)

// assignFolder files a new conversation in the system folder for its
// category, as upstream's app does synchronously on create. Discarded
// conversations stay unfiled.
func (s *Server) assignFolder(r *http.Request, c *omi.Conversation) error {
	if s.Folders == nil || c.Discarded {
		return nil
	}
	f, err := s.Folders.FolderForCategory(r.Context(), c.UID, c.Structured.Category)
	if err != nil {
		return err
	}
	c.FolderID = &f.ID
	return nil
}

// checkFolder answers 422 unless folderID is one of uid's folders (a move
// must not point at another user's folder, or at nothing).
func (s *Server) checkFolder(r *http.Request, uid, folderID string) error {
	if s.Folders == nil {
		return nil
	}
	if _, err := s.Folders.GetFolder(r.Context(), uid, folderID); err != nil {
		if omi.ErrorCode(err) == omi.ENOTFOUND {
			return omi.InvalidValue("folder_id is not one of your folders", "body", "folder_id")
		}
		return err
	}
	return nil
}
