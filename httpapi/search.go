package httpapi

import (
	"net/http"
	"strings"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/lax"
)

const (
	vectorSearchDefaultLimit = 10
	vectorSearchMaxLimit     = 100
)

// vectorItem is DeveloperMemoryVectorItem.
type vectorItem struct {
	ID             string  `json:"id"`
	Content        string  `json:"content"`
	Category       string  `json:"category"`
	RelevanceScore float64 `json:"relevance_score"`
}

// vectorPolicy is DeveloperMemoryVectorPolicy: what upstream's rollout
// answers for a key that passed the scope check. Every memory here is a
// default memory (no short-term or archive tiers), so the grant is implied
// by memories:read.
type vectorPolicy struct {
	Consumer                 string `json:"consumer"`
	AppHasDefaultMemoryGrant bool   `json:"app_has_default_memory_grant"`
	ArchiveCapability        bool   `json:"archive_capability"`
	RawProvenanceCapability  bool   `json:"raw_provenance_capability"`
}

var developerPolicy = vectorPolicy{Consumer: "developer_api", AppHasDefaultMemoryGrant: true}

type vectorSearchResponse struct {
	Items                 []vectorItem `json:"items"`
	ReturnedCount         int          `json:"returned_count"`
	ArchiveDefaultVisible bool         `json:"archive_default_visible"`
	Policy                vectorPolicy `json:"policy"`
}

// errSearchOff answers search and ask on a server started without a
// search engine (not the binary's default, which is offline search).
var errSearchOff = omi.Errorf(omi.EUNAVAILABLE, "Search is not configured on this server")

func (s *Server) searchMemories(w http.ResponseWriter, r *http.Request) error {
	v := lax.New()
	q := query(v, r)
	text, ok := q.Str("query", lax.Required, lax.MinLen(1))
	limit := q.Int("limit", vectorSearchDefaultLimit, lax.Ge(1), lax.Le(vectorSearchMaxLimit))
	if err := v.Err(); err != nil {
		return err
	}
	if ok && strings.TrimSpace(text) == "" {
		return omi.InvalidValue("query must not be empty", "query", "query")
	}
	if s.Search == nil {
		return errSearchOff
	}
	hits, err := s.Search.SearchMemories(r.Context(), principal(r).UID, text, int(limit))
	if err != nil {
		return err
	}
	resp := vectorSearchResponse{Items: make([]vectorItem, len(hits)), ReturnedCount: len(hits), Policy: developerPolicy}
	for i, h := range hits {
		resp.Items[i] = vectorItem{ID: h.Memory.ID, Content: h.Memory.Content, Category: h.Memory.Category, RelevanceScore: h.Score}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// retitledEmbedding is the vector a conversation needs once retitled, with
// the text it was made from. It is made from a read before the update's
// transaction (embedding never runs inside one); the update stores it only
// if the conversation still reads the same.
func (s *Server) retitledEmbedding(r *http.Request, uid, id, title string) (*omi.Embedding, string) {
	if !s.Search.Embeds() {
		return nil, ""
	}
	c, err := s.Conversations.GetConversation(r.Context(), uid, id, true)
	if err != nil {
		return nil, "" // the update itself reports it
	}
	c.Structured.Title = title
	text := c.EmbedText()
	return s.Search.Embed(r.Context(), text), text
}
