-- +goose Up

-- The vector cache keeps, per user, binary codes keyed by the vectors
-- table's rowid (no ids: sqlite/vectors.go). To bring a cache up to date it
-- must know which of its entries a change touched: the log now records the
-- row's rowid with its id. An update keeps the rowid (the store updates in
-- place); a delete logs the rowid the row had. Log rows written before this
-- migration have no rowid: a cache that would need one reloads instead.
ALTER TABLE vector_log ADD COLUMN rid INTEGER;

DROP TRIGGER vectors_log_insert;
DROP TRIGGER vectors_log_update;
DROP TRIGGER vectors_log_delete;

-- +goose StatementBegin
CREATE TRIGGER vectors_log_insert AFTER INSERT ON vectors BEGIN
    INSERT INTO vector_versions (uid, kind, version) VALUES (new.uid, new.kind, random() >> 1)
    ON CONFLICT (uid, kind) DO UPDATE SET version = version + 1;
    INSERT INTO vector_log (uid, kind, seq, id, rid)
    SELECT uid, kind, version, new.id, new.rowid FROM vector_versions WHERE uid = new.uid AND kind = new.kind;
    DELETE FROM vector_log WHERE uid = new.uid AND kind = new.kind
        AND seq <= (SELECT version FROM vector_versions WHERE uid = new.uid AND kind = new.kind) - 4096;
END;
-- +goose StatementEnd

-- uid, kind and rowid never change: the store updates vectors in place only.
-- +goose StatementBegin
CREATE TRIGGER vectors_log_update AFTER UPDATE ON vectors BEGIN
    UPDATE vector_versions SET version = version + 1 WHERE uid = new.uid AND kind = new.kind;
    INSERT INTO vector_log (uid, kind, seq, id, rid)
    SELECT uid, kind, version, new.id, new.rowid FROM vector_versions WHERE uid = new.uid AND kind = new.kind;
    DELETE FROM vector_log WHERE uid = new.uid AND kind = new.kind
        AND seq <= (SELECT version FROM vector_versions WHERE uid = new.uid AND kind = new.kind) - 4096;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER vectors_log_delete AFTER DELETE ON vectors BEGIN
    UPDATE vector_versions SET version = version + 1 WHERE uid = old.uid AND kind = old.kind;
    INSERT INTO vector_log (uid, kind, seq, id, rid)
    SELECT uid, kind, version, old.id, old.rowid FROM vector_versions WHERE uid = old.uid AND kind = old.kind;
    DELETE FROM vector_log WHERE uid = old.uid AND kind = old.kind
        AND seq <= (SELECT version FROM vector_versions WHERE uid = old.uid AND kind = old.kind) - 4096;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER vectors_log_insert;
DROP TRIGGER vectors_log_update;
DROP TRIGGER vectors_log_delete;

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

ALTER TABLE vector_log DROP COLUMN rid;
