-- +goose Up
CREATE TABLE conversations (
    uid                 text COLLATE "C" NOT NULL,
    id                  text COLLATE "C" NOT NULL,
    created_at          timestamptz NOT NULL,
    started_at          timestamptz,
    finished_at         timestamptz,
    source              text,
    language            text,
    status              text COLLATE "C" NOT NULL DEFAULT 'completed',
    discarded           boolean NOT NULL DEFAULT false,
    starred             boolean NOT NULL DEFAULT false,
    folder_id           text COLLATE "C",
    title               text NOT NULL DEFAULT '',
    overview            text NOT NULL DEFAULT '',
    emoji               text NOT NULL DEFAULT '🧠',
    category            text COLLATE "C" NOT NULL DEFAULT 'other',
    structured          jsonb NOT NULL DEFAULT '{}', -- action_items, events
    transcript_segments jsonb NOT NULL DEFAULT '[]',
    geolocation         jsonb,
    -- json, not jsonb: kept byte for byte as the client sent it.
    external_data       json,
    client_session_id   text COLLATE "C",
    PRIMARY KEY (uid, id)
);
CREATE INDEX conversations_list ON conversations (uid, created_at DESC, id DESC);
CREATE INDEX conversations_folder ON conversations (uid, folder_id, discarded);
CREATE UNIQUE INDEX conversations_session ON conversations (uid, client_session_id) WHERE client_session_id IS NOT NULL;

-- +goose Down
DROP TABLE conversations;
