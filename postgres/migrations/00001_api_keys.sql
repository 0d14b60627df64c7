-- +goose Up
-- Text that is compared or sorted is COLLATE "C" throughout: byte order, as
-- SQLite's BINARY, so both stores list in the same order whatever the
-- database's locale.
CREATE TABLE api_keys (
    id           text COLLATE "C" PRIMARY KEY,
    uid          text COLLATE "C" NOT NULL,
    name         text NOT NULL,
    prefix       text NOT NULL,
    hash         text COLLATE "C" NOT NULL UNIQUE,
    scopes       text[] NOT NULL, -- canonical order
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    expires_at   timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_uid_created ON api_keys (uid, created_at DESC, id DESC);

-- +goose Down
DROP TABLE api_keys;
