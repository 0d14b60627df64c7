-- +goose Up
CREATE TABLE action_items (
    uid             text COLLATE "C" NOT NULL,
    id              text COLLATE "C" NOT NULL,
    description     text NOT NULL,
    completed       boolean NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    due_at          timestamptz,
    completed_at    timestamptz,
    conversation_id text COLLATE "C",
    PRIMARY KEY (uid, id)
);
-- List order: due_at ascending with undated items last, then created_at and
-- id descending (SQLite negates due_at into one descending key; PostgreSQL
-- indexes mixed directions directly).
CREATE INDEX action_items_list ON action_items (uid, due_at ASC NULLS LAST, created_at DESC, id DESC);
CREATE INDEX action_items_conversation ON action_items (uid, conversation_id, due_at ASC NULLS LAST, created_at DESC, id DESC);

-- +goose Down
DROP TABLE action_items;
