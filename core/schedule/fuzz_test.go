package schedule

import (
	"testing"
	"time"
)

// FuzzNew feeds arbitrary configuration to New: it must never panic, and a
// schedule it accepts must answer consistently: NextOpen lands on an open
// instant right after a closed one, NextClose on a closed instant right
// after an open one.
func FuzzNew(f *testing.F) {
	seeds := []struct {
		tz, k1, v1, k2, v2, holiday, country string
		ical                                 []byte
	}{
		{"Europe/Warsaw", "mon_fri", "10:00-18:00", "sat", "10:00-14:00", "2026-12-24", "PL", nil},
		{"America/New_York", "daily", "18:00-10:00", "", "", "2026-08-03..2026-08-14", "US", nil},
		{"Europe/London", "fri_mon", "08:00-12:00, 13:00-17:00", "tue", "closed", "", "UK", nil},
		{"Australia/Lord_Howe", "weekend", "00:00-24:00", "weekdays", "02:00-02:30", "", "", nil},
		{"Europe/Warsaw", "sun", "22:00-06:00", "mon", "06:00-08:00", "", "DE", ics("UID:1\nDTSTART;VALUE=DATE:20260601\nRRULE:FREQ=YEARLY")},
		{"Europe/Warsaw", "mon_fri", "10:00-25:00", "fri", "9am-5pm", "24.12.2026", "XX", []byte("garbage")},
		{"", "mon_fir", "", "Mon", "10-18", "2026-02-30", "", ics("DTSTART;TZID=Nowhere:20260101T100000\nRRULE:FREQ=WEEKLY;BYDAY=MO,TU")},
		{"Local", "daily", "24:00-08:00", "weekend", "closed, 10:00-12:00", "..", "usa", []byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n")},
	}
	for _, s := range seeds {
		f.Add(s.tz, s.k1, s.v1, s.k2, s.v2, s.holiday, s.country, s.ical)
	}
	probes := []time.Time{
		time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC),
		time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC),
		time.Date(2026, 12, 31, 22, 0, 0, 0, time.UTC),
		time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC),
	}
	f.Fuzz(func(t *testing.T, tz, k1, v1, k2, v2, holiday, country string, ical []byte) {
		c := Config{Timezone: tz, Hours: map[string]string{}, ICalendar: ical}
		if k1 != "" {
			c.Hours[k1] = v1
		}
		if k2 != "" {
			c.Hours[k2] = v2
		}
		if holiday != "" {
			c.Holidays = []string{holiday}
		}
		if country != "" {
			c.PublicHolidays = []string{country}
		}
		s, err := New("fuzz", c)
		if err != nil {
			if errs, ok := err.(Errors); !ok || len(errs) == 0 {
				t.Fatalf("New returned %T %v, want non-empty Errors", err, err)
			}
			return
		}
		for _, at := range probes {
			s.IsHoliday(at)
			open := s.Open(at)
			if next, ok := s.NextOpen(at); ok {
				if next.Before(at) || !s.Open(next) || (open != next.Equal(at)) ||
					(!next.Equal(at) && s.Open(next.Add(-time.Second))) {
					t.Errorf("NextOpen(%v) = %v is not the first open instant", at, next)
				}
			} else if open {
				t.Errorf("NextOpen(%v) found none although open", at)
			}
			if next, ok := s.NextClose(at); ok {
				if next.Before(at) || s.Open(next) || (open == next.Equal(at)) ||
					(!next.Equal(at) && !s.Open(next.Add(-time.Second))) {
					t.Errorf("NextClose(%v) = %v is not the first closed instant", at, next)
				}
			} else if !open {
				t.Errorf("NextClose(%v) found none although closed", at)
			}
		}
	})
}
