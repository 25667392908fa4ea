package schedule

import (
	"errors"
	"strings"
	"testing"
)

// ics wraps VEVENT lines into a calendar with CRLF line ends, as exports
// have them.
func ics(events ...string) []byte {
	lines := []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//switchboard//test//EN"}
	for _, e := range events {
		lines = append(lines, "BEGIN:VEVENT")
		lines = append(lines, strings.Split(strings.TrimSpace(e), "\n")...)
		lines = append(lines, "END:VEVENT")
	}
	lines = append(lines, "END:VCALENDAR", "")
	return []byte(strings.Join(lines, "\r\n"))
}

func TestICalendarHolidays(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		data     []byte
		holidays []openCase // want = IsHoliday, instants in Warsaw
	}{
		{
			name: "all-day single day",
			data: ics("UID:1\nSUMMARY:Inventory\nDTSTART;VALUE=DATE:20260601"),
			holidays: []openCase{
				{"2026-05-31T12:00:00+02:00", false},
				{"2026-06-01T00:00:00+02:00", true},
				{"2026-06-01T23:59:59+02:00", true},
				{"2026-06-02T00:00:00+02:00", false},
			},
		},
		{
			name: "all-day multi-day, DTEND exclusive",
			data: ics("UID:2\nSUMMARY:Urlop\nDTSTART;VALUE=DATE:20260803\nDTEND;VALUE=DATE:20260815"),
			holidays: []openCase{
				{"2026-08-02T12:00:00+02:00", false},
				{"2026-08-03T12:00:00+02:00", true},
				{"2026-08-14T12:00:00+02:00", true},
				{"2026-08-15T12:00:00+02:00", false},
			},
		},
		{
			name: "all-day with DURATION",
			data: ics("UID:3\nDTSTART;VALUE=DATE:20260901\nDURATION:P2D"),
			holidays: []openCase{
				{"2026-09-01T12:00:00+02:00", true},
				{"2026-09-02T12:00:00+02:00", true},
				{"2026-09-03T12:00:00+02:00", false},
			},
		},
		{
			name: "timed event in another zone touches the local date",
			// 20:00-23:00 in New York is 02:00-05:00 the next day in Warsaw.
			data: ics("UID:4\nSUMMARY:Webinar\nDTSTART;TZID=America/New_York:20260910T200000\nDTEND;TZID=America/New_York:20260910T230000"),
			holidays: []openCase{
				{"2026-09-10T12:00:00+02:00", false},
				{"2026-09-11T12:00:00+02:00", true},
				{"2026-09-12T12:00:00+02:00", false},
			},
		},
		{
			name: "timed event over midnight touches both dates",
			data: ics("UID:5\nDTSTART:20260915T200000Z\nDTEND:20260916T010000Z"),
			holidays: []openCase{
				{"2026-09-15T12:00:00+02:00", true},
				{"2026-09-16T12:00:00+02:00", true},
				{"2026-09-17T12:00:00+02:00", false},
			},
		},
		{
			name: "timed event ending at midnight does not touch the next date",
			data: ics("UID:6\nDTSTART:20260920T180000\nDTEND:20260921T000000"),
			holidays: []openCase{
				{"2026-09-20T12:00:00+02:00", true},
				{"2026-09-21T12:00:00+02:00", false},
			},
		},
		{
			name: "unknown Windows TZID falls back to the schedule's zone",
			data: ics("UID:7\nDTSTART;TZID=Central European Standard Time:20261002T090000\nDTEND;TZID=Central European Standard Time:20261002T100000"),
			holidays: []openCase{
				{"2026-10-02T12:00:00+02:00", true},
			},
		},
		{
			name: "yearly recurrence with an exception",
			data: ics("UID:8\nSUMMARY:Founders' day\nDTSTART;VALUE=DATE:20200501\nRRULE:FREQ=YEARLY\nEXDATE;VALUE=DATE:20270501"),
			holidays: []openCase{
				{"2020-05-01T12:00:00+02:00", true},
				{"2026-05-01T12:00:00+02:00", true},
				{"2026-05-02T12:00:00+02:00", false},
				{"2027-05-01T12:00:00+02:00", false},
				{"2028-05-01T12:00:00+02:00", true},
				{"2019-05-01T12:00:00+02:00", false},
			},
		},
		{
			name: "moved occurrence and cancelled event",
			data: ics(
				"UID:9\nSUMMARY:Stocktake\nDTSTART;VALUE=DATE:20260105\nRRULE:FREQ=MONTHLY;BYDAY=1MO;COUNT=6",
				"UID:9\nRECURRENCE-ID;VALUE=DATE:20260302\nDTSTART;VALUE=DATE:20260303",
				"UID:10\nSUMMARY:Called off\nSTATUS:CANCELLED\nDTSTART;VALUE=DATE:20260415",
			),
			holidays: []openCase{
				{"2026-01-05T12:00:00+01:00", true},
				{"2026-02-02T12:00:00+01:00", true},
				{"2026-03-02T12:00:00+01:00", false}, // moved
				{"2026-03-03T12:00:00+01:00", true},  // to here
				{"2026-06-01T12:00:00+02:00", true},
				{"2026-07-06T12:00:00+02:00", false}, // COUNT=6 is over
				{"2026-04-15T12:00:00+02:00", false}, // cancelled
			},
		},
		{
			name: "weekly timed recurrence with RDATE",
			data: ics("UID:11\nDTSTART;TZID=Europe/Warsaw:20260107T090000\nDTEND;TZID=Europe/Warsaw:20260107T100000\nRRULE:FREQ=WEEKLY;UNTIL=20260201T000000Z\nRDATE;TZID=Europe/Warsaw:20260310T090000"),
			holidays: []openCase{
				{"2026-01-14T12:00:00+01:00", true},
				{"2026-01-28T12:00:00+01:00", true},
				{"2026-02-04T12:00:00+01:00", false},
				{"2026-03-10T12:00:00+01:00", true},
			},
		},
		{
			name: "two calendars in one file",
			data: append(ics("UID:13\nDTSTART;VALUE=DATE:20261201"), ics("UID:14\nDTSTART;VALUE=DATE:20261202")...),
			holidays: []openCase{
				{"2026-12-01T12:00:00+01:00", true},
				{"2026-12-02T12:00:00+01:00", true},
			},
		},
		{
			name: "byte order mark",
			data: append([]byte("\xef\xbb\xbf"), ics("UID:12\nDTSTART;VALUE=DATE:20261111")...),
			holidays: []openCase{
				{"2026-11-11T12:00:00+01:00", true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := mustNew(t, Config{Timezone: "Europe/Warsaw", Hours: map[string]string{"daily": "10:00-18:00"}, ICalendar: tt.data})
			for _, c := range tt.holidays {
				if got := s.IsHoliday(ts(t, c.at)); got != c.want {
					t.Errorf("IsHoliday(%s) = %v, want %v", c.at, got, c.want)
				}
				if !strings.Contains(c.at, "T12:00") {
					continue // only midday is inside the opening hours
				}
				if got := s.Open(ts(t, c.at)); got == c.want {
					t.Errorf("Open(%s) = %v, want %v", c.at, got, !c.want)
				}
			}
		})
	}
}

func TestICalendarEmpty(t *testing.T) {
	t.Parallel()
	for _, data := range [][]byte{nil, {}, []byte(" \r\n")} {
		s := mustNew(t, Config{Timezone: "Europe/Warsaw", Hours: map[string]string{"daily": "10:00-18:00"}, ICalendar: data})
		if s.holidays != nil {
			t.Errorf("ICalendar %q gave holidays", data)
		}
	}
}

func TestICalendarErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data []byte
		want []string
	}{
		{"not a calendar", []byte("hello"), []string{"cannot read the iCalendar file", "BEGIN:VCALENDAR"}},
		{"truncated", []byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260101\r\n"), []string{"ends before END:VCALENDAR"}},
		{"mismatched END", []byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"), []string{"cannot read", "malformed component"}},
		{"hourly recurrence", ics("UID:standup-1\nSUMMARY:Standup\nDTSTART:20260105T090000\nRRULE:FREQ=HOURLY"),
			[]string{`event "Standup" (UID standup-1)`, "HOURLY", "only DAILY, WEEKLY, MONTHLY and YEARLY"}},
		{"unreadable recurrence", ics("UID:x\nDTSTART;VALUE=DATE:20260105\nRRULE:FREQ=SOMETIMES"), []string{"(UID x)", "RRULE", "cannot be read"}},
		{"EXRULE", ics("UID:x\nDTSTART;VALUE=DATE:20260105\nRRULE:FREQ=YEARLY\nEXRULE:FREQ=YEARLY"), []string{"EXRULE", "EXDATE"}},
		{"ancient recurrence", ics("UID:x\nDTSTART;VALUE=DATE:10000101\nRRULE:FREQ=DAILY"), []string{"1900 or later"}},
		{"no DTSTART", ics("UID:x\nSUMMARY:Nothing"), []string{`event "Nothing"`, "no DTSTART"}},
		{"bad date", ics("DTSTART;VALUE=DATE:2026-01-01"), []string{"event #1", `"2026-01-01"`, "YYYYMMDD"}},
		{"bad date-time", ics("DTSTART:20260101T25"), []string{"event #1", "date-time"}},
		{"bad duration", ics("DTSTART;VALUE=DATE:20260101\nDURATION:soon"), []string{"DURATION", `"soon"`}},
		{"RDATE period", ics("DTSTART;VALUE=DATE:20260101\nRRULE:FREQ=YEARLY\nRDATE;VALUE=PERIOD:20260301T090000Z/PT1H"), []string{"PERIOD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New("office", Config{Timezone: "Europe/Warsaw", Hours: map[string]string{"daily": "10:00-18:00"}, ICalendar: tt.data})
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("New: %v, want a FieldError", err)
			}
			if fe.Field != "icalendar" {
				t.Errorf("Field = %q, want icalendar", fe.Field)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestICalendarErrorsAreCapped(t *testing.T) {
	t.Parallel()
	var events []string
	for range 25 {
		events = append(events, "SUMMARY:broken")
	}
	_, err := New("", Config{Timezone: "UTC", Hours: map[string]string{"daily": "10:00-18:00"}, ICalendar: ics(events...)})
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("New: %v", err)
	}
	if len(errs) != maxICalErrors+1 || !strings.Contains(errs[len(errs)-1].Msg, "15 more events") {
		t.Errorf("got %d errors, last %q", len(errs), errs[len(errs)-1].Msg)
	}
}
