package process

import (
	"strconv"
	"strings"
	"time"
)

// Found is a date or time expression found in text and resolved against a
// reference time (the conversation's start, in UTC: the API knows no user
// time zone, so "3pm" is 15:00 UTC).
type Found struct {
	Start, End int    // byte span in the text
	Text       string // text[Start:End]
	// Time is the resolved moment. Without a clock time it is midnight of
	// the resolved day; parts of the day ("Friday morning") give a typical
	// hour and count as a clock time.
	Time     time.Time
	HasDate  bool          // a day was named; otherwise the day is the next one at that time
	HasClock bool          // a time of day was named
	Duration time.Duration // length of a range ("2 to 4pm"); zero when none
}

// FindTimes finds the date and time expressions in text, in order, and
// resolves them against ref: relative days ("tomorrow", "the day after
// tomorrow", "tonight"), weekdays ("on Friday", "this Thursday evening",
// "next Tuesday", "last Monday"), weeks, weekends and months ("next week",
// "end of the week", "this weekend", "end of the month"), offsets ("in two
// weeks", "in 30 minutes", "3 days from now"), calendar dates ("March 5th",
// "5 March 2025", "the 5th of March", "2025-03-05", "on 3/5"), clock times
// ("3pm", "3:30 p.m.", "15:00", "at 10", "at three thirty", "noon", "half
// past four", "end of the day") and ranges ("from 2 to 4pm", "10-11:30").
// Adjacent parts combine: "tomorrow at 3pm", "at 10 on Thursday".
//
// Conventions for the ambiguous cases: a bare weekday is the next one after
// today ("this Friday" may be today); "next Friday" is the Friday of next
// week (weeks start on Monday); a date without a year is the next one on
// or after ref; a time without a day is the next one after ref; a bare hour
// ("at 3") is afternoon or evening for 1-7 and morning for 8-11, unless
// the words around it say otherwise ("dinner at 8", "breakfast at 7").
func FindTimes(text string, ref time.Time) []Found {
	return findTimes(text, tokenize(text), ref)
}

func findTimes(text string, toks []token, ref time.Time) []Found {
	ref = ref.UTC()
	m := timeMatcher{toks: toks, ref: ref, today: day(ref)}
	var atoms []atom
	for i := 0; i < len(toks); {
		if a, ok := m.match(i); ok {
			atoms = append(atoms, a)
			i = a.j
			continue
		}
		i++
	}
	var out []Found
	for k := 0; k < len(atoms); {
		g := []atom{atoms[k]}
		k++
		for k < len(atoms) && m.joinable(g, atoms[k]) {
			g = append(g, atoms[k])
			k++
		}
		if f, ok := m.combine(g); ok {
			f.Start, f.End = toks[g[0].i].start, toks[g[len(g)-1].j-1].end
			f.Text = text[f.Start:f.End]
			out = append(out, f)
		}
	}
	return out
}

func day(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }

type atomKind uint8

const (
	aDate    atomKind = iota // a day
	aClock                   // a time of day
	aInstant                 // an exact moment ("in 20 minutes")
)

// Priorities among date atoms when several combine ("Friday, March 7").
const (
	pRelative = iota + 1 // today, tomorrow, in two weeks
	pWeek                // next week (shifts a weekday)
	pWeekday
	pAbsolute // March 7, 2025-03-07
)

type atom struct {
	i, j int // token range
	kind atomKind
	// aDate
	date     time.Time
	prio     int
	weekday  int  // 1..7 (Monday..Sunday) for bare weekdays, to combine with "next week"
	weekBase bool // a week atom: date is that week's Monday
	// aClock (and a date atom's part of day: "tomorrow morning")
	clock    bool
	hour     int // 0..24 (24 = midnight at the end of the day)
	min      int
	explicit bool // "3pm"/"15:00", not a guess from a bare "3" or a part of day
	dur      time.Duration
	// aInstant
	instant time.Time
}

type timeMatcher struct {
	toks       []token
	ref, today time.Time
}

func (m *timeMatcher) low(i int) string {
	if i < 0 || i >= len(m.toks) {
		return ""
	}
	return m.toks[i].low
}

// glued reports whether token i follows the previous one with no space
// ("3pm", "5th").
func (m *timeMatcher) glued(i int) bool { return i < len(m.toks) && !m.toks[i].space }

func (m *timeMatcher) match(i int) (atom, bool) {
	if a, ok := m.matchDate(i); ok {
		return a, true
	}
	return m.matchClock(i)
}

var weekdays = map[string]int{
	"monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6, "sunday": 7,
	"tues": 2, "weds": 3, "thurs": 4, "mondays": 1, "tuesdays": 2, "wednesdays": 3, "thursdays": 4,
	"fridays": 5, "saturdays": 6, "sundays": 7,
}

// weekdayAbbrevs count only when capitalised or after "on"/"next"/"this"
// ("sat" and "sun" are words too).
var weekdayAbbrevs = map[string]int{"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}

var months = map[string]time.Month{
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
	"september": 9, "october": 10, "november": 11, "december": 12, "jan": 1, "feb": 2, "mar": 3, "apr": 4,
	"jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}

var partOfDay = set("morning", "afternoon", "evening", "night", "lunchtime", "noon", "tonight")

var partsOfDay = map[string]int{"morning": 9, "afternoon": 14, "evening": 18, "night": 20, "lunchtime": 12, "noon": 12}

func isoWeekday(t time.Time) int {
	if w := int(t.Weekday()); w != 0 {
		return w
	}
	return 7
}

func (m *timeMatcher) weekdayAt(i int) (int, bool) {
	t := m.toks[min(i, len(m.toks)-1)]
	if i >= len(m.toks) || t.kind != tWord {
		return 0, false
	}
	if wd, ok := weekdays[strings.TrimSuffix(t.low, "'s")]; ok {
		return wd, true
	}
	if wd, ok := weekdayAbbrevs[t.low]; ok {
		switch m.low(i - 1) {
		case "on", "next", "this", "by", "until", "before", "coming":
			return wd, true
		}
		if t.upper && t.low != "sat" && t.low != "sun" && t.low != "wed" {
			return wd, true
		}
	}
	return 0, false
}

func (m *timeMatcher) matchDate(i int) (atom, bool) {
	t := m.toks[i]
	if t.kind == tNum {
		if a, ok := m.matchNumericDate(i); ok {
			return a, true
		}
		return m.matchFromNow(i)
	}
	if t.kind != tWord {
		return atom{}, false
	}
	d := atom{i: i, j: i + 1, kind: aDate, prio: pRelative}
	switch t.low {
	case "today":
		d.date = m.today
		return m.withPart(d), true
	case "tonight", "tonite":
		d.date, d.clock, d.hour = m.today, true, 20
		return d, true
	case "tomorrow", "tmrw", "tmr", "tomorow", "tommorow":
		d.date = m.today.AddDate(0, 0, 1)
		return m.withPart(d), true
	case "yesterday":
		d.date = m.today.AddDate(0, 0, -1)
		return m.withPart(d), true
	case "day":
		if m.low(i+1) == "after" && m.low(i+2) == "tomorrow" {
			d.j, d.date = i+3, m.today.AddDate(0, 0, 2)
			return m.withPart(d), true
		}
	case "eod", "cob", "eow":
		d.date, d.clock, d.hour = m.today, true, 17
		if t.low == "eow" {
			d.date = m.endOfWeek(0)
		}
		return d, true
	case "close", "end":
		return m.matchEnd(i)
	case "this", "next", "coming", "upcoming", "last", "following":
		return m.matchModified(i)
	case "in", "within":
		return m.matchIn(i)
	case "the", "on":
		if a, ok := m.matchDayFirst(i + 1); ok {
			if t.low == "the" {
				a.i = i
			}
			return a, true
		}
		if t.low == "the" && m.low(i+1) == "weekend" {
			return atom{i: i, j: i + 2, kind: aDate, prio: pWeekday, date: m.weekend(0)}, true
		}
	case "weekend":
		return atom{i: i, j: i + 1, kind: aDate, prio: pWeekday, date: m.weekend(0)}, true
	}
	if wd, ok := m.weekdayAt(i); ok {
		d.prio, d.weekday = pWeekday, wd
		d.date = m.nextWeekday(wd, false)
		return m.withPart(d), true
	}
	if mo, ok := months[t.low]; ok {
		return m.matchMonthFirst(i, mo)
	}
	if _, ok := ordinalWords[t.low]; ok {
		return m.matchDayFirst(i)
	}
	if a, ok := m.matchFromNow(i); ok {
		return a, true
	}
	return atom{}, false
}

// withPart extends a day with a following part of the day: "tomorrow
// morning", "Friday evening", "Monday night".
func (m *timeMatcher) withPart(d atom) atom {
	if h, ok := partsOfDay[m.low(d.j)]; ok && m.low(d.j) != "noon" {
		d.j++
		d.clock, d.hour = true, h
	}
	return d
}

func (m *timeMatcher) nextWeekday(wd int, allowToday bool) time.Time {
	delta := (wd - isoWeekday(m.ref) + 7) % 7
	if delta == 0 && !allowToday {
		delta = 7
	}
	return m.today.AddDate(0, 0, delta)
}

// monday returns the Monday of the week weeks after ref's.
func (m *timeMatcher) monday(weeks int) time.Time {
	return m.today.AddDate(0, 0, 1-isoWeekday(m.ref)+7*weeks)
}

func (m *timeMatcher) endOfWeek(weeks int) time.Time {
	f := m.monday(weeks).AddDate(0, 0, 4)
	if f.Before(m.today) {
		return m.today
	}
	return f
}

func (m *timeMatcher) weekend(weeks int) time.Time {
	s := m.monday(weeks).AddDate(0, 0, 5)
	if s.Before(m.today) {
		return m.today
	}
	return s
}

// matchModified handles "this/next/coming/last/following" + weekday, week,
// weekend, month, year or part of the day.
func (m *timeMatcher) matchModified(i int) (atom, bool) {
	mod := m.low(i)
	j := i + 1
	if mod == "this" && m.low(j) == "coming" {
		j++
	}
	d := atom{i: i, j: j + 1, kind: aDate, prio: pRelative}
	w := m.low(j)
	if wd, ok := m.weekdayAt(j); ok {
		d.prio, d.weekday = pWeekday, wd
		switch mod {
		case "next", "following":
			d.date = m.monday(1).AddDate(0, 0, wd-1)
		case "last":
			delta := (isoWeekday(m.ref) - wd + 7) % 7
			if delta == 0 {
				delta = 7
			}
			d.date = m.today.AddDate(0, 0, -delta)
		case "this":
			d.date = m.nextWeekday(wd, true)
		default:
			d.date = m.nextWeekday(wd, false)
		}
		return m.withPart(d), true
	}
	switch w {
	case "week":
		d.prio, d.weekBase = pWeek, true
		switch mod {
		case "next", "following", "coming":
			d.date = m.monday(1)
		case "last":
			d.date = m.monday(-1)
		default:
			d.weekBase = false
			d.date = m.endOfWeek(0)
		}
		return d, true
	case "weekend":
		d.prio = pWeekday
		switch mod {
		case "next", "following":
			d.date = m.weekend(1)
		case "last":
			d.date = m.monday(-1).AddDate(0, 0, 5)
		default:
			d.date = m.weekend(0)
		}
		return d, true
	case "month":
		switch mod {
		case "next", "following", "coming":
			d.date = time.Date(m.today.Year(), m.today.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		case "last":
			d.date = time.Date(m.today.Year(), m.today.Month()-1, 1, 0, 0, 0, 0, time.UTC)
		default:
			return atom{}, false
		}
		return d, true
	case "year":
		if mod == "next" {
			d.date = time.Date(m.today.Year()+1, 1, 1, 0, 0, 0, 0, time.UTC)
			return d, true
		}
		return atom{}, false
	case "morning", "afternoon", "evening":
		if mod == "this" {
			d.date, d.clock, d.hour = m.today, true, partsOfDay[w]
			return d, true
		}
	}
	return atom{}, false
}

// matchEnd handles "end of (the) day/week/month", "end of next week",
// "close of business".
func (m *timeMatcher) matchEnd(i int) (atom, bool) {
	if m.low(i+1) != "of" {
		return atom{}, false
	}
	j := i + 2
	if m.low(j) == "the" || m.low(j) == "this" {
		j++
	}
	d := atom{i: i, j: j + 1, kind: aDate, prio: pRelative, clock: true, hour: 17}
	switch m.low(j) {
	case "day", "business":
		d.date = m.today
	case "week":
		d.date = m.endOfWeek(0)
	case "month":
		d.date = time.Date(m.today.Year(), m.today.Month()+1, 0, 0, 0, 0, 0, time.UTC)
	case "next":
		switch m.low(j + 1) {
		case "week":
			d.j, d.date = j+2, m.endOfWeek(1)
		case "month":
			d.j, d.date = j+2, time.Date(m.today.Year(), m.today.Month()+2, 0, 0, 0, 0, 0, time.UTC)
		default:
			return atom{}, false
		}
	default:
		return atom{}, false
	}
	if m.low(i) == "close" && m.low(j) != "business" {
		return atom{}, false
	}
	return d, true
}

var numberWords = map[string]float64{
	"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
	"sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
	"forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90, "few": 3, "several": 3,
	"couple": 2, "half": 0.5,
}

// count reads a quantity at i: "3", "two", "a", "a couple of", "a few",
// "half an". It returns the value and the index after it.
func (m *timeMatcher) count(i int) (float64, int, bool) {
	t := m.low(i)
	if i < len(m.toks) && m.toks[i].kind == tNum {
		n, err := strconv.ParseFloat(t, 64)
		return n, i + 1, err == nil
	}
	n, ok := numberWords[t]
	if !ok {
		return 0, i, false
	}
	j := i + 1
	switch {
	case t == "a" && (m.low(j) == "couple" || m.low(j) == "few"):
		n, j = numberWords[m.low(j)], j+1
	case t == "half" && (m.low(j) == "an" || m.low(j) == "a"):
		j++
	}
	if m.low(j) == "of" && (n == 2 || n == 3) {
		j++
	}
	return n, j, true
}

var durationUnits = map[string]time.Duration{
	"minute": time.Minute, "minutes": time.Minute, "min": time.Minute, "mins": time.Minute,
	"hour": time.Hour, "hours": time.Hour, "hr": time.Hour, "hrs": time.Hour,
	"day": 24 * time.Hour, "days": 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
	"month": -1, "months": -1,
}

// span reads "<count> <unit> [and a half]" at i.
func (m *timeMatcher) span(i int) (n float64, unit time.Duration, j int, ok bool) {
	n, j, ok = m.count(i)
	if !ok {
		return 0, 0, i, false
	}
	unit, ok = durationUnits[m.low(j)]
	if !ok {
		return 0, 0, i, false
	}
	j++
	if m.low(j) == "and" && m.low(j+1) == "a" && m.low(j+2) == "half" {
		n, j = n+0.5, j+3
	}
	return n, unit, j, true
}

func (m *timeMatcher) offset(n float64, unit time.Duration) atom {
	switch {
	case unit < 0:
		return atom{kind: aDate, prio: pRelative, date: m.today.AddDate(0, int(n), 0)}
	case unit < 24*time.Hour:
		return atom{kind: aInstant, instant: m.ref.Add(time.Duration(n * float64(unit))).Truncate(time.Minute)}
	default:
		return atom{kind: aDate, prio: pRelative, date: m.today.AddDate(0, 0, int(n*float64(unit)/float64(24*time.Hour)))}
	}
}

// matchIn handles "in two weeks", "in 30 minutes", "within a day".
func (m *timeMatcher) matchIn(i int) (atom, bool) {
	if m.low(i+1) == "the" {
		if h, ok := partsOfDay[m.low(i+2)]; ok && h != 12 {
			return atom{i: i, j: i + 3, kind: aClock, clock: true, hour: h}, true
		}
	}
	n, unit, j, ok := m.span(i + 1)
	if !ok || n <= 0 || n > 400 {
		return atom{}, false
	}
	a := m.offset(n, unit)
	a.i, a.j = i, j
	return a, true
}

// matchFromNow handles "two days from now", "a week from today".
func (m *timeMatcher) matchFromNow(i int) (atom, bool) {
	n, unit, j, ok := m.span(i)
	if !ok || m.low(j) != "from" || (m.low(j+1) != "now" && m.low(j+1) != "today") {
		return atom{}, false
	}
	a := m.offset(n, unit)
	a.i, a.j = i, j+2
	return a, true
}

var ordinalWords = map[string]int{
	"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
	"ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
	"fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
	"twentieth": 20, "twenty-first": 21, "twenty-second": 22, "twenty-third": 23, "twenty-fourth": 24,
	"twenty-fifth": 25, "twenty-sixth": 26, "twenty-seventh": 27, "twenty-eighth": 28,
	"twenty-ninth": 29, "thirtieth": 30, "thirty-first": 31,
}

// dayOfMonth reads "5", "5th", "fifth" at i.
func (m *timeMatcher) dayOfMonth(i int) (int, int, bool) {
	if i >= len(m.toks) {
		return 0, i, false
	}
	t := m.toks[i]
	if t.kind == tWord {
		if d, ok := ordinalWords[t.low]; ok {
			return d, i + 1, true
		}
		return 0, i, false
	}
	if t.kind != tNum || len(t.low) > 2 {
		return 0, i, false
	}
	d, err := strconv.Atoi(t.low)
	if err != nil || d < 1 || d > 31 {
		return 0, i, false
	}
	j := i + 1
	switch m.low(j) {
	case "st", "nd", "rd", "th":
		if m.glued(j) {
			j++
		}
	}
	return d, j, true
}

// isOrdinal reports whether the day read at i..j was an ordinal ("15th",
// "fifteenth"), not a bare number.
func (m *timeMatcher) isOrdinal(i, j int) bool { return j > i+1 || m.toks[i].kind == tWord }

// year reads ", 2025" or " 2025" at i.
func (m *timeMatcher) year(i int) (int, int) {
	j := i
	if m.low(j) == "," {
		j++
	}
	if j < len(m.toks) && m.toks[j].kind == tNum && len(m.toks[j].low) == 4 {
		if y, err := strconv.Atoi(m.toks[j].low); err == nil && y >= 1900 && y <= 2200 {
			return y, j + 1
		}
	}
	return 0, i
}

// calendarDate resolves a month and day, with the year if given, else the
// next such date on or after ref.
func (m *timeMatcher) calendarDate(y int, mo time.Month, d int) (time.Time, bool) {
	yy := y
	if yy == 0 {
		yy = m.today.Year()
	}
	t := time.Date(yy, mo, d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, false // February 30th
	}
	if y == 0 && t.Before(m.today) {
		t = time.Date(yy+1, mo, d, 0, 0, 0, 0, time.UTC)
	}
	return t, true
}

// matchMonthFirst handles "March 5th", "Mar 5, 2025", "March the 5th".
func (m *timeMatcher) matchMonthFirst(i int, mo time.Month) (atom, bool) {
	j := i + 1
	if m.low(j) == "." && m.glued(j) {
		j++
	}
	if m.low(j) == "the" {
		j++
	}
	d, k, ok := m.dayOfMonth(j)
	if !ok {
		return atom{}, false
	}
	// "may" and "march" are also words: only with a day and, for "may",
	// a capital letter.
	if m.toks[i].low == "may" && !m.toks[i].upper {
		return atom{}, false
	}
	y, k := m.year(k)
	t, ok := m.calendarDate(y, mo, d)
	if !ok {
		return atom{}, false
	}
	return atom{i: i, j: k, kind: aDate, prio: pAbsolute, date: t}, true
}

// matchDayFirst handles "5 March", "5th of March", "the fifth", "the 15th"
// (a day of this or next month).
func (m *timeMatcher) matchDayFirst(i int) (atom, bool) {
	d, j, ok := m.dayOfMonth(i)
	if !ok {
		return atom{}, false
	}
	k := j
	if m.low(k) == "of" {
		k++
	}
	if mo, ok := months[m.low(k)]; ok && (m.low(k) != "may" || m.toks[k].upper) {
		y, end := m.year(k + 1)
		t, ok := m.calendarDate(y, mo, d)
		if !ok {
			return atom{}, false
		}
		return atom{i: i, j: end, kind: aDate, prio: pAbsolute, date: t}, true
	}
	// A bare ordinal is a day of the month only as "the 15th"; spelled out
	// ("the first") only as "on/by the first".
	if m.low(i-1) != "the" || !m.isOrdinal(i, j) {
		return atom{}, false
	}
	if m.toks[i].kind == tWord && !dayLead[m.low(i-2)] {
		return atom{}, false
	}
	t := time.Date(m.today.Year(), m.today.Month(), d, 0, 0, 0, 0, time.UTC)
	if t.Before(m.today) || t.Day() != d {
		t = time.Date(m.today.Year(), m.today.Month()+1, d, 0, 0, 0, 0, time.UTC)
		if t.Day() != d {
			return atom{}, false
		}
	}
	return atom{i: i, j: j, kind: aDate, prio: pAbsolute, date: t}, true
}

// matchNumericDate handles "2025-03-05" (optionally "T14:00"), "3/5/2025",
// and "3/5" after "on"/"by" (month first, as en-US writes it).
func (m *timeMatcher) matchNumericDate(i int) (atom, bool) {
	s := m.toks[i].low
	if d, ok := m.dayFirstNumber(i); ok {
		return d, true
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		a := atom{i: i, j: i + 1, kind: aDate, prio: pAbsolute, date: t}
		if m.low(i+1) == "t" && m.glued(i+1) && i+2 < len(m.toks) && m.glued(i+2) {
			if h, mi, ok := parseHM(m.low(i + 2)); ok {
				a.j, a.clock, a.hour, a.min, a.explicit = i+3, true, h, mi, true
				if m.low(a.j) == "z" && m.glued(a.j) {
					a.j++
				}
			}
		}
		return a, true
	}
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return atom{}, false
	}
	mo, err1 := strconv.Atoi(parts[0])
	d, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || mo < 1 || mo > 12 || d < 1 || d > 31 {
		return atom{}, false
	}
	y := 0
	if len(parts) == 3 {
		var err error
		if y, err = strconv.Atoi(parts[2]); err != nil {
			return atom{}, false
		}
		if y < 100 {
			y += 2000
		}
	} else {
		switch m.low(i - 1) {
		case "on", "by", "before", "until", "due":
		default:
			return atom{}, false
		}
	}
	t, ok := m.calendarDate(y, time.Month(mo), d)
	if !ok {
		return atom{}, false
	}
	return atom{i: i, j: i + 1, kind: aDate, prio: pAbsolute, date: t}, true
}

// dayFirstNumber is matchDayFirst for a number token ("5 March", "5th of
// March"); a bare "the 5th" needs "the" and is left to matchDayFirst.
func (m *timeMatcher) dayFirstNumber(i int) (atom, bool) {
	if len(m.toks[i].low) > 2 {
		return atom{}, false
	}
	a, ok := m.matchDayFirst(i)
	if !ok || a.prio != pAbsolute || m.low(i-1) == "the" {
		return atom{}, false
	}
	_, j, _ := m.dayOfMonth(i)
	if _, isMonth := months[m.low(j)]; !isMonth && m.low(j) != "of" {
		return atom{}, false
	}
	return a, true
}

func parseHM(s string) (int, int, bool) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 || len(parts[1]) != 2 {
		return 0, 0, false
	}
	h, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || h > 24 || mi > 59 || len(parts[0]) > 2 {
		return 0, 0, false
	}
	return h, mi, true
}

var dayLead = set("on", "by", "before", "until", "till", "after", "from", "due")

var hourWords = map[string]int{
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
	"ten": 10, "eleven": 11, "twelve": 12,
}

var minuteWords = map[string]int{"fifteen": 15, "thirty": 30, "forty-five": 45, "forty": 40, "twenty": 20, "ten": 10, "five": 5, "fifty": 50}

// clockLead are the words after which a bare number is an hour ("at 3").
var clockLead = set("at", "by", "around", "about", "@", "from", "until", "till", "til", "before", "after", "between", "say", "like", "approximately", "ish")

// notAfterHour are words that make "at 5" a quantity, not a time.
var notAfterHour = set("percent", "%", "dollars", "bucks", "euros", "pounds", "people", "years", "year", "times",
	"kids", "k", "million", "billion", "thousand", "hundred", "degrees", "miles", "km", "points", "items",
	"of", "per", "x", "$", "mg", "kg", "lbs", "minutes", "hours", "days", "weeks", "months", "page", "pages",
	"out", "time", "point", "star", "stars", "users", "seats", "units", "tickets", "grand", "am", "pm", "o'clock", "oclock")

// matchClock finds a time of day at i, with an optional range after it.
func (m *timeMatcher) matchClock(i int) (atom, bool) {
	a, ok := m.clockAt(i)
	if !ok {
		return atom{}, false
	}
	// A range: "2 to 4pm", "10:00-11:30", "between 2 and 3".
	if c := m.low(a.j); c == "to" || c == "till" || c == "until" || c == "til" || c == "-" || c == "–" || (c == "and" && m.low(i-1) == "between") {
		if b, ok := m.clockAt(a.j + 1); ok || m.isBareHour(a.j+1) {
			if !ok {
				b, _ = m.bareHour(a.j + 1)
			}
			a = m.rangeOf(a, b)
		}
	}
	if m.low(i-1) == "between" && a.dur == 0 {
		return atom{}, false // "between 2 and 3 people"
	}
	if !a.explicit {
		a.hour = m.guessMeridiem(a.i, a.hour)
	}
	return a, true
}

func (m *timeMatcher) rangeOf(a, b atom) atom {
	if !b.explicit {
		b.hour = m.guessMeridiem(b.i, b.hour)
	}
	if !a.explicit && a.hour < 12 && b.hour > 12 && a.hour+12 < b.hour {
		a.hour += 12 // "2 to 4pm" -> 14:00-16:00, but "11 to 1pm" stays 11:00
	}
	a.explicit = a.explicit || b.explicit
	d := time.Duration(b.hour-a.hour)*time.Hour + time.Duration(b.min-a.min)*time.Minute
	if d <= 0 {
		d += 12 * time.Hour
	}
	if d > 0 && d <= 12*time.Hour {
		a.dur = d
	}
	a.j = b.j
	return a
}

func hourOrHM(s string) (int, int, bool) {
	if h, mi, ok := parseHM(s); ok {
		return h, mi, true
	}
	h, err := strconv.Atoi(s)
	return h, 0, err == nil && len(s) <= 2 && h <= 24
}

// hourFollower reports whether the token at i can follow a bare hour: "at
// 10 tomorrow", "at 3, then", "at 5." but not "at 5 people" or "at one
// point".
func (m *timeMatcher) hourFollower(i int) bool {
	if i >= len(m.toks) {
		return true
	}
	t := m.toks[i]
	switch {
	case notAfterHour[t.low]:
		return false
	case t.kind == tPunct:
		return t.low != "%" && t.low != "$" && t.low != ":"
	case t.kind == tNum:
		return false
	}
	if stopWords[t.low] || hourFollowers[t.low] {
		return true
	}
	_, wd := weekdays[t.low]
	_, mo := months[t.low]
	_, pod := partsOfDay[t.low]
	return wd || mo || pod
}

var hourFollowers = set("am", "pm", "o'clock", "oclock", "sharp", "ish", "works", "work", "tonight", "tomorrow",
	"today", "then", "instead", "latest", "okay", "ok", "cool", "sounds", "sound", "good", "great", "perfect",
	"fine", "is", "should", "would", "could", "tomorrow's", "till", "until", "til", "to", "and", "or")

func (m *timeMatcher) isBareHour(i int) bool {
	_, ok := m.bareHour(i)
	return ok
}

// bareHour reads an hour with no "am"/"pm" after a range word.
func (m *timeMatcher) bareHour(i int) (atom, bool) {
	if i >= len(m.toks) {
		return atom{}, false
	}
	t := m.toks[i]
	if h, mi, ok := parseHM(t.low); ok && t.kind == tNum {
		return atom{i: i, j: i + 1, kind: aClock, clock: true, hour: h, min: mi}, true
	}
	if t.kind == tNum {
		if h, err := strconv.Atoi(t.low); err == nil && h >= 1 && h <= 12 && m.hourFollower(i+1) {
			return atom{i: i, j: i + 1, kind: aClock, clock: true, hour: h}, true
		}
	}
	return atom{}, false
}

// meridiem applies a following "am"/"pm"/"o'clock"/"in the morning" to an
// hour read at i..j.
func (m *timeMatcher) meridiem(a atom) atom {
	switch m.low(a.j) {
	case "am":
		if a.hour == 12 {
			a.hour = 0
		}
		a.j, a.explicit = a.j+1, true
	case "pm":
		if a.hour < 12 {
			a.hour += 12
		}
		a.j, a.explicit = a.j+1, true
	case "o'clock", "oclock":
		a.j++
	case "sharp", "ish":
		a.j++
	}
	switch {
	case m.low(a.j) == "in" && m.low(a.j+1) == "the" && m.low(a.j+2) == "morning":
		if a.hour == 12 {
			a.hour = 0
		}
		a.j, a.explicit = a.j+3, true
	case m.low(a.j) == "in" && m.low(a.j+1) == "the" && (m.low(a.j+2) == "afternoon" || m.low(a.j+2) == "evening"),
		m.low(a.j) == "at" && m.low(a.j+1) == "night":
		if a.hour < 12 {
			a.hour += 12
		}
		a.j, a.explicit = a.j+2, true
		if m.low(a.j-1) == "the" {
			a.j++
		}
	}
	return a
}

func (m *timeMatcher) clockAt(i int) (atom, bool) {
	if i >= len(m.toks) {
		return atom{}, false
	}
	t := m.toks[i]
	lead := clockLead[m.low(i-1)]
	a := atom{i: i, j: i + 1, kind: aClock, clock: true}
	switch t.kind {
	case tNum:
		// Transcript timestamps ("[00:03:12]", "00:03") are not times of day.
		if m.low(i-1) == "[" || m.low(i+1) == "]" {
			return atom{}, false
		}
		if p := strings.Split(t.low, "-"); len(p) == 2 { // "2-4pm", "10:00-11:30"
			h1, m1, ok1 := hourOrHM(p[0])
			h2, m2, ok2 := hourOrHM(p[1])
			if !ok1 || !ok2 || h1 > 23 || h2 > 23 {
				return atom{}, false
			}
			b := m.meridiem(atom{i: i, j: i + 1, kind: aClock, clock: true, hour: h2, min: m2})
			if !b.explicit && !lead && !strings.Contains(t.low, ":") {
				return atom{}, false
			}
			a.hour, a.min = h1, m1
			return m.rangeOf(a, b), true
		}
		if strings.Count(t.low, ":") > 1 {
			return atom{}, false
		}
		if h, mi, ok := parseHM(t.low); ok {
			a.hour, a.min = h, mi
			if h > 12 || h == 0 || len(strings.Split(t.low, ":")[0]) == 2 && h < 10 {
				a.explicit = true // 24-hour clock: "15:00", "09:30"
			}
			return m.meridiem(a), true
		}
		h, err := strconv.Atoi(t.low)
		if err != nil || len(t.low) > 2 || h > 24 {
			return atom{}, false
		}
		a.hour = h
		b := m.meridiem(a)
		if b.j > a.j && (b.explicit || m.low(a.j) == "o'clock" || m.low(a.j) == "oclock") && h >= 1 && h <= 12 {
			return b, true
		}
		if lead && m.hourFollower(i+1) && (h >= 1 && h <= 12 || h >= 13 && h <= 23 && m.low(i-1) == "at") {
			if h > 12 {
				b.explicit = true
			}
			return b, true
		}
		return atom{}, false
	case tWord:
		switch t.low {
		case "noon", "midday":
			a.hour, a.explicit = 12, true
			return a, true
		case "midnight":
			a.hour, a.explicit = 24, true
			return a, true
		case "half", "quarter":
			if (m.low(i+1) == "past" || m.low(i+1) == "to") && i+2 < len(m.toks) {
				h, ok := hourWords[m.low(i+2)]
				if !ok {
					if n, err := strconv.Atoi(m.low(i + 2)); err == nil && n >= 1 && n <= 12 {
						h, ok = n, true
					}
				}
				if ok {
					a.hour, a.min = h, 30
					if t.low == "quarter" {
						a.min = 15
					}
					if m.low(i+1) == "to" {
						a.hour, a.min = h-1, 60-a.min
						if t.low == "half" {
							return atom{}, false
						}
					}
					a.j = i + 3
					return m.meridiem(a), true
				}
			}
			return atom{}, false
		}
		h, ok := hourWords[t.low]
		if !ok {
			return atom{}, false
		}
		a.hour = h
		if mi, ok := minuteWords[m.low(i+1)]; ok && (lead || m.low(i+2) == "am" || m.low(i+2) == "pm") {
			a.min, a.j = mi, i+2
			if mi == 40 && m.low(i+2) == "five" {
				a.min, a.j = 45, i+3
			}
		}
		b := m.meridiem(a)
		if b.j > a.j && (b.explicit || m.low(a.j) == "o'clock" || m.low(a.j) == "oclock") {
			return b, true
		}
		if lead && m.hourFollower(b.j) && m.low(i-1) != "between" && m.toks[i-1].kind == tWord && m.low(i-1) != "about" && m.low(i-1) != "like" {
			// "at three" is a time; "about three" / "like two" are usually quantities.
			return b, true
		}
	}
	return atom{}, false
}

var eveningWords = set("dinner", "tonight", "evening", "night", "drinks", "party", "concert", "movie", "show", "bar", "pub",
	"date", "supper", "gig", "game", "late")
var morningWords = set("morning", "breakfast", "early", "am", "sunrise", "coffee")

// guessMeridiem turns a bare hour into a 24-hour one from the words around it.
func (m *timeMatcher) guessMeridiem(i, h int) int {
	if h == 0 || h >= 12 {
		return h
	}
	evening, morning := false, false
	for k := max(0, i-12); k < min(len(m.toks), i+12); k++ {
		evening = evening || eveningWords[m.toks[k].low]
		morning = morning || morningWords[m.toks[k].low]
	}
	switch {
	case morning && !evening:
		return h
	case evening && h >= 5:
		return h + 12
	case h <= 7:
		return h + 12 // "at 7" is rarely 7 in the morning
	}
	return h
}

// joinable reports whether atom b continues group g ("tomorrow at 3",
// "at 10 on Thursday", "Friday, March 7").
func (m *timeMatcher) joinable(g []atom, b atom) bool {
	last := g[len(g)-1]
	if b.i-last.j > 3 {
		return false
	}
	for k := last.j; k < b.i; k++ {
		switch m.low(k) {
		case "at", "on", "by", "around", "about", ",", "the", "from", "of", "@", "in", "this":
		default:
			return false
		}
	}
	var clocks, instants, dates, weekdays, weekBases int
	for _, a := range append(g[:len(g):len(g)], b) {
		switch a.kind {
		case aClock:
			clocks++
		case aInstant:
			instants++
		case aDate:
			dates++
			if a.clock {
				clocks++
			}
			if a.weekday > 0 {
				weekdays++
			}
			if a.weekBase {
				weekBases++
			}
		}
	}
	if instants > 0 {
		return false
	}
	if clocks > 1 {
		// "tomorrow morning at 9": the explicit time refines the part of day.
		if clocks == 2 && (b.kind == aClock && last.kind == aDate && last.clock && !last.explicit ||
			last.kind == aClock && b.kind == aDate && b.clock && !b.explicit) {
			return true
		}
		return false
	}
	if dates > 1 {
		// "Friday, March 7" and "Friday next week" combine; "today and tomorrow" do not.
		return dates == 2 && (weekdays == 1 && weekBases == 1 || b.prio == pAbsolute && last.weekday > 0 || b.weekday > 0 && last.prio == pAbsolute)
	}
	return true
}

func (m *timeMatcher) combine(g []atom) (Found, bool) {
	var (
		f        Found
		date     time.Time
		prio     int
		weekday  int
		weekBase time.Time
		clk      *atom
	)
	for k := range g {
		a := &g[k]
		switch a.kind {
		case aInstant:
			return Found{Time: a.instant, HasDate: true, HasClock: true}, true
		case aDate:
			if a.weekday > 0 {
				weekday = a.weekday
			}
			if a.weekBase {
				weekBase = a.date
			}
			if a.prio > prio {
				date, prio = a.date, a.prio
			}
			if a.clock && clk == nil {
				clk = a // a part of the day: any clock time refines it
			}
		case aClock:
			if clk == nil || clk.kind == aDate || a.explicit && !clk.explicit {
				clk = a
			}
		}
	}
	if weekday > 0 && !weekBase.IsZero() && prio < pAbsolute {
		date = weekBase.AddDate(0, 0, weekday-1) // "Friday next week"
	}
	f.HasDate = prio > 0
	if clk != nil {
		f.HasClock = true
		f.Duration = clk.dur
	}
	if !f.HasDate {
		date = m.today
	}
	t := date
	if clk != nil {
		t = date.Add(time.Duration(clk.hour)*time.Hour + time.Duration(clk.min)*time.Minute)
		if !f.HasDate && t.Before(m.ref) {
			t = t.AddDate(0, 0, 1)
		}
	}
	f.Time = t
	return f, true
}

// findDuration reads how long something lasts: "for 2 hours", "for 45
// minutes", "a two-hour meeting", "90-minute call", "half an hour".
func findDuration(toks []token) (time.Duration, bool) {
	m := timeMatcher{toks: toks}
	for i := range toks {
		t := toks[i].low
		if t == "for" || t == "take" || t == "takes" || t == "last" || t == "lasts" || t == "about" {
			if n, unit, _, ok := m.span(i + 1); ok && unit > 0 && unit < 24*time.Hour && n > 0 {
				return time.Duration(n * float64(unit)), true
			}
		}
		// "two-hour", "90-minute", "hour-long"
		if p := strings.SplitN(t, "-", 2); len(p) == 2 {
			if unit, ok := durationUnits[p[1]]; ok && unit > 0 && unit < 24*time.Hour {
				if n, ok := numberWords[p[0]]; ok && n >= 1 {
					return time.Duration(n * float64(unit)), true
				}
			}
			if p[1] == "long" && (p[0] == "hour" || p[0] == "day") {
				if p[0] == "hour" {
					return time.Hour, true
				}
			}
		}
		if toks[i].kind == tNum && m.low(i+1) == "-" {
			if unit, ok := durationUnits[m.low(i+2)]; ok && unit > 0 && unit < 24*time.Hour {
				if n, err := strconv.ParseFloat(t, 64); err == nil && n > 0 {
					return time.Duration(n * float64(unit)), true
				}
			}
		}
	}
	return 0, false
}
