-- +goose Up
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    uid          TEXT NOT NULL,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    scopes       TEXT NOT NULL, -- JSON array, canonical order
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    expires_at   INTEGER,
    revoked_at   INTEGER
) STRICT;
CREATE INDEX api_keys_uid_created ON api_keys (uid, created_at DESC, id DESC);

-- +goose Down
DROP TABLE api_keys;
