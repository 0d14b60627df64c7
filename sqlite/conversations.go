package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

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
		return nil, false, fmt.Errorf("sqlite: encode structured: %w", err)
	}
	segments, err := omi.EncodeTranscript(c.TranscriptSegments)
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: encode transcript: %w", err)
	}
	geo, err := nullJSON(c.Geolocation)
	if err != nil {
		return nil, false, err
	}
	var existing *omi.Conversation
	err = db.tx(ctx, func(tx *sql.Tx) error {
		// The single writer serialises this check with the insert, so two
		// retries racing with one session id cannot both create.
		if c.ClientSessionID != nil {
			var id string
			err := tx.QueryRowContext(ctx, `SELECT id FROM conversations WHERE uid = ? AND client_session_id = ?`, c.UID, *c.ClientSessionID).Scan(&id)
			if err == nil {
				existing, err = getConversation(ctx, tx, c.UID, id, false)
				return err
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("sqlite: find session: %w", err)
			}
		}
		var external any
		if len(c.ExternalData) > 0 {
			external = string(c.ExternalData)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO conversations (uid, id, created_at, started_at, finished_at, source, language,
			status, discarded, starred, folder_id, title, overview, emoji, category, structured, transcript_segments,
			geolocation, external_data, client_session_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			c.UID, c.ID, micros(c.CreatedAt), nullMicros(c.StartedAt), nullMicros(c.FinishedAt), c.Source, c.Language,
			c.Status, c.Discarded, c.Starred, c.FolderID, c.Structured.Title, c.Structured.Overview, c.Structured.Emoji,
			c.Structured.Category, string(structured), string(segments), geo, external, c.ClientSessionID)
		if err != nil {
			return fmt.Errorf("sqlite: insert conversation: %w", err)
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
	var id string
	err := db.r.QueryRowContext(ctx, `SELECT id FROM conversations WHERE uid = ? AND client_session_id = ?`, uid, sessionID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Conversation")
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find session: %w", err)
	}
	return getConversation(ctx, db.r, uid, id, false)
}

func (db *DB) GetConversation(ctx context.Context, uid, id string, transcript bool) (*omi.Conversation, error) {
	return getConversation(ctx, db.r, uid, id, transcript)
}

func getConversation(ctx context.Context, q querier, uid, id string, transcript bool) (*omi.Conversation, error) {
	cols := conversationColumns + ", NULL"
	if transcript {
		cols = conversationColumns + ", c.transcript_segments"
	}
	c, err := scanConversation(q.QueryRowContext(ctx, `SELECT `+cols+conversationFrom+`WHERE c.uid = ? AND c.id = ?`, uid, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Conversation")
	}
	return c, err
}

func (db *DB) ListConversations(ctx context.Context, f omi.ConversationFilter) ([]*omi.Conversation, error) {
	where := []string{"c.uid = ?", "c.discarded = 0", "c.status = 'completed'"}
	args := []any{f.UID}
	if f.Start != nil {
		where, args = append(where, "c.created_at >= ?"), append(args, micros(*f.Start))
	}
	if f.End != nil {
		where, args = append(where, "c.created_at <= ?"), append(args, micros(*f.End))
	}
	if len(f.Categories) > 0 {
		where = append(where, "c.category IN ("+placeholders(len(f.Categories))+")")
		for _, cat := range f.Categories {
			args = append(args, cat)
		}
	}
	if f.FolderID != nil {
		where, args = append(where, "c.folder_id = ?"), append(args, *f.FolderID)
	}
	if f.Starred != nil {
		where, args = append(where, "c.starred = ?"), append(args, *f.Starred)
	}
	if cur, ok := f.Page.After.(*omi.ConversationCursor); ok && cur != nil {
		where, args = append(where, "(c.created_at, c.id) < (?, ?)"), append(args, cur.CreatedAt, cur.ID)
	}
	cols := conversationColumns + ", NULL"
	if f.IncludeTranscript {
		cols = conversationColumns + ", c.transcript_segments"
	}
	args = append(args, f.Page.Limit, f.Page.Offset)
	rows, err := db.r.QueryContext(ctx, `SELECT `+cols+conversationFrom+`WHERE `+strings.Join(where, " AND ")+`
		ORDER BY c.created_at DESC, c.id DESC LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list conversations: %w", err)
	}
	return collect(rows, scanConversation, "list conversations")
}

func (db *DB) UpdateConversation(ctx context.Context, uid, id string, fn func(*omi.Conversation) error) (*omi.Conversation, error) {
	var c *omi.Conversation
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if c, err = getConversation(ctx, tx, uid, id, true); err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		structured, err := json.Marshal(c.Structured)
		if err != nil {
			return fmt.Errorf("sqlite: encode structured: %w", err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE conversations SET title = ?, structured = ?, discarded = ?, starred = ?, folder_id = ?
			WHERE uid = ? AND id = ?`, c.Structured.Title, string(structured), c.Discarded, c.Starred, c.FolderID, uid, id)
		if err != nil {
			return fmt.Errorf("sqlite: update conversation: %w", err)
		}
		// After the update, whose trigger drops the vector of a changed title.
		if err := putVector(ctx, tx, uid, omi.KindConversation, id, c.Embedding); err != nil {
			return err
		}
		// Re-read for the folder name, which a move changes.
		c, err = getConversation(ctx, tx, uid, id, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (db *DB) DeleteConversation(ctx context.Context, uid, id string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM conversations WHERE uid = ? AND id = ?`, uid, id)
		if err != nil {
			return fmt.Errorf("sqlite: delete conversation: %w", err)
		}
		return mustAffect(res, "Conversation")
	})
}

func scanConversation(s scanner) (*omi.Conversation, error) {
	var (
		c                       omi.Conversation
		created                 int64
		started, finished       sql.NullInt64
		structured              string
		geo, external, segments sql.NullString
	)
	err := s.Scan(&c.UID, &c.ID, &created, &started, &finished, &c.Source, &c.Language, &c.Status, &c.Discarded,
		&c.Starred, &c.FolderID, &c.FolderName, &structured, &geo, &external, &c.ClientSessionID, &segments)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("sqlite: scan conversation: %w", err)
	}
	c.CreatedAt = fromMicros(created)
	c.StartedAt, c.FinishedAt = fromNullMicros(started), fromNullMicros(finished)
	if err := json.Unmarshal([]byte(structured), &c.Structured); err != nil {
		return nil, fmt.Errorf("sqlite: decode structured of %s: %w", c.ID, err)
	}
	if geo.Valid {
		c.Geolocation = &omi.Geolocation{}
		if err := json.Unmarshal([]byte(geo.String), c.Geolocation); err != nil {
			return nil, fmt.Errorf("sqlite: decode geolocation of %s: %w", c.ID, err)
		}
	}
	if external.Valid {
		c.ExternalData = json.RawMessage(external.String)
	}
	if segments.Valid {
		if c.TranscriptSegments, err = omi.DecodeTranscript([]byte(segments.String)); err != nil {
			return nil, fmt.Errorf("sqlite: decode transcript of %s: %w", c.ID, err)
		}
	}
	return &c, nil
}

func nullJSON(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("sqlite: encode: %w", err)
	}
	if string(b) == "null" {
		return nil, nil
	}
	return string(b), nil
}
