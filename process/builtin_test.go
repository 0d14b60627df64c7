package process

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	omi "github.com/omi-devapi/omi-devapi"
)

func process(t testing.TB, in omi.ProcessInput) *omi.ProcessResult {
	t.Helper()
	res, err := NewBuiltin().Process(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, in.Text, res)
	return res
}

func text(s string) omi.ProcessInput {
	return omi.ProcessInput{Text: s, TextSource: "other_text", StartedAt: ref, FinishedAt: ref.Add(5 * time.Minute), Language: "en"}
}

// checkShape asserts what every result must satisfy, whatever the input.
func checkShape(t testing.TB, input string, res *omi.ProcessResult) {
	t.Helper()
	s := res.Structured
	if s.ActionItems == nil || s.Events == nil || res.Memories == nil {
		t.Fatalf("nil list in %+v", res)
	}
	if !slices.Contains(omi.ConversationCategories, s.Category) || s.Emoji == "" {
		t.Errorf("category %q emoji %q", s.Category, s.Emoji)
	}
	if res.Discarded {
		if s.Title != "" || len(s.ActionItems)+len(s.Events)+len(res.Memories) != 0 {
			t.Errorf("discarded result with content: %+v", res)
		}
		return
	}
	if s.Title == "" || utf8.RuneCountInString(s.Title) > maxTitle || strings.ContainsAny(s.Title[len(s.Title)-1:], ".,;:!?") {
		t.Errorf("title %q (input %.60q)", s.Title, input)
	}
	if r, _ := utf8.DecodeRuneInString(s.Title); unicode.IsLower(r) {
		t.Errorf("title %q not capitalised", s.Title)
	}
	if s.Overview == "" || len(s.Overview) > maxOverview {
		t.Errorf("overview of %d bytes: %q", len(s.Overview), s.Overview)
	}
	if len(s.ActionItems) > maxActionItems || len(s.Events) > maxEvents || len(res.Memories) > maxMemories {
		t.Errorf("caps exceeded: %d action items, %d events, %d memories", len(s.ActionItems), len(s.Events), len(res.Memories))
	}
	seen := map[string]bool{}
	for _, a := range s.ActionItems {
		if a.Description == "" || len(a.Description) > maxText || seen[a.Description] || !utf8.ValidString(a.Description) {
			t.Errorf("action item %q", a.Description)
		}
		seen[a.Description] = true
		if r, _ := utf8.DecodeRuneInString(a.Description); unicode.IsLower(r) {
			t.Errorf("action item %q not capitalised", a.Description)
		}
		if a.DueAt != nil && a.DueAt.Location() != time.UTC {
			t.Errorf("due_at %v not UTC", a.DueAt)
		}
		if a.Completed || a.CreatedAt != nil || a.ConversationID != nil {
			t.Errorf("processor set store fields: %+v", a)
		}
	}
	for _, e := range s.Events {
		if e.Title == "" || e.Duration < 1 || e.Created || e.Start.Location() != time.UTC || len(e.Description) > maxText {
			t.Errorf("event %+v", e)
		}
	}
	for _, m := range res.Memories {
		if m.Content == "" || len(m.Content) > maxText || !slices.Contains(omi.MemoryCategories, m.Category) ||
			!strings.HasPrefix(m.Content, "User") {
			t.Errorf("memory %+v", m)
		}
	}
}

func descriptions(res *omi.ProcessResult) []string {
	var out []string
	for _, a := range res.Structured.ActionItems {
		out = append(out, a.Description)
	}
	return out
}

func TestActionItems(t *testing.T) {
	tests := []struct {
		text string
		want []string
		due  string // RFC 3339 due date of the first item, "" for none
	}{
		{"I'll send the deck to Maria by Friday.", []string{"Send the deck to Maria by Friday"}, "2025-03-07T17:00:00Z"},
		{"Can you book the room?", []string{"Book the room"}, ""},
		{"I'm going to call the bank tomorrow at 10.", []string{"Call the bank tomorrow at 10"}, "2025-03-06T10:00:00Z"},
		{"Could you please send me the signed contract by end of day?", []string{"Send me the signed contract by end of day"}, "2025-03-05T17:00:00Z"},
		{"Would you mind reviewing the pull request before lunch?", []string{"Review the pull request before lunch"}, ""},
		{"Please update the spreadsheet with the new numbers.", []string{"Update the spreadsheet with the new numbers"}, ""},
		{"We need to hire a second designer before Q3.", []string{"Hire a second designer before Q3"}, ""},
		{"We should probably renew the domain this week.", []string{"Renew the domain this week"}, "2025-03-07T17:00:00Z"},
		{"Remind me to water the plants tonight.", []string{"Water the plants tonight"}, "2025-03-05T20:00:00Z"},
		{"Don't forget to pick up the dry cleaning.", []string{"Pick up the dry cleaning"}, ""},
		{"Let's schedule a retro for next Monday at 2pm.", []string{"Schedule a retro for next Monday at 2pm"}, "2025-03-10T14:00:00Z"},
		{"Make sure to back up the database before the migration.", []string{"Back up the database before the migration"}, ""},
		{"Make sure that the invoice goes out on the 15th.", []string{"Make sure the invoice goes out on the 15th"}, "2025-03-15T17:00:00Z"},
		{"I need to renew my passport in two weeks.", []string{"Renew my passport in two weeks"}, "2025-03-19T17:00:00Z"},
		{"TODO: fix the login redirect", []string{"Fix the login redirect"}, ""},
		{"Action item: draft the press release", []string{"Draft the press release"}, ""},
		{"Note to self: call the plumber about the leak", []string{"Call the plumber about the leak"}, ""},
		{"Call the dentist tomorrow.", []string{"Call the dentist tomorrow"}, "2025-03-06T17:00:00Z"},
		{"I'll send you the slides after the call.", []string{"Send the slides after the call"}, ""},
		{"I'll send the deck and book the room.", []string{"Send the deck", "Book the room"}, ""},
		{"I'll review and approve the PR today.", []string{"Review and approve the PR today"}, "2025-03-05T17:00:00Z"},
		{"Tom will handle the vendor call.", []string{"Tom to handle the vendor call"}, ""},
		{"Can you check if we still have printer paper?", []string{"Check if we still have printer paper"}, ""},
		{"By Friday, can you send the final report?", []string{"Send the final report"}, "2025-03-07T17:00:00Z"},
		{"I'll let Maria know about the new date.", []string{"Let Maria know about the new date"}, ""},
		{"we need to talk to legal about the contract", []string{"Talk to legal about the contract"}, ""},
		{"I'll send it over, but I need to check the numbers with finance first.", []string{"Check the numbers with finance"}, ""},
		{"I'll send the deck. I'll send the deck to Maria.", []string{"Send the deck to Maria"}, ""},
	}
	for _, tt := range tests {
		res := process(t, text(tt.text))
		got := descriptions(res)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q:\n got %q\nwant %q", tt.text, got, tt.want)
			continue
		}
		due := ""
		if d := res.Structured.ActionItems[0].DueAt; d != nil {
			due = d.Format(time.RFC3339)
		}
		if due != tt.due {
			t.Errorf("%q: due %q, want %q", tt.text, due, tt.due)
		}
	}
}

// TestActionItemFalsePositives: things people say that are not tasks.
func TestActionItemFalsePositives(t *testing.T) {
	for _, s := range []string{
		"I'll be honest, the numbers look rough.",
		"Let's see what happens.",
		"Can you believe it?",
		"I need to say something about that.",
		"Could you hear me okay?",
		"Did you send the report yesterday?",
		"I had to call the bank last week.",
		"Do we need to invite Sam?",
		"If I need to reschedule, that's fine.",
		"I'll tell you what, that was a great game.",
		"Let's get started.",
		"Let's move on to the next topic.",
		"I'll think about it.",
		"Would you like some coffee?",
		"I'll take it.",
		"I won't send the deck.",
		"We don't need to book anything.",
		"Let's not do that again.",
		"I'll do it.",
		"Can you imagine?",
		"I'm going to be late.",
		"You know what, let's go.",
		"Report says the market is down.",
		"Heat pump sales overtook gas furnaces.",
		"Plan for the week is simple.",
		"Thanks so much, talk soon!",
		"Let me share my screen.",
		"Let's go through the agenda.",
	} {
		if got := descriptions(process(t, text(s))); len(got) != 0 {
			t.Errorf("%q: action items %q, want none", s, got)
		}
	}
}

func TestEvents(t *testing.T) {
	tests := []struct {
		text  string
		title string
		start string
		dur   int
	}{
		{"I have a dentist appointment tomorrow at 3.", "Dentist appointment", "2025-03-06T15:00:00Z", 30},
		{"Lunch with Sam on Friday.", "Lunch with Sam", "2025-03-07T12:00:00Z", 30},
		{"The quarterly business review is next Tuesday at 10am for 2 hours.", "Quarterly business review", "2025-03-11T10:00:00Z", 120},
		{"Dinner at 8 on Saturday with the Garcias.", "Dinner with the Garcias", "2025-03-08T20:00:00Z", 30},
		{"Team standup tomorrow from 9:30 to 9:45.", "Team standup", "2025-03-06T09:30:00Z", 15},
		{"My flight to Berlin leaves on March 20th at 6:40 am.", "Flight to Berlin", "2025-03-20T06:40:00Z", 30},
		{"Let's do a dry run of the demo Thursday morning.", "Dry run", "2025-03-06T09:00:00Z", 30},
		{"The kickoff call for the pilot is 2025-03-12 14:00.", "Kickoff call", "2025-03-12T14:00:00Z", 30},
		{"We're meeting the client in 2 hours.", "Meeting", "2025-03-05T12:00:00Z", 30},
		{"Let's meet Thursday at 4.", "Meeting", "2025-03-06T16:00:00Z", 30},
	}
	for _, tt := range tests {
		res := process(t, text(tt.text))
		ev := res.Structured.Events
		if tt.title == "" {
			if len(ev) != 0 {
				t.Errorf("%q: events %+v, want none", tt.text, ev)
			}
			continue
		}
		if len(ev) != 1 || ev[0].Title != tt.title || ev[0].Start.Format(time.RFC3339) != tt.start || ev[0].Duration != tt.dur {
			t.Errorf("%q: events %+v, want %q at %s for %d", tt.text, ev, tt.title, tt.start, tt.dur)
			continue
		}
		if ev[0].Description != tt.text || ev[0].Created {
			t.Errorf("%q: description %q created %v", tt.text, ev[0].Description, ev[0].Created)
		}
	}
}

func TestEventFalsePositives(t *testing.T) {
	for _, s := range []string{
		"The meeting yesterday at 3 went well.",
		"We cancelled the dinner on Friday.",
		"I can't make the standup tomorrow.",
		"The demo build broke on Thursday.",
		"I need to book a session for next week.",
		"I'll call you tomorrow.",
		"Meeting notes are in the doc.",
	} {
		if ev := process(t, text(s)).Structured.Events; len(ev) != 0 {
			t.Errorf("%q: events %+v, want none", s, ev)
		}
	}
}

func TestMessageEventsCappedAtThreeHours(t *testing.T) {
	in := text("The workshop is on Friday at 9 for 6 hours.")
	in.TextSource = "message"
	ev := process(t, in).Structured.Events
	if len(ev) != 1 || ev[0].Duration != 180 {
		t.Fatalf("events %+v, want one of 180 minutes", ev)
	}
	in.TextSource = "other_text"
	if ev := process(t, in).Structured.Events; len(ev) != 1 || ev[0].Duration != 360 {
		t.Fatalf("events %+v, want one of 360 minutes", ev)
	}
}

func TestMemories(t *testing.T) {
	tests := map[string][]omi.ExtractedMemory{
		"I really love green tea.":                      {{Content: "User loves green tea", Category: "interesting"}},
		"I don't like horror movies.":                   {{Content: "User does not like horror movies", Category: "interesting"}},
		"My favorite band is Radiohead.":                {{Content: "User's favorite band is Radiohead", Category: "interesting"}},
		"I'm allergic to peanuts.":                      {{Content: "User is allergic to peanuts", Category: "system"}},
		"I work at Acme as a designer.":                 {{Content: "User works at Acme as a designer", Category: "system"}},
		"I live in Lisbon with my partner.":             {{Content: "User lives in Lisbon with their partner", Category: "system"}},
		"I'm a nurse.":                                  {{Content: "User is a nurse", Category: "system"}},
		"I'm a runner.":                                 {{Content: "User is a runner", Category: "interesting"}},
		"I'm vegetarian.":                               {{Content: "User is vegetarian", Category: "system"}},
		"My wife is named Ana.":                         {{Content: "User's wife is named Ana", Category: "system"}},
		"My daughter Emma is turning 7 next week.":      {{Content: "User's daughter Emma is turning 7 next week", Category: "system"}},
		"My dog's name is Biscuit.":                     {{Content: "User's dog is named Biscuit", Category: "system"}},
		"I grew up in Porto.":                           {{Content: "User grew up in Porto", Category: "system"}},
		"I speak Spanish and a bit of French.":          {{Content: "User speaks Spanish and a bit of French", Category: "system"}},
		"I've been learning Japanese for two years.":    {{Content: "User has been learning Japanese for two years", Category: "interesting"}},
		"I usually run before work.":                    {{Content: "User usually runs before work", Category: "interesting"}},
		"I have two kids.":                              {{Content: "User has two kids", Category: "system"}},
		"I'm a huge fan of jazz.":                       {{Content: "User is a huge fan of jazz", Category: "interesting"}},
		"I like that idea.":                             nil,
		"I love how you did the slides.":                nil,
		"If I lived in Paris I would cycle everywhere.": nil,
		"Do you like sushi?":                            nil,
		"I'd like a coffee.":                            nil,
		"My boss said the launch slipped.":              nil,
		"I'm a bit tired.":                              nil,
	}
	for s, want := range tests {
		got := process(t, text(s+" That is all for now, thanks everyone.")).Memories
		if len(want) == 0 && len(got) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %+v, want %+v", s, got, want)
		}
	}
}

func TestMemoriesOnlyFromTheUser(t *testing.T) {
	seg := func(text string, user bool) omi.TranscriptSegment {
		return omi.TranscriptSegment{Text: text, IsUser: user}
	}
	in := text("")
	in.Segments = []omi.TranscriptSegment{
		seg("I'm allergic to shellfish, by the way.", false),
		seg("Good to know. I love sushi though, and I live in Osaka.", true),
	}
	in.Text = in.Segments[0].Text + "\n" + in.Segments[1].Text
	var got []string
	for _, m := range process(t, in).Memories {
		got = append(got, m.Content)
	}
	want := []string{"User loves sushi", "User lives in Osaka"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q (another speaker's facts are not the user's)", got, want)
	}
	// With nobody marked as the user, any first-person statement may be theirs.
	in.Segments[1].IsUser = false
	if n := len(process(t, in).Memories); n != 3 {
		t.Fatalf("%d memories without user marks, want 3", n)
	}
}

func TestMemoriesCapped(t *testing.T) {
	var b strings.Builder
	for _, food := range []string{"tea", "coffee", "pasta", "sushi", "tacos", "curry", "ramen", "pho", "paella", "falafel", "kimchi", "borscht"} {
		b.WriteString("I really like " + food + ". ")
	}
	if n := len(process(t, text(b.String())).Memories); n != maxMemories {
		t.Fatalf("%d memories, want the cap %d", n, maxMemories)
	}
}

func TestDiscarded(t *testing.T) {
	for _, s := range []string{"", "   \n\t", "ok thanks bye", "Hello? Testing, testing. Okay.", "yeah yeah. mhm. right.", "Hi!"} {
		res := process(t, text(s))
		if !res.Discarded || res.Structured.Title != "" || res.Structured.Category != "other" || res.Structured.Emoji != defaultEmoji {
			t.Errorf("%q: %+v, want discarded", s, res)
		}
	}
	// Short but meaningful: kept.
	for _, s := range []string{"Call mom tomorrow at 5.", "The new pricing page converts twice as well as the old one."} {
		if res := process(t, text(s)); res.Discarded {
			t.Errorf("%q discarded", s)
		}
	}
}

func TestTitleAndOverview(t *testing.T) {
	res := process(t, text(`Okay so, um, quick sync on the website relaunch. The website relaunch is slipping because the
new checkout flow is not ready. The checkout flow needs another week of testing. Priya thinks we can still launch the
website on the 20th if the checkout flow passes testing by Friday. Anyway, that's it.`))
	s := res.Structured
	if lt := strings.ToLower(s.Title); !strings.Contains(lt, "relaunch") && !strings.Contains(lt, "checkout") && !strings.Contains(lt, "website") {
		t.Errorf("title %q misses the topic", s.Title)
	}
	if strings.HasPrefix(s.Overview, "Okay") || strings.Contains(s.Overview, "Anyway") {
		t.Errorf("overview keeps filler: %q", s.Overview)
	}
	if s.Category != "technology" && s.Category != "work" && s.Category != "business" {
		t.Errorf("category %q", s.Category)
	}
	long := process(t, text(strings.Repeat("The incredibly detailed quarterly infrastructure migration planning discussion continued ", 40)))
	if len(long.Structured.Title) > maxTitle || len(long.Structured.Overview) > maxOverview {
		t.Errorf("title %d / overview %d bytes", len(long.Structured.Title), len(long.Structured.Overview))
	}
}

func TestCategories(t *testing.T) {
	tests := map[string]string{
		"The doctor adjusted my blood pressure medication and wants a blood test next week.":            "health",
		"We need to fix the flaky deploy pipeline and upgrade the database server.":                     "technology",
		"Our flight to Tokyo boards at gate 12, and the hotel check-in is at 3.":                        "travel",
		"The realtor says the listing got two offers and the open house was packed.":                    "real",
		"Coach moved practice to Thursday and the team needs to work on the playoff game plan.":         "sports",
		"The band is rehearsing the new song for the concert, the guitar solo still needs work.":        "music",
		"The forecast says heavy rain and a thunderstorm tonight, temperature dropping below freezing.": "weather",
		"We talked about whether free will is compatible with determinism, very Kant and stoicism.":     "philosophy",
		"The kids have a parent-teacher conference and the toddler starts daycare on Monday.":           "parenting",
	}
	for s, want := range tests {
		if got := process(t, text(s)).Structured.Category; got != want {
			t.Errorf("%q: category %q, want %q", s, got, want)
		}
	}
	if got := process(t, text("The thing with the stuff went fine and nobody minded much at all.")).Structured.Category; got != "other" {
		t.Errorf("no evidence: category %q, want other", got)
	}
}

func TestSentences(t *testing.T) {
	in := "Dr. Smith said to take 2.5 mg at 3:30 p.m. Then rest, e.g. no running. Is that ok? Yes!\nNew line here"
	var got []string
	for _, s := range newDoc(text(in)).sents {
		got = append(got, s.text)
	}
	want := []string{"Dr. Smith said to take 2.5 mg at 3:30 p.m.", "Then rest, e.g. no running.", "Is that ok?", "Yes!", "New line here"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestSpeakerLabels(t *testing.T) {
	units := textUnits("Alice: I'll send it.\n[00:01:02] SPEAKER_01: sounds good\nTodo: book the room\nBob (00:12): and\nthen we wrap\n12:30 - Carol Ann Smith: bye\nMonday: finish the report")
	var got []string
	for _, u := range units {
		got = append(got, u.text)
	}
	want := []string{"I'll send it.", "sounds good", "Todo: book the room", "and then we wrap", "bye", "Monday: finish the report"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestDeterministicAndConcurrent(t *testing.T) {
	fixtures := loadFixtures(t)
	p := NewBuiltin()
	first := make([]*omi.ProcessResult, len(fixtures))
	for i, f := range fixtures {
		first[i], _ = p.Process(context.Background(), f.input())
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i, f := range fixtures {
				res, err := p.Process(context.Background(), f.input())
				if err != nil || !reflect.DeepEqual(res, first[i]) {
					t.Errorf("%s: result differs between runs", f.Name)
				}
			}
		})
	}
	wg.Wait()
}

func TestFixtureShapes(t *testing.T) {
	for _, f := range loadFixtures(t) {
		process(t, f.input())
	}
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewBuiltin().Process(ctx, text("I'll send the deck tomorrow.")); err == nil {
		t.Fatal("no error for a cancelled context")
	}
}

// transcript100k builds a realistic 100,000-character transcript from the
// fixtures, the size limit of POST /conversations.
func transcript100k(t testing.TB) string {
	var b strings.Builder
	for b.Len() < 100000 {
		for _, f := range loadFixtures(t) {
			b.WriteString(f.input().Text)
			b.WriteByte('\n')
		}
	}
	s := b.String()[:100000]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func TestBuiltin100k(t *testing.T) {
	in := text(transcript100k(t))
	start := time.Now()
	res := process(t, in)
	el := time.Since(start)
	// The benchmark measures; this only catches a pathological slowdown
	// (the limit is loose so that -race and slow CI machines pass).
	if el > 5*time.Second {
		t.Fatalf("100,000 characters took %v", el)
	}
	if res.Discarded || len(res.Structured.ActionItems) != maxActionItems {
		t.Fatalf("discarded %v, %d action items", res.Discarded, len(res.Structured.ActionItems))
	}
}

// TestPathologicalInputsFast: inputs of the maximum size shaped to hit
// every per-item loop (thousands of distinct tasks, hard-wrapped lines,
// dates everywhere) stay linear. Each took over 1.5 s before the caps.
func TestPathologicalInputsFast(t *testing.T) {
	var tasks strings.Builder
	for i := 0; tasks.Len() < 100000; i++ {
		fmt.Fprintf(&tasks, "I'll send report %d to team %d. ", i, i*7)
	}
	cases := map[string]string{
		"distinct tasks": tasks.String(),
		"wrapped lines":  strings.Repeat("a\n", 50000),
		"one word":       strings.Repeat("x", 100000),
		"no punctuation": strings.Repeat("so i will send the deck and you can book the room tomorrow at 3 ", 1600),
		"dates":          strings.Repeat("dinner tomorrow at 3pm next Friday March 5th 2025-03-05 ", 1800),
		"labels":         strings.Repeat("Alice: hi\n", 10000),
		"digits":         strings.Repeat("1:1:", 25000),
		"facts":          strings.Repeat("I love tea number one. My dog is called Rex. ", 2200),
	}
	for name, s := range cases {
		start := time.Now()
		process(t, text(s[:min(len(s), 100000)]))
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("%s: %v", name, el)
		}
	}
}

// BenchmarkBuiltin100k processes a 100,000-character transcript;
// BenchmarkFields100k is the baseline recorded next to it in
// bench/RESULTS.md: strings.Fields over the same text.
func BenchmarkBuiltin100k(b *testing.B) {
	in := text(transcript100k(b))
	p := NewBuiltin()
	b.SetBytes(int64(len(in.Text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Process(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFields100k(b *testing.B) {
	s := transcript100k(b)
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		if len(strings.Fields(s)) == 0 {
			b.Fatal("no fields")
		}
	}
}

func FuzzBuiltin(f *testing.F) {
	for _, s := range []string{
		"I'll send the deck to Maria by Friday at 3pm.", "at 7 tonight", "2025-03-05T", "on the 31st of February",
		"Monday:", "please", "I'm a", "my dog's", "between 2 and", "10:00-", "a.m.", "’’’", "so pack", "Dr.",
		"Can you book the 1:1 for next Tuesday at 10:00-11:30?", "remind me to\n", "TODO:", "the day after",
	} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, segments bool) {
		in := text(s)
		if segments {
			for i, line := range strings.Split(s, "\n") {
				in.Segments = append(in.Segments, omi.TranscriptSegment{Text: line, IsUser: i%2 == 0})
			}
		}
		res, err := NewBuiltin().Process(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		if utf8.ValidString(s) {
			checkShape(t, s, res)
		}
	})
}
