package schedule

import (
	"testing"
	"time"
)

func mustNew(t testing.TB, c Config) *Schedule {
	t.Helper()
	s, err := New("test", c)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// ts parses an RFC 3339 instant; tests spell out offsets so that every
// instant is unambiguous, also in the repeated hour.
func ts(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("bad instant %q: %v", s, err)
	}
	return v
}

type openCase struct {
	at   string
	want bool
}

func checkOpen(t *testing.T, s *Schedule, cases []openCase) {
	t.Helper()
	for _, c := range cases {
		if got := s.Open(ts(t, c.at)); got != c.want {
			t.Errorf("Open(%s) = %v, want %v", c.at, got, c.want)
		}
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		hours map[string]string
		cases []openCase
	}{
		{
			name:  "weekdays and saturday",
			hours: map[string]string{"mon_fri": "10:00-18:00", "sat": "10:00-14:00"},
			cases: []openCase{
				{"2026-03-23T09:59:59+01:00", false}, // Monday
				{"2026-03-23T10:00:00+01:00", true},
				{"2026-03-23T17:59:59+01:00", true},
				{"2026-03-23T18:00:00+01:00", false},
				{"2026-03-27T12:00:00+01:00", true},  // Friday
				{"2026-03-28T13:59:00+01:00", true},  // Saturday
				{"2026-03-28T14:00:00+01:00", false}, // Saturday close
				{"2026-03-22T12:00:00+01:00", false}, // Sunday: no key
				{"2026-03-23T09:00:00Z", true},       // 10:00 in Warsaw
				{"2026-03-23T17:30:00Z", false},      // 18:30 in Warsaw
			},
		},
		{
			name:  "overnight belongs to the day it starts",
			hours: map[string]string{"mon_fri": "18:00-10:00"},
			cases: []openCase{
				{"2026-03-23T09:00:00+01:00", false}, // Monday morning: Sunday has no range
				{"2026-03-23T17:59:00+01:00", false},
				{"2026-03-23T18:00:00+01:00", true},
				{"2026-03-24T00:00:00+01:00", true},
				{"2026-03-24T09:59:59+01:00", true}, // Tuesday morning from Monday
				{"2026-03-24T10:00:00+01:00", false},
				{"2026-03-28T09:00:00+01:00", true},  // Saturday morning from Friday
				{"2026-03-28T18:00:00+01:00", false}, // Saturday evening: no range
			},
		},
		{
			name:  "split day",
			hours: map[string]string{"daily": "08:00-12:00, 13:00-17:00"},
			cases: []openCase{
				{"2026-05-05T07:59:00+02:00", false},
				{"2026-05-05T08:00:00+02:00", true},
				{"2026-05-05T11:59:59+02:00", true},
				{"2026-05-05T12:00:00+02:00", false},
				{"2026-05-05T12:30:00+02:00", false},
				{"2026-05-05T13:00:00+02:00", true},
				{"2026-05-05T17:00:00+02:00", false},
			},
		},
		{
			name:  "closed days and 24:00",
			hours: map[string]string{"sat": "20:00-24:00", "sun": "00:00-24:00", "mon": "00:00-02:00", "tue": "closed"},
			cases: []openCase{
				{"2026-05-09T19:59:00+02:00", false}, // Saturday
				{"2026-05-09T23:59:59+02:00", true},
				{"2026-05-10T00:00:00+02:00", true}, // Sunday
				{"2026-05-10T23:59:59+02:00", true},
				{"2026-05-11T01:59:59+02:00", true}, // Monday
				{"2026-05-11T02:00:00+02:00", false},
				{"2026-05-12T12:00:00+02:00", false}, // Tuesday closed
			},
		},
		{
			name:  "sunday overnight runs into monday",
			hours: map[string]string{"sun": "22:00-06:00"},
			cases: []openCase{
				{"2026-05-10T21:59:00+02:00", false},
				{"2026-05-10T22:00:00+02:00", true},
				{"2026-05-11T05:59:00+02:00", true},
				{"2026-05-11T06:00:00+02:00", false},
			},
		},
		{
			name:  "range of days across the week end",
			hours: map[string]string{"fri_mon": "10:00-12:00"},
			cases: []openCase{
				{"2026-05-08T11:00:00+02:00", true},  // Friday
				{"2026-05-09T11:00:00+02:00", true},  // Saturday
				{"2026-05-10T11:00:00+02:00", true},  // Sunday
				{"2026-05-11T11:00:00+02:00", true},  // Monday
				{"2026-05-12T11:00:00+02:00", false}, // Tuesday
				{"2026-05-14T11:00:00+02:00", false}, // Thursday
			},
		},
		{
			name:  "aliases",
			hours: map[string]string{"weekdays": "09:00-17:00", "weekend": "closed"},
			cases: []openCase{
				{"2026-05-08T10:00:00+02:00", true},
				{"2026-05-09T10:00:00+02:00", false},
			},
		},
		{
			name:  "case-insensitive keys and en dash",
			hours: map[string]string{"Mon_Fri": "10:00–18:00"},
			cases: []openCase{
				{"2026-05-08T10:00:00+02:00", true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := mustNew(t, Config{Timezone: "Europe/Warsaw", Hours: tt.hours})
			checkOpen(t, s, tt.cases)
		})
	}
}

// transitionCase asks NextOpen or NextClose from an instant and expects an
// exact instant back, with the offset it is shown in.
type transitionCase struct {
	name  string
	hours map[string]string
	from  string
	open  string // NextOpen; "" to skip, "never" for false
	close string // NextClose; "" to skip, "never" for false
}

func checkTransitions(t *testing.T, zone string, tests []transitionCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := mustNew(t, Config{Timezone: zone, Hours: tt.hours})
			from := ts(t, tt.from)
			check := func(what string, got time.Time, ok bool, want string) {
				t.Helper()
				switch {
				case want == "":
				case want == "never":
					if ok {
						t.Errorf("%s(%s) = %s, want none", what, tt.from, got.Format(time.RFC3339))
					}
				case !ok:
					t.Errorf("%s(%s) found none, want %s", what, tt.from, want)
				case got.Format(time.RFC3339) != want:
					t.Errorf("%s(%s) = %s, want %s", what, tt.from, got.Format(time.RFC3339), want)
				case got.Location() != s.Location():
					t.Errorf("%s(%s) is in %v, want the schedule's location", what, tt.from, got.Location())
				}
			}
			got, ok := s.NextOpen(from)
			check("NextOpen", got, ok, tt.open)
			got, ok = s.NextClose(from)
			check("NextClose", got, ok, tt.close)
		})
	}
}

func TestNextOpenNextClose(t *testing.T) {
	t.Parallel()
	office := map[string]string{"mon_fri": "10:00-18:00"}
	checkTransitions(t, "Europe/Warsaw", []transitionCase{
		{name: "friday evening to monday after DST", hours: office,
			from: "2026-03-27T19:00:00+01:00", open: "2026-03-30T10:00:00+02:00", close: "2026-03-27T19:00:00+01:00"},
		{name: "open now", hours: office,
			from: "2026-03-30T11:00:00+02:00", open: "2026-03-30T11:00:00+02:00", close: "2026-03-30T18:00:00+02:00"},
		{name: "from UTC input, answer in Warsaw", hours: office,
			from: "2026-03-30T06:00:00Z", open: "2026-03-30T10:00:00+02:00", close: "2026-03-30T08:00:00+02:00"},
		{name: "exactly at opening", hours: office,
			from: "2026-03-30T10:00:00+02:00", open: "2026-03-30T10:00:00+02:00", close: "2026-03-30T18:00:00+02:00"},
		{name: "exactly at closing", hours: office,
			from: "2026-03-30T18:00:00+02:00", open: "2026-03-31T10:00:00+02:00", close: "2026-03-30T18:00:00+02:00"},
		{name: "touching ranges close once", hours: map[string]string{"mon": "08:00-12:00, 12:00-17:00"},
			from: "2026-03-30T09:00:00+02:00", close: "2026-03-30T17:00:00+02:00"},
		{name: "24:00 runs into the next day's 00:00", hours: map[string]string{"sat": "20:00-24:00", "sun": "00:00-24:00", "mon": "00:00-02:00"},
			from: "2026-05-09T21:00:00+02:00", close: "2026-05-11T02:00:00+02:00"},
		{name: "overnight close", hours: map[string]string{"fri": "18:00-10:00"},
			from: "2026-05-08T20:00:00+02:00", open: "2026-05-08T20:00:00+02:00", close: "2026-05-09T10:00:00+02:00"},
		{name: "open around the clock never closes", hours: map[string]string{"daily": "00:00-24:00"},
			from: "2026-05-08T20:00:00+02:00", open: "2026-05-08T20:00:00+02:00", close: "never"},
		{name: "closed every day never opens", hours: map[string]string{"daily": "closed"},
			from: "2026-05-08T20:00:00+02:00", open: "never", close: "2026-05-08T20:00:00+02:00"},
	})
}

// Europe/Warsaw: clocks go forward on 2026-03-29 at 02:00 CET to 03:00
// CEST and back on 2026-10-25 at 03:00 CEST to 02:00 CET.
func TestDaylightSavingWarsaw(t *testing.T) {
	t.Parallel()
	checkTransitions(t, "Europe/Warsaw", []transitionCase{
		// Spring forward.
		{name: "spring: ordinary day keeps local hours", hours: map[string]string{"daily": "10:00-18:00"},
			from: "2026-03-28T19:00:00+01:00", open: "2026-03-29T10:00:00+02:00"},
		{name: "spring: closes at local 18:00", hours: map[string]string{"daily": "10:00-18:00"},
			from: "2026-03-29T11:00:00+02:00", close: "2026-03-29T18:00:00+02:00"},
		{name: "spring: end in the skipped hour is the jump", hours: map[string]string{"sun": "01:00-02:30"},
			from: "2026-03-29T01:30:00+01:00", close: "2026-03-29T03:00:00+02:00"},
		{name: "spring: start in the skipped hour is the jump", hours: map[string]string{"sun": "02:30-06:00"},
			from: "2026-03-29T01:00:00+01:00", open: "2026-03-29T03:00:00+02:00", close: "2026-03-29T01:00:00+01:00"},
		{name: "spring: a range inside the skipped hour never opens", hours: map[string]string{"sun": "02:00-03:00", "mon": "09:00-10:00"},
			from: "2026-03-28T23:00:00+01:00", open: "2026-03-30T09:00:00+02:00"},
		{name: "spring: overnight range is an hour shorter", hours: map[string]string{"sat": "22:00-06:00"},
			from: "2026-03-28T23:00:00+01:00", close: "2026-03-29T06:00:00+02:00"},
		// Fall back.
		{name: "fall: monday after the change", hours: map[string]string{"mon_fri": "10:00-18:00"},
			from: "2026-10-23T19:00:00+02:00", open: "2026-10-26T10:00:00+01:00"},
		{name: "fall: end in the repeated hour is its first pass", hours: map[string]string{"sun": "01:00-02:30"},
			from: "2026-10-25T01:00:00+02:00", close: "2026-10-25T02:30:00+02:00"},
		{name: "fall: closed through the repeat, next week after", hours: map[string]string{"sun": "01:00-02:30"},
			from: "2026-10-25T02:15:00+01:00", open: "2026-11-01T01:00:00+01:00"},
		{name: "fall: range containing 02:59 stays open through the repeat", hours: map[string]string{"sun": "02:30-04:00"},
			from: "2026-10-25T02:00:00+02:00", open: "2026-10-25T02:30:00+02:00"},
		{name: "fall: and closes at 04:00 winter time", hours: map[string]string{"sun": "02:30-04:00"},
			from: "2026-10-25T02:10:00+01:00", open: "2026-10-25T02:10:00+01:00", close: "2026-10-25T04:00:00+01:00"},
		{name: "fall: start at 03:00 waits for the repeat", hours: map[string]string{"sun": "03:00-05:00"},
			from: "2026-10-25T02:10:00+02:00", open: "2026-10-25T03:00:00+01:00"},
		{name: "fall: overnight range is an hour longer", hours: map[string]string{"sat": "18:00-10:00"},
			from: "2026-10-24T20:00:00+02:00", close: "2026-10-25T10:00:00+01:00"},
	})

	s := mustNew(t, Config{Timezone: "Europe/Warsaw", Hours: map[string]string{"sun": "01:00-02:30, 02:45-06:00"}})
	checkOpen(t, s, []openCase{
		{"2026-03-29T00:59:00Z", true},      // 01:59 CET
		{"2026-03-29T01:00:00Z", true},      // 03:00 CEST: 02:45-06:00 is open
		{"2026-10-25T00:20:00Z", true},      // 02:20 CEST, first pass
		{"2026-10-25T00:40:00Z", false},     // 02:40 CEST, between the ranges
		{"2026-10-25T00:50:00Z", true},      // 02:50 CEST
		{"2026-10-25T01:20:00Z", true},      // 02:20 CET, second pass: counts as 02:59:59
		{"2026-10-25T02:00:00Z", true},      // 03:00 CET
		{"2026-10-25T05:00:00Z", false},     // 06:00 CET
		{"2026-10-25T02:10:00+01:00", true}, // same instant as 01:10Z
		{"2026-10-24T22:50:00Z", false},     // 00:50 CEST
	})
}

// America/New_York: clocks go forward on 2026-03-08 at 02:00 EST to 03:00
// EDT and back on 2026-11-01 at 02:00 EDT to 01:00 EST.
func TestDaylightSavingNewYork(t *testing.T) {
	t.Parallel()
	office := map[string]string{"mon_fri": "09:00-17:00"}
	checkTransitions(t, "America/New_York", []transitionCase{
		{name: "spring: friday to monday", hours: office,
			from: "2026-03-06T18:00:00-05:00", open: "2026-03-09T09:00:00-04:00"},
		{name: "spring: monday close", hours: office,
			from: "2026-03-09T09:00:00-04:00", close: "2026-03-09T17:00:00-04:00"},
		{name: "spring: end in the skipped hour", hours: map[string]string{"sun": "01:30-02:30"},
			from: "2026-03-08T01:45:00-05:00", close: "2026-03-08T03:00:00-04:00"},
		{name: "spring: overnight across the change", hours: map[string]string{"sat": "20:00-08:00"},
			from: "2026-03-07T21:00:00-05:00", close: "2026-03-08T08:00:00-04:00"},
		{name: "fall: friday to monday", hours: office,
			from: "2026-10-30T18:00:00-04:00", open: "2026-11-02T09:00:00-05:00"},
		{name: "fall: end in the repeated hour", hours: map[string]string{"sat": "22:00-01:30"},
			from: "2026-10-31T23:00:00-04:00", close: "2026-11-01T01:30:00-04:00"},
		{name: "fall: range over the repeat lasts an hour longer", hours: map[string]string{"sun": "00:00-02:00"},
			from: "2026-11-01T00:30:00-04:00", close: "2026-11-01T02:00:00-05:00"},
		{name: "fall: overnight across the change", hours: map[string]string{"sat": "20:00-08:00"},
			from: "2026-10-31T21:00:00-04:00", close: "2026-11-01T08:00:00-05:00"},
		{name: "fall: start after the repeated hour", hours: map[string]string{"sun": "02:00-04:00"},
			from: "2026-11-01T01:30:00-04:00", open: "2026-11-01T02:00:00-05:00"},
	})
	s := mustNew(t, Config{Timezone: "America/New_York", Hours: map[string]string{"sat": "22:00-01:30"}})
	checkOpen(t, s, []openCase{
		{"2026-11-01T01:15:00-04:00", true},  // first pass
		{"2026-11-01T01:15:00-05:00", false}, // second pass: past 01:30 already
	})
}

func TestLocationAndName(t *testing.T) {
	t.Parallel()
	s := mustNew(t, Config{Timezone: "Europe/Warsaw", Hours: map[string]string{"daily": "10:00-18:00"}})
	if s.Location().String() != "Europe/Warsaw" {
		t.Errorf("Location = %v", s.Location())
	}
	if s.Name() != "test" {
		t.Errorf("Name = %q", s.Name())
	}
}

func TestOutOfRangeInstants(t *testing.T) {
	t.Parallel()
	s := mustNew(t, Config{Timezone: "Europe/Warsaw", Hours: map[string]string{"daily": "00:00-24:00"}, PublicHolidays: []string{"PL"}})
	for _, at := range []time.Time{{}, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if s.Open(at) || s.IsHoliday(at) {
			t.Errorf("Open or IsHoliday true at %v", at)
		}
		if _, ok := s.NextOpen(at); ok {
			t.Errorf("NextOpen(%v) found one", at)
		}
		if _, ok := s.NextClose(at); ok {
			t.Errorf("NextClose(%v) found one", at)
		}
	}
	// Near the end of the supported range NextClose stops instead of overflowing.
	always := mustNew(t, Config{Timezone: "Europe/Warsaw", Hours: map[string]string{"daily": "00:00-24:00"}})
	if _, ok := always.NextClose(time.Date(9999, 12, 1, 0, 0, 0, 0, time.UTC)); ok {
		t.Error("NextClose near year 9999 found a close")
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	s := mustNew(t, Config{Timezone: "Europe/Warsaw", Hours: map[string]string{"mon_fri": "10:00-18:00"}, PublicHolidays: []string{"PL"}})
	start := ts(t, "2020-01-01T00:00:00Z")
	done := make(chan bool)
	for g := range 8 {
		go func() {
			open := 0
			for i := range 2000 {
				at := start.Add(time.Duration(g*2000+i) * 7 * time.Hour)
				if s.Open(at) {
					open++
				}
				s.NextOpen(at)
				s.NextClose(at)
				s.IsHoliday(at)
			}
			done <- open > 0
		}()
	}
	for range 8 {
		if !<-done {
			t.Error("a goroutine never saw the schedule open")
		}
	}
}
