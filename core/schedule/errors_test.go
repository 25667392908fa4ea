package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidationErrors(t *testing.T) {
	t.Parallel()
	const tz = "Europe/Warsaw"
	office := map[string]string{"mon_fri": "10:00-18:00"}
	hours := func(kv ...string) Config {
		h := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			h[kv[i]] = kv[i+1]
		}
		return Config{Timezone: tz, Hours: h}
	}
	tests := []struct {
		name  string
		c     Config
		field string
		want  []string // substrings of Error(), in any order
	}{
		// Time zone.
		{"missing timezone", Config{Hours: office}, "timezone", []string{"no time zone is set", `IANA`, `"Europe/Warsaw"`}},
		{"unknown timezone", Config{Timezone: "Mars/Olympus", Hours: office}, "timezone", []string{`unknown time zone "Mars/Olympus"`, `use an IANA time zone name like "Europe/Warsaw"`}},
		{"misspelt timezone", Config{Timezone: "Europe/Warsw", Hours: office}, "timezone", []string{`did you mean "Europe/Warsaw"?`}},
		{"timezone case", Config{Timezone: "europe/warsaw", Hours: office}, "timezone", []string{`did you mean "Europe/Warsaw"?`}},
		{"timezone space", Config{Timezone: "America/New York", Hours: office}, "timezone", []string{`did you mean "America/New_York"?`}},
		{"city only", Config{Timezone: "Warsaw", Hours: office}, "timezone", []string{`did you mean "Europe/Warsaw"?`}},
		{"local", Config{Timezone: "Local", Hours: office}, "timezone", []string{`"Local"`, "machine", "IANA"}},
		{"fixed offset", Config{Timezone: "GMT+2", Hours: office}, "timezone", []string{"fixed UTC offset", "daylight saving", "IANA"}},

		// Day keys.
		{"no hours", Config{Timezone: tz}, "hours", []string{"no opening hours", `mon_fri = "10:00-18:00"`}},
		{"typo in range key", hours("mon_fir", "10:00-18:00"), "hours.mon_fir", []string{`unknown day key "mon_fir"`, `did you mean "mon_fri"?`}},
		{"full day name", hours("monday", "10:00-18:00"), "hours.monday", []string{`did you mean "mon"?`}},
		{"hyphenated range key", hours("mon-fri", "10:00-18:00"), "hours.mon-fri", []string{`did you mean "mon_fri"?`}},
		{"spelled-out range key", hours("Monday to Friday", "10:00-18:00"), "hours.Monday to Friday", []string{`did you mean "mon_fri"?`}},
		{"alias typo", hours("weekday", "10:00-18:00"), "hours.weekday", []string{`did you mean "weekdays"?`}},
		{"alias synonym", hours("everyday", "10:00-18:00"), "hours.everyday", []string{`did you mean "daily"?`}},
		{"nonsense key", hours("xyz", "10:00-18:00"), "hours.xyz", []string{`unknown day key "xyz"`, "Keys are days", `"weekdays"`}},
		{"range of one day", hours("mon_mon", "10:00-18:00"), "hours.mon_mon", []string{"must end on another day", `write "mon"`}},

		// Keys that cover the same weekday.
		{"range and day", hours("mon_fri", "10:00-18:00", "fri", "10:00-16:00"), "hours.fri",
			[]string{"Friday is also set by hours.mon_fri", "replace mon_fri with mon_thu"}},
		{"daily and weekend", hours("daily", "10:00-18:00", "weekend", "closed"), "hours.weekend",
			[]string{"Saturday and Sunday are also set by hours.daily", "replace daily with weekdays"}},
		{"two ranges", hours("mon_wed", "10:00-18:00", "tue_fri", "10:00-16:00"), "hours.mon_wed",
			[]string{"Tuesday and Wednesday are also set by hours.tue_fri", "replace tue_fri with thu_fri"}},
		{"same day twice", hours("mon", "10:00-18:00", "Mon", "closed"), "hours.mon",
			[]string{"Monday is also set by hours.Mon", "remove one of the two keys"}},

		// Values.
		{"hour out of range", hours("mon_fri", "10:00-25:00"), "hours.mon_fri",
			[]string{`hours.mon_fri: "10:00-25:00": hour 25 is out of range; write times as HH:MM between 00:00 and 24:00`}},
		{"minute out of range", hours("mon", "10:60-12:00"), "hours.mon", []string{`"10:60-12:00"`, "minute 60 is out of range", "HH:MM"}},
		{"past 24:00", hours("mon", "10:00-24:30"), "hours.mon", []string{`"24:30" is past midnight`, `"18:00-00:30"`}},
		{"24:00 as start", hours("mon", "24:00-08:00"), "hours.mon", []string{"24:00 can only end a range", "00:00"}},
		{"empty range", hours("mon", "10:00-10:00"), "hours.mon", []string{`"10:00-10:00"`, "start and end are the same", `"00:00-24:00"`, `"closed"`}},
		{"hours only", hours("mon", "10-18"), "hours.mon", []string{`"10" is not a time`, "HH:MM"}},
		{"dots", hours("mon", "10.00-18.00"), "hours.mon", []string{`"10.00" is not a time`, "colon"}},
		{"seconds", hours("mon", "10:00:00-18:00"), "hours.mon", []string{"has seconds"}},
		{"12-hour clock", hours("mon", "9am-5pm"), "hours.mon", []string{`"9am" is on a 12-hour clock`, `"09:00"`}},
		{"12-hour pm", hours("mon", "10:00-6:30 PM"), "hours.mon", []string{`"6:30 PM" is on a 12-hour clock`, `"18:30"`}},
		{"empty value", hours("mon", " "), "hours.mon", []string{"value is empty", `"closed"`}},
		{"trailing comma", hours("mon", "08:00-12:00,"), "hours.mon", []string{"empty range", "commas"}},
		{"closed and ranges", hours("mon", "closed, 10:00-12:00"), "hours.mon", []string{`"closed" cannot be combined`}},
		{"no end", hours("mon", "10:00"), "hours.mon", []string{"needs a start and an end", `"10:00-18:00"`}},
		{"open all day", hours("mon", "24h"), "hours.mon", []string{`"00:00-24:00"`}},
		{"three times", hours("mon", "10:00-12:00-14:00"), "hours.mon", []string{"one start and one end", "commas"}},
		{"overlap in a day", hours("mon_fri", "08:00-13:00, 12:00-17:00"), "hours.mon_fri",
			[]string{`"08:00-13:00" overlaps "12:00-17:00"`, "must not overlap"}},
		{"overlapping overnight ranges", hours("sat", "22:00-06:00, 23:00-01:00"), "hours.sat", []string{`"22:00-06:00" overlaps "23:00-01:00"`}},
		{"overnight into the next day's range", hours("mon", "18:00-10:00", "tue", "08:00-12:00"), "hours.tue",
			[]string{`"08:00-12:00" on Tuesday overlaps the overnight range "18:00-10:00" of hours.mon`, "Monday 18:00 until Tuesday 10:00", "by 08:00", "at 10:00 or later"}},
		{"overnight into the same key", hours("daily", "18:00-10:00, 08:00-09:00"), "hours.daily", []string{"overlaps the overnight range"}},
		{"overnight across the week end", hours("sun", "20:00-02:00", "mon", "01:00-05:00"), "hours.mon", []string{"Sunday 20:00 until Monday 02:00"}},

		// Holidays.
		{"month out of range", Config{Timezone: tz, Hours: office, Holidays: []string{"2026-12-24", "2026-12-25", "2026-13-01"}}, "holidays[2]",
			[]string{`holidays[2]: "2026-13-01": month 13 is out of range`, "YYYY-MM-DD"}},
		{"day out of range", Config{Timezone: tz, Hours: office, Holidays: []string{"2026-02-29"}}, "holidays[0]", []string{"February 2026 has 28 days", "day 29"}},
		{"european order", Config{Timezone: tz, Hours: office, Holidays: []string{"24.12.2026"}}, "holidays[0]", []string{`"24.12.2026"`, `"2026-12-24"`}},
		{"not a date", Config{Timezone: tz, Hours: office, Holidays: []string{"Christmas"}}, "holidays[0]", []string{`"Christmas" is not a date`, "YYYY-MM-DD"}},
		{"empty date", Config{Timezone: tz, Hours: office, Holidays: []string{""}}, "holidays[0]", []string{"empty", "YYYY-MM-DD"}},
		{"reversed span", Config{Timezone: tz, Hours: office, Holidays: []string{"2026-08-14..2026-08-03"}}, "holidays[0]", []string{"ends before it starts"}},
		{"bad end of span", Config{Timezone: tz, Hours: office, Holidays: []string{"2026-08-03..soon"}}, "holidays[0]", []string{`"2026-08-03..soon"`, `"soon" is not a date`}},

		// Public holidays.
		{"unknown country", Config{Timezone: tz, Hours: office, PublicHolidays: []string{"PL", "XX"}}, "public_holidays[1]",
			[]string{`unknown country "XX"`, `"CZ", "DE", "FR", "GB" (or "UK"), "PL" and "US"`}},
		{"alpha-3 country", Config{Timezone: tz, Hours: office, PublicHolidays: []string{"USA"}}, "public_holidays[0]", []string{`did you mean "US"?`}},
		{"empty country", Config{Timezone: tz, Hours: office, PublicHolidays: []string{" "}}, "public_holidays[0]", []string{"empty", `"PL"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := New("office", tt.c)
			if err == nil {
				t.Fatalf("New succeeded (%v), want an error on %s", s, tt.field)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) holds no *FieldError", err, err)
			}
			if fe.Field != tt.field || fe.Schedule != "office" {
				t.Errorf("first error is on schedule %q field %q, want office and %q: %v", fe.Schedule, fe.Field, tt.field, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, `schedule "office": `+tt.field+": ") {
				t.Errorf("error %q does not start with the schedule and field", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q\n does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestErrorsListEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := New("office", Config{
		Timezone:       "Nowhere/City",
		Hours:          map[string]string{"mon_fri": "10:00-25:00", "sat": "closed"},
		Holidays:       []string{"2026-12-24", "bad"},
		PublicHolidays: []string{"XX"},
		ICalendar:      []byte("garbage"),
	})
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("New: %v (%T), want Errors", err, err)
	}
	var fields []string
	for _, e := range errs {
		fields = append(fields, e.Field)
	}
	want := []string{"timezone", "hours.mon_fri", "holidays[1]", "public_holidays[0]", "icalendar"}
	if strings.Join(fields, " ") != strings.Join(want, " ") {
		t.Errorf("fields = %v, want %v", fields, want)
	}
	if got := strings.Count(err.Error(), "\n"); got != len(want)-1 {
		t.Errorf("Error() has %d lines, want one per problem:\n%s", got+1, err)
	}
}

func TestFieldErrorWithoutSchedule(t *testing.T) {
	t.Parallel()
	e := &FieldError{Field: "timezone", Msg: "no time zone is set"}
	if e.Error() != "timezone: no time zone is set" {
		t.Errorf("Error() = %q", e.Error())
	}
}

func TestSuggestedZonesExist(t *testing.T) {
	t.Parallel()
	for _, z := range commonZones {
		if _, err := time.LoadLocation(z); err != nil {
			t.Errorf("suggested zone %q does not load: %v", z, err)
		}
	}
}
