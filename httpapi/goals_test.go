package httpapi_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	omi "github.com/omi-devapi/omi-devapi"
)

type goalMetric struct {
	Type    string   `json:"type"`
	Current float64  `json:"current"`
	Target  float64  `json:"target"`
	Min     *float64 `json:"min"`
	Max     *float64 `json:"max"`
	Unit    *string  `json:"unit"`
}

type goal struct {
	ID              string      `json:"id"`
	GoalID          string      `json:"goal_id"`
	Title           string      `json:"title"`
	DesiredOutcome  string      `json:"desired_outcome"`
	WhyItMatters    *string     `json:"why_it_matters"`
	SuccessCriteria []string    `json:"success_criteria"`
	HorizonAt       *time.Time  `json:"horizon_at"`
	Status          string      `json:"status"`
	FocusRank       *int        `json:"focus_rank"`
	Metric          *goalMetric `json:"metric"`
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

// aliases is the released clients' view of a goal, for compact checks.
func (g goal) aliases() string {
	unit := "null"
	if g.Unit != nil {
		unit = *g.Unit
	}
	return fmt.Sprintf("%s %v/%v %v..%v %s", g.GoalType, g.CurrentValue, g.TargetValue, g.MinValue, g.MaxValue, unit)
}

type goalHistoryRow struct {
	Date       string    `json:"date"`
	Value      float64   `json:"value"`
	RecordedAt time.Time `json:"recorded_at"`
}

const goalsPath = "/v1/dev/user/goals"

func (e *env) createGoal(key string, body any) goal {
	e.t.Helper()
	resp := e.do("POST", goalsPath, key, body)
	wantStatus(e.t, resp, 200)
	var g goal
	resp.Decode(e.t, &g)
	return g
}

func (e *env) getGoal(key, id string) goal {
	e.t.Helper()
	resp := e.do("GET", goalsPath+"/"+id, key, nil)
	wantStatus(e.t, resp, 200)
	var g goal
	resp.Decode(e.t, &g)
	return g
}

func (e *env) patchGoal(key, id string, body any) goal {
	e.t.Helper()
	resp := e.do("PATCH", goalsPath+"/"+id, key, body)
	wantStatus(e.t, resp, 200)
	var g goal
	resp.Decode(e.t, &g)
	return g
}

func (e *env) listGoals(key, query string) ([]goal, string) {
	e.t.Helper()
	resp := e.do("GET", goalsPath+query, key, nil)
	wantStatus(e.t, resp, 200)
	var gs []goal
	resp.Decode(e.t, &gs)
	return gs, resp.Header.Get("X-Applied-Limit")
}

func titles(gs []goal) string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.Title
	}
	return strings.Join(out, ",")
}

// validation returns the first 422 error's loc, msg and type.
func validation(t *testing.T, body []byte) (loc, msg, typ string) {
	t.Helper()
	var v struct {
		Detail []struct {
			Loc  []any  `json:"loc"`
			Msg  string `json:"msg"`
			Type string `json:"type"`
		} `json:"detail"`
	}
	if err := jsonUnmarshal(body, &v); err != nil || len(v.Detail) == 0 {
		t.Fatalf("not a validation error: %s", body)
	}
	return fmt.Sprint(v.Detail[0].Loc), v.Detail[0].Msg, v.Detail[0].Type
}

var goalIDRE = regexp.MustCompile(`^goal_[0-9a-f]{12}$`)

func TestCreateGoal(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	// Server-set fields in the body are ignored.
	g := e.createGoal(k, `{"title":"  Learn Go  ","id":"mine","goal_id":"mine","status":"achieved","source":"imported",
		"focus_rank":1,"is_active":false,"created_at":"2001-01-01T00:00:00Z","current_value":5}`)
	if !goalIDRE.MatchString(g.ID) || g.GoalID != g.ID {
		t.Fatalf("ids %q %q", g.ID, g.GoalID)
	}
	if g.Title != "Learn Go" || g.DesiredOutcome != "Learn Go" || g.WhyItMatters != nil || g.SuccessCriteria == nil ||
		len(g.SuccessCriteria) != 0 || g.HorizonAt != nil || g.Status != "background" || g.FocusRank != nil ||
		g.Source != "user" || !g.IsActive || g.CreatedAt.Year() == 2001 || !g.UpdatedAt.Equal(g.CreatedAt) {
		t.Fatalf("defaults: %+v", g)
	}
	// No type and no target: a qualitative goal, whatever current_value says.
	if g.Metric != nil || g.aliases() != "scale 0/0 0..10 null" {
		t.Fatalf("no metric: %+v %s", g.Metric, g.aliases())
	}

	g = e.createGoal(k, map[string]any{
		"title": "Grow the beta", "desired_outcome": "500 active users", "why_it_matters": "funding",
		"success_criteria": []string{" retention > 40% ", "", "  ", "NPS 50"}, "horizon_at": "2030-06-01T12:00:00+02:00",
		"goal_type": "numeric", "target_value": 500, "current_value": "120", "min_value": 100, "unit": "users",
	})
	if g.DesiredOutcome != "500 active users" || *g.WhyItMatters != "funding" || strings.Join(g.SuccessCriteria, "|") != "retention > 40%|NPS 50" ||
		!g.HorizonAt.Equal(time.Date(2030, 6, 1, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("given fields: %+v", g)
	}
	if m := g.Metric; m == nil || m.Type != "numeric" || m.Current != 120 || m.Target != 500 || *m.Min != 100 || m.Max != nil || *m.Unit != "users" {
		t.Fatalf("metric: %+v", g.Metric)
	}
	// max_value defaults to max(target, 10).
	if g.aliases() != "numeric 120/500 100..500 users" {
		t.Fatalf("aliases %s", g.aliases())
	}
	// The stored shape reads back the same.
	if diff := cmp.Diff(g, e.getGoal(k, g.ID)); diff != "" {
		t.Fatalf("read back (-created +read):\n%s", diff)
	}

	for _, tc := range []struct {
		body    string
		aliases string
	}{
		{`{"title":"t","target_value":3}`, "scale 0/3 0..10 null"},
		{`{"title":"t","goal_type":"boolean"}`, "boolean 0/0 0..10 null"},
		{`{"title":"t","target_value":8,"max_value":50,"min_value":-5}`, "scale 0/8 -5..50 null"},
		{`{"title":"t","target_value":null,"goal_type":null,"unit":"km"}`, "scale 0/0 0..10 null"},
	} {
		if g := e.createGoal(k, tc.body); g.aliases() != tc.aliases {
			t.Errorf("%s: aliases %s, want %s", tc.body, g.aliases(), tc.aliases)
		}
	}
	// 500 characters counted as Python does (code points).
	if g := e.createGoal(k, map[string]string{"title": strings.Repeat("🏃", 500)}); g.DesiredOutcome != strings.Repeat("🏃", 500) {
		t.Fatal("desired_outcome does not default to the title")
	}
}

func TestCreateGoalValidation(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	long := func(n int) string { return strings.Repeat("x", n) }
	cases := []struct{ body, loc, msg, typ string }{
		{`{}`, "[body title]", "Field required", "missing"},
		{`{"title":""}`, "[body title]", "String should have at least 1 character", "string_too_short"},
		{`{"title":"` + long(501) + `"}`, "[body title]", "String should have at most 500 characters", "string_too_long"},
		{`{"title":"   "}`, "[body title]", "title cannot be empty", "value_error"},
		{`{"title":42}`, "[body title]", "Input should be a valid string", "string_type"},
		{`{"title":null}`, "[body title]", "Input should be a valid string", "string_type"},
		{`{"title":"t","desired_outcome":"` + long(2001) + `"}`, "[body desired_outcome]", "String should have at most 2000 characters", "string_too_long"},
		{`{"title":"t","why_it_matters":"` + long(2001) + `"}`, "[body why_it_matters]", "String should have at most 2000 characters", "string_too_long"},
		{`{"title":"t","success_criteria":null}`, "[body success_criteria]", "Input should be a valid list", "list_type"},
		{`{"title":"t","success_criteria":"a"}`, "[body success_criteria]", "Input should be a valid list", "list_type"},
		{`{"title":"t","success_criteria":[1]}`, "[body success_criteria 0]", "Input should be a valid string", "string_type"},
		{`{"title":"t","success_criteria":[` + strings.TrimSuffix(strings.Repeat(`"c",`, 21), ",") + `]}`, "[body success_criteria]", "List should have at most 20 items after validation, not 21", "too_long"},
		{`{"title":"t","horizon_at":"soon"}`, "[body horizon_at]", "Input should be a valid datetime", "datetime_from_date_parsing"},
		{`{"title":"t","goal_type":"percent"}`, "[body goal_type]", "Input should be 'boolean', 'scale' or 'numeric'", "enum"},
		{`{"title":"t","target_value":"ten"}`, "[body target_value]", "Input should be a valid number, unable to parse string as a number", "float_parsing"},
		{`{"title":"t","target_value":"inf"}`, "[body target_value]", "Input should be a finite number", "finite_number"},
		{`{"title":"t","current_value":[]}`, "[body current_value]", "Input should be a valid number", "float_type"},
		{`{"title":"t","unit":"` + long(65) + `"}`, "[body unit]", "String should have at most 64 characters", "string_too_long"},
		{`{"title":"t","target_value":5,"min_value":9,"max_value":1}`, "[body]", "metric min must not exceed max", "value_error"},
		{`[]`, "[body]", "Input should be a valid dictionary", "model_attributes_type"},
		{`{"title":`, "[body 9]", "JSON decode error", "json_invalid"},
	}
	for _, tc := range cases {
		resp := e.do("POST", goalsPath, k, tc.body)
		wantStatus(t, resp, 422)
		loc, msg, typ := validation(t, resp.Body)
		if loc != tc.loc || !strings.HasPrefix(msg, tc.msg) || typ != tc.typ {
			t.Errorf("%.60s: got %s %q %s, want %s %q %s", tc.body, loc, msg, typ, tc.loc, tc.msg, tc.typ)
		}
	}
	if gs, _ := e.listGoals(k, "?include_inactive=true"); len(gs) != 0 {
		t.Fatalf("invalid requests wrote %d goals", len(gs))
	}
}

func TestListGoals(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	for i := range 5 {
		e.createGoal(k, map[string]any{"title": fmt.Sprintf("g%d", i)})
		e.clock.Add(time.Minute)
	}
	gs, _ := e.listGoals(k, "?include_inactive=true")
	wantStatus(t, e.do("DELETE", goalsPath+"/"+gs[3].ID, k, nil), 200) // g1

	gs, applied := e.listGoals(k, "")
	if titles(gs) != "g0,g2,g3,g4" || applied != "10" {
		t.Fatalf("default: %s (limit %s)", titles(gs), applied)
	}
	if gs, applied = e.listGoals(k, "?limit=2"); titles(gs) != "g0,g2" || applied != "2" {
		t.Fatalf("limited: %s (limit %s)", titles(gs), applied)
	}
	if gs, applied = e.listGoals(k, "?include_inactive=true"); titles(gs) != "g4,g3,g2,g1,g0" || applied != "10" {
		t.Fatalf("inactive included: %s (limit %s)", titles(gs), applied)
	}
	// Upstream ignores the limit here; we honour it.
	if gs, _ = e.listGoals(k, "?include_inactive=1&limit=3"); titles(gs) != "g4,g3,g2" {
		t.Fatalf("inactive included, limited: %s", titles(gs))
	}
	if gs, _ = e.listGoals(k, "?include_inactive=false&limit=10"); titles(gs) != "g0,g2,g3,g4" {
		t.Fatalf("include_inactive=false: %s", titles(gs))
	}
	if _, applied = e.listGoals(k, "?limit=0"); applied != "1" {
		t.Fatalf("limit=0 applied %s", applied)
	}
	if _, applied = e.listGoals(k, "?limit=5000"); applied != "1000" {
		t.Fatalf("limit=5000 applied %s", applied)
	}
	for _, tc := range []struct{ query, loc, typ string }{
		{"?limit=-1", "[query limit]", "greater_than_equal"},
		{"?limit=ten", "[query limit]", "int_parsing"},
		{"?include_inactive=maybe", "[query include_inactive]", "bool_parsing"},
	} {
		resp := e.do("GET", goalsPath+tc.query, k, nil)
		wantStatus(t, resp, 422)
		if loc, _, typ := validation(t, resp.Body); loc != tc.loc || typ != tc.typ {
			t.Errorf("%s: %s %s", tc.query, loc, typ)
		}
	}
}

func TestUpdateGoal(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	g := e.createGoal(k, map[string]any{"title": "Ship v1"})
	path := goalsPath + "/" + g.ID
	patch := func(body any) goal {
		t.Helper()
		e.clock.Add(time.Minute)
		return e.patchGoal(k, g.ID, body)
	}

	got := patch(`{"title":"  Ship v2  ","id":"x","goal_id":"x","status":"achieved","source":"imported","focus_rank":1,
		"is_active":false,"created_at":"2001-01-01T00:00:00Z","goal_type":"boolean"}`)
	if got.Title != "Ship v2" || got.ID != g.ID || got.Status != "background" || got.Source != "user" || got.FocusRank != nil ||
		!got.IsActive || !got.CreatedAt.Equal(g.CreatedAt) || !got.UpdatedAt.After(g.UpdatedAt) || got.Metric != nil {
		t.Fatalf("title: %+v", got)
	}
	// A metric alias on a goal without a metric starts from a 0-of-0 scale.
	if got = patch(map[string]any{"current_value": 4}); got.Metric == nil || got.aliases() != "scale 4/0 0..10 null" {
		t.Fatalf("current on no metric: %s", got.aliases())
	}
	if got = patch(map[string]any{"target_value": "80", "unit": "km", "min_value": 1, "max_value": 90}); got.aliases() != "scale 4/80 1..90 km" {
		t.Fatalf("metric fields: %s", got.aliases())
	}
	// null clears min, max and unit; the aliases fall back.
	if got = patch(map[string]any{"unit": nil, "max_value": nil, "min_value": nil}); got.aliases() != "scale 4/80 0..80 null" ||
		got.Metric.Min != nil || got.Metric.Max != nil || got.Metric.Unit != nil {
		t.Fatalf("cleared: %s %+v", got.aliases(), got.Metric)
	}
	got = patch(map[string]any{"desired_outcome": "  in users' hands ", "why_it_matters": "rent",
		"success_criteria": []string{" a ", "", "b"}, "horizon_at": "2031-01-01T00:00:00Z"})
	if got.DesiredOutcome != "in users' hands" || *got.WhyItMatters != "rent" || strings.Join(got.SuccessCriteria, "|") != "a|b" ||
		got.HorizonAt == nil || got.Title != "Ship v2" || got.aliases() != "scale 4/80 0..80 null" {
		t.Fatalf("text fields: %+v", got)
	}
	if got = patch(map[string]any{"why_it_matters": nil, "horizon_at": nil, "success_criteria": []string{}}); got.WhyItMatters != nil ||
		got.HorizonAt != nil || len(got.SuccessCriteria) != 0 {
		t.Fatalf("cleared text fields: %+v", got)
	}

	before := e.getGoal(k, g.ID)
	for _, tc := range []struct{ body, loc, msg string }{
		{`{}`, "[body]", "At least one field must be provided"},
		{`{"status":"achieved","id":"x","goal_type":"numeric"}`, "[body]", "At least one field must be provided"},
		{`{"title":null}`, "[body title]", "title cannot be null"},
		{`{"desired_outcome":null}`, "[body desired_outcome]", "desired_outcome cannot be null"},
		{`{"success_criteria":null}`, "[body success_criteria]", "success_criteria cannot be null"},
		{`{"target_value":null}`, "[body target_value]", "target_value cannot be null"},
		{`{"current_value":null,"title":"ok"}`, "[body current_value]", "current_value cannot be null"},
		{`{"title":"   "}`, "[body title]", "title cannot be blank"},
		{`{"title":""}`, "[body title]", "String should have at least 1 character"},
		{`{"desired_outcome":" "}`, "[body desired_outcome]", "desired_outcome cannot be blank"},
		{`{"title":"ok","min_value":100,"max_value":50}`, "[body]", "metric min must not exceed max"},
		{`{"unit":"` + strings.Repeat("u", 65) + `"}`, "[body unit]", "String should have at most 64 characters"},
		{`{"success_criteria":["` + strings.Repeat(`c","`, 20) + `c"]}`, "[body success_criteria]", "List should have at most 20 items"},
		{`{"horizon_at":"tomorrow"}`, "[body horizon_at]", "Input should be a valid datetime"},
		{`{"current_value":"lots"}`, "[body current_value]", "Input should be a valid number"},
		{`null`, "[body]", "Field required"},
	} {
		resp := e.do("PATCH", path, k, tc.body)
		wantStatus(t, resp, 422)
		if loc, msg, _ := validation(t, resp.Body); loc != tc.loc || !strings.HasPrefix(msg, tc.msg) {
			t.Errorf("%.60s: got %s %q, want %s %q", tc.body, loc, msg, tc.loc, tc.msg)
		}
	}
	// Nothing above was written, not even the valid half of a request.
	if diff := cmp.Diff(before, e.getGoal(k, g.ID)); diff != "" {
		t.Fatalf("rejected PATCH wrote (-before +after):\n%s", diff)
	}
	wantDetail(t, e.do("PATCH", goalsPath+"/goal_000000000000", k, `{"title":"x"}`), 404, "Goal not found")
}

func TestGoalProgressAndHistory(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	e.clock.Set(time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC))
	g := e.createGoal(k, map[string]any{"title": "Read"})
	progress := func(value string) goal {
		t.Helper()
		resp := e.do("PATCH", goalsPath+"/"+g.ID+"/progress?current_value="+value, k, nil)
		wantStatus(t, resp, 200)
		var out goal
		resp.Decode(t, &out)
		return out
	}
	history := func(query string) []goalHistoryRow {
		t.Helper()
		resp := e.do("GET", goalsPath+"/"+g.ID+"/history"+query, k, nil)
		wantStatus(t, resp, 200)
		var rows []goalHistoryRow
		resp.Decode(t, &rows)
		return rows
	}
	if rows := history(""); rows == nil || len(rows) != 0 {
		t.Fatalf("no progress yet: %v", rows)
	}
	// No metric yet: progress makes a numeric one with target 0.
	got := progress("3")
	if got.Metric == nil || got.aliases() != "numeric 3/0 0..10 null" || !got.UpdatedAt.Equal(e.clock.Now()) {
		t.Fatalf("first progress: %s %+v", got.aliases(), got)
	}
	e.clock.Add(5 * time.Hour) // 14:00, same day: the day's row is replaced
	progress("5.5")
	last := e.clock.Now()
	e.clock.Add(24 * time.Hour)
	progress("7")
	e.clock.Add(2 * 24 * time.Hour) // a day without progress, then 3/17
	got = progress("-1e1")
	if got.CurrentValue != -10 || got.GoalType != "numeric" {
		t.Fatalf("progress: %s", got.aliases())
	}
	rows := history("")
	want := fmt.Sprintf("[{2026-03-17 -10 %s} {2026-03-15 7 %s} {2026-03-14 5.5 %s}]",
		e.clock.Now().Format(time.RFC3339), last.Add(24*time.Hour).Format(time.RFC3339), last.Format(time.RFC3339))
	if got := historyString(rows); got != want {
		t.Fatalf("history\n got %s\nwant %s", got, want)
	}
	// days counts rows, newest first.
	if rows = history("?days=2"); historyString(rows) != want[:strings.Index(want, "} {2026-03-14")+1]+"]" {
		t.Fatalf("days=2: %s", historyString(rows))
	}
	if rows = history("?days=365"); len(rows) != 3 {
		t.Fatalf("days=365: %v", rows)
	}
	// A goal with a metric keeps its type.
	scale := e.createGoal(k, map[string]any{"title": "Mood", "goal_type": "scale", "target_value": 8})
	resp := e.do("PATCH", goalsPath+"/"+scale.ID+"/progress?current_value=6", k, nil)
	wantStatus(t, resp, 200)
	var s goal
	resp.Decode(t, &s)
	if s.aliases() != "scale 6/8 0..10 null" {
		t.Fatalf("scale progress: %s", s.aliases())
	}

	for _, tc := range []struct{ path, loc, msg, typ string }{
		{"/progress", "[query current_value]", "Field required", "missing"},
		{"/progress?current_value=", "[query current_value]", "Input should be a valid number", "float_parsing"},
		{"/progress?current_value=abc", "[query current_value]", "Input should be a valid number", "float_parsing"},
		{"/progress?current_value=nan", "[query current_value]", "Input should be a finite number", "finite_number"},
		{"/history?days=0", "[query days]", "Input should be greater than or equal to 1", "greater_than_equal"},
		{"/history?days=366", "[query days]", "Input should be less than or equal to 365", "less_than_equal"},
		{"/history?days=-3", "[query days]", "Input should be greater than or equal to 1", "greater_than_equal"},
		{"/history?days=week", "[query days]", "Input should be a valid integer", "int_parsing"},
	} {
		method := "GET"
		if strings.HasPrefix(tc.path, "/progress") {
			method = "PATCH"
		}
		resp := e.do(method, goalsPath+"/"+g.ID+tc.path, k, nil)
		wantStatus(t, resp, 422)
		if loc, msg, typ := validation(t, resp.Body); loc != tc.loc || !strings.HasPrefix(msg, tc.msg) || typ != tc.typ {
			t.Errorf("%s: got %s %q %s", tc.path, loc, msg, typ)
		}
	}
	if rows = history(""); historyString(rows) != want {
		t.Fatalf("rejected progress wrote history: %s", historyString(rows))
	}
	// The spec declares 404 where upstream answers 200 [].
	wantDetail(t, e.do("GET", goalsPath+"/goal_000000000000/history", k, nil), 404, "Goal not found")
	wantDetail(t, e.do("PATCH", goalsPath+"/goal_000000000000/progress?current_value=1", k, nil), 404, "Goal not found")
}

func historyString(rows []goalHistoryRow) string {
	parts := make([]string, len(rows))
	for i, r := range rows {
		parts[i] = fmt.Sprintf("{%s %v %s}", r.Date, r.Value, r.RecordedAt.Format(time.RFC3339))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func TestDeleteGoal(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	g := e.createGoal(k, map[string]any{"title": "Quit sugar", "target_value": 30})
	e.clock.Add(time.Hour)
	resp := e.do("DELETE", goalsPath+"/"+g.ID, k, nil)
	wantStatus(t, resp, 200)
	if string(resp.Body) != `{"success":true}` {
		t.Fatalf("delete body %s", resp.Body)
	}
	// Upstream's soft delete: abandoned, inactive, still readable.
	got := e.getGoal(k, g.ID)
	if got.Status != "abandoned" || got.IsActive || got.FocusRank != nil || !got.UpdatedAt.Equal(e.clock.Now().Truncate(time.Microsecond)) ||
		got.Title != g.Title || got.aliases() != g.aliases() {
		t.Fatalf("deleted goal: %+v", got)
	}
	if gs, _ := e.listGoals(k, ""); len(gs) != 0 {
		t.Fatalf("abandoned goal listed as active: %s", titles(gs))
	}
	if gs, _ := e.listGoals(k, "?include_inactive=true"); len(gs) != 1 || gs[0].Status != "abandoned" {
		t.Fatalf("abandoned goal missing from the full list: %+v", gs)
	}
	// It still exists, so deleting it again succeeds, as upstream's soft delete does.
	wantStatus(t, e.do("DELETE", goalsPath+"/"+g.ID, k, nil), 200)
	wantDetail(t, e.do("DELETE", goalsPath+"/goal_000000000000", k, nil), 404, "Goal not found")
	wantDetail(t, e.do("GET", goalsPath+"/goal_000000000000", k, nil), 404, "Goal not found")
}

func TestGoalsTenantIsolation(t *testing.T) {
	e := setup(t)
	a := e.key("alice").Key
	b := e.key("bob").Key
	g := e.createGoal(a, map[string]any{"title": "alice's secret plan", "target_value": 10})
	path := goalsPath + "/" + g.ID
	for _, req := range []struct{ method, path, body string }{
		{"GET", path, ""},
		{"PATCH", path, `{"title":"pwned"}`},
		{"DELETE", path, ""},
		{"PATCH", path + "/progress?current_value=99", ""},
		{"GET", path + "/history", ""},
	} {
		resp := e.do(req.method, req.path, b, req.body)
		wantDetail(t, resp, 404, "Goal not found")
		if strings.Contains(string(resp.Body), "secret") {
			t.Fatal("leak")
		}
	}
	for _, q := range []string{"", "?include_inactive=true"} {
		if gs, _ := e.listGoals(b, q); len(gs) != 0 {
			t.Fatalf("bob sees %s", titles(gs))
		}
	}
	if got := e.getGoal(a, g.ID); got.Title != g.Title || got.Status != "background" || got.CurrentValue != 0 {
		t.Fatalf("bob changed alice's goal: %+v", got)
	}
	resp := e.do("GET", path+"/history", a, nil)
	wantStatus(t, resp, 200)
	if string(resp.Body) != "[]" {
		t.Fatalf("bob's progress wrote alice's history: %s", resp.Body)
	}
}

func TestGoalsScopes(t *testing.T) {
	e := setup(t)
	full := e.key("alice").Key
	g := e.createGoal(full, map[string]any{"title": "x"})
	ro := e.key("alice", omi.DefaultScopes...).Key
	other := e.key("alice", omi.ScopeMemoriesRead, omi.ScopeMemoriesWrite).Key
	path := goalsPath + "/" + g.ID
	for _, w := range []struct{ method, path, body string }{
		{"POST", goalsPath, `{"title":"y"}`},
		{"PATCH", path, `{"title":"y"}`},
		{"PATCH", path + "/progress?current_value=1", ""},
		{"DELETE", path, ""},
	} {
		wantDetail(t, e.do(w.method, w.path, ro, w.body), 403, "Required scope: goals:write")
		wantDetail(t, e.do(w.method, w.path, other, w.body), 403, "Required scope: goals:write")
	}
	for _, p := range []string{goalsPath, path, path + "/history"} {
		wantStatus(t, e.do("GET", p, ro, nil), 200)
		wantDetail(t, e.do("GET", p, other, nil), 403, "Required scope: goals:read")
	}
	if got := e.getGoal(full, g.ID); got.Title != "x" || got.Status != "background" {
		t.Fatalf("a refused request wrote: %+v", got)
	}
}
