-- +goose Up

-- The full-text indexes restricted a query to its user with the uid as an
-- FTS5 phrase ("bench-user-0000" is three tokens), so every search walked a
-- phrase over all of the user's postings and bm25() scored it too. Both
-- indexes now hold the user as one token, its user key: 'u', the uid's
-- bytes in hex, 'x'. Hex keeps two uids from sharing a key; the letters
-- around it keep the tokenizer from reading it as a number or stemming it
-- (the Porter rules never change a word ending in x). The store still
-- compares the row's uid exactly.
--
-- memories_fts was external content over memories, which has no column to
-- hold the key, so it becomes contentless with contentless_delete, like
-- conversations_fts: rows leave it by rowid alone. Its fts5vocab table lets
-- the store list the terms that start with a prefix (see sqlite/lexical.go).

DROP TRIGGER memories_search_insert;
DROP TRIGGER memories_search_delete;
DROP TRIGGER memories_search_update;
DROP TABLE memories_fts;

CREATE VIRTUAL TABLE memories_fts USING fts5(
    ukey, content,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE VIRTUAL TABLE memories_fts_terms USING fts5vocab(memories_fts, instance);

-- +goose StatementBegin
CREATE TRIGGER memories_search_insert AFTER INSERT ON memories BEGIN
    INSERT INTO memories_fts (rowid, ukey, content) VALUES (new.rowid, 'u' || hex(new.uid) || 'x', new.content);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER memories_search_delete AFTER DELETE ON memories BEGIN
    DELETE FROM memories_fts WHERE rowid = old.rowid;
    DELETE FROM vectors WHERE uid = old.uid AND kind = 'memory' AND id = old.id;
END;
-- +goose StatementEnd

-- Only a changed text re-indexes and drops the now stale vector; the store
-- writes the new vector, when it has one, after the update.
-- +goose StatementBegin
CREATE TRIGGER memories_search_update AFTER UPDATE OF uid, id, content ON memories
WHEN old.uid IS NOT new.uid OR old.id IS NOT new.id OR old.content IS NOT new.content BEGIN
    DELETE FROM memories_fts WHERE rowid = old.rowid;
    INSERT INTO memories_fts (rowid, ukey, content) VALUES (new.rowid, 'u' || hex(new.uid) || 'x', new.content);
    DELETE FROM vectors WHERE uid = old.uid AND kind = 'memory' AND id = old.id;
END;
-- +goose StatementEnd

-- Rows written before this migration, then merged into one segment: a
-- query reads every segment's posting list of each of its terms.
INSERT INTO memories_fts (rowid, ukey, content) SELECT rowid, 'u' || hex(uid) || 'x', content FROM memories;
INSERT INTO memories_fts (memories_fts) VALUES ('optimize');

DROP TRIGGER conversations_search_insert;
DROP TRIGGER conversations_search_delete;
DROP TRIGGER conversations_search_update;
DROP TABLE conversations_fts;
DROP VIEW conversations_text;

CREATE VIEW conversations_text AS
SELECT rowid AS rid, 'u' || hex(uid) || 'x' AS ukey, title, overview,
       coalesce(json_extract(external_data, '$.text'), '') || ' ' ||
       coalesce((SELECT group_concat(json_extract(s.value, '$.text'), ' ') FROM json_each(transcript_segments) s), '') AS transcript
FROM conversations;

CREATE VIRTUAL TABLE conversations_fts USING fts5(
    ukey, title, overview, transcript,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- +goose StatementBegin
CREATE TRIGGER conversations_search_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO conversations_fts (rowid, ukey, title, overview, transcript)
    SELECT rid, ukey, title, overview, transcript FROM conversations_text WHERE rid = new.rowid;
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
    INSERT INTO conversations_fts (rowid, ukey, title, overview, transcript)
    SELECT rid, ukey, title, overview, transcript FROM conversations_text WHERE rid = new.rowid;
    DELETE FROM vectors WHERE uid = old.uid AND kind = 'conversation' AND id = old.id;
END;
-- +goose StatementEnd

INSERT INTO conversations_fts (rowid, ukey, title, overview, transcript)
SELECT rid, ukey, title, overview, transcript FROM conversations_text;
INSERT INTO conversations_fts (conversations_fts) VALUES ('optimize');

-- +goose Down
DROP TRIGGER conversations_search_update;
DROP TRIGGER conversations_search_delete;
DROP TRIGGER conversations_search_insert;
DROP TABLE conversations_fts;
DROP VIEW conversations_text;
DROP TRIGGER memories_search_update;
DROP TRIGGER memories_search_delete;
DROP TRIGGER memories_search_insert;
DROP TABLE memories_fts_terms;
DROP TABLE memories_fts;

CREATE VIRTUAL TABLE memories_fts USING fts5(
    uid, content,
    content = 'memories',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

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

INSERT INTO memories_fts (memories_fts) VALUES ('rebuild');
INSERT INTO conversations_fts (rowid, uid, title, overview, transcript) SELECT rid, uid, title, overview, transcript FROM conversations_text;
