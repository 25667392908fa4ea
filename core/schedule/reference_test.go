package schedule

import (
	"fmt"
	"testing"
	"time"
)

// TestAgainstReference checks Open, NextOpen and NextClose minute by minute
// around clock changes against a plain model of the documented semantics,
// built on package time alone: a boundary takes effect once the local
// clock, never counted backwards, has reached it. All boundaries and
// transitions here fall on whole minutes, so stepping by minutes is exact.
func TestAgainstReference(t *testing.T) {
	t.Parallel()
	type rng struct{ start, end int } // minutes; end may pass 24:00
	every := func(rs ...rng) [7][]rng {
		var w [7][]rng
		for d := range w {
			w[d] = rs
		}
		return w
	}
	schedules := []struct {
		name     string
		hours    map[string]string
		holidays []string // also "+N": N days after the window's centre
		ranges   [7][]rng
	}{
		{"office", map[string]string{"daily": "10:00-18:00"}, nil, every(rng{600, 1080})},
		{"night", map[string]string{"daily": "23:00-00:30, 01:00-02:30, 02:45-03:15"}, nil,
			every(rng{1380, 1470}, rng{60, 150}, rng{165, 195})},
		{"around the clock with a holiday", map[string]string{"mon_sat": "00:00-24:00", "sun": "00:00-12:00"}, []string{"+1"},
			[7][]rng{{{0, 720}}, {{0, 1440}}, {{0, 1440}}, {{0, 1440}}, {{0, 1440}}, {{0, 1440}}, {{0, 1440}}}},
		{"inside the changed hour", map[string]string{"daily": "02:00-03:00"}, nil, every(rng{120, 180})},
		{"short ranges at the edges", map[string]string{"daily": "00:59-01:01, 01:59-02:01, 02:59-03:01"}, nil,
			every(rng{59, 61}, rng{119, 121}, rng{179, 181})},
		{"overnight handing over", map[string]string{"sat": "18:00-02:30", "sun": "02:30-12:00", "mon_fri": "closed"}, []string{"+1"},
			[7][]rng{time.Saturday: {{1080, 1590}}, time.Sunday: {{150, 720}}}},
	}
	windows := []struct {
		zone   string
		centre string // a day with a clock change
	}{
		{"Europe/Warsaw", "2026-03-29"},
		{"Europe/Warsaw", "2026-10-25"},
		{"America/New_York", "2026-03-08"},
		{"America/New_York", "2026-11-01"},
		{"America/Havana", "2026-03-08"},      // forward at midnight
		{"America/Havana", "2026-11-01"},      // back from 01:00 to 00:00
		{"Australia/Lord_Howe", "2026-04-05"}, // half an hour back
		{"Australia/Lord_Howe", "2026-10-04"}, // half an hour forward
		{"Pacific/Apia", "2011-12-30"},        // a day that never happened
		{"UTC", "2026-06-01"},
	}
	for _, w := range windows {
		for _, sc := range schedules {
			t.Run(w.zone+" "+w.centre+" "+sc.name, func(t *testing.T) {
				t.Parallel()
				loc, err := time.LoadLocation(w.zone)
				if err != nil {
					t.Fatal(err)
				}
				centre, _ := time.Parse("2006-01-02", w.centre)
				holidays := map[string]bool{}
				var cfgHolidays []string
				for _, h := range sc.holidays {
					var n int
					if _, err := fmt.Sscanf(h, "+%d", &n); err == nil {
						h = centre.AddDate(0, 0, n).Format("2006-01-02")
					}
					holidays[h] = true
					cfgHolidays = append(cfgHolidays, h)
				}
				s := mustNew(t, Config{Timezone: w.zone, Hours: sc.hours, Holidays: cfgHolidays})

				// The model: the highest local clock reading so far, as
				// seconds of a UTC calendar, and the ranges of that day and
				// the day before.
				wallOf := func(u time.Time) int64 {
					l := u.In(loc)
					return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC).Unix()
				}
				openAt := func(wall int64) bool {
					day := time.Unix(wall, 0).UTC().Truncate(24 * time.Hour)
					for back := range 2 {
						d := day.AddDate(0, 0, -back)
						if holidays[d.Format("2006-01-02")] {
							continue
						}
						since := (wall - d.Unix()) / 60
						for _, r := range sc.ranges[d.Weekday()] {
							if since >= int64(r.start) && since < int64(r.end) {
								return true
							}
						}
					}
					return false
				}

				// Warm up for a day so that the running maximum is right.
				start := time.Date(centre.Year(), centre.Month(), centre.Day(), 0, 0, 0, 0, loc).Add(-3 * 24 * time.Hour)
				const steps = 6 * 24 * 60
				var (
					instants [steps]time.Time
					want     [steps]bool
					high     int64 = -1 << 62
				)
				for i := -24 * 60; i < steps; i++ {
					u := start.Add(time.Duration(i) * time.Minute)
					high = max(high, wallOf(u))
					if i >= 0 {
						instants[i], want[i] = u, openAt(high)
					}
				}
				mismatches := 0
				report := func(format string, args ...any) {
					t.Helper()
					if mismatches++; mismatches <= 10 {
						t.Errorf(format, args...)
					}
				}
				nextOpen, nextClose := -1, -1 // index of the next change of state, scanning backwards
				for i := steps - 1; i >= 0; i-- {
					if want[i] {
						nextOpen = i
					} else {
						nextClose = i
					}
					u := instants[i]
					if got := s.Open(u); got != want[i] {
						report("Open(%s) = %v, want %v", u.In(loc).Format(time.RFC3339), got, want[i])
					}
					check := func(what string, got time.Time, ok bool, idx int) {
						t.Helper()
						switch {
						case idx >= 0 && (!ok || !got.Equal(instants[idx])):
							report("%s(%s) = %s %v, want %s", what, u.In(loc).Format(time.RFC3339),
								got.Format(time.RFC3339), ok, instants[idx].In(loc).Format(time.RFC3339))
						case idx < 0 && ok && !got.After(instants[steps-1]):
							report("%s(%s) = %s, want none within the window", what, u.In(loc).Format(time.RFC3339), got.Format(time.RFC3339))
						}
					}
					got, ok := s.NextOpen(u)
					check("NextOpen", got, ok, nextOpen)
					got, ok = s.NextClose(u)
					check("NextClose", got, ok, nextClose)
				}
			})
		}
	}
}
