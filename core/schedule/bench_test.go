package schedule

import (
	"testing"
	"time"
)

func benchSchedule(b *testing.B) *Schedule {
	s, err := New("office", Config{
		Timezone:       "Europe/Warsaw",
		Hours:          map[string]string{"mon_fri": "10:00-18:00", "sat": "10:00-14:00"},
		Holidays:       []string{"2026-12-24"},
		PublicHolidays: []string{"PL"},
	})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkOpen asks at instants spread over a week, open and closed, as
// messages arrive.
func BenchmarkOpen(b *testing.B) {
	s := benchSchedule(b)
	start := time.Date(2026, 3, 23, 0, 0, 0, 0, time.UTC)
	var at [64]time.Time
	for i := range at {
		at[i] = start.Add(time.Duration(i) * 157 * time.Minute)
	}
	s.Open(start) // fill the caches for the year
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Open(at[i&63])
		i++
	}
}

// BenchmarkNextOpen asks on Friday evening before a change to summer
// time, the answer being Monday morning.
func BenchmarkNextOpen(b *testing.B) {
	s := benchSchedule(b)
	at := time.Date(2026, 3, 27, 19, 0, 0, 0, time.UTC)
	s.NextOpen(at)
	b.ReportAllocs()
	for b.Loop() {
		s.NextOpen(at)
	}
}

// BenchmarkNextOpenEaster crosses a long weekend with two public holidays.
func BenchmarkNextOpenEaster(b *testing.B) {
	s := benchSchedule(b)
	at := time.Date(2026, 4, 4, 15, 0, 0, 0, time.UTC) // Saturday before Easter; answer Tuesday
	s.NextOpen(at)
	b.ReportAllocs()
	for b.Loop() {
		s.NextOpen(at)
	}
}

func BenchmarkNextClose(b *testing.B) {
	s := benchSchedule(b)
	at := time.Date(2026, 3, 27, 11, 0, 0, 0, time.UTC)
	s.NextClose(at)
	b.ReportAllocs()
	for b.Loop() {
		s.NextClose(at)
	}
}

// BenchmarkNew builds a schedule, as a configuration reload does.
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		benchSchedule(b)
	}
}
