package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/lax"
)

const (
	conversationsDefaultLimit   = 25
	conversationsMaxLimit       = 100
	conversationsMaxTranscripts = 25 // upstream's lower cap when transcripts are included
	conversationTextMax         = 100_000
	conversationMaxSegments     = 500
	conversationDefaultDuration = 5 * time.Minute
	clientSessionMax            = 200
)

// sessionNamespace makes a client session id into a stable conversation id,
// upstream's UUIDv5 namespace, so retries land on the same id.
var sessionNamespace = uuid.MustParse("fb2f1f36-3c84-47a4-9c62-b3f6fdb3fd13")

// The aliases upstream accepts for client_session_id, in its order.
var sessionAliases = []string{"client_session_id", "client_conversation_id", "session_id", "client_id"}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

type createdConversation struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Discarded bool   `json:"discarded"`
}

func (s *Server) createConversation(w http.ResponseWriter, r *http.Request) error {
	v, body, err := s.body(r)
	if err != nil {
		return err
	}
	text, ok := body.Str("text", lax.Required, lax.MinLen(1), lax.MaxLen(conversationTextMax))
	textSource := body.OptStr("text_source", lax.OneOf(omi.TextSources...))
	textSourceSpec := body.OptStr("text_source_spec")
	started, finished := body.OptTime("started_at"), body.OptTime("finished_at")
	language := body.OptStr("language")
	geo := geolocation(v, body)
	if ok && strings.TrimSpace(text) == "" {
		v.Add(omi.FieldError{Type: "value_error", Loc: body.Loc("text"), Msg: "text cannot be empty"})
	}
	if err := v.Err(); err != nil {
		return err
	}
	now := s.now()
	if started == nil {
		started = &now
	}
	if finished == nil {
		f := started.Add(conversationDefaultDuration)
		finished = &f
	}
	if finished.Before(*started) {
		return omi.InvalidValue("finished_at must be after started_at", "body", "finished_at")
	}
	src := "other_text"
	if textSource != nil {
		src = *textSource
	}
	text = strings.TrimSpace(text)
	external, _ := json.Marshal(map[string]any{
		"text": text, "text_source": src, "text_source_spec": textSourceSpec,
		"started_at": started, "finished_at": finished, "language": language,
	})
	c := &omi.Conversation{
		ID: newID(), UID: principal(r).UID, CreatedAt: *started, StartedAt: started, FinishedAt: finished,
		Source: ptr("external_integration"), Language: orDefault(language, "en"), Status: "completed",
		Geolocation: geo, ExternalData: external,
	}
	in := omi.ProcessInput{Text: text, TextSource: src, StartedAt: *started, FinishedAt: *finished, Language: *c.Language}
	return s.processAndStore(w, r, c, in)
}

func (s *Server) createConversationFromSegments(w http.ResponseWriter, r *http.Request) error {
	v, body, err := s.body(r)
	if err != nil {
		return err
	}
	items, _ := body.List("transcript_segments", lax.Required, lax.MinItems(1), lax.MaxItems(conversationMaxSegments))
	segs := make([]omi.TranscriptSegment, 0, len(items))
	for i, o := range items {
		text, okText := o.Str("text", lax.Required)
		start, okStart := o.Float("start", lax.Required)
		end, okEnd := o.Float("end", lax.Required)
		speaker := o.OptStr("speaker")
		o.OptInt("speaker_id") // validated, then recomputed from the label as upstream does
		isUser := o.OptBool("is_user")
		personID := o.OptStr("person_id")
		if !okText || !okStart || !okEnd {
			continue
		}
		// Upstream's checks, first failure wins for each segment.
		switch {
		case end <= start:
			v.Add(omi.FieldError{Type: "value_error", Loc: o.Loc("end"), Msg: "Segment " + strconv.Itoa(i) + ": end time must be after start time"})
			continue
		case start < 0:
			v.Add(omi.FieldError{Type: "value_error", Loc: o.Loc("start"), Msg: "Segment " + strconv.Itoa(i) + ": start time cannot be negative"})
			continue
		case strings.TrimSpace(text) == "":
			v.Add(omi.FieldError{Type: "value_error", Loc: o.Loc("text"), Msg: "Segment " + strconv.Itoa(i) + ": text cannot be empty"})
			continue
		}
		label := "SPEAKER_00"
		if speaker != nil {
			label = *speaker
		}
		segs = append(segs, omi.TranscriptSegment{
			ID: uuid.NewString(), Text: strings.TrimSpace(text), Speaker: label, SpeakerID: speakerNumber(label),
			IsUser: isUser != nil && *isUser, PersonID: personID, Start: start, End: end,
		})
	}
	started, finished := body.OptTime("started_at"), body.OptTime("finished_at")
	language := body.OptStr("language")
	source := body.OptStr("source")
	geo := geolocation(v, body)
	session := clientSession(v, body)
	device := firstNonEmpty(r.Header.Get("X-Client-Device-Id"), body.OptStr("client_device_id"))
	platform := firstNonEmpty(r.Header.Get("X-Client-Platform"), body.OptStr("client_platform"))
	if err := v.Err(); err != nil {
		return err
	}
	uid := principal(r).UID
	if session != nil {
		// A retry: answer with what the first attempt stored, without
		// processing again.
		if c, err := s.Conversations.FindConversationBySession(r.Context(), uid, *session); err == nil {
			writeJSON(w, http.StatusOK, createdConversation{c.ID, c.Status, c.Discarded})
			return nil
		} else if omi.ErrorCode(err) != omi.ENOTFOUND {
			return err
		}
	}
	now := s.now()
	if started == nil {
		started = &now
	}
	if finished == nil {
		// Upstream: started_at + the last segment's end, in array order.
		f := started.Add(time.Duration(segs[len(segs)-1].End * float64(time.Second))).Truncate(time.Microsecond)
		finished = &f
	}
	if !finished.After(*started) {
		return omi.InvalidValue("finished_at must be after started_at", "body", "finished_at")
	}
	src := "phone"
	if source != nil {
		src = *source
		if !contains(omi.ConversationSources, src) {
			src = "unknown" // upstream's enum fallback
		}
	}
	id := newID()
	if session != nil {
		id = uuid.NewSHA1(sessionNamespace, []byte(uid+"\x00"+*session)).String()
	}
	external, _ := json.Marshal(map[string]any{"client_device_id": device, "client_platform": platform})
	c := &omi.Conversation{
		ID: id, UID: uid, CreatedAt: *started, StartedAt: started, FinishedAt: finished, Source: &src,
		Language: orDefault(language, "en"), Status: "completed", TranscriptSegments: segs, Geolocation: geo,
		ExternalData: external, ClientSessionID: session,
	}
	lines := make([]string, len(segs))
	for i, sg := range segs {
		lines[i] = sg.Text
	}
	in := omi.ProcessInput{Text: strings.Join(lines, "\n"), Segments: segs, StartedAt: *started, FinishedAt: *finished, Language: *c.Language}
	return s.processAndStore(w, r, c, in)
}

// processAndStore runs the processor and stores the conversation with its
// action items and memories in one transaction, so all of it is visible the
// moment the response arrives (upstream extracts them after responding).
func (s *Server) processAndStore(w http.ResponseWriter, r *http.Request, c *omi.Conversation, in omi.ProcessInput) error {
	res, err := s.Processor.Process(r.Context(), in)
	if err != nil {
		return err
	}
	items, memories := c.Derive(res, s.now(), newID)
	if err := s.assignFolder(r, c); err != nil {
		return err
	}
	s.Search.EmbedConversation(r.Context(), c, memories)
	stored, _, err := s.Conversations.CreateConversation(r.Context(), c, items, memories)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, createdConversation{stored.ID, stored.Status, stored.Discarded})
	return nil
}

// speakerNumber is upstream's speaker_id: the label's numeric suffix
// (SPEAKER_03 -> 3), 0 when there is none.
func speakerNumber(label string) int {
	i := strings.LastIndexAny(label, "_ ")
	n, err := strconv.Atoi(label[i+1:])
	if err != nil || n < 0 {
		return 0
	}
	return n
}

func clientSession(v *lax.Validator, body *lax.Obj) *string {
	for _, name := range sessionAliases {
		if !body.Has(name) || body.IsNull(name) {
			continue
		}
		s, ok := body.Str(name, lax.MinLen(1), lax.MaxLen(clientSessionMax))
		if !ok {
			return nil
		}
		s = strings.TrimSpace(s)
		if s == "" {
			v.Add(omi.FieldError{Type: "value_error", Loc: body.Loc(name), Msg: "Value error, client_session_id cannot be blank"})
			return nil
		}
		return &s
	}
	return nil
}

// geolocation reads GeolocationInput and enforces the bounds upstream
// applies before storing.
func geolocation(v *lax.Validator, body *lax.Obj) *omi.Geolocation {
	o, ok := body.Object("geolocation")
	if !ok {
		return nil
	}
	lat, okLat := o.Float("latitude", lax.Required, lax.Ge(-90), lax.Le(90))
	lon, okLon := o.Float("longitude", lax.Required, lax.Ge(-180), lax.Le(180))
	g := &omi.Geolocation{Latitude: lat, Longitude: lon, Address: o.OptStr("address"),
		GooglePlaceID: o.OptStr("google_place_id"), LocationType: o.OptStr("location_type")}
	if !okLat || !okLon {
		return nil
	}
	return g
}

func (s *Server) listConversations(w http.ResponseWriter, r *http.Request) error {
	v := lax.New()
	q := query(v, r)
	transcript := q.Bool("include_transcript", false)
	maxLimit := int64(conversationsMaxLimit)
	if transcript {
		maxLimit = conversationsMaxTranscripts
	}
	l := parseListing(v, q, conversationsDefaultLimit, maxLimit, &omi.ConversationCursor{})
	f := omi.ConversationFilter{
		UID: principal(r).UID, Start: q.OptTime("start_date"), End: q.OptTime("end_date"),
		Categories: parseCategories(v, q, omi.ConversationCategories, "CategoryEnum"),
		FolderID:   q.OptStr("folder_id", lax.MinLen(1)), Starred: q.OptBool("starred"),
		IncludeTranscript: transcript, Page: l.fetch(),
	}
	if err := v.Err(); err != nil {
		return err
	}
	cs, err := s.Conversations.ListConversations(r.Context(), f)
	if err != nil {
		return err
	}
	cs = finish(w, r, l, cs, func(c *omi.Conversation) any { return c.Cursor() })
	for _, c := range cs {
		showTranscript(c, transcript)
	}
	writeJSON(w, http.StatusOK, cs)
	return nil
}

// showTranscript shapes transcript_segments as upstream: null when not asked
// for, else the segments with speaker names.
func showTranscript(c *omi.Conversation, include bool) {
	if !include {
		c.TranscriptSegments = nil
		return
	}
	if c.TranscriptSegments == nil {
		c.TranscriptSegments = []omi.TranscriptSegment{}
	}
	omi.NameSpeakers(c.TranscriptSegments)
}

func (s *Server) getConversation(w http.ResponseWriter, r *http.Request) error {
	v := lax.New()
	transcript := query(v, r).Bool("include_transcript", false)
	if err := v.Err(); err != nil {
		return err
	}
	c, err := s.Conversations.GetConversation(r.Context(), principal(r).UID, r.PathValue("conversation_id"), transcript)
	if err != nil {
		return err
	}
	showTranscript(c, transcript)
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) updateConversation(w http.ResponseWriter, r *http.Request) error {
	v, body, err := s.body(r)
	if err != nil {
		return err
	}
	title := body.OptStr("title", lax.MinLen(1), lax.MaxLen(500))
	discarded := body.OptBool("discarded")
	starred := body.OptBool("starred")                  // ours
	folderID := body.OptStr("folder_id", lax.MinLen(1)) // ours: move to a folder
	if err := v.Err(); err != nil {
		return err
	}
	if title == nil && discarded == nil && starred == nil && folderID == nil {
		return omi.InvalidValue("At least one field (title or discarded) must be provided")
	}
	if title != nil && strings.TrimSpace(*title) == "" {
		return omi.InvalidValue("title cannot be empty", "body", "title")
	}
	uid := principal(r).UID
	if folderID != nil {
		if err := s.checkFolder(r, uid, *folderID); err != nil {
			return err
		}
	}
	var emb *omi.Embedding
	var embedded string
	if title != nil {
		emb, embedded = s.retitledEmbedding(r, uid, r.PathValue("conversation_id"), strings.TrimSpace(*title))
	}
	c, err := s.Conversations.UpdateConversation(r.Context(), uid, r.PathValue("conversation_id"), func(c *omi.Conversation) error {
		if title != nil {
			c.Structured.Title = strings.TrimSpace(*title)
			if emb != nil && c.EmbedText() == embedded {
				c.Embedding = emb
			}
		}
		if discarded != nil {
			c.Discarded = *discarded
		}
		if starred != nil {
			c.Starred = *starred
		}
		if folderID != nil {
			c.FolderID = folderID
		}
		return nil
	})
	if err != nil {
		return err
	}
	showTranscript(c, true)
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) deleteConversation(w http.ResponseWriter, r *http.Request) error {
	if err := s.Conversations.DeleteConversation(r.Context(), principal(r).UID, r.PathValue("conversation_id")); err != nil {
		return err
	}
	return writeSuccess(w)
}

func ptr[T any](v T) *T { return &v }

func orDefault(s *string, def string) *string {
	if s == nil {
		return &def
	}
	return s
}

func firstNonEmpty(header string, body *string) *string {
	if header != "" {
		return &header
	}
	return body
}
