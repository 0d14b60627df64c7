-- +goose Up

-- Vectors for search, one per row and kind, written in the row's
-- transaction; dim float32s, little-endian, L2-normalised, the SQLite
-- store's encoding, so `omi-devapi copy` moves them as they are.
CREATE TABLE vectors (
    uid   text COLLATE "C" NOT NULL,
    kind  text COLLATE "C" NOT NULL, -- 'memory' or 'conversation'
    id    text COLLATE "C" NOT NULL,
    model text NOT NULL,
    dim   integer NOT NULL,
    vec   bytea NOT NULL,
    PRIMARY KEY (uid, kind, id)
);

-- Lexical indexes: generated tsvector columns, so no write path can leave
-- them behind. The english configuration stems like SQLite's porter
-- tokenizer ("running" finds "runs"). A conversation's title weighs most,
-- then its overview, then its words (submitted text or segments).
ALTER TABLE memories ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('english'::regconfig, content)) STORED;
CREATE INDEX memories_search ON memories USING gin (search);

ALTER TABLE conversations ADD COLUMN search tsvector
    GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, title), 'A') ||
        setweight(to_tsvector('english'::regconfig, overview), 'B') ||
        setweight(to_tsvector('english'::regconfig, coalesce(external_data ->> 'text', '')) ||
                  to_tsvector('english'::regconfig, jsonb_path_query_array(transcript_segments, '$[*].text')), 'C')
    ) STORED;
CREATE INDEX conversations_search ON conversations USING gin (search);

-- The few rows rankings must skip, found without reading the rest.
CREATE INDEX memories_rejected ON memories (uid, id) WHERE user_review = false;
CREATE INDEX conversations_unlisted ON conversations (uid, id) WHERE discarded OR status <> 'completed';

-- A row's vector goes with the row, and with its text: the store writes
-- the new vector, when it has one, after the update.
-- +goose StatementBegin
CREATE FUNCTION memories_drop_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM vectors WHERE uid = old.uid AND kind = 'memory' AND id = old.id;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER memories_vector_delete AFTER DELETE ON memories
    FOR EACH ROW EXECUTE FUNCTION memories_drop_vector();
CREATE TRIGGER memories_vector_update AFTER UPDATE OF content ON memories
    FOR EACH ROW WHEN (old.content IS DISTINCT FROM new.content) EXECUTE FUNCTION memories_drop_vector();

-- +goose StatementBegin
CREATE FUNCTION conversations_drop_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM vectors WHERE uid = old.uid AND kind = 'conversation' AND id = old.id;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER conversations_vector_delete AFTER DELETE ON conversations
    FOR EACH ROW EXECUTE FUNCTION conversations_drop_vector();
-- json has no equality: external_data is compared as text.
CREATE TRIGGER conversations_vector_update AFTER UPDATE ON conversations
    FOR EACH ROW WHEN (old.title IS DISTINCT FROM new.title OR old.overview IS DISTINCT FROM new.overview
        OR old.transcript_segments IS DISTINCT FROM new.transcript_segments
        OR old.external_data::text IS DISTINCT FROM new.external_data::text)
    EXECUTE FUNCTION conversations_drop_vector();

-- +goose Down
DROP TRIGGER conversations_vector_update ON conversations;
DROP TRIGGER conversations_vector_delete ON conversations;
DROP FUNCTION conversations_drop_vector();
DROP TRIGGER memories_vector_update ON memories;
DROP TRIGGER memories_vector_delete ON memories;
DROP FUNCTION memories_drop_vector();
DROP INDEX conversations_unlisted;
DROP INDEX memories_rejected;
DROP INDEX conversations_search;
ALTER TABLE conversations DROP COLUMN search;
DROP INDEX memories_search;
ALTER TABLE memories DROP COLUMN search;
DROP TABLE vectors;
