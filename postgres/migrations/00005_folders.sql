-- +goose Up
CREATE TABLE folders (
    uid              text COLLATE "C" NOT NULL,
    id               text COLLATE "C" NOT NULL,
    name             text NOT NULL,
    description      text,
    color            text NOT NULL,
    icon             text NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    "order"          bigint NOT NULL,
    is_default       boolean NOT NULL,
    is_system        boolean NOT NULL,
    category_mapping text COLLATE "C",
    PRIMARY KEY (uid, id)
);
CREATE INDEX folders_list ON folders (uid, "order", id);
-- A user has each system folder once, however many first requests race.
CREATE UNIQUE INDEX folders_system ON folders (uid, category_mapping) WHERE is_system;

-- +goose Down
DROP TABLE folders;
