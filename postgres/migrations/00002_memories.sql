-- +goose Up
CREATE TABLE memories (
    uid             text COLLATE "C" NOT NULL,
    id              text COLLATE "C" NOT NULL,
    content         text NOT NULL,
    category        text COLLATE "C" NOT NULL,
    visibility      text NOT NULL,
    tags            text[] NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    manually_added  boolean NOT NULL,
    scoring         text COLLATE "C" NOT NULL,
    reviewed        boolean NOT NULL,
    user_review     boolean, -- NULL: not reviewed; false: rejected (hidden from lists); true: approved
    edited          boolean NOT NULL,
    conversation_id text COLLATE "C",
    PRIMARY KEY (uid, id)
);
-- List order, and the same per category for filtered lists.
CREATE INDEX memories_list ON memories (uid, scoring DESC, created_at DESC, id DESC);
CREATE INDEX memories_category ON memories (uid, category, scoring DESC, created_at DESC, id DESC);

-- +goose Down
DROP TABLE memories;
