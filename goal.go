package omi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
)

// GoalTypes is the spec's GoalType enum.
var GoalTypes = []string{"boolean", "scale", "numeric"}

// Goal statuses (upstream's GoalStatus). Only achieved and abandoned end a
// goal; the developer API cannot set any of them except by deleting
// (abandoned).
const (
	GoalBackground = "background"
	GoalFocused    = "focused"
	GoalPaused     = "paused"
	GoalAchieved   = "achieved"
	GoalAbandoned  = "abandoned"
)

// GoalSourceUser is the source of every goal created through the API.
const GoalSourceUser = "user"

// GoalMetric is how a goal's progress is measured. JSON is the spec's
// GoalMetric.
type GoalMetric struct {
	Type    string   `json:"type"`
	Current float64  `json:"current"`
	Target  float64  `json:"target"`
	Min     *float64 `json:"min"`
	Max     *float64 `json:"max"`
	Unit    *string  `json:"unit"`
}

// Goal is something the user is working towards. Its JSON is the spec's
// DeveloperGoal, written by MarshalJSON: the released-client aliases
// (goal_type, target_value, ...) are derived from Metric, never stored.
type Goal struct {
	ID              string
	UID             string
	Title           string
	DesiredOutcome  string
	WhyItMatters    *string
	SuccessCriteria []string
	HorizonAt       *time.Time
	Status          string
	FocusRank       *int64
	Metric          *GoalMetric
	Source          string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	// EndedAt is when the goal was achieved or abandoned; stored, not shown.
	EndedAt *time.Time
}

// NewGoalID is upstream's goal id: "goal_" and 12 random lowercase hex digits.
func NewGoalID() string {
	var b [6]byte
	rand.Read(b[:])
	return "goal_" + hex.EncodeToString(b[:])
}

// IsActive is false only for goals that ended (achieved or abandoned).
func (g *Goal) IsActive() bool {
	return g.Status != GoalAchieved && g.Status != GoalAbandoned
}

type goalJSON struct {
	ID              string      `json:"id"`
	GoalID          string      `json:"goal_id"`
	Title           string      `json:"title"`
	DesiredOutcome  string      `json:"desired_outcome"`
	WhyItMatters    *string     `json:"why_it_matters"`
	SuccessCriteria []string    `json:"success_criteria"`
	HorizonAt       *time.Time  `json:"horizon_at"`
	Status          string      `json:"status"`
	FocusRank       *int64      `json:"focus_rank"`
	Metric          *GoalMetric `json:"metric"`
	Source          string      `json:"source"`
	GoalType        string      `json:"goal_type"`
	TargetValue     float64     `json:"target_value"`
	CurrentValue    float64     `json:"current_value"`
	MinValue        float64     `json:"min_value"`
	MaxValue        float64     `json:"max_value"`
	Unit            *string     `json:"unit"`
	IsActive        bool        `json:"is_active"`
	CreatedAt       time.Time   `json:"created_at"`
	UpdatedAt       time.Time   `json:"updated_at"`
}

// MarshalJSON writes the spec's DeveloperGoal. Without a metric the aliases
// are upstream's scale defaults (0 of 0, range 0..10); with one, a missing
// min is 0 and a missing max is max(target, 10).
func (g *Goal) MarshalJSON() ([]byte, error) {
	out := goalJSON{
		ID: g.ID, GoalID: g.ID, Title: g.Title, DesiredOutcome: g.DesiredOutcome, WhyItMatters: g.WhyItMatters,
		SuccessCriteria: g.SuccessCriteria, HorizonAt: g.HorizonAt, Status: g.Status, FocusRank: g.FocusRank,
		Metric: g.Metric, Source: g.Source, IsActive: g.IsActive(), CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt,
		GoalType: "scale", MaxValue: 10,
	}
	if out.SuccessCriteria == nil {
		out.SuccessCriteria = []string{}
	}
	if m := g.Metric; m != nil {
		out.GoalType, out.TargetValue, out.CurrentValue, out.Unit = m.Type, m.Target, m.Current, m.Unit
		out.MaxValue = max(m.Target, 10)
		if m.Min != nil {
			out.MinValue = *m.Min
		}
		if m.Max != nil {
			out.MaxValue = *m.Max
		}
	}
	return json.Marshal(out)
}

// CleanCriteria strips each success criterion and drops blank ones, as
// upstream's GoalCreate does.
func CleanCriteria(in []string) []string {
	out := make([]string, 0, len(in))
	for _, c := range in {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// MetricFields are the released clients' flat metric fields (goal_type,
// target_value, ...). A nil field was not given.
type MetricFields struct {
	Type    *string
	Target  *float64
	Current *float64
	Min     *float64
	Max     *float64
	Unit    *string
}

// GoalInput is a CreateGoalRequest, already validated field by field.
type GoalInput struct {
	Title           string
	DesiredOutcome  *string
	WhyItMatters    *string
	SuccessCriteria []string
	HorizonAt       *time.Time
	Metric          MetricFields
}

// NewGoal is a goal as the user creates it through the API: in the
// background, from the user, unranked. It has a metric only when a type or
// a target is given, so a qualitative goal stays qualitative. EINVALID when
// the metric's min exceeds its max.
func NewGoal(id, uid string, in GoalInput, now time.Time) (*Goal, error) {
	title := strings.TrimSpace(in.Title)
	outcome := title
	if in.DesiredOutcome != nil {
		outcome = *in.DesiredOutcome
	}
	g := &Goal{
		ID: id, UID: uid, Title: title, DesiredOutcome: outcome, WhyItMatters: in.WhyItMatters,
		SuccessCriteria: CleanCriteria(in.SuccessCriteria), HorizonAt: in.HorizonAt,
		Status: GoalBackground, Source: GoalSourceUser, CreatedAt: now, UpdatedAt: now,
	}
	f := in.Metric
	if f.Type != nil || f.Target != nil {
		m := &GoalMetric{Type: "scale", Min: f.Min, Max: f.Max, Unit: f.Unit}
		if f.Type != nil {
			m.Type = *f.Type
		}
		if f.Target != nil {
			m.Target = *f.Target
		}
		if f.Current != nil {
			m.Current = *f.Current
		}
		if err := m.check(); err != nil {
			return nil, err
		}
		g.Metric = m
	}
	return g, nil
}

func (m *GoalMetric) check() error {
	if m.Min != nil && m.Max != nil && *m.Min > *m.Max {
		return InvalidValue("metric min must not exceed max")
	}
	return nil
}

// GoalUpdate is a PATCH (UpdateGoalRequest): only the keys the client sent
// count. Set* flags mark nullable fields that were sent, null included.
type GoalUpdate struct {
	Title           *string
	DesiredOutcome  *string
	WhyItMatters    *string
	SetWhyItMatters bool
	SuccessCriteria []string // nil: unchanged
	HorizonAt       *time.Time
	SetHorizonAt    bool
	// Metric holds the metric aliases sent; for Min, Max and Unit a sent
	// null clears the value, so SetMin/SetMax/SetUnit say they were sent.
	Metric                  MetricFields
	SetMin, SetMax, SetUnit bool
}

// Empty reports whether the update changes nothing.
func (u *GoalUpdate) Empty() bool {
	return u.Title == nil && u.DesiredOutcome == nil && !u.SetWhyItMatters && u.SuccessCriteria == nil &&
		!u.SetHorizonAt && !u.touchesMetric()
}

func (u *GoalUpdate) touchesMetric() bool {
	return u.Metric.Target != nil || u.Metric.Current != nil || u.SetMin || u.SetMax || u.SetUnit
}

// Apply changes g as upstream's PATCH does and bumps updated_at. Any metric
// alias rebuilds the metric from the current one (a 0-of-0 scale if there
// is none). EINVALID, with g unchanged, when the result's min exceeds its max.
func (g *Goal) Apply(u GoalUpdate, now time.Time) error {
	var metric *GoalMetric
	if u.touchesMetric() {
		m := GoalMetric{Type: "scale"}
		if g.Metric != nil {
			m = *g.Metric
		}
		f := u.Metric
		if f.Target != nil {
			m.Target = *f.Target
		}
		if f.Current != nil {
			m.Current = *f.Current
		}
		if u.SetMin {
			m.Min = f.Min
		}
		if u.SetMax {
			m.Max = f.Max
		}
		if u.SetUnit {
			m.Unit = f.Unit
		}
		if err := m.check(); err != nil {
			return err
		}
		metric = &m
	}
	if u.Title != nil {
		g.Title = strings.TrimSpace(*u.Title)
	}
	if u.DesiredOutcome != nil {
		g.DesiredOutcome = strings.TrimSpace(*u.DesiredOutcome)
	}
	if u.SetWhyItMatters {
		g.WhyItMatters = u.WhyItMatters
	}
	if u.SuccessCriteria != nil {
		g.SuccessCriteria = CleanCriteria(u.SuccessCriteria)
	}
	if u.SetHorizonAt {
		g.HorizonAt = u.HorizonAt
	}
	if metric != nil {
		g.Metric = metric
	}
	g.UpdatedAt = now
	return nil
}

// SetProgress records value as the goal's current progress; a goal without
// a metric gets a numeric one with target 0, as upstream does.
func (g *Goal) SetProgress(value float64, now time.Time) {
	if g.Metric == nil {
		g.Metric = &GoalMetric{Type: "numeric"}
	}
	g.Metric.Current = value
	g.UpdatedAt = now
}

// Abandon is upstream's soft delete: the goal ends but stays readable.
// Abandoning it again keeps the first end.
func (g *Goal) Abandon(now time.Time) {
	g.Status = GoalAbandoned
	g.FocusRank = nil
	if g.EndedAt == nil {
		g.EndedAt = &now
	}
	g.UpdatedAt = now
}

// GoalHistoryEntry is one day's last recorded progress
// (GoalHistoryEntryResponse). Date is the UTC day, YYYY-MM-DD.
type GoalHistoryEntry struct {
	Date       string    `json:"date"`
	Value      float64   `json:"value"`
	RecordedAt time.Time `json:"recorded_at"`
}

// HistoryDate is the history day of an instant: its UTC date.
func HistoryDate(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// GoalFilter selects goals for a list.
type GoalFilter struct {
	UID string
	// IncludeInactive lists every goal, newest first; otherwise only active
	// goals, oldest first (upstream's two orders).
	IncludeInactive bool
	Limit           int
}

// GoalStore persists goals and their daily progress history. Every method
// is scoped to one uid; another user's id is ENOTFOUND ("Goal not found").
type GoalStore interface {
	CreateGoal(ctx context.Context, g *Goal) error
	// GetGoal finds ended goals too.
	GetGoal(ctx context.Context, uid, id string) (*Goal, error)
	// ListGoals orders by created_at then id, ascending for active goals,
	// descending with IncludeInactive.
	ListGoals(ctx context.Context, f GoalFilter) ([]*Goal, error)
	// UpdateGoal reads, lets fn change, and writes back in one transaction.
	UpdateGoal(ctx context.Context, uid, id string, fn func(*Goal) error) (*Goal, error)
	// RecordGoalProgress sets the goal's current progress (Goal.SetProgress)
	// and upserts its history row for at's UTC date, in one transaction: one
	// row per goal and day, the last write wins.
	RecordGoalProgress(ctx context.Context, uid, id string, value float64, at time.Time) (*Goal, error)
	// GoalHistory returns the goal's newest limit rows, date descending.
	GoalHistory(ctx context.Context, uid, id string, limit int) ([]*GoalHistoryEntry, error)
}
