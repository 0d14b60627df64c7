package httpapi_test

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	omi "github.com/omi-devapi/omi-devapi"
)

type folder struct {
	ID                string    `json:"id"`
	Name              string    `json:"name"`
	Description       *string   `json:"description"`
	Color             string    `json:"color"`
	Icon              string    `json:"icon"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
	Order             int       `json:"order"`
	IsDefault         bool      `json:"is_default"`
	IsSystem          bool      `json:"is_system"`
	ConversationCount int       `json:"conversation_count"`
}

const foldersPath = "/v1/dev/user/folders"

func (e *env) listFolders(key string) []folder {
	e.t.Helper()
	resp := e.do("GET", foldersPath, key, nil)
	wantStatus(e.t, resp, 200)
	var fs []folder
	resp.Decode(e.t, &fs)
	return fs
}

func (e *env) createFolder(key string, body any) folder {
	e.t.Helper()
	resp := e.do("POST", foldersPath, key, body)
	wantStatus(e.t, resp, 200)
	var f folder
	resp.Decode(e.t, &f)
	return f
}

func folderByName(t *testing.T, fs []folder, name string) folder {
	t.Helper()
	for _, f := range fs {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no folder %q", name)
	return folder{}
}

func folderSummary(fs []folder) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = fmt.Sprintf("%s:%d:%d", f.Name, f.Order, f.ConversationCount)
	}
	return strings.Join(parts, " ")
}

// fileConversation stores a conversation in folderID through the store,
// as conversation processing would.
func (e *env) fileConversation(uid, folderID string, discarded bool) string {
	e.t.Helper()
	id := uuid.NewString()
	c := &omi.Conversation{ID: id, UID: uid, CreatedAt: e.clock.Now().UTC().Truncate(time.Microsecond), Status: "completed",
		Discarded: discarded, FolderID: &folderID,
		Structured:         omi.Structured{Title: "t", Emoji: "🧠", Category: "other", ActionItems: []omi.ConversationActionItem{}, Events: []omi.Event{}},
		TranscriptSegments: []omi.TranscriptSegment{}}
	if _, _, err := e.db.CreateConversation(e.t.Context(), c, nil, nil); err != nil {
		e.t.Fatal(err)
	}
	return id
}

func TestListFoldersStartsWithSystemFolders(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	fs := e.listFolders(k)
	if len(fs) != len(omi.SystemFolders) {
		t.Fatalf("%d folders: %s", len(fs), folderSummary(fs))
	}
	for i, f := range fs {
		s := omi.SystemFolders[i]
		if f.Name != s.Name || f.Description == nil || *f.Description != s.Description || f.Color != s.Color || f.Icon != s.Icon ||
			f.Order != i || !f.IsSystem || f.IsDefault != (s.Name == "Other") || f.ConversationCount != 0 || f.ID == "" {
			t.Errorf("folder %d: %+v", i, f)
		}
	}
	want := "Personal Work Health Education Finance Travel Social Technology Entertainment Other"
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	if strings.Join(names, " ") != want {
		t.Fatalf("order %v", names)
	}
	// Exactly the spec's fields: category_mapping is stored, never shown.
	resp := e.do("GET", foldersPath, k, nil)
	var raw []map[string]any
	resp.Decode(t, &raw)
	keys := make([]string, 0, len(raw[0]))
	for key := range raw[0] {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	if got := strings.Join(keys, ","); got != "color,conversation_count,created_at,description,icon,id,is_default,is_system,name,order,updated_at" {
		t.Fatalf("fields %s", got)
	}
	// Listing again creates nothing more.
	again := e.listFolders(k)
	for i := range fs {
		if again[i].ID != fs[i].ID {
			t.Fatalf("second list differs at %d", i)
		}
	}
}

func TestFoldersConcurrentFirstList(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	var wg sync.WaitGroup
	lists := make([][]folder, 8)
	for i := range lists {
		wg.Go(func() { lists[i] = e.listFolders(k) })
	}
	wg.Wait()
	final := e.listFolders(k)
	if len(final) != 10 {
		t.Fatalf("%d folders after racing first lists", len(final))
	}
	for i, l := range lists {
		if len(l) != 10 || l[0].ID != final[0].ID || l[9].ID != final[9].ID {
			t.Fatalf("list %d saw %s", i, folderSummary(l))
		}
	}
}

func TestCreateFolder(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	// Created before any list: the system folders come first anyway.
	f := e.createFolder(k, `{"name":"  Side projects ","id":"mine","order":0,"is_system":true,"is_default":true,
		"conversation_count":7,"created_at":"2001-01-01T00:00:00Z"}`)
	if f.Name != "Side projects" || f.ID == "mine" || f.Order != 10 || f.IsSystem || f.IsDefault || f.ConversationCount != 0 ||
		f.Color != "#6B7280" || f.Icon != "📁" || f.Description != nil || f.CreatedAt.Year() == 2001 || !f.UpdatedAt.Equal(f.CreatedAt) {
		t.Fatalf("defaults: %+v", f)
	}
	g := e.createFolder(k, map[string]any{"name": "Gym", "description": "lifting", "color": "#000000", "icon": "🏋️"})
	if g.Order != 11 || *g.Description != "lifting" || g.Color != "#000000" || g.Icon != "🏋️" {
		t.Fatalf("given fields: %+v", g)
	}
	fs := e.listFolders(k)
	if len(fs) != 12 || fs[10].ID != f.ID || fs[11].ID != g.ID || fs[9].Name != "Other" {
		t.Fatalf("list %s", folderSummary(fs))
	}
	for _, tc := range []struct{ body, loc, msg string }{
		{`{}`, "[body name]", "Field required"},
		{`{"name":""}`, "[body name]", "String should have at least 1 character"},
		{`{"name":"` + strings.Repeat("n", 101) + `"}`, "[body name]", "String should have at most 100 characters"},
		{`{"name":"   "}`, "[body name]", "name cannot be empty"},
		{`{"name":7}`, "[body name]", "Input should be a valid string"},
		{`{"name":"x","description":"` + strings.Repeat("d", 501) + `"}`, "[body description]", "String should have at most 500 characters"},
		{`{"name":"x","color":""}`, "[body color]", "String should have at least 1 character"},
		{`{"name":"x","icon":["📁"]}`, "[body icon]", "Input should be a valid string"},
		{`"x"`, "[body]", "Input should be a valid dictionary"},
	} {
		resp := e.do("POST", foldersPath, k, tc.body)
		wantStatus(t, resp, 422)
		if loc, msg, _ := validation(t, resp.Body); loc != tc.loc || !strings.HasPrefix(msg, tc.msg) {
			t.Errorf("%.50s: got %s %q, want %s %q", tc.body, loc, msg, tc.loc, tc.msg)
		}
	}
	if fs := e.listFolders(k); len(fs) != 12 {
		t.Fatalf("invalid requests wrote: %s", folderSummary(fs))
	}
}

func TestUpdateFolder(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	f := e.createFolder(k, map[string]any{"name": "Trips", "description": "away"})
	path := foldersPath + "/" + f.ID
	patch := func(p string, body any) folder {
		t.Helper()
		e.clock.Add(time.Minute)
		resp := e.do("PATCH", p, k, body)
		wantStatus(t, resp, 200)
		var out folder
		resp.Decode(t, &out)
		return out
	}
	got := patch(path, `{"name":" Journeys ","color":"#123456","id":"x","order":0,"is_system":true}`)
	if got.ID != f.ID || got.Name != "Journeys" || got.Color != "#123456" || got.Icon != f.Icon || *got.Description != "away" ||
		got.Order != f.Order || got.IsSystem || !got.CreatedAt.Equal(f.CreatedAt) || !got.UpdatedAt.After(f.UpdatedAt) {
		t.Fatalf("update: %+v", got)
	}
	if got = patch(path, map[string]any{"description": nil, "icon": "🧳"}); got.Description != nil || got.Icon != "🧳" {
		t.Fatalf("cleared description: %+v", got)
	}
	// System folders' metadata may change too, as in upstream's app.
	work := folderByName(t, e.listFolders(k), "Work")
	if got = patch(foldersPath+"/"+work.ID, map[string]any{"name": "Job"}); got.Name != "Job" || !got.IsSystem || got.Order != 1 {
		t.Fatalf("system rename: %+v", got)
	}
	for _, tc := range []struct{ body, loc, msg string }{
		{`{}`, "[body]", "At least one field must be provided"},
		{`{"order":3,"is_default":true}`, "[body]", "At least one field must be provided"},
		{`{"name":null}`, "[body name]", "name cannot be null"},
		{`{"color":null,"name":"ok"}`, "[body color]", "color cannot be null"},
		{`{"name":"  "}`, "[body name]", "name cannot be empty"},
		{`{"name":"` + strings.Repeat("n", 101) + `"}`, "[body name]", "String should have at most 100 characters"},
	} {
		resp := e.do("PATCH", path, k, tc.body)
		wantStatus(t, resp, 422)
		if loc, msg, _ := validation(t, resp.Body); loc != tc.loc || !strings.HasPrefix(msg, tc.msg) {
			t.Errorf("%.50s: got %s %q, want %s %q", tc.body, loc, msg, tc.loc, tc.msg)
		}
	}
	if now := folderByName(t, e.listFolders(k), "Journeys"); now.Color != "#123456" {
		t.Fatalf("rejected PATCH wrote: %+v", now)
	}
	wantDetail(t, e.do("PATCH", foldersPath+"/nope", k, `{"name":"x"}`), 404, "Folder not found")
}

func TestFolderCountsAndDelete(t *testing.T) {
	e := setup(t)
	k := e.key("alice").Key
	trips := e.createFolder(k, map[string]any{"name": "Trips"})
	other := folderByName(t, e.listFolders(k), "Other")
	work := folderByName(t, e.listFolders(k), "Work")
	moved := []string{e.fileConversation("alice", trips.ID, false), e.fileConversation("alice", trips.ID, false)}
	hidden := e.fileConversation("alice", trips.ID, true) // discarded: not counted
	e.fileConversation("alice", other.ID, false)
	e.fileConversation("alice", work.ID, false)
	e.fileConversation("bob", trips.ID, false) // another user's rows never count

	fs := e.listFolders(k)
	if got := folderSummary(fs); got != "Personal:0:0 Work:1:1 Health:2:0 Education:3:0 Finance:4:0 Travel:5:0 Social:6:0 Technology:7:0 Entertainment:8:0 Other:9:1 Trips:10:2" {
		t.Fatalf("counts %s", got)
	}

	resp := e.do("DELETE", foldersPath+"/"+trips.ID, k, nil)
	wantStatus(t, resp, 200)
	if string(resp.Body) != `{"success":true}` {
		t.Fatalf("delete body %s", resp.Body)
	}
	fs = e.listFolders(k)
	if got := folderSummary(fs); got != "Personal:0:0 Work:1:1 Health:2:0 Education:3:0 Finance:4:0 Travel:5:0 Social:6:0 Technology:7:0 Entertainment:8:0 Other:9:3" {
		t.Fatalf("after delete %s", got)
	}
	for _, id := range append(moved, hidden) {
		c, err := e.db.GetConversation(t.Context(), "alice", id, false)
		if err != nil {
			t.Fatal(err)
		}
		if c.FolderID == nil || *c.FolderID != other.ID {
			t.Fatalf("conversation %s not moved to Other: %v", id, c.FolderID)
		}
	}
	wantDetail(t, e.do("DELETE", foldersPath+"/"+trips.ID, k, nil), 404, "Folder not found")
	wantDetail(t, e.do("PATCH", foldersPath+"/"+trips.ID, k, `{"name":"back"}`), 404, "Folder not found")

	// System folders stay.
	for _, f := range []folder{other, work} {
		resp := e.do("DELETE", foldersPath+"/"+f.ID, k, nil)
		wantStatus(t, resp, 422)
		if loc, msg, _ := validation(t, resp.Body); loc != "[path folder_id]" || msg != "System folders cannot be deleted" {
			t.Fatalf("delete system folder: %s %q", loc, msg)
		}
	}
	if fs := e.listFolders(k); len(fs) != 10 {
		t.Fatalf("%d folders left", len(fs))
	}
}

func TestFoldersTenantIsolation(t *testing.T) {
	e := setup(t)
	a := e.key("alice").Key
	b := e.key("bob").Key
	secret := e.createFolder(a, map[string]any{"name": "alice's secret folder"})
	work := folderByName(t, e.listFolders(a), "Work")
	for _, f := range []folder{secret, work} {
		for _, req := range []struct{ method, body string }{{"PATCH", `{"name":"pwned"}`}, {"DELETE", ""}} {
			resp := e.do(req.method, foldersPath+"/"+f.ID, b, req.body)
			wantDetail(t, resp, 404, "Folder not found")
			if strings.Contains(string(resp.Body), "secret") {
				t.Fatal("leak")
			}
		}
	}
	// Bob has his own system folders and nothing of alice's.
	bobs := e.listFolders(b)
	if len(bobs) != 10 {
		t.Fatalf("bob's folders: %s", folderSummary(bobs))
	}
	mine := map[string]bool{}
	for _, f := range e.listFolders(a) {
		mine[f.ID] = true
	}
	for _, f := range bobs {
		if mine[f.ID] || strings.Contains(f.Name, "secret") {
			t.Fatalf("bob sees alice's folder %+v", f)
		}
	}
	if got := folderByName(t, e.listFolders(a), "alice's secret folder"); got.ID != secret.ID {
		t.Fatal("alice's folder changed")
	}
	if got := folderByName(t, e.listFolders(a), "Work"); got.ID != work.ID {
		t.Fatal("alice's system folder changed")
	}
}

func TestFoldersScopes(t *testing.T) {
	e := setup(t)
	full := e.key("alice").Key
	f := e.createFolder(full, map[string]any{"name": "x"})
	ro := e.key("alice", omi.DefaultScopes...).Key
	other := e.key("alice", omi.ScopeMemoriesRead, omi.ScopeMemoriesWrite, omi.ScopeGoalsRead, omi.ScopeGoalsWrite).Key
	for _, w := range []struct{ method, path, body string }{
		{"POST", foldersPath, `{"name":"y"}`},
		{"PATCH", foldersPath + "/" + f.ID, `{"name":"y"}`},
		{"DELETE", foldersPath + "/" + f.ID, ""},
	} {
		wantDetail(t, e.do(w.method, w.path, ro, w.body), 403, "Required scope: conversations:write")
		wantDetail(t, e.do(w.method, w.path, other, w.body), 403, "Required scope: conversations:write")
	}
	wantStatus(t, e.do("GET", foldersPath, ro, nil), 200)
	wantDetail(t, e.do("GET", foldersPath, other, nil), 403, "Required scope: conversations:read")
	if got := folderByName(t, e.listFolders(full), "x"); got.ID != f.ID {
		t.Fatal("a refused request wrote")
	}
}
