package httpapi

import (
	"net/http"
	"strings"
	"time"
	_ "time/tzdata" // IANA names resolve on hosts without a zoneinfo database

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/lax"
	"github.com/omi-devapi/omi-devapi/search"
)

const (
	askQuestionMax   = 1000
	askDefaultLimit  = 5
	askMaxLimit      = 10
	askDefaultTZName = "UTC"
)

type askSource struct {
	ID        string     `json:"id"`
	Title     string     `json:"title"`
	CreatedAt *time.Time `json:"created_at"`
}

type askResponse struct {
	Answer  string      `json:"answer"`
	Sources []askSource `json:"sources"`
}

func (s *Server) ask(w http.ResponseWriter, r *http.Request) error {
	v, body, err := s.body(r)
	if err != nil {
		return err
	}
	question, ok := body.Str("question", lax.Required, lax.MinLen(1), lax.MaxLen(askQuestionMax))
	limit := int64(askDefaultLimit)
	if body.Has("limit") {
		limit, _ = body.Int("limit", lax.Ge(1), lax.Le(askMaxLimit))
	}
	tzName := askDefaultTZName
	var loc *time.Location
	if body.Has("timezone") {
		var tzOK bool
		if tzName, tzOK = body.Str("timezone"); tzOK {
			if loc = location(tzName); loc == nil {
				body.Add(omi.FieldError{Type: "value_error", Loc: body.Loc("timezone"),
					Msg: "Value error, Invalid timezone '" + tzName + "': must be a valid IANA timezone name, e.g. 'America/New_York'"})
			}
		}
	} else {
		loc = time.UTC
	}
	if err := v.Err(); err != nil {
		return err
	}
	// Upstream answers 400 here, which the spec does not declare.
	if ok && strings.TrimSpace(question) == "" {
		return omi.InvalidValue("question must not be empty", "body", "question")
	}
	if s.Search == nil {
		return errSearchOff
	}
	a, err := s.Search.Ask(r.Context(), search.Question{
		UID: principal(r).UID, Text: strings.TrimSpace(question), Limit: int(limit), Location: loc, Now: s.now(),
	})
	if err != nil {
		return err
	}
	resp := askResponse{Answer: a.Text, Sources: make([]askSource, len(a.Sources))}
	for i, c := range a.Sources {
		created := c.CreatedAt
		resp.Sources[i] = askSource{ID: c.ID, Title: c.Structured.Title, CreatedAt: &created}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// location resolves an IANA timezone name as Python's zoneinfo does: names
// only, so "" and Go's "Local" (the server's zone) are refused.
func location(name string) *time.Location {
	if name == "" || name == "Local" || strings.ContainsAny(name, "\x00\\") {
		return nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	return loc
}
