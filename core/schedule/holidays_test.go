package schedule

import (
	"testing"
)

func TestHolidays(t *testing.T) {
	t.Parallel()
	office := map[string]string{"mon_fri": "10:00-18:00"}
	tests := []struct {
		name     string
		c        Config
		open     []openCase
		holidays []openCase // want = IsHoliday
	}{
		{
			name: "explicit date",
			c:    Config{Timezone: "Europe/Warsaw", Hours: office, Holidays: []string{"2026-12-24"}},
			open: []openCase{
				{"2026-12-23T12:00:00+01:00", true},
				{"2026-12-24T12:00:00+01:00", false},
				{"2026-12-25T12:00:00+01:00", true}, // no PL set
			},
			holidays: []openCase{
				{"2026-12-24T00:00:00+01:00", true},
				{"2026-12-24T23:59:59+01:00", true},
				{"2026-12-24T23:30:00Z", false}, // already the 25th in Warsaw
				{"2026-12-23T23:30:00Z", true},  // already the 24th in Warsaw
			},
		},
		{
			name: "span of days",
			c:    Config{Timezone: "Europe/Warsaw", Hours: office, Holidays: []string{"2026-08-03..2026-08-14"}},
			open: []openCase{
				{"2026-07-31T12:00:00+02:00", true},
				{"2026-08-03T12:00:00+02:00", false},
				{"2026-08-14T12:00:00+02:00", false},
				{"2026-08-17T12:00:00+02:00", true},
			},
		},
		{
			name: "PL Easter Monday and Christmas",
			c:    Config{Timezone: "Europe/Warsaw", Hours: office, PublicHolidays: []string{"PL"}},
			open: []openCase{
				{"2026-04-06T12:00:00+02:00", false}, // Easter Monday
				{"2026-04-07T12:00:00+02:00", true},
				{"2026-12-24T12:00:00+01:00", false}, // Wigilia is a public holiday since 2025
				{"2026-12-25T12:00:00+01:00", false},
				{"2026-06-04T12:00:00+02:00", false}, // Corpus Christi
				{"2026-11-11T12:00:00+01:00", false}, // Independence Day
			},
			holidays: []openCase{
				{"2026-04-05T12:00:00+02:00", true}, // Easter Sunday
				{"2026-12-26T12:00:00+01:00", true},
				{"2026-12-27T12:00:00+01:00", false},
				{"2026-05-24T12:00:00+02:00", true},  // Pentecost Sunday
				{"2024-12-24T12:00:00+01:00", false}, // Wigilia: only from 2025
			},
		},
		{
			name: "US Thanksgiving but not the day after",
			c:    Config{Timezone: "America/New_York", Hours: map[string]string{"mon_fri": "09:00-17:00"}, PublicHolidays: []string{"US"}},
			open: []openCase{
				{"2026-11-26T12:00:00-05:00", false},
				{"2026-11-27T12:00:00-05:00", true},
				{"2026-07-03T12:00:00-04:00", false}, // Independence Day on a Saturday, observed Friday
				{"2026-07-06T12:00:00-04:00", true},
			},
			holidays: []openCase{
				{"2026-07-04T12:00:00-04:00", true},
				{"2026-10-12T12:00:00-04:00", true}, // Columbus Day, federal
			},
		},
		{
			name: "UK Boxing Day on a Saturday closes the Monday too",
			c:    Config{Timezone: "Europe/London", Hours: map[string]string{"daily": "10:00-16:00"}, PublicHolidays: []string{"uk"}},
			open: []openCase{
				{"2026-12-24T12:00:00Z", true},
				{"2026-12-25T12:00:00Z", false},
				{"2026-12-26T12:00:00Z", false}, // Boxing Day
				{"2026-12-27T12:00:00Z", true},
				{"2026-12-28T12:00:00Z", false}, // substitute bank holiday
				{"2026-12-29T12:00:00Z", true},
			},
		},
		{
			name: "DE, CZ and FR national holidays",
			c:    Config{Timezone: "Europe/Berlin", Hours: office, PublicHolidays: []string{"DE", "CZ", "FR"}},
			holidays: []openCase{
				{"2026-10-03T12:00:00+02:00", true},  // Tag der Deutschen Einheit
				{"2026-01-06T12:00:00+01:00", false}, // Epiphany: only some German states
				{"2026-07-06T12:00:00+02:00", true},  // Jan Hus Day
				{"2026-07-14T12:00:00+02:00", true},  // Fête nationale
				{"2026-07-15T12:00:00+02:00", false},
			},
		},
		{
			name: "overnight range starting before a holiday runs into it",
			c:    Config{Timezone: "Europe/Warsaw", Hours: map[string]string{"daily": "18:00-10:00"}, Holidays: []string{"2026-12-25"}},
			open: []openCase{
				{"2026-12-24T20:00:00+01:00", true},
				{"2026-12-25T09:59:00+01:00", true}, // started on the 24th
				{"2026-12-25T10:00:00+01:00", false},
				{"2026-12-25T19:00:00+01:00", false}, // the range of the 25th does not start
				{"2026-12-26T09:00:00+01:00", false},
				{"2026-12-26T18:00:00+01:00", true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := mustNew(t, tt.c)
			checkOpen(t, s, tt.open)
			for _, c := range tt.holidays {
				if got := s.IsHoliday(ts(t, c.at)); got != c.want {
					t.Errorf("IsHoliday(%s) = %v, want %v", c.at, got, c.want)
				}
			}
		})
	}
}

func TestHolidayTransitions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		c          Config
		from, want string
		close      bool
	}{
		{
			name: "Easter weekend", from: "2026-04-03T19:00:00+02:00", want: "2026-04-07T10:00:00+02:00",
			c: Config{Timezone: "Europe/Warsaw", Hours: map[string]string{"mon_fri": "10:00-18:00"}, PublicHolidays: []string{"PL"}},
		},
		{
			name: "Christmas to after Boxing Day", from: "2026-12-23T19:00:00+01:00", want: "2026-12-28T10:00:00+01:00",
			c: Config{Timezone: "Europe/Warsaw", Hours: map[string]string{"mon_fri": "10:00-18:00"}, PublicHolidays: []string{"PL"}},
		},
		{
			name: "over New Year", from: "2026-12-31T19:00:00+01:00", want: "2027-01-04T10:00:00+01:00",
			c: Config{Timezone: "Europe/Warsaw", Hours: map[string]string{"mon_fri": "10:00-18:00"}, PublicHolidays: []string{"PL"}},
		},
		{
			name: "New Year's Eve holiday from the old year", from: "2027-12-30T19:00:00+01:00", want: "2028-01-03T10:00:00+01:00",
			c: Config{Timezone: "Europe/Warsaw", Hours: map[string]string{"mon_fri": "10:00-18:00"}, Holidays: []string{"2027-12-31"}, PublicHolidays: []string{"PL"}},
		},
		{
			name: "overnight close on the holiday morning", from: "2026-12-24T20:00:00+01:00", want: "2026-12-25T10:00:00+01:00", close: true,
			c: Config{Timezone: "Europe/Warsaw", Hours: map[string]string{"daily": "18:00-10:00"}, Holidays: []string{"2026-12-25"}},
		},
		{
			name: "overnight opens again after the holiday", from: "2026-12-25T10:00:00+01:00", want: "2026-12-26T18:00:00+01:00",
			c: Config{Timezone: "Europe/Warsaw", Hours: map[string]string{"daily": "18:00-10:00"}, Holidays: []string{"2026-12-25"}},
		},
		{
			name: "a 24:00 close into a holiday is a close", from: "2026-12-24T20:00:00+01:00", want: "2026-12-25T00:00:00+01:00", close: true,
			c: Config{Timezone: "Europe/Warsaw", Hours: map[string]string{"daily": "00:00-24:00"}, Holidays: []string{"2026-12-25"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := mustNew(t, tt.c)
			next, what := s.NextOpen, "NextOpen"
			if tt.close {
				next, what = s.NextClose, "NextClose"
			}
			got, ok := next(ts(t, tt.from))
			if !ok || got.Format("2006-01-02T15:04:05Z07:00") != tt.want {
				t.Errorf("%s(%s) = %v, %v; want %s", what, tt.from, got, ok, tt.want)
			}
		})
	}
}
