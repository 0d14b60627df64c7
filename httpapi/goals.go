package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	omi "github.com/omi-devapi/omi-devapi"
	"github.com/omi-devapi/omi-devapi/lax"
)

const (
	goalsDefaultLimit  = 10
	goalsMaxLimit      = 1000
	goalsMaxCriteria   = 20
	goalHistoryDefault = 30
	goalHistoryMax     = 365
	goalTextMax        = 2000
	goalUnitMax        = 64 // GoalMetric.unit
)

var goalTypeEnum = lax.OneOf(omi.GoalTypes...)

func (s *Server) listGoals(w http.ResponseWriter, r *http.Request) error {
	v := lax.New()
	q := query(v, r)
	limit := q.Int("limit", goalsDefaultLimit, lax.Ge(0))
	all := q.Bool("include_inactive", false)
	if err := v.Err(); err != nil {
		return err
	}
	// Upstream ignores the limit when include_inactive is set (a bug); we
	// honour it both ways, clamped as upstream clamps, and say what we used.
	limit = min(max(limit, 1), goalsMaxLimit)
	gs, err := s.Goals.ListGoals(r.Context(), omi.GoalFilter{UID: principal(r).UID, IncludeInactive: all, Limit: int(limit)})
	if err != nil {
		return err
	}
	w.Header().Set(AppliedLimitHeader, strconv.FormatInt(limit, 10))
	writeJSON(w, http.StatusOK, gs)
	return nil
}

func (s *Server) getGoal(w http.ResponseWriter, r *http.Request) error {
	g, err := s.Goals.GetGoal(r.Context(), principal(r).UID, r.PathValue("goal_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

func (s *Server) createGoal(w http.ResponseWriter, r *http.Request) error {
	v, body, err := s.body(r)
	if err != nil {
		return err
	}
	// Fields are read in the model's order, so errors come in pydantic's.
	title, titleOK := body.Str("title", lax.Required, lax.MinLen(1), lax.MaxLen(500))
	in := omi.GoalInput{
		Title:           title,
		DesiredOutcome:  body.OptStr("desired_outcome", lax.MaxLen(goalTextMax)),
		WhyItMatters:    body.OptStr("why_it_matters", lax.MaxLen(goalTextMax)),
		SuccessCriteria: goalCriteria(v, body),
		HorizonAt:       body.OptTime("horizon_at"),
		Metric: omi.MetricFields{
			Type:    body.OptStr("goal_type", goalTypeEnum),
			Target:  body.OptFloat("target_value"),
			Current: body.OptFloat("current_value"),
			Min:     body.OptFloat("min_value"),
			Max:     body.OptFloat("max_value"),
			Unit:    body.OptStr("unit", lax.MaxLen(goalUnitMax)),
		},
	}
	if titleOK && strings.TrimSpace(title) == "" {
		v.Add(omi.FieldError{Type: "value_error", Loc: body.Loc("title"), Msg: "title cannot be empty"})
	}
	if err := v.Err(); err != nil {
		return err
	}
	g, err := omi.NewGoal(omi.NewGoalID(), principal(r).UID, in, s.now())
	if err != nil {
		return err
	}
	if err := s.Goals.CreateGoal(r.Context(), g); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

// goalCriteria reads success_criteria: a list of at most 20 strings. It has a
// default but is not nullable, so an explicit null is a type error.
func goalCriteria(v *lax.Validator, body *lax.Obj) []string {
	if body.IsNull("success_criteria") {
		v.Add(omi.FieldError{Type: "list_type", Loc: body.Loc("success_criteria"), Msg: "Input should be a valid list"})
		return nil
	}
	list, _ := body.StrList("success_criteria", lax.MaxItems(goalsMaxCriteria))
	return list
}

func (s *Server) updateGoal(w http.ResponseWriter, r *http.Request) error {
	v, body, err := s.body(r)
	if err != nil {
		return err
	}
	u := omi.GoalUpdate{
		Title:           body.OptStr("title", lax.MinLen(1), lax.MaxLen(500)),
		DesiredOutcome:  body.OptStr("desired_outcome", lax.MaxLen(goalTextMax)),
		WhyItMatters:    body.OptStr("why_it_matters", lax.MaxLen(goalTextMax)),
		SetWhyItMatters: body.Has("why_it_matters"),
		SuccessCriteria: optCriteria(body),
		HorizonAt:       body.OptTime("horizon_at"),
		SetHorizonAt:    body.Has("horizon_at"),
		Metric: omi.MetricFields{
			Target:  body.OptFloat("target_value"),
			Current: body.OptFloat("current_value"),
			Min:     body.OptFloat("min_value"),
			Max:     body.OptFloat("max_value"),
			Unit:    body.OptStr("unit", lax.MaxLen(goalUnitMax)),
		},
		SetMin:  body.Has("min_value"),
		SetMax:  body.Has("max_value"),
		SetUnit: body.Has("unit"),
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := checkGoalUpdate(body, &u); err != nil {
		return err
	}
	// Only the update schema's keys count: a body of server-set fields
	// (id, status, created_at, ...) changes nothing and is refused as empty.
	if u.Empty() {
		return omi.InvalidValue("At least one field must be provided")
	}
	g, err := s.Goals.UpdateGoal(r.Context(), principal(r).UID, r.PathValue("goal_id"), func(g *omi.Goal) error {
		return g.Apply(u, s.now())
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

// optCriteria reads UpdateGoalRequest.success_criteria: nil when absent or
// null (null is refused by checkGoalUpdate).
func optCriteria(body *lax.Obj) []string {
	list, _ := body.StrList("success_criteria", lax.MaxItems(goalsMaxCriteria))
	return list
}

// checkGoalUpdate is upstream's model check, run once the fields are valid:
// the first failure wins. Null is refused for what a goal cannot be
// without; the metric aliases may be cleared only where the metric allows
// it (min, max, unit).
func checkGoalUpdate(body *lax.Obj, u *omi.GoalUpdate) error {
	for _, name := range []string{"title", "desired_outcome", "success_criteria", "target_value", "current_value"} {
		if body.IsNull(name) {
			return omi.InvalidValue(name+" cannot be null", "body", name)
		}
	}
	if u.Title != nil && strings.TrimSpace(*u.Title) == "" {
		return omi.InvalidValue("title cannot be blank", "body", "title")
	}
	if u.DesiredOutcome != nil && strings.TrimSpace(*u.DesiredOutcome) == "" {
		return omi.InvalidValue("desired_outcome cannot be blank", "body", "desired_outcome")
	}
	return nil
}

func (s *Server) updateGoalProgress(w http.ResponseWriter, r *http.Request) error {
	v := lax.New()
	value, _ := query(v, r).Float("current_value", lax.Required)
	if err := v.Err(); err != nil {
		return err
	}
	g, err := s.Goals.RecordGoalProgress(r.Context(), principal(r).UID, r.PathValue("goal_id"), value, s.now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

func (s *Server) goalHistory(w http.ResponseWriter, r *http.Request) error {
	v := lax.New()
	days := query(v, r).Int("days", goalHistoryDefault, lax.Ge(1), lax.Le(goalHistoryMax))
	if err := v.Err(); err != nil {
		return err
	}
	// Upstream answers 200 [] for an unknown goal; the spec declares 404.
	h, err := s.Goals.GoalHistory(r.Context(), principal(r).UID, r.PathValue("goal_id"), int(days))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

func (s *Server) deleteGoal(w http.ResponseWriter, r *http.Request) error {
	_, err := s.Goals.UpdateGoal(r.Context(), principal(r).UID, r.PathValue("goal_id"), func(g *omi.Goal) error {
		g.Abandon(s.now())
		return nil
	})
	if err != nil {
		return err
	}
	return writeSuccess(w)
}
