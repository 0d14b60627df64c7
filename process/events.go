package process

import (
	"strings"
	"time"

	omi "github.com/omi-devapi/omi-devapi"
)

// eventNoun describes a word that makes a dated sentence an event.
type eventNoun struct {
	title string // the title when no modifier is found
	hour  int    // start hour when only a day is named
	verb  bool   // a verb ("meet", "fly"): needs a clock time, not just a day
	noun  bool   // also a verb ("review", "call"): an event only after a determiner or modifier
	dated bool   // a verb that a day alone makes an event ("flying to Toronto on the 3rd")
	// booked: "you're booked for Thursday at 3:15 with Dr. Osei" is an
	// appointment; only with "for"/"in" after it and a clock time.
	booked bool
}

var eventNouns = map[string]eventNoun{
	"meeting": {title: "Meeting", hour: 9}, "meetings": {title: "Meeting", hour: 9},
	"call": {title: "Call", hour: 9, noun: true}, "appointment": {title: "Appointment", hour: 9},
	"appt": {title: "Appointment", hour: 9}, "dinner": {title: "Dinner", hour: 19}, "lunch": {title: "Lunch", hour: 12},
	"breakfast": {title: "Breakfast", hour: 8}, "brunch": {title: "Brunch", hour: 11},
	"drinks": {title: "Drinks", hour: 18}, "interview": {title: "Interview", hour: 9},
	"flight": {title: "Flight", hour: 9}, "party": {title: "Party", hour: 20}, "demo": {title: "Demo", hour: 9},
	"review": {title: "Review", hour: 9, noun: true}, "sync": {title: "Sync", hour: 9, noun: true},
	"standup": {title: "Standup", hour: 9}, "stand-up": {title: "Standup", hour: 9},
	"1:1": {title: "1:1", hour: 9}, "one-on-one": {title: "One-on-one", hour: 9},
	"doctor": {title: "Doctor appointment", hour: 9}, "dentist": {title: "Dentist appointment", hour: 9},
	"checkup": {title: "Checkup", hour: 9}, "check-up": {title: "Checkup", hour: 9},
	"physio": {title: "Physio appointment", hour: 9}, "therapy": {title: "Therapy session", hour: 9},
	"vet": {title: "Vet appointment", hour: 9}, "class": {title: "Class", hour: 9},
	"lesson": {title: "Lesson", hour: 9}, "lessons": {title: "Lesson", hour: 9}, "lecture": {title: "Lecture", hour: 9},
	"seminar": {title: "Seminar", hour: 9}, "webinar": {title: "Webinar", hour: 9},
	"workshop": {title: "Workshop", hour: 9}, "conference": {title: "Conference", hour: 9},
	"game": {title: "Game", hour: 19}, "match": {title: "Match", hour: 19, noun: true},
	"concert": {title: "Concert", hour: 20}, "gig": {title: "Gig", hour: 20}, "wedding": {title: "Wedding", hour: 15},
	"birthday": {title: "Birthday", hour: 18}, "ceremony": {title: "Ceremony", hour: 11},
	"funeral": {title: "Funeral", hour: 11}, "presentation": {title: "Presentation", hour: 9},
	"pitch": {title: "Pitch", hour: 9, noun: true}, "session": {title: "Session", hour: 9},
	"exam": {title: "Exam", hour: 9}, "midterm": {title: "Midterm", hour: 9}, "rehearsal": {title: "Rehearsal", hour: 18},
	"practice": {title: "Practice", hour: 17, noun: true}, "recital": {title: "Recital", hour: 18},
	"playdate": {title: "Playdate", hour: 15}, "haircut": {title: "Haircut", hour: 10},
	"retro": {title: "Retro", hour: 9}, "retrospective": {title: "Retrospective", hour: 9},
	"kickoff": {title: "Kickoff", hour: 9}, "kick-off": {title: "Kickoff", hour: 9}, "offsite": {title: "Offsite", hour: 9},
	"surgery": {title: "Surgery", hour: 8}, "reservation": {title: "Reservation", hour: 19},
	"meetup": {title: "Meetup", hour: 18}, "catch-up": {title: "Catch-up", hour: 9},
	"visit": {title: "Visit", hour: 10, noun: true}, "showing": {title: "Showing", hour: 10},
	"viewing": {title: "Viewing", hour: 10}, "tour": {title: "Tour", hour: 10, noun: true},
	"training": {title: "Training", hour: 9, noun: true}, "screening": {title: "Screening", hour: 9},
	"orientation": {title: "Orientation", hour: 9}, "coffee": {title: "Coffee", hour: 10},
	"meet": {title: "Meeting", hour: 9, verb: true}, "fly": {title: "Flight", hour: 9, verb: true, dated: true},
	"flying": {title: "Flight", hour: 9, verb: true, dated: true}, "hike": {title: "Hike", hour: 9, noun: true},
	"trip": {title: "Trip", hour: 9}, "recording": {title: "Recording", hour: 9, noun: true},
	"anniversary": {title: "Anniversary", hour: 19}, "marathon": {title: "Marathon", hour: 8},
	"race": {title: "Race", hour: 9, noun: true}, "tournament": {title: "Tournament", hour: 9},
	"graduation": {title: "Graduation", hour: 10}, "shower": {title: "Shower", hour: 14, noun: true},
	"barbecue": {title: "Barbecue", hour: 17}, "bbq": {title: "BBQ", hour: 17}, "picnic": {title: "Picnic", hour: 12},
	"hearing": {title: "Hearing", hour: 9, noun: true}, "closing": {title: "Closing", hour: 10, noun: true},
	"recheck": {title: "Recheck", hour: 9, noun: true}, "follow-up": {title: "Follow-up", hour: 9, noun: true},
	"consultation": {title: "Consultation", hour: 9}, "consult": {title: "Consultation", hour: 9, noun: true},
	"procedure": {title: "Procedure", hour: 9}, "booked": {title: "Appointment", hour: 9, verb: true, dated: true, booked: true},
	"scheduled": {title: "Appointment", hour: 9, verb: true, dated: true, booked: true},
}

// eventCompounds are two-word events whose second word alone is not one.
var eventCompounds = map[string]eventNoun{
	"dry run": {title: "Dry run", hour: 9}, "open house": {title: "Open house", hour: 13},
	"office hours": {title: "Office hours", hour: 14}, "game day": {title: "Game day", hour: 9},
	"happy hour": {title: "Happy hour", hour: 17}, "date night": {title: "Date night", hour: 19},
	"game night": {title: "Game night", hour: 19}, "book club": {title: "Book club", hour: 19},
	"movie night": {title: "Movie night", hour: 19}, "all hands": {title: "All-hands", hour: 9},
	"town hall": {title: "Town hall", hour: 9}, "check in": {title: "Check-in", hour: 9},
}

// planningVerbs before an event without a time mean it is still to be
// arranged ("book a session for next week"): a task, not an event.
var planningVerbs = set("book", "schedule", "arrange", "organize", "organise", "plan", "sign", "register", "reserve",
	"find", "set", "booking", "scheduling", "planning")

// keywordAt returns the event word ending at token k, if any.
func keywordAt(toks []token, k int) (eventNoun, bool) {
	if k > 0 && toks[k-1].kind == tWord {
		if en, ok := eventCompounds[toks[k-1].low+" "+toks[k].low]; ok {
			return en, true
		}
	}
	t := toks[k]
	if t.kind == tNum && t.low == "1:1" {
		return eventNouns["1:1"], true
	}
	if t.kind != tWord {
		return eventNoun{}, false
	}
	en, ok := eventNouns[strings.TrimSuffix(t.low, "'s")]
	return en, ok && en.title != ""
}

// cancelWords mean the event is off ("moved" and "rescheduled" name the
// new time, so they do not).
var cancelWords = set("cancel", "cancelled", "canceled", "cancelling", "canceling", "postponed", "missed", "skipped",
	"skip", "skipping")

// cancelled reports whether the sentence calls the event off or declines it:
// "cancel", "called off", "can't make".
func cancelled(toks []token) bool {
	for k, t := range toks {
		if cancelWords[t.low] {
			return true
		}
		if k+1 < len(toks) {
			n := toks[k+1].low
			switch t.low {
			case "can't", "cannot", "won't", "cant", "wont":
				if n == "make" || n == "attend" || n == "go" || n == "come" || n == "do" {
					return true
				}
			case "call", "called", "calling":
				if n == "off" {
					return true
				}
			}
		}
	}
	return false
}

// determinersAndOwners may precede a noun that is also a verb: "the review",
// "our call".
var determinersAndOwners = set("the", "a", "an", "our", "my", "your", "his", "her", "their", "this", "that", "next",
	"weekly", "daily", "quick", "first", "final", "big", "monthly", "quarterly", "annual", "its")

// events finds dated plans: a date or time expression near a word for an
// event ("dentist appointment tomorrow at 3", "dinner at 8 on Saturday").
func (d *doc) events() []omi.Event {
	out := []omi.Event{}
	seen := map[string]int{} // title and day -> index in out
	var exact []bool         // per event in out: it had a clock time
	for i := range d.sents {
		if len(out) == maxEvents {
			break
		}
		e, clock, ok := d.sentenceEvent(i)
		if !ok {
			continue
		}
		// The same event mentioned twice that day: keep the mention with a time.
		key := strings.ToLower(e.Title) + "|" + e.Start.Format(time.DateOnly)
		if n, dup := seen[key]; dup {
			if clock && !exact[n] {
				out[n], exact[n] = e, true
			}
			continue
		}
		seen[key] = len(out)
		out = append(out, e)
		exact = append(exact, clock)
	}
	return out
}

// sentenceEvent returns the event planned in sentence si, if any, and
// whether its start has a time of day (not just a typical hour).
func (d *doc) sentenceEvent(si int) (e omi.Event, clock, ok bool) {
	s := &d.sents[si]
	var kw []int
	for k := range s.toks {
		if _, ok := keywordAt(s.toks, k); ok {
			kw = append(kw, k)
		}
	}
	if len(kw) == 0 {
		return omi.Event{}, false, false
	}
	fs := d.times(si)
	if len(fs) == 0 {
		return omi.Event{}, false, false
	}
	if cancelled(s.toks) {
		return omi.Event{}, false, false
	}
	// The keyword and time expression closest to each other.
	bestK, bestF, bestDist := -1, -1, 1<<30
	for _, k := range kw {
		en, _ := keywordAt(s.toks, k)
		if !d.eventWord(s, k, en) {
			continue
		}
		planned := false
		for j := max(0, k-8); j < k; j++ {
			planned = planned || planningVerbs[s.toks[j].low]
		}
		for n, f := range fs {
			if f.Time.Before(d.ref.Add(-time.Hour)) || (en.verb && !en.dated || planned || en.booked) && !f.HasClock {
				continue
			}
			dist := tokenDistance(s.toks, k, f)
			if dist < bestDist {
				bestK, bestF, bestDist = k, n, dist
			}
		}
	}
	if bestK < 0 || bestDist > 15 {
		return omi.Event{}, false, false
	}
	// "a dry run of the demo", "the kickoff call for the pilot": the first
	// event word is the head, the later one its subject.
	for _, k := range kw {
		if k < bestK && bestK-k <= 4 {
			for j := k + 1; j < bestK; j++ {
				if s.toks[j].low == "of" || s.toks[j].low == "for" {
					if en, _ := keywordAt(s.toks, k); d.eventWord(s, k, en) {
						bestK = k
					}
					break
				}
			}
		}
	}
	f := fs[bestF]
	en, _ := keywordAt(s.toks, bestK)
	start := f.Time
	clock = f.HasClock
	if !f.HasDate {
		// "Thursday I'm working from home; dentist at 4": the day is said
		// apart from the time.
		for _, g := range fs {
			if g.HasDate && !g.HasClock && !g.Time.Before(d.today()) {
				start = g.Time.Add(time.Duration(f.Time.Hour())*time.Hour + time.Duration(f.Time.Minute())*time.Minute)
				break
			}
		}
	}
	if !f.HasClock {
		// "the gig is Saturday the 17th, we go on at 9:30": the day and the
		// time may be said apart.
		hour := time.Duration(en.hour) * time.Hour
		for _, g := range fs {
			if g.HasClock && !g.HasDate {
				hour = time.Duration(g.Time.Hour())*time.Hour + time.Duration(g.Time.Minute())*time.Minute
				clock = true
				break
			}
		}
		start = start.Add(hour)
	}
	dur := 30
	if f.Duration > 0 {
		dur = int(f.Duration / time.Minute)
	} else if dd, ok := findDuration(s.toks); ok {
		dur = int(dd / time.Minute)
	}
	limit := 24 * 60
	if d.in.TextSource == "message" {
		limit = 180 // upstream caps message events at three hours
	}
	dur = max(1, min(dur, limit))
	return omi.Event{
		Title:       d.eventTitle(s, bestK, en),
		Description: clip(strings.Join(strings.Fields(s.text), " "), maxText),
		Start:       start,
		Duration:    dur,
	}, clock, true
}

// eventWord reports whether the keyword at k is used as an event here:
// "call" is one in "the call" or "a call with", not in "I'll call him";
// "coffee" only as "coffee with" or "grab coffee".
func (d *doc) eventWord(s *sentence, k int, en eventNoun) bool {
	prev := ""
	if k > 0 {
		prev = s.toks[k-1].low
	}
	next := ""
	if k+1 < len(s.toks) {
		next = s.toks[k+1].low
	}
	if k > 0 {
		if _, ok := eventCompounds[prev+" "+s.toks[k].low]; ok {
			return true
		}
	}
	// "the demo build", "meeting notes", "flight number": the event word
	// modifies a noun and names no event.
	if k+1 < len(s.toks) {
		n := s.toks[k+1]
		if _, isEvent := keywordAt(s.toks, k+1); n.kind == tWord && n.space && isContent(n) && !isEvent && !n.upper &&
			!isTimeWord(n.low) && !partOfDay[n.low] && !eventFollowers[n.low] && !verbs[n.low] {
			return false
		}
	}
	if en.booked {
		return (next == "for" || next == "in" || next == "on") && prev != "fully" && prev != "all"
	}
	switch s.toks[k].low {
	case "coffee":
		return next == "with" || prev == "grab" || prev == "get" || prev == "for"
	case "game":
		return prev != "video" && prev != "the" || next == "on" || next == "at"
	}
	if en.noun {
		if determinersAndOwners[prev] || next == "with" {
			return true
		}
		// "the Thursday design review", "soccer practice": a determiner
		// before a run of modifiers, or a modifier that is not a verb.
		for j := k - 1; j >= 0 && j >= k-3 && s.toks[j].kind == tWord; j-- {
			if determinersAndOwners[s.toks[j].low] || s.toks[j].low == "'s" || strings.HasSuffix(s.toks[j].low, "'s") {
				return true
			}
			if stopWords[s.toks[j].low] {
				break
			}
		}
		if k > 0 && s.toks[k-1].kind == tWord && !stopWords[prev] && !verbs[prev] && !isTimeWord(prev) {
			return true
		}
		return en.verb
	}
	return true
}

func tokenDistance(toks []token, k int, f Found) int {
	t := toks[k]
	switch {
	case t.end <= f.Start:
		n := 0
		for j := k + 1; j < len(toks) && toks[j].start < f.Start; j++ {
			n++
		}
		return n
	case t.start >= f.End:
		n := 0
		for j := k - 1; j >= 0 && toks[j].end > f.End; j-- {
			n++
		}
		return n
	}
	return 0
}

// eventFollowers may follow an event word without modifying it.
var eventFollowers = set("home", "tonight", "together", "sometime", "downtown", "today", "tomorrow", "tmrw", "later",
	"afterwards", "instead", "next", "this", "early", "late", "first", "ends", "starts", "begins", "got", "went",
	"went", "pm", "am", "sharp")

// titleStops may not start or end an event title's modifiers.
var titleStops = set("the", "a", "an", "my", "our", "your", "his", "her", "their", "this", "that", "next", "at", "on",
	"with", "for", "to", "and", "of", "in", "by")

// eventTitle builds a short noun phrase around the keyword: the words that
// modify it ("quarterly business review", "dentist appointment") and a
// "with ..." or "to ..." complement naming people or places ("Lunch with
// Sam", "Flight to Berlin").
func (d *doc) eventTitle(s *sentence, k int, en eventNoun) string {
	toks := s.toks
	from := k
	compound := k > 0 && eventCompounds[toks[k-1].low+" "+toks[k].low].title != ""
	if compound {
		from = k - 1
	}
	if !en.verb {
		for j := from - 1; j >= 0 && k-j <= 3; j-- {
			t := toks[j]
			if t.kind != tWord || stopWords[t.low] || titleStops[t.low] || isTimeWord(t.low) ||
				strings.Contains(t.low, "'") || t.low == "have" || t.low == "got" || planningVerbs[t.low] ||
				verbs[t.low] && (j == 0 || stopWords[toks[j-1].low] && !determinersAndOwners[toks[j-1].low]) {
				break
			}
			from = j
		}
	}
	head := en.title
	if from < k {
		head = s.text[toks[from].start:toks[k].end]
		if strings.HasSuffix(head, "doctor") || strings.HasSuffix(head, "dentist") || strings.HasSuffix(head, "vet") ||
			strings.HasSuffix(head, "physio") {
			head += " appointment"
		}
	} else if !en.verb && en.title != "" && !strings.Contains(strings.ToLower(en.title), " ") {
		head = s.text[toks[k].start:toks[k].end]
	}
	// Complement: "with Sam and Priya", "with the design team", "to Berlin",
	// right after the word or a little later ("lunch on Friday with Sam").
	j := k + 1
	for m := k + 1; m < len(toks) && m <= k+8; m++ {
		if toks[m].low == "with" {
			j = m
			break
		}
		if toks[m].kind == tPunct && toks[m].low != ":" || stopAt[toks[m].low] || toks[m].low == "and" {
			break
		}
	}
	if j < len(toks) && (toks[j].low == "with" || toks[j].low == "to" && (en.title == "Flight" || en.title == "Trip")) {
		end := j + 1
		for end < len(toks) && end-j <= 4 {
			t := toks[end]
			if t.kind == tWord && (t.upper && !isTimeWord(t.low) && !stopWords[t.low] || t.low == "the" || t.low == "and" && end+1 < len(toks) && toks[end+1].upper ||
				end > j+1 && toks[end-1].low == "the" && !stopWords[t.low] && !isTimeWord(t.low) ||
				end > j+2 && toks[end-2].low == "the" && t.low == "team") {
				end++
				continue
			}
			break
		}
		for end > j+1 && (toks[end-1].low == "the" || toks[end-1].low == "and") {
			end--
		}
		if end > j+1 {
			head += " " + s.text[toks[j].start:toks[end-1].end]
		}
	}
	return capitalize(clip(strings.Join(strings.Fields(head), " "), maxTitle))
}
