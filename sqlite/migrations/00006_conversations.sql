-- +goose Up
CREATE TABLE conversations (
    uid                 TEXT NOT NULL,
    id                  TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    started_at          INTEGER,
    finished_at         INTEGER,
    source              TEXT,
    language            TEXT,
    status              TEXT NOT NULL DEFAULT 'completed',
    discarded           INTEGER NOT NULL DEFAULT 0,
    starred             INTEGER NOT NULL DEFAULT 0,
    folder_id           TEXT,
    title               TEXT NOT NULL DEFAULT '',
    overview            TEXT NOT NULL DEFAULT '',
    emoji               TEXT NOT NULL DEFAULT '🧠',
    category            TEXT NOT NULL DEFAULT 'other',
    structured          TEXT NOT NULL DEFAULT '{}', -- JSON: action_items, events
    transcript_segments TEXT NOT NULL DEFAULT '[]', -- JSON
    geolocation         TEXT,                       -- JSON
    external_data       TEXT,                       -- JSON
    client_session_id   TEXT,
    PRIMARY KEY (uid, id)
) STRICT;
CREATE INDEX conversations_list ON conversations (uid, created_at DESC, id DESC);
CREATE INDEX conversations_folder ON conversations (uid, folder_id, discarded);
CREATE UNIQUE INDEX conversations_session ON conversations (uid, client_session_id) WHERE client_session_id IS NOT NULL;

-- +goose Down
DROP TABLE conversations;
