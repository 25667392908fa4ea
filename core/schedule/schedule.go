package schedule

import (
	"strings"
	"sync"
	"time"
	"unicode"
)

// Config is a schedule as written in HCL; the config package decodes the
// schedule block into it. Field names in errors are the HCL attribute
// names given below.
type Config struct {
	// Timezone (HCL "timezone") is an IANA zone name such as
	// "Europe/Warsaw". Required. All hours and dates are read on the
	// clocks of this zone. "Local" is refused: it would make the schedule
	// depend on the machine the hub runs on.
	Timezone string

	// Hours (HCL "hours") maps day keys to opening ranges. Keys: "mon" to
	// "sun"; a run of days "<day>_<day>" such as "mon_fri" or, wrapping
	// over the week end, "fri_mon"; "daily", "weekdays" (mon–fri) and
	// "weekend" (sat–sun). No two keys may cover the same weekday. Values:
	// "10:00-18:00", several ranges "08:00-12:00, 13:00-17:00", overnight
	// "18:00-10:00" (belongs to the day it starts on), "00:00-24:00", or
	// "closed". Days no key covers are closed. At least one key is required.
	Hours map[string]string

	// Holidays (HCL "holidays") are dates "2026-12-24", or inclusive spans
	// "2026-08-03..2026-08-14", on which no range starts.
	Holidays []string

	// PublicHolidays (HCL "public_holidays") are built-in national holiday
	// sets: "CZ", "DE", "FR", "GB" (also "UK"), "PL", "US".
	PublicHolidays []string

	// ICalendar (HCL "icalendar") is the content of an iCalendar (.ics)
	// file; the dates its events touch are holidays. Optional.
	ICalendar []byte
}

// Schedule answers whether a business is open at an instant and when it
// next opens or closes. It is immutable after New apart from internal
// caches, and safe for concurrent use.
type Schedule struct {
	name     string
	loc      *time.Location
	week     [7][]span // by time.Weekday, sorted, not touching
	over     [7]int32  // end of the weekday's overnight range (> secondsPerDay), or 0
	holidays *holidaySet

	mu    sync.Mutex // serialises cache fills
	zones chunkCache[*zoneChunk]
	days  chunkCache[*dayBits]
}

// New checks c and builds the schedule called name. On invalid input it
// returns Errors listing every problem, each a *FieldError.
func New(name string, c Config) (*Schedule, error) {
	var errs []*FieldError
	loc, fe := loadZone(c.Timezone)
	if fe != nil {
		errs = append(errs, fe)
		loc = time.UTC // keep checking the rest
	}
	week, hourErrs := buildWeek(c.Hours)
	errs = append(errs, hourErrs...)

	dates, dateErrs := parseHolidays(c.Holidays)
	errs = append(errs, dateErrs...)
	countries, countryErrs := parseCountries(c.PublicHolidays)
	errs = append(errs, countryErrs...)
	icalDates, rules, icalErrs := parseICalendar(c.ICalendar, loc)
	errs = append(errs, icalErrs...)

	if len(errs) > 0 {
		for _, e := range errs {
			e.Schedule = name
		}
		return nil, Errors(errs)
	}
	s := &Schedule{name: name, loc: loc, week: week}
	for d, spans := range week {
		if n := len(spans); n > 0 && spans[n-1].end > secondsPerDay {
			s.over[d] = spans[n-1].end
		}
	}
	if len(dates)+len(countries)+len(icalDates)+len(rules) > 0 {
		s.holidays = &holidaySet{
			countries: countries,
			ranges:    mergeRanges(append(dates, icalDates...)),
			rules:     rules,
		}
	}
	return s, nil
}

func loadZone(name string) (*time.Location, *FieldError) {
	const hint = `use an IANA time zone name like "Europe/Warsaw" or "America/New_York"`
	n := strings.TrimSpace(name)
	fail := func(msg string) (*time.Location, *FieldError) {
		return nil, &FieldError{Field: "timezone", Msg: msg}
	}
	switch {
	case n == "":
		return fail("no time zone is set; " + hint)
	case strings.EqualFold(n, "local"):
		return fail(quote(name) + " would be the zone of whichever machine runs the hub; " + hint)
	}
	loc, err := time.LoadLocation(n)
	if err == nil {
		return loc, nil
	}
	if alt := guessZone(n); alt != "" {
		return fail("unknown time zone " + quote(name) + "; did you mean " + quote(alt) + "? U" + hint[1:])
	}
	if strings.ContainsAny(n, "+-") && !strings.Contains(n, "/") || strings.HasPrefix(strings.ToUpper(n), "GMT") || strings.HasPrefix(strings.ToUpper(n), "UTC") {
		return fail("unknown time zone " + quote(name) + "; a fixed UTC offset does not follow daylight saving time, so " + hint)
	}
	return fail("unknown time zone " + quote(name) + "; " + hint)
}

// commonZones are the zones of the markets Switchboard's users sell in,
// for suggestions: Go has no list of zone names without reading the disk.
var commonZones = []string{
	"Europe/Amsterdam", "Europe/Athens", "Europe/Berlin", "Europe/Bratislava", "Europe/Brussels",
	"Europe/Bucharest", "Europe/Budapest", "Europe/Copenhagen", "Europe/Dublin", "Europe/Helsinki",
	"Europe/Kyiv", "Europe/Lisbon", "Europe/London", "Europe/Madrid", "Europe/Oslo", "Europe/Paris",
	"Europe/Prague", "Europe/Riga", "Europe/Rome", "Europe/Sofia", "Europe/Stockholm", "Europe/Tallinn",
	"Europe/Vienna", "Europe/Vilnius", "Europe/Warsaw", "Europe/Zurich", "Europe/Istanbul",
	"America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
	"America/Anchorage", "America/Toronto", "America/Vancouver", "America/Mexico_City", "America/Sao_Paulo",
	"Pacific/Honolulu", "Asia/Tokyo", "Asia/Shanghai", "Asia/Kolkata", "Asia/Dubai", "Asia/Singapore",
	"Australia/Sydney", "UTC",
}

// guessZone suggests the zone meant by n: "europe/warsaw" and "America/New
// York" have the case or spaces wrong, "Europe/Warsw" and "Warsaw" are
// near a common zone's name or city.
func guessZone(n string) string {
	if len(n) > 64 {
		return ""
	}
	if alt := fixZoneCase(n); alt != "" {
		return alt
	}
	l := strings.ToLower(strings.ReplaceAll(n, " ", "_"))
	best, bestDist := "", 3
	for _, z := range commonZones {
		_, city, _ := strings.Cut(z, "/")
		for _, cand := range []string{strings.ToLower(z), strings.ToLower(city)} {
			if cand == "" {
				continue
			}
			if d := editDistance(l, cand); d < bestDist {
				best, bestDist = z, d
			}
		}
	}
	return best
}

func fixZoneCase(n string) string {
	parts := strings.Split(strings.ReplaceAll(n, " ", "_"), "/")
	for i, p := range parts {
		words := strings.Split(strings.ToLower(p), "_")
		for j, w := range words {
			if w != "" {
				r := []rune(w)
				r[0] = unicode.ToUpper(r[0])
				words[j] = string(r)
			}
		}
		parts[i] = strings.Join(words, "_")
	}
	alt := strings.Join(parts, "/")
	if alt == n || strings.EqualFold(alt, "local") {
		return ""
	}
	if _, err := time.LoadLocation(alt); err != nil {
		return ""
	}
	return alt
}

// Name is the schedule's name as given to New.
func (s *Schedule) Name() string { return s.name }

// Location is the schedule's time zone. Times returned by NextOpen and
// NextClose are in it.
func (s *Schedule) Location() *time.Location { return s.loc }

// Instants outside the years 1 to 9999 are treated as closed; the margin
// keeps every computation inside the range time.Time represents well.
var (
	minUnix = time.Date(1, 1, 3, 0, 0, 0, 0, time.UTC).Unix()
	maxUnix = time.Date(9999, 12, 29, 0, 0, 0, 0, time.UTC).Unix()
)

// horizon is how far NextOpen and NextClose look: two years and a few days.
const horizonDays = 2*366 + 1

func inRange(u int64) bool { return u >= minUnix && u <= maxUnix }

// Open reports whether the schedule is open at instant at.
func (s *Schedule) Open(at time.Time) bool {
	u := at.Unix()
	if !inRange(u) {
		return false
	}
	_, ok := s.openEnd(s.wall(u))
	return ok
}

// NextOpen returns the first instant at or after at when the schedule is
// open: at itself (in the schedule's location) when it is open now. It
// reports false when the schedule does not open within about two years.
func (s *Schedule) NextOpen(at time.Time) (time.Time, bool) {
	u := at.Unix()
	if !inRange(u) {
		return time.Time{}, false
	}
	w := s.wall(u)
	if _, ok := s.openEnd(w); ok {
		return at.In(s.loc), true
	}
	// Closed now, so every range that started before w has ended: the
	// next opening is the start of a later range, the earliest one whose
	// stretch of time is not empty (a range inside the hour skipped in
	// spring never opens).
	today := floorDiv(w, secondsPerDay)
	for d := today; d <= today+horizonDays; d++ {
		spans := s.week[weekdayOf(d)]
		if len(spans) == 0 || s.holiday(d) {
			continue
		}
		for _, sp := range spans {
			start := d*secondsPerDay + int64(sp.start)
			if start <= w {
				continue
			}
			c := s.instant(start)
			if !inRange(c) {
				return time.Time{}, false
			}
			if _, ok := s.openEnd(s.wall(c)); ok {
				return time.Unix(c, 0).In(s.loc), true
			}
		}
	}
	return time.Time{}, false
}

// NextClose returns the first instant at or after at when the schedule is
// closed: at itself (in the schedule's location) when it is closed now. A
// range followed directly by another (Monday "18:00-24:00" and Tuesday
// "00:00-08:00") is one stretch of opening. It reports false when the
// schedule stays open for about two years.
func (s *Schedule) NextClose(at time.Time) (time.Time, bool) {
	u := at.Unix()
	if !inRange(u) {
		return time.Time{}, false
	}
	limit := u + horizonDays*secondsPerDay
	for c := u; ; {
		end, ok := s.openEnd(s.wall(c))
		if !ok {
			if c == u {
				return at.In(s.loc), true
			}
			return time.Unix(c, 0).In(s.loc), true
		}
		next := s.instant(end)
		if next <= c || next > limit || !inRange(next) {
			// next <= c cannot happen while zone data moves forward; the
			// check keeps a surprise in it from hanging a message.
			return time.Time{}, false
		}
		c = next
	}
}

// IsHoliday reports whether the local date at instant at is a holiday:
// an explicit date, a public holiday of a listed country or a date touched
// by an iCalendar event.
func (s *Schedule) IsHoliday(at time.Time) bool {
	u := at.Unix()
	if !inRange(u) || s.holidays == nil {
		return false
	}
	return s.holiday(s.localDay(u))
}

// openEnd reports whether the schedule is open at wall time w and, if so,
// the wall time at which the range that contains w ends.
func (s *Schedule) openEnd(w int64) (int64, bool) {
	day := floorDiv(w, secondsPerDay)
	sec := int32(w - day*secondsPerDay)
	wd := weekdayOf(day)
	for _, sp := range s.week[wd] {
		if sp.start > sec {
			break
		}
		if sec < sp.end {
			if s.holiday(day) {
				break
			}
			return day*secondsPerDay + int64(sp.end), true
		}
	}
	// The overnight range of the day before, which runs even into a
	// holiday: holidays close only the ranges that start on them.
	prev := (wd + 6) % 7
	if sec+secondsPerDay < s.over[prev] && !s.holiday(day-1) {
		return (day-1)*secondsPerDay + int64(s.over[prev]), true
	}
	return 0, false
}
