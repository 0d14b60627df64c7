-- +goose Up
CREATE TABLE action_items (
    uid             TEXT NOT NULL,
    id              TEXT NOT NULL,
    description     TEXT NOT NULL,
    completed       INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    due_at          INTEGER,
    completed_at    INTEGER,
    conversation_id TEXT,
    -- List order is due_at ascending with undated items last, then created_at
    -- and id descending. Negating due_at (undated: the smallest integer) makes
    -- every part of that key descend, so a cursor is one row-value comparison
    -- that this index serves.
    due_rank        INTEGER NOT NULL GENERATED ALWAYS AS (
                        CASE WHEN due_at IS NULL THEN -9223372036854775807 ELSE -due_at END) VIRTUAL,
    PRIMARY KEY (uid, id)
) STRICT;
CREATE INDEX action_items_list ON action_items (uid, due_rank DESC, created_at DESC, id DESC);
CREATE INDEX action_items_conversation ON action_items (uid, conversation_id, due_rank DESC, created_at DESC, id DESC);

-- +goose Down
DROP TABLE action_items;
