package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	omi "github.com/omi-devapi/omi-devapi"
)

var _ omi.ConversationStore = (*DB)(nil)

// The folder name is joined in on every read, so renames and moves show at once.
const conversationColumns = `c.uid, c.id, c.created_at, c.started_at, c.finished_at, c.source, c.language,
	c.status, c.discarded, c.starred, c.folder_id, f.name, c.structured, c.geolocation, c.external_data, c.client_session_id`

const conversationFrom = ` FROM conversations c LEFT JOIN folders f ON f.uid = c.uid AND f.id = c.folder_id `

func (db *DB) CreateConversation(ctx context.Context, c *omi.Conversation, items []*omi.ActionItem, memories []*omi.Memory) (*omi.Conversation, bool, error) {
	structured, err := json.Marshal(c.Structured)
	if err != nil {
		return nil, false, fmt.Errorf("postgres: encode structured: %w", err)
	}
	segments, err := omi.EncodeTranscript(c.TranscriptSegments)
	if err != nil {
		return nil, false, fmt.Errorf("postgres: encode transcript: %w", err)
	}
	geo, err := nullJSON(c.Geolocation)
	if err != nil {
		return nil, false, err
	}
	var external *string
	if len(c.ExternalData) > 0 {
		s := string(c.ExternalData)
		external = &s
	}
	var existing *omi.Conversation
	err = db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		existing = nil
		// Retries racing with one session id: the unique index makes every
		// insert after the first wait for it to commit and then do nothing,
		// and those return the conversation the first one stored.
		tag, err := tx.Exec(ctx, `INSERT INTO conversations (uid, id, created_at, started_at, finished_at, source, language,
			status, discarded, starred, folder_id, title, overview, emoji, category, structured, transcript_segments,
			geolocation, external_data, client_session_id)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)
			ON CONFLICT (uid, client_session_id) WHERE client_session_id IS NOT NULL DO NOTHING`,
			c.UID, c.ID, c.CreatedAt, c.StartedAt, c.FinishedAt, c.Source, c.Language,
			c.Status, c.Discarded, c.Starred, c.FolderID, c.Structured.Title, c.Structured.Overview, c.Structured.Emoji,
			c.Structured.Category, string(structured), string(segments), geo, external, c.ClientSessionID)
		if err != nil {
			return fmt.Errorf("postgres: insert conversation: %w", err)
		}
		if tag.RowsAffected() == 0 && c.ClientSessionID != nil {
			var id string
			err := tx.QueryRow(ctx, `SELECT id FROM conversations WHERE uid = $1 AND client_session_id = $2`, c.UID, *c.ClientSessionID).Scan(&id)
			if err != nil {
				return fmt.Errorf("postgres: find session: %w", err)
			}
			existing, err = getConversation(ctx, tx, c.UID, id, false, "")
			return err
		}
		if err := putVector(ctx, tx, c.UID, omi.KindConversation, c.ID, c.Embedding); err != nil {
			return err
		}
		if err := insertActionItems(ctx, tx, items); err != nil {
			return err
		}
		return insertMemories(ctx, tx, memories)
	})
	if err != nil {
		return nil, false, err
	}
	if existing != nil {
		return existing, false, nil
	}
	return c, true, nil
}

func (db *DB) FindConversationBySession(ctx context.Context, uid, sessionID string) (*omi.Conversation, error) {
	var c *omi.Conversation
	err := db.read(ctx, func(ctx context.Context, q querier) error {
		var err error
		c, err = scanConversation(q.QueryRow(ctx, `SELECT `+conversationColumns+`, NULL::jsonb`+conversationFrom+`
			WHERE c.uid = $1 AND c.client_session_id = $2`, uid, sessionID))
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("Conversation")
		}
		return err
	})
	return c, err
}

func (db *DB) GetConversation(ctx context.Context, uid, id string, transcript bool) (*omi.Conversation, error) {
	var c *omi.Conversation
	err := db.read(ctx, func(ctx context.Context, q querier) error {
		var err error
		c, err = getConversation(ctx, q, uid, id, transcript, "")
		return err
	})
	return c, err
}

func getConversation(ctx context.Context, q querier, uid, id string, transcript bool, lock string) (*omi.Conversation, error) {
	cols := conversationColumns + ", NULL::jsonb"
	if transcript {
		cols = conversationColumns + ", c.transcript_segments"
	}
	c, err := scanConversation(q.QueryRow(ctx, `SELECT `+cols+conversationFrom+`WHERE c.uid = $1 AND c.id = $2 `+lock, uid, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("Conversation")
	}
	return c, err
}

func (db *DB) ListConversations(ctx context.Context, f omi.ConversationFilter) ([]*omi.Conversation, error) {
	w := where{}
	w.add("c.uid = ?", f.UID)
	w.add("NOT c.discarded")
	w.add("c.status = 'completed'")
	if f.Start != nil {
		w.add("c.created_at >= ?", *f.Start)
	}
	if f.End != nil {
		w.add("c.created_at <= ?", *f.End)
	}
	if len(f.Categories) > 0 {
		w.add("c.category = ANY(?)", f.Categories)
	}
	if f.FolderID != nil {
		w.add("c.folder_id = ?", *f.FolderID)
	}
	if f.Starred != nil {
		w.add("c.starred = ?", *f.Starred)
	}
	if cur, ok := f.Page.After.(*omi.ConversationCursor); ok && cur != nil {
		w.add("(c.created_at, c.id) < (?, ?)", fromMicros(cur.CreatedAt), cur.ID)
	}
	cols := conversationColumns + ", NULL::jsonb"
	if f.IncludeTranscript {
		cols = conversationColumns + ", c.transcript_segments"
	}
	query := `SELECT ` + cols + conversationFrom + `WHERE ` + w.sql() + `
		ORDER BY c.created_at DESC, c.id DESC ` + w.page(f.Page)
	var out []*omi.Conversation
	err := db.read(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.Query(ctx, query, w.args...)
		if err != nil {
			return fmt.Errorf("postgres: list conversations: %w", err)
		}
		if out, err = collect(rows, scanConversation); err != nil {
			return fmt.Errorf("postgres: list conversations: %w", err)
		}
		return nil
	})
	return out, err
}

func (db *DB) UpdateConversation(ctx context.Context, uid, id string, fn func(*omi.Conversation) error) (*omi.Conversation, error) {
	var c *omi.Conversation
	err := db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		if c, err = getConversation(ctx, tx, uid, id, true, "FOR UPDATE OF c"); err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		structured, err := json.Marshal(c.Structured)
		if err != nil {
			return fmt.Errorf("postgres: encode structured: %w", err)
		}
		_, err = tx.Exec(ctx, `UPDATE conversations SET title = $1, structured = $2, discarded = $3, starred = $4, folder_id = $5
			WHERE uid = $6 AND id = $7`, c.Structured.Title, string(structured), c.Discarded, c.Starred, c.FolderID, uid, id)
		if err != nil {
			return fmt.Errorf("postgres: update conversation: %w", err)
		}
		// After the update, whose trigger drops the vector of a changed title.
		if err := putVector(ctx, tx, uid, omi.KindConversation, id, c.Embedding); err != nil {
			return err
		}
		// Re-read for the folder name, which a move changes.
		c, err = getConversation(ctx, tx, uid, id, true, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (db *DB) DeleteConversation(ctx context.Context, uid, id string) error {
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM conversations WHERE uid = $1 AND id = $2`, uid, id)
		if err != nil {
			return fmt.Errorf("postgres: delete conversation: %w", err)
		}
		return mustAffect(tag, "Conversation")
	})
}

func scanConversation(row pgx.Row) (*omi.Conversation, error) {
	var (
		c                                   omi.Conversation
		structured, geo, external, segments []byte
	)
	err := row.Scan(&c.UID, &c.ID, &c.CreatedAt, &c.StartedAt, &c.FinishedAt, &c.Source, &c.Language, &c.Status, &c.Discarded,
		&c.Starred, &c.FolderID, &c.FolderName, &structured, &geo, &external, &c.ClientSessionID, &segments)
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("postgres: scan conversation: %w", err)
	}
	if err := json.Unmarshal(structured, &c.Structured); err != nil {
		return nil, fmt.Errorf("postgres: decode structured of %s: %w", c.ID, err)
	}
	if geo != nil {
		c.Geolocation = &omi.Geolocation{}
		if err := json.Unmarshal(geo, c.Geolocation); err != nil {
			return nil, fmt.Errorf("postgres: decode geolocation of %s: %w", c.ID, err)
		}
	}
	if external != nil {
		c.ExternalData = json.RawMessage(external)
	}
	if segments != nil {
		if c.TranscriptSegments, err = omi.DecodeTranscript(segments); err != nil {
			return nil, fmt.Errorf("postgres: decode transcript of %s: %w", c.ID, err)
		}
	}
	return &c, nil
}

// nullJSON encodes v, or NULL for a nil v.
func nullJSON(v any) (*string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("postgres: encode: %w", err)
	}
	if string(b) == "null" {
		return nil, nil
	}
	s := string(b)
	return &s, nil
}
