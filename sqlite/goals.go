package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
)

var _ omi.GoalStore = (*DB)(nil)

const goalColumns = `uid, id, title, desired_outcome, why_it_matters, success_criteria, horizon_at, status,
	focus_rank, metric_type, metric_current, metric_target, metric_min, metric_max, metric_unit, source,
	created_at, updated_at, ended_at`

// goalArgs returns the values of goalColumns, in order.
func goalArgs(g *omi.Goal) ([]any, error) {
	criteria := g.SuccessCriteria
	if criteria == nil {
		criteria = []string{}
	}
	sc, err := json.Marshal(criteria)
	if err != nil {
		return nil, fmt.Errorf("sqlite: encode success criteria: %w", err)
	}
	var (
		mType              sql.NullString
		mCurrent, mTarget  sql.NullFloat64
		mMin, mMax         sql.NullFloat64
		mUnit              sql.NullString
		focusRank          sql.NullInt64
		horizonAt, endedAt = nullMicros(g.HorizonAt), nullMicros(g.EndedAt)
		whyItMatters       sql.NullString
		nullFloat          = func(f *float64) sql.NullFloat64 { return sql.NullFloat64{Float64: deref(f), Valid: f != nil} }
		nullString         = func(s *string) sql.NullString { return sql.NullString{String: deref(s), Valid: s != nil} }
	)
	if m := g.Metric; m != nil {
		mType = sql.NullString{String: m.Type, Valid: true}
		mCurrent = sql.NullFloat64{Float64: m.Current, Valid: true}
		mTarget = sql.NullFloat64{Float64: m.Target, Valid: true}
		mMin, mMax, mUnit = nullFloat(m.Min), nullFloat(m.Max), nullString(m.Unit)
	}
	if g.FocusRank != nil {
		focusRank = sql.NullInt64{Int64: *g.FocusRank, Valid: true}
	}
	whyItMatters = nullString(g.WhyItMatters)
	return []any{g.UID, g.ID, g.Title, g.DesiredOutcome, whyItMatters, string(sc), horizonAt, g.Status,
		focusRank, mType, mCurrent, mTarget, mMin, mMax, mUnit, g.Source,
		micros(g.CreatedAt), micros(g.UpdatedAt), endedAt}, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func (db *DB) CreateGoal(ctx context.Context, g *omi.Goal) error {
	args, err := goalArgs(g)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO goals (`+goalColumns+`)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, args...); err != nil {
			return fmt.Errorf("sqlite: insert goal: %w", err)
		}
		return nil
	})
}

func (db *DB) GetGoal(ctx context.Context, uid, id string) (*omi.Goal, error) {
	return getGoal(ctx, db.r, uid, id)
}

func getGoal(ctx context.Context, q querier, uid, id string) (*omi.Goal, error) {
	g, err := scanGoal(q.QueryRowContext(ctx, `SELECT `+goalColumns+` FROM goals WHERE uid = ? AND id = ?`, uid, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Goal")
	}
	return g, err
}

func (db *DB) ListGoals(ctx context.Context, f omi.GoalFilter) ([]*omi.Goal, error) {
	query := `SELECT ` + goalColumns + ` FROM goals WHERE uid = ? AND status NOT IN ('achieved', 'abandoned')
		ORDER BY created_at, id LIMIT ?`
	if f.IncludeInactive {
		query = `SELECT ` + goalColumns + ` FROM goals WHERE uid = ? ORDER BY created_at DESC, id DESC LIMIT ?`
	}
	rows, err := db.r.QueryContext(ctx, query, f.UID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list goals: %w", err)
	}
	return collect(rows, scanGoal, "list goals")
}

func (db *DB) UpdateGoal(ctx context.Context, uid, id string, fn func(*omi.Goal) error) (*omi.Goal, error) {
	var g *omi.Goal
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		g, err = updateGoal(ctx, tx, uid, id, fn)
		return err
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// updateGoal is the read-modify-write inside tx. uid, id and created_at
// come from the stored row: fn cannot move a goal or rewrite its past.
func updateGoal(ctx context.Context, tx *sql.Tx, uid, id string, fn func(*omi.Goal) error) (*omi.Goal, error) {
	g, err := getGoal(ctx, tx, uid, id)
	if err != nil {
		return nil, err
	}
	created := g.CreatedAt
	if err := fn(g); err != nil {
		return nil, err
	}
	g.UID, g.ID, g.CreatedAt = uid, id, created
	args, err := goalArgs(g)
	if err != nil {
		return nil, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE goals SET title = ?, desired_outcome = ?, why_it_matters = ?,
		success_criteria = ?, horizon_at = ?, status = ?, focus_rank = ?, metric_type = ?, metric_current = ?,
		metric_target = ?, metric_min = ?, metric_max = ?, metric_unit = ?, source = ?, updated_at = ?, ended_at = ?
		WHERE uid = ? AND id = ?`, slices.Concat(args[2:16], []any{args[17], args[18], uid, id})...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: update goal: %w", err)
	}
	return g, nil
}

func (db *DB) RecordGoalProgress(ctx context.Context, uid, id string, value float64, at time.Time) (*omi.Goal, error) {
	var g *omi.Goal
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		g, err = updateGoal(ctx, tx, uid, id, func(g *omi.Goal) error {
			g.SetProgress(value, at)
			return nil
		})
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO goal_history (uid, goal_id, date, value, recorded_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (uid, goal_id, date) DO UPDATE SET value = excluded.value, recorded_at = excluded.recorded_at`,
			uid, id, omi.HistoryDate(at), value, micros(at))
		if err != nil {
			return fmt.Errorf("sqlite: record goal history: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

func (db *DB) GoalHistory(ctx context.Context, uid, id string, limit int) ([]*omi.GoalHistoryEntry, error) {
	// The goal check and the rows come from one snapshot, so a goal is never
	// found without its history.
	tx, err := db.r.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: begin read: %w", err)
	}
	defer tx.Rollback()
	var one int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM goals WHERE uid = ? AND id = ?`, uid, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Goal")
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find goal: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT date, value, recorded_at FROM goal_history
		WHERE uid = ? AND goal_id = ? ORDER BY date DESC LIMIT ?`, uid, id, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: goal history: %w", err)
	}
	defer rows.Close()
	out := []*omi.GoalHistoryEntry{}
	for rows.Next() {
		var (
			e        omi.GoalHistoryEntry
			recorded int64
		)
		if err := rows.Scan(&e.Date, &e.Value, &recorded); err != nil {
			return nil, fmt.Errorf("sqlite: scan goal history: %w", err)
		}
		e.RecordedAt = fromMicros(recorded)
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: goal history: %w", err)
	}
	return out, nil
}

func scanGoal(s scanner) (*omi.Goal, error) {
	var (
		g                             omi.Goal
		why                           sql.NullString
		criteria                      string
		horizon, ended                sql.NullInt64
		focus                         sql.NullInt64
		mType, mUnit                  sql.NullString
		mCurrent, mTarget, mMin, mMax sql.NullFloat64
		created, updated              int64
	)
	err := s.Scan(&g.UID, &g.ID, &g.Title, &g.DesiredOutcome, &why, &criteria, &horizon, &g.Status,
		&focus, &mType, &mCurrent, &mTarget, &mMin, &mMax, &mUnit, &g.Source, &created, &updated, &ended)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("sqlite: scan goal: %w", err)
	}
	if err := json.Unmarshal([]byte(criteria), &g.SuccessCriteria); err != nil {
		return nil, fmt.Errorf("sqlite: decode success criteria of goal %s: %w", g.ID, err)
	}
	if why.Valid {
		g.WhyItMatters = &why.String
	}
	if focus.Valid {
		g.FocusRank = &focus.Int64
	}
	if mType.Valid {
		g.Metric = &omi.GoalMetric{Type: mType.String, Current: mCurrent.Float64, Target: mTarget.Float64}
		if mMin.Valid {
			g.Metric.Min = &mMin.Float64
		}
		if mMax.Valid {
			g.Metric.Max = &mMax.Float64
		}
		if mUnit.Valid {
			g.Metric.Unit = &mUnit.String
		}
	}
	g.HorizonAt, g.EndedAt = fromNullMicros(horizon), fromNullMicros(ended)
	g.CreatedAt, g.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &g, nil
}
