-- +goose Up
CREATE TABLE goals (
    uid              TEXT NOT NULL,
    id               TEXT NOT NULL,
    title            TEXT NOT NULL,
    desired_outcome  TEXT NOT NULL,
    why_it_matters   TEXT,
    success_criteria TEXT NOT NULL, -- JSON array of strings
    horizon_at       INTEGER,
    status           TEXT NOT NULL,
    focus_rank       INTEGER,
    -- The metric; metric_type NULL means the goal has none.
    metric_type      TEXT,
    metric_current   REAL,
    metric_target    REAL,
    metric_min       REAL,
    metric_max       REAL,
    metric_unit      TEXT,
    source           TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    ended_at         INTEGER,
    PRIMARY KEY (uid, id)
) STRICT;
-- Both list orders (ascending for active goals, descending for all).
CREATE INDEX goals_list ON goals (uid, created_at, id);

-- One row per goal and UTC day: the last progress recorded that day.
CREATE TABLE goal_history (
    uid         TEXT NOT NULL,
    goal_id     TEXT NOT NULL,
    date        TEXT NOT NULL, -- YYYY-MM-DD, UTC
    value       REAL NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (uid, goal_id, date),
    FOREIGN KEY (uid, goal_id) REFERENCES goals (uid, id) ON DELETE CASCADE
) STRICT;

-- +goose Down
DROP TABLE goal_history;
DROP TABLE goals;
