-- +goose Up
-- The list's order with every column a list returns: a page is read off
-- this index alone, without looking each row up in the table (that lookup
-- was a third of SQLite's work per page). It replaces memories_list, whose
-- key it starts with. About 100 bytes more per memory than memories_list.
CREATE INDEX memories_list_covering ON memories (uid, scoring DESC, created_at DESC, id DESC,
    user_review, content, category, visibility, tags, updated_at, manually_added, reviewed, edited, conversation_id);
DROP INDEX memories_list;

-- +goose Down
CREATE INDEX memories_list ON memories (uid, scoring DESC, created_at DESC, id DESC);
DROP INDEX memories_list_covering;
