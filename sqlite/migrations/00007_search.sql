-- +goose Up

-- Vectors for search, one per row and kind, written in the row's
-- transaction. A rowid table, not WITHOUT ROWID: a 1-2 KB vector fits in a
-- table leaf but would spill to overflow pages in an index b-tree.
CREATE TABLE vectors (
    uid   TEXT NOT NULL,
    kind  TEXT NOT NULL, -- 'memory' or 'conversation'
    id    TEXT NOT NULL,
    model TEXT NOT NULL,
    dim   INTEGER NOT NULL,
    vec   BLOB NOT NULL, -- dim float32s, little-endian, L2-normalised
    PRIMARY KEY (uid, kind, id)
) STRICT;

-- A counter per user and kind, bumped by every change to their vectors,
-- whichever connection or process makes it, and a log of which row each
-- change was to: a cache of decoded vectors is current while its counter
-- is, and catches up by reading only the rows logged since. The counter
-- starts at a random value, so a cache of a replaced database file cannot
-- pass for current; the log keeps the last 4096 changes (vectorLogKeep).
CREATE TABLE vector_versions (
    uid     TEXT NOT NULL,
    kind    TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (uid, kind)
) STRICT, WITHOUT ROWID;

CREATE TABLE vector_log (
    uid  TEXT NOT NULL,
    kind TEXT NOT NULL,
    seq  INTEGER NOT NULL, -- the version the change made
    id   TEXT NOT NULL,
    PRIMARY KEY (uid, kind, seq)
) STRICT, WITHOUT ROWID;

-- +goose StatementBegin
CREATE TRIGGER vectors_log_insert AFTER INSERT ON vectors BEGIN
    INSERT INTO vector_versions (uid, kind, version) VALUES (new.uid, new.kind, random() >> 1)
    ON CONFLICT (uid, kind) DO UPDATE SET version = version + 1;
    INSERT INTO vector_log (uid, kind, seq, id)
    SELECT uid, kind, version, new.id FROM vector_versions WHERE uid = new.uid AND kind = new.kind;
    DELETE FROM vector_log WHERE uid = new.uid AND kind = new.kind
        AND seq <= (SELECT version FROM vector_versions WHERE uid = new.uid AND kind = new.kind) - 4096;
END;
-- +goose StatementEnd

-- uid and kind never change: the store updates vectors in place only.
-- +goose StatementBegin
CREATE TRIGGER vectors_log_update AFTER UPDATE ON vectors BEGIN
    UPDATE vector_versions SET version = version + 1 WHERE uid = new.uid AND kind = new.kind;
    INSERT INTO vector_log (uid, kind, seq, id)
    SELECT uid, kind, version, new.id FROM vector_versions WHERE uid = new.uid AND kind = new.kind;
    DELETE FROM vector_log WHERE uid = new.uid AND kind = new.kind
        AND seq <= (SELECT version FROM vector_versions WHERE uid = new.uid AND kind = new.kind) - 4096;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER vectors_log_delete AFTER DELETE ON vectors BEGIN
    UPDATE vector_versions SET version = version + 1 WHERE uid = old.uid AND kind = old.kind;
    INSERT INTO vector_log (uid, kind, seq, id)
    SELECT uid, kind, version, old.id FROM vector_versions WHERE uid = old.uid AND kind = old.kind;
    DELETE FROM vector_log WHERE uid = old.uid AND kind = old.kind
        AND seq <= (SELECT version FROM vector_versions WHERE uid = old.uid AND kind = old.kind) - 4096;
END;
-- +goose StatementEnd

-- The few rows rankings must skip, found without reading the rest.
CREATE INDEX memories_rejected ON memories (uid, id) WHERE user_review = 0;
CREATE INDEX conversations_unlisted ON conversations (uid, id) WHERE discarded = 1 OR status <> 'completed';

-- Lexical indexes, kept in step by the triggers below: FTS5 over memories
-- as external content, over conversations contentless (see below). uid is
-- indexed too, so a user's query reads only that user's postings; the
-- store still checks uid exactly on the row. Both are keyed by rowid:
-- VACUUM may renumber rowids of these tables, so run `omi-devapi reindex`
-- after one.
CREATE VIRTUAL TABLE memories_fts USING fts5(
    uid, content,
    content = 'memories',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- A conversation's words live in JSON (text conversations in
-- external_data.text, the others in transcript_segments); this view puts
-- them in one column. The index over it is contentless (FTS5 cannot use the
-- view as external content: it reads it schema-qualified, and json_each then
-- resolves as main.json_each and fails), with contentless_delete so rows
-- leave the index by rowid alone.
CREATE VIEW conversations_text AS
SELECT rowid AS rid, uid, title, overview,
       coalesce(json_extract(external_data, '$.text'), '') || ' ' ||
       coalesce((SELECT group_concat(json_extract(s.value, '$.text'), ' ') FROM json_each(transcript_segments) s), '') AS transcript
FROM conversations;

CREATE VIRTUAL TABLE conversations_fts USING fts5(
    uid, title, overview, transcript,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- +goose StatementBegin
CREATE TRIGGER memories_search_insert AFTER INSERT ON memories BEGIN
    INSERT INTO memories_fts (rowid, uid, content) VALUES (new.rowid, new.uid, new.content);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER memories_search_delete AFTER DELETE ON memories BEGIN
    INSERT INTO memories_fts (memories_fts, rowid, uid, content) VALUES ('delete', old.rowid, old.uid, old.content);
    DELETE FROM vectors WHERE uid = old.uid AND kind = 'memory' AND id = old.id;
END;
-- +goose StatementEnd

-- Only a changed text re-indexes and drops the now stale vector; the store
-- writes the new vector, when it has one, after the update.
-- +goose StatementBegin
CREATE TRIGGER memories_search_update AFTER UPDATE OF uid, id, content ON memories
WHEN old.uid IS NOT new.uid OR old.id IS NOT new.id OR old.content IS NOT new.content BEGIN
    INSERT INTO memories_fts (memories_fts, rowid, uid, content) VALUES ('delete', old.rowid, old.uid, old.content);
    INSERT INTO memories_fts (rowid, uid, content) VALUES (new.rowid, new.uid, new.content);
    DELETE FROM vectors WHERE uid = old.uid AND kind = 'memory' AND id = old.id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER conversations_search_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO conversations_fts (rowid, uid, title, overview, transcript)
    SELECT rid, uid, title, overview, transcript FROM conversations_text WHERE rid = new.rowid;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER conversations_search_delete AFTER DELETE ON conversations BEGIN
    DELETE FROM conversations_fts WHERE rowid = old.rowid;
    DELETE FROM vectors WHERE uid = old.uid AND kind = 'conversation' AND id = old.id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER conversations_search_update AFTER UPDATE OF uid, id, title, overview, external_data, transcript_segments ON conversations
WHEN old.uid IS NOT new.uid OR old.id IS NOT new.id OR old.title IS NOT new.title OR old.overview IS NOT new.overview
    OR old.external_data IS NOT new.external_data OR old.transcript_segments IS NOT new.transcript_segments BEGIN
    DELETE FROM conversations_fts WHERE rowid = old.rowid;
    INSERT INTO conversations_fts (rowid, uid, title, overview, transcript)
    SELECT rid, uid, title, overview, transcript FROM conversations_text WHERE rid = new.rowid;
    DELETE FROM vectors WHERE uid = old.uid AND kind = 'conversation' AND id = old.id;
END;
-- +goose StatementEnd

-- Rows written before this migration.
INSERT INTO memories_fts (memories_fts) VALUES ('rebuild');
INSERT INTO conversations_fts (rowid, uid, title, overview, transcript) SELECT rid, uid, title, overview, transcript FROM conversations_text;

-- +goose Down
DROP TRIGGER conversations_search_update;
DROP TRIGGER conversations_search_delete;
DROP TRIGGER conversations_search_insert;
DROP TRIGGER memories_search_update;
DROP TRIGGER memories_search_delete;
DROP TRIGGER memories_search_insert;
DROP TABLE conversations_fts;
DROP VIEW conversations_text;
DROP TABLE memories_fts;
DROP INDEX conversations_unlisted;
DROP INDEX memories_rejected;
DROP TRIGGER vectors_log_delete;
DROP TRIGGER vectors_log_update;
DROP TRIGGER vectors_log_insert;
DROP TABLE vector_log;
DROP TABLE vector_versions;
DROP TABLE vectors;
