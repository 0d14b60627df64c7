package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	omi "github.com/omi-devapi/omi-devapi"
)

var _ omi.GoalStore = (*DB)(nil)

const goalColumns = `uid, id, title, desired_outcome, why_it_matters, success_criteria, horizon_at, status,
	focus_rank, metric_type, metric_current, metric_target, metric_min, metric_max, metric_unit, source,
	created_at, updated_at, ended_at`

// goalArgs returns the values of goalColumns, in order.
func goalArgs(g *omi.Goal) []any {
	var (
		mType             *string
		mCurrent, mTarget *float64
		mMin, mMax        *float64
		mUnit             *string
	)
	if m := g.Metric; m != nil {
		mType, mCurrent, mTarget = &m.Type, &m.Current, &m.Target
		mMin, mMax, mUnit = m.Min, m.Max, m.Unit
	}
	return []any{g.UID, g.ID, g.Title, g.DesiredOutcome, g.WhyItMatters, nonNil(g.SuccessCriteria), g.HorizonAt, g.Status,
		g.FocusRank, mType, mCurrent, mTarget, mMin, mMax, mUnit, g.Source, g.CreatedAt, g.UpdatedAt, g.EndedAt}
}

func (db *DB) CreateGoal(ctx context.Context, g *omi.Goal) error {
	args := goalArgs(g)
	return db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO goals (`+goalColumns+`)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)`, args...); err != nil {
			return fmt.Errorf("postgres: insert goal: %w", err)
		}
		return nil
	})
}

func (db *DB) GetGoal(ctx context.Context, uid, id string) (*omi.Goal, error) {
	var g *omi.Goal
	err := db.read(ctx, func(ctx context.Context, q querier) error {
		var err error
		g, err = getGoal(ctx, q, uid, id, "")
		return err
	})
	return g, err
}

func getGoal(ctx context.Context, q querier, uid, id, lock string) (*omi.Goal, error) {
	g, err := scanGoal(q.QueryRow(ctx, `SELECT `+goalColumns+` FROM goals WHERE uid = $1 AND id = $2 `+lock, uid, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("Goal")
	}
	return g, err
}

func (db *DB) ListGoals(ctx context.Context, f omi.GoalFilter) ([]*omi.Goal, error) {
	query := `SELECT ` + goalColumns + ` FROM goals WHERE uid = $1 AND status NOT IN ('achieved', 'abandoned')
		ORDER BY created_at, id LIMIT $2`
	if f.IncludeInactive {
		query = `SELECT ` + goalColumns + ` FROM goals WHERE uid = $1 ORDER BY created_at DESC, id DESC LIMIT $2`
	}
	var out []*omi.Goal
	err := db.read(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.Query(ctx, query, f.UID, f.Limit)
		if err != nil {
			return fmt.Errorf("postgres: list goals: %w", err)
		}
		if out, err = collect(rows, scanGoal); err != nil {
			return fmt.Errorf("postgres: list goals: %w", err)
		}
		return nil
	})
	return out, err
}

func (db *DB) UpdateGoal(ctx context.Context, uid, id string, fn func(*omi.Goal) error) (*omi.Goal, error) {
	var g *omi.Goal
	err := db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
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
func updateGoal(ctx context.Context, tx pgx.Tx, uid, id string, fn func(*omi.Goal) error) (*omi.Goal, error) {
	g, err := getGoal(ctx, tx, uid, id, "FOR UPDATE")
	if err != nil {
		return nil, err
	}
	created := g.CreatedAt
	if err := fn(g); err != nil {
		return nil, err
	}
	g.UID, g.ID, g.CreatedAt = uid, id, created
	a := goalArgs(g)
	_, err = tx.Exec(ctx, `UPDATE goals SET title = $1, desired_outcome = $2, why_it_matters = $3,
		success_criteria = $4, horizon_at = $5, status = $6, focus_rank = $7, metric_type = $8, metric_current = $9,
		metric_target = $10, metric_min = $11, metric_max = $12, metric_unit = $13, source = $14, updated_at = $15,
		ended_at = $16 WHERE uid = $17 AND id = $18`,
		a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[17], a[18], uid, id)
	if err != nil {
		return nil, fmt.Errorf("postgres: update goal: %w", err)
	}
	return g, nil
}

func (db *DB) RecordGoalProgress(ctx context.Context, uid, id string, value float64, at time.Time) (*omi.Goal, error) {
	var g *omi.Goal
	err := db.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		g, err = updateGoal(ctx, tx, uid, id, func(g *omi.Goal) error {
			g.SetProgress(value, at)
			return nil
		})
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO goal_history (uid, goal_id, date, value, recorded_at)
			VALUES ($1, $2, $3::date, $4, $5)
			ON CONFLICT (uid, goal_id, date) DO UPDATE SET value = excluded.value, recorded_at = excluded.recorded_at`,
			uid, id, omi.HistoryDate(at), value, at)
		if err != nil {
			return fmt.Errorf("postgres: record goal history: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

func (db *DB) GoalHistory(ctx context.Context, uid, id string, limit int) ([]*omi.GoalHistoryEntry, error) {
	// One statement, one snapshot: the goal check and its rows agree. A
	// goal without history yields one row of NULLs; no goal, no row.
	var out []*omi.GoalHistoryEntry
	err := db.read(ctx, func(ctx context.Context, q querier) error {
		rows, err := q.Query(ctx, `SELECT to_char(h.date, 'YYYY-MM-DD'), h.value, h.recorded_at
			FROM goals g LEFT JOIN LATERAL (
				SELECT date, value, recorded_at FROM goal_history
				WHERE uid = g.uid AND goal_id = g.id ORDER BY date DESC LIMIT $3
			) h ON true
			WHERE g.uid = $1 AND g.id = $2`, uid, id, limit)
		if err != nil {
			return fmt.Errorf("postgres: goal history: %w", err)
		}
		defer rows.Close()
		found := false
		out = []*omi.GoalHistoryEntry{}
		for rows.Next() {
			found = true
			var (
				date     *string
				value    *float64
				recorded *time.Time
			)
			if err := rows.Scan(&date, &value, &recorded); err != nil {
				return fmt.Errorf("postgres: scan goal history: %w", err)
			}
			if date != nil {
				out = append(out, &omi.GoalHistoryEntry{Date: *date, Value: *value, RecordedAt: *recorded})
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("postgres: goal history: %w", err)
		}
		if !found {
			return notFound("Goal")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func scanGoal(row pgx.Row) (*omi.Goal, error) {
	var (
		g                             omi.Goal
		mType, mUnit                  *string
		mCurrent, mTarget, mMin, mMax *float64
	)
	err := row.Scan(&g.UID, &g.ID, &g.Title, &g.DesiredOutcome, &g.WhyItMatters, &g.SuccessCriteria, &g.HorizonAt, &g.Status,
		&g.FocusRank, &mType, &mCurrent, &mTarget, &mMin, &mMax, &mUnit, &g.Source, &g.CreatedAt, &g.UpdatedAt, &g.EndedAt)
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("postgres: scan goal: %w", err)
	}
	g.SuccessCriteria = nonNil(g.SuccessCriteria)
	if mType != nil {
		g.Metric = &omi.GoalMetric{Type: *mType, Current: deref(mCurrent), Target: deref(mTarget), Min: mMin, Max: mMax, Unit: mUnit}
	}
	return &g, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
