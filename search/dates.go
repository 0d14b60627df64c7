package search

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Dates are days in the user's timezone: "yesterday" asked at 00:30 in
// Tokyo is not yesterday in UTC.

func midnight(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// addDays moves a midnight by n calendar days (DST-safe, unlike 24h steps).
func addDays(d time.Time, n int) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day()+n, 0, 0, 0, 0, d.Location())
}

// dayDiff is how many calendar days a is before b, in loc.
func dayDiff(a, b time.Time, loc *time.Location) int {
	da, db := midnight(a, loc), midnight(b, loc)
	// Noon to noon: a DST day of 23 or 25 hours still rounds to whole days.
	return int(db.Add(12*time.Hour).Sub(da.Add(12*time.Hour)).Round(24*time.Hour) / (24 * time.Hour))
}

// monday is the Monday starting d's week.
func monday(d time.Time) time.Time { return addDays(d, -((int(d.Weekday()) + 6) % 7)) }

var weekdays = map[string]time.Weekday{
	"monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday, "thursday": time.Thursday,
	"friday": time.Friday, "saturday": time.Saturday, "sunday": time.Sunday,
}

var numberWords = map[string]int{
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
	"a": 1, "couple": 2, "few": 3,
}

// span is a half-open range of instants.
type span struct{ start, end time.Time }

// questionSpan finds the time a question asks about ("what did I talk about
// yesterday", "last Tuesday", "this week", "3 days ago"), as a span in loc,
// with the words that named it. ok is false when the question names none.
func questionSpan(words []string, now time.Time, loc *time.Location) (s span, used map[string]bool, ok bool) {
	today := midnight(now, loc)
	used = map[string]bool{}
	day := func(d time.Time, ws ...string) (span, map[string]bool, bool) {
		for _, w := range ws {
			used[w] = true
		}
		return span{d, addDays(d, 1)}, used, true
	}
	for i, w := range words {
		next := ""
		if i+1 < len(words) {
			next = words[i+1]
		}
		prev := ""
		if i > 0 {
			prev = words[i-1]
		}
		wd, isWeekday := weekdays[next]
		switch {
		case w == "yesterday" && prev == "before" && i >= 2 && words[i-2] == "day":
			return day(addDays(today, -2), "day", "before", "yesterday")
		case w == "yesterday":
			return day(addDays(today, -1), w)
		case w == "today" || w == "tonight":
			return day(today, w)
		case w == "this" && (next == "morning" || next == "afternoon" || next == "evening"):
			return day(today, w, next)
		case w == "last" && next == "night":
			return day(addDays(today, -1), w, next)
		case (w == "last" || w == "this") && next == "week":
			used[w], used[next] = true, true
			if w == "this" {
				return span{monday(today), addDays(today, 1)}, used, true
			}
			return span{addDays(monday(today), -7), monday(today)}, used, true
		case (w == "last" || w == "this") && next == "weekend":
			used[w], used[next] = true, true
			sat := addDays(monday(today), 5)
			if w == "last" || sat.After(today) {
				sat = addDays(sat, -7)
			}
			return span{sat, addDays(sat, 2)}, used, true
		case (w == "last" || w == "this") && next == "month":
			used[w], used[next] = true, true
			first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, loc)
			if w == "this" {
				return span{first, addDays(today, 1)}, used, true
			}
			return span{first.AddDate(0, -1, 0), first}, used, true
		case w == "ago" && (prev == "days" || prev == "day") && i >= 2:
			n, err := strconv.Atoi(words[i-2])
			if err != nil {
				n = numberWords[words[i-2]]
			}
			if n > 0 && n < 366 {
				return day(addDays(today, -n), words[i-2], prev, w)
			}
		case (w == "last" || w == "on" || w == "this") && isWeekday:
			back := (int(today.Weekday()) - int(wd) + 7) % 7
			if w == "last" && back == 0 {
				back = 7
			}
			return day(addDays(today, -back), w, next)
		}
	}
	return span{}, nil, false
}

// describeWhen says when t was, seen from now in loc: "yesterday (Mon 12
// Jan 2026, 15:04 CET)", "last Tuesday (...)", or "on Tue 3 Mar 2025, 09:30 UTC".
func describeWhen(t, now time.Time, loc *time.Location) string {
	abs := t.In(loc).Format("Mon 2 Jan 2006, 15:04 MST")
	switch d := dayDiff(t, now, loc); {
	case d == 0:
		return "today (" + abs + ")"
	case d == 1:
		return "yesterday (" + abs + ")"
	case d >= 2 && d <= 6:
		return "last " + t.In(loc).Weekday().String() + " (" + abs + ")"
	case d == -1:
		return "tomorrow (" + abs + ")"
	default:
		return "on " + abs
	}
}

var relativeDate = regexp.MustCompile(`(?i)\b(the day after tomorrow|the day before yesterday|yesterday|today|tonight|tomorrow|` +
	`this (?:morning|afternoon|evening)|(?:next|last|this|on) (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|` +
	`next week|last week)\b`)

// resolveDates appends the date to each relative date in text, as it was
// meant when said at `said`: "tomorrow" in a conversation of 12 January
// becomes "tomorrow (Tue 13 Jan)".
func resolveDates(text string, said time.Time, loc *time.Location) string {
	day := midnight(said, loc)
	return replaceAllIndex(relativeDate, text, func(m string) string {
		expr := strings.ToLower(m)
		var d time.Time
		week := false
		switch {
		case expr == "the day after tomorrow":
			d = addDays(day, 2)
		case expr == "the day before yesterday":
			d = addDays(day, -2)
		case expr == "yesterday":
			d = addDays(day, -1)
		case expr == "tomorrow":
			d = addDays(day, 1)
		case expr == "today" || expr == "tonight" || expr == "this morning" || expr == "this afternoon" || expr == "this evening":
			d = day
		case expr == "next week":
			d, week = addDays(monday(day), 7), true
		case expr == "last week":
			d, week = addDays(monday(day), -7), true
		default:
			kind, name, _ := strings.Cut(expr, " ")
			wd := weekdays[name]
			switch kind {
			case "next": // the one in the following week
				d = addDays(monday(day), 7+(int(wd)+6)%7)
			case "last": // the latest one before that day
				back := (int(day.Weekday()) - int(wd) + 7) % 7
				if back == 0 {
					back = 7
				}
				d = addDays(day, -back)
			default: // "on Friday", "this Friday": the coming one, that day included
				d = addDays(day, (int(wd)-int(day.Weekday())+7)%7)
			}
		}
		if week {
			return m + " (week of " + d.Format("Mon 2 Jan") + ")"
		}
		return m + " (" + d.Format("Mon 2 Jan") + ")"
	})
}

func replaceAllIndex(re *regexp.Regexp, s string, fn func(string) string) string {
	var b strings.Builder
	last := 0
	for _, ix := range re.FindAllStringIndex(s, -1) {
		b.WriteString(s[last:ix[0]])
		m := s[ix[0]:ix[1]]
		// Already dated ("tomorrow (Tue 13 Jan)"): leave it.
		if strings.HasPrefix(strings.TrimLeft(s[ix[1]:], " "), "(") {
			b.WriteString(m)
		} else {
			b.WriteString(fn(m))
		}
		last = ix[1]
	}
	b.WriteString(s[last:])
	return b.String()
}
