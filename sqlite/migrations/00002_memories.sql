-- +goose Up
CREATE TABLE memories (
    uid             TEXT NOT NULL,
    id              TEXT NOT NULL,
    content         TEXT NOT NULL,
    category        TEXT NOT NULL,
    visibility      TEXT NOT NULL,
    tags            TEXT NOT NULL, -- JSON array
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    manually_added  INTEGER NOT NULL,
    scoring         TEXT NOT NULL,
    reviewed        INTEGER NOT NULL,
    user_review     INTEGER, -- NULL: not reviewed; 0: rejected (hidden from lists); 1: approved
    edited          INTEGER NOT NULL,
    conversation_id TEXT,
    PRIMARY KEY (uid, id)
) STRICT;
-- List order, and the same per category for filtered lists.
CREATE INDEX memories_list ON memories (uid, scoring DESC, created_at DESC, id DESC);
CREATE INDEX memories_category ON memories (uid, category, scoring DESC, created_at DESC, id DESC);

-- +goose Down
DROP TABLE memories;
