-- +goose Up
CREATE TABLE folders (
    uid              TEXT NOT NULL,
    id               TEXT NOT NULL,
    name             TEXT NOT NULL,
    description      TEXT,
    color            TEXT NOT NULL,
    icon             TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    "order"          INTEGER NOT NULL,
    is_default       INTEGER NOT NULL,
    is_system        INTEGER NOT NULL,
    category_mapping TEXT,
    PRIMARY KEY (uid, id)
) STRICT;
CREATE INDEX folders_list ON folders (uid, "order", id);
-- A user has each system folder once, however many first requests race.
CREATE UNIQUE INDEX folders_system ON folders (uid, category_mapping) WHERE is_system = 1;

-- +goose Down
DROP TABLE folders;
