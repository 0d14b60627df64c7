package process

import (
	"strings"
	"testing"
	"time"
)

// ref is Wednesday 5 March 2025, 10:00 UTC.
var ref = time.Date(2025, 3, 5, 10, 0, 0, 0, time.UTC)

func at(month time.Month, d, h, m int) time.Time {
	return time.Date(2025, month, d, h, m, 0, 0, time.UTC)
}

func TestFindTimes(t *testing.T) {
	tests := []struct {
		text  string
		span  string // the matched text; "" when nothing should match
		want  time.Time
		date  bool // HasDate
		clock bool // HasClock
		dur   time.Duration
	}{
		// Relative days.
		{"see you tomorrow at 3pm", "tomorrow at 3pm", at(3, 6, 15, 0), true, true, 0},
		{"today", "today", at(3, 5, 0, 0), true, false, 0},
		{"tonight", "tonight", at(3, 5, 20, 0), true, true, 0},
		{"at 7 tonight", "7 tonight", at(3, 5, 19, 0), true, true, 0},
		{"tomorrow morning", "tomorrow morning", at(3, 6, 9, 0), true, true, 0},
		{"tomorrow morning at 8", "tomorrow morning at 8", at(3, 6, 8, 0), true, true, 0},
		{"the day after tomorrow", "day after tomorrow", at(3, 7, 0, 0), true, false, 0},
		{"yesterday at 4", "yesterday at 4", at(3, 4, 16, 0), true, true, 0},
		{"I'll do it tmrw", "tmrw", at(3, 6, 0, 0), true, false, 0},
		// Weekdays: the next one after today; "this" may be today; "next"
		// is next week's.
		{"on Friday at 10", "Friday at 10", at(3, 7, 10, 0), true, true, 0},
		{"on Wednesday", "Wednesday", at(3, 12, 0, 0), true, false, 0},
		{"this Wednesday", "this Wednesday", at(3, 5, 0, 0), true, false, 0},
		{"this Thursday evening", "this Thursday evening", at(3, 6, 18, 0), true, true, 0},
		{"next Tuesday", "next Tuesday", at(3, 11, 0, 0), true, false, 0},
		{"next Friday", "next Friday", at(3, 14, 0, 0), true, false, 0},
		{"last Monday", "last Monday", at(3, 3, 0, 0), true, false, 0},
		{"Friday next week", "Friday next week", at(3, 14, 0, 0), true, false, 0},
		{"Mon at 9", "Mon at 9", at(3, 10, 9, 0), true, true, 0},
		{"we sat down", "", time.Time{}, false, false, 0},
		// Weeks, weekends, months.
		{"next week", "next week", at(3, 10, 0, 0), true, false, 0},
		{"by the end of the week", "end of the week", at(3, 7, 17, 0), true, true, 0},
		{"end of next week", "end of next week", at(3, 14, 17, 0), true, true, 0},
		{"this weekend", "this weekend", at(3, 8, 0, 0), true, false, 0},
		{"next weekend", "next weekend", at(3, 15, 0, 0), true, false, 0},
		{"next month", "next month", at(4, 1, 0, 0), true, false, 0},
		{"end of the month", "end of the month", at(3, 31, 17, 0), true, true, 0},
		{"by end of day", "end of day", at(3, 5, 17, 0), true, true, 0},
		{"by EOD", "EOD", at(3, 5, 17, 0), true, true, 0},
		// Offsets.
		{"in two weeks", "in two weeks", at(3, 19, 0, 0), true, false, 0},
		{"in 3 days", "in 3 days", at(3, 8, 0, 0), true, false, 0},
		{"in 45 minutes", "in 45 minutes", at(3, 5, 10, 45), true, true, 0},
		{"in half an hour", "in half an hour", at(3, 5, 10, 30), true, true, 0},
		{"in a couple of days", "in a couple of days", at(3, 7, 0, 0), true, false, 0},
		{"3 days from now", "3 days from now", at(3, 8, 0, 0), true, false, 0},
		{"in a bit", "", time.Time{}, false, false, 0},
		// Calendar dates: without a year, the next one on or after today.
		{"March 5th at 2:30 pm", "March 5th at 2:30 pm", at(3, 5, 14, 30), true, true, 0},
		{"March 3", "March 3", time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), true, false, 0},
		{"on 5 March", "5 March", at(3, 5, 0, 0), true, false, 0},
		{"the 5th of April", "the 5th of April", at(4, 5, 0, 0), true, false, 0},
		{"Mar. 20, 2026", "Mar. 20, 2026", time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC), true, false, 0},
		{"on the 15th", "the 15th", at(3, 15, 0, 0), true, false, 0},
		{"by the first", "the first", at(4, 1, 0, 0), true, false, 0},
		{"the first thing", "", time.Time{}, false, false, 0},
		{"Friday the 7th", "Friday the 7th", at(3, 7, 0, 0), true, false, 0},
		{"February 30th", "", time.Time{}, false, false, 0},
		{"you may 5 times", "", time.Time{}, false, false, 0},
		{"2025-03-05 14:00", "2025-03-05 14:00", at(3, 5, 14, 0), true, true, 0},
		{"2025-03-07T09:30Z", "2025-03-07T09:30Z", at(3, 7, 9, 30), true, true, 0},
		{"due 3/14/2025", "3/14/2025", at(3, 14, 0, 0), true, false, 0},
		{"on 3/14", "3/14", at(3, 14, 0, 0), true, false, 0},
		{"a 50/50 chance", "", time.Time{}, false, false, 0},
		// Clock times; a time without a day is the next such time.
		{"at noon", "noon", at(3, 5, 12, 0), false, true, 0},
		{"at midnight", "midnight", at(3, 6, 0, 0), false, true, 0},
		{"at 9am", "9am", at(3, 6, 9, 0), false, true, 0},
		{"3:30 p.m.", "3:30 p.m.", at(3, 5, 15, 30), false, true, 0},
		{"15:00", "15:00", at(3, 5, 15, 0), false, true, 0},
		{"at 3", "3", at(3, 5, 15, 0), false, true, 0},
		{"at 10", "10", at(3, 5, 10, 0), false, true, 0},
		{"at 9", "9", at(3, 6, 9, 0), false, true, 0},
		{"dinner at 8", "8", at(3, 5, 20, 0), false, true, 0},
		{"breakfast at 7", "7", at(3, 6, 7, 0), false, true, 0},
		{"at three thirty", "three thirty", at(3, 5, 15, 30), false, true, 0},
		{"half past four", "half past four", at(3, 5, 16, 30), false, true, 0},
		{"10 o'clock", "10 o'clock", at(3, 5, 10, 0), false, true, 0},
		{"at 10 in the morning", "10 in the morning", at(3, 5, 10, 0), false, true, 0},
		{"at 9 at night", "9 at night", at(3, 5, 21, 0), false, true, 0},
		// Ranges give a duration.
		{"from 2 to 4pm tomorrow", "2 to 4pm tomorrow", at(3, 6, 14, 0), true, true, 2 * time.Hour},
		{"10:00-11:30 on Monday", "10:00-11:30 on Monday", at(3, 10, 10, 0), true, true, 90 * time.Minute},
		{"2-4pm", "2-4pm", at(3, 5, 14, 0), false, true, 2 * time.Hour},
		{"from 11 to 1pm", "11 to 1pm", at(3, 5, 11, 0), false, true, 2 * time.Hour},
		// Quantities and timestamps are not times.
		{"at one point we", "", time.Time{}, false, false, 0},
		{"at 5 people", "", time.Time{}, false, false, 0},
		{"between 2 and 3 people", "", time.Time{}, false, false, 0},
		{"at 10 percent", "", time.Time{}, false, false, 0},
		{"[00:03:12] hello", "", time.Time{}, false, false, 0},
		{"it costs 3.50", "", time.Time{}, false, false, 0},
	}
	for _, tt := range tests {
		fs := FindTimes(tt.text, ref)
		if tt.span == "" {
			if len(fs) != 0 {
				t.Errorf("%q: found %+v, want nothing", tt.text, fs)
			}
			continue
		}
		if len(fs) != 1 {
			t.Errorf("%q: found %d expressions %+v, want 1", tt.text, len(fs), fs)
			continue
		}
		f := fs[0]
		if f.Text != tt.span || tt.text[f.Start:f.End] != f.Text {
			t.Errorf("%q: span %q [%d:%d], want %q", tt.text, f.Text, f.Start, f.End, tt.span)
		}
		if !f.Time.Equal(tt.want) || f.HasDate != tt.date || f.HasClock != tt.clock || f.Duration != tt.dur {
			t.Errorf("%q: got %s date=%v clock=%v dur=%v, want %s date=%v clock=%v dur=%v", tt.text,
				f.Time.Format(time.RFC3339), f.HasDate, f.HasClock, f.Duration,
				tt.want.Format(time.RFC3339), tt.date, tt.clock, tt.dur)
		}
		if f.Time.Location() != time.UTC {
			t.Errorf("%q: time not in UTC", tt.text)
		}
	}
}

func TestFindTimesSeveral(t *testing.T) {
	text := "The demo is on Thursday at 11, the review is next Tuesday, and I'm out tomorrow afternoon."
	fs := FindTimes(text, ref)
	var got []string
	for _, f := range fs {
		got = append(got, f.Text+"="+f.Time.Format("01-02 15:04"))
	}
	want := "Thursday at 11=03-06 11:00|next Tuesday=03-11 00:00|tomorrow afternoon=03-06 14:00"
	if strings.Join(got, "|") != want {
		t.Fatalf("got %s\nwant %s", strings.Join(got, "|"), want)
	}
}

func TestFindTimesReferenceIsUTC(t *testing.T) {
	// The reference's zone does not matter: times resolve in UTC.
	local := ref.In(time.FixedZone("UTC+9", 9*3600))
	fs := FindTimes("tomorrow at 3pm", local)
	if len(fs) != 1 || !fs[0].Time.Equal(at(3, 6, 15, 0)) {
		t.Fatalf("got %+v", fs)
	}
}

func TestFindDuration(t *testing.T) {
	tests := map[string]time.Duration{
		"a call for 2 hours":             2 * time.Hour,
		"it should take 45 minutes":      45 * time.Minute,
		"blocked for an hour and a half": 90 * time.Minute,
		"a two-hour workshop":            2 * time.Hour,
		"a 90-minute session":            90 * time.Minute,
		"for half an hour":               30 * time.Minute,
		"for the team":                   0,
	}
	for text, want := range tests {
		got, ok := findDuration(tokenize(text))
		if got != want || ok != (want > 0) {
			t.Errorf("%q: got %v %v, want %v", text, got, ok, want)
		}
	}
}
