-- +goose Up
CREATE TABLE goals (
    uid              text COLLATE "C" NOT NULL,
    id               text COLLATE "C" NOT NULL,
    title            text NOT NULL,
    desired_outcome  text NOT NULL,
    why_it_matters   text,
    success_criteria text[] NOT NULL,
    horizon_at       timestamptz,
    status           text COLLATE "C" NOT NULL,
    focus_rank       bigint,
    -- The metric; metric_type NULL means the goal has none.
    metric_type      text,
    metric_current   double precision,
    metric_target    double precision,
    metric_min       double precision,
    metric_max       double precision,
    metric_unit      text,
    source           text NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    ended_at         timestamptz,
    PRIMARY KEY (uid, id)
);
-- Both list orders (ascending for active goals, descending for all).
CREATE INDEX goals_list ON goals (uid, created_at, id);

-- One row per goal and UTC day: the last progress recorded that day.
CREATE TABLE goal_history (
    uid         text COLLATE "C" NOT NULL,
    goal_id     text COLLATE "C" NOT NULL,
    date        date NOT NULL, -- UTC day
    value       double precision NOT NULL,
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (uid, goal_id, date),
    FOREIGN KEY (uid, goal_id) REFERENCES goals (uid, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE goal_history;
DROP TABLE goals;
