package schedule

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/aa"
	"github.com/rickar/cal/v2/cz"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/fr"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/pl"
	"github.com/rickar/cal/v2/us"
)

// countries are the built-in public holiday sets: each country's national
// list from github.com/rickar/cal/v2. Regional holidays are not included
// (see the package documentation for what that means for DE, GB and US).
var countries = map[string][]*cal.Holiday{
	"CZ": cz.Holidays,
	"DE": de.Holidays,
	"FR": fr.Holidays,
	"GB": gb.Holidays,
	"PL": append(slices.Clone(pl.Holidays), aa.Easter, aa.Pentecost, plChristmasEve),
	"US": us.Holidays,
}

// The Polish act on days off (Dz.U. 1951 nr 4 poz. 28) also lists Easter
// Sunday and Pentecost Sunday, which rickar/cal leaves out as they are
// Sundays anyway; they matter to shops that open on Sundays. Christmas Eve
// became a day off in 2025 (Dz.U. 2024 poz. 1965); rickar/cal added it after
// its latest release, v2.1.13: drop this when upgrading to a release with
// pl.ChristmasEve.
var plChristmasEve = &cal.Holiday{
	Name:      "Wigilia Bożego Narodzenia",
	Type:      cal.ObservancePublic,
	Month:     time.December,
	Day:       24,
	Func:      cal.CalcDayOfMonth,
	StartYear: 2025,
}

var countryAliases = map[string]string{"UK": "GB"}

// countryGuesses map codes people write for a supported country.
var countryGuesses = map[string]string{
	"CZE": "CZ", "DEU": "DE", "GER": "DE", "FRA": "FR", "GBR": "GB",
	"ENG": "GB", "EN": "GB", "POL": "PL", "USA": "US",
}

const supportedCountries = `"CZ", "DE", "FR", "GB" (or "UK"), "PL" and "US"`

// holidaySet is everything that closes whole days.
type holidaySet struct {
	countries [][]*cal.Holiday
	ranges    []dayRange // explicit holidays and one-off iCalendar events
	rules     []*icalRule
}

// dayRange is a run of local calendar days, as days since 1970-01-01,
// both ends included.
type dayRange struct{ first, last int64 }

// Holiday bits are kept per chunk of 512 days.
const dayChunkShift = 9

type dayBits [1 << dayChunkShift / 64]uint64

func (s *Schedule) holiday(day int64) bool {
	if s.holidays == nil {
		return false
	}
	b := s.dayChunk(day >> dayChunkShift)
	i := day & (1<<dayChunkShift - 1)
	return b[i>>6]&(1<<(i&63)) != 0
}

func (s *Schedule) dayChunk(k int64) *dayBits {
	if b, ok := s.days.get(k); ok {
		return b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.days.get(k); ok {
		return b
	}
	b := s.holidays.bits(k, s.loc)
	s.days.put(k, b)
	return b
}

// bits computes the holidays of days [k*512, (k+1)*512).
func (h *holidaySet) bits(k int64, loc *time.Location) *dayBits {
	var b dayBits
	lo := k << dayChunkShift
	hi := lo + 1<<dayChunkShift
	mark := func(first, last int64) {
		first, last = max(first, lo), min(last, hi-1)
		for d := first; d <= last; d++ {
			i := d - lo
			b[i>>6] |= 1 << (i & 63)
		}
	}
	// One year more on each side: a holiday observed on another day can
	// cross New Year (US New Year's Day 2022 was observed on 2021-12-31).
	for y := civilYear(lo) - 1; y <= civilYear(hi-1)+1; y++ {
		for _, list := range h.countries {
			for _, hd := range list {
				actual, observed := hd.Calc(y)
				if actual.IsZero() {
					continue
				}
				// Both days close: the day itself (shops open on Saturdays
				// close on a Saturday holiday too) and its weekday substitute.
				a, o := dayOf(actual), dayOf(observed)
				mark(a, a)
				mark(o, o)
			}
		}
	}
	for _, r := range h.ranges {
		mark(r.first, r.last)
	}
	for _, r := range h.rules {
		r.expand(lo, hi, loc, mark)
	}
	return &b
}

// dayOf is the calendar day of t's date fields, whatever its location.
func dayOf(t time.Time) int64 {
	y, m, d := t.Date()
	return civilDay(y, m, d)
}

func civilDay(y int, m time.Month, d int) int64 {
	return floorDiv(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix(), secondsPerDay)
}

func civilYear(day int64) int {
	return time.Unix(day*secondsPerDay, 0).UTC().Year()
}

// parseHolidays reads Config.Holidays: dates "2026-12-24" and inclusive
// spans "2026-08-03..2026-08-14" (a holiday away from the shop).
func parseHolidays(list []string) ([]dayRange, []*FieldError) {
	var out []dayRange
	var errs []*FieldError
	for i, v := range list {
		field := fmt.Sprintf("holidays[%d]", i)
		s := strings.TrimSpace(v)
		a, b, isSpan := strings.Cut(s, "..")
		first, msg := parseDate(a)
		if msg == "" && isSpan {
			var last int64
			last, msg = parseDate(b)
			if msg == "" && last < first {
				msg = "the span ends before it starts; write the earlier date first"
			}
			if msg == "" {
				out = append(out, dayRange{first, last})
				continue
			}
		} else if msg == "" {
			out = append(out, dayRange{first, first})
			continue
		}
		if !strings.HasPrefix(msg, quote(s)) { // else the message already starts with the value
			msg = quote(v) + ": " + msg
		}
		errs = append(errs, &FieldError{Field: field, Msg: msg})
	}
	return out, errs
}

const dateHint = `write dates as YYYY-MM-DD, e.g. "2026-12-24", or a span of days as "2026-08-03..2026-08-14"`

func parseDate(s string) (int64, string) {
	s = strings.TrimSpace(s)
	parts := strings.Split(s, "-")
	if len(parts) != 3 || len(parts[0]) != 4 || len(parts[1]) != 2 || len(parts[2]) != 2 ||
		!digits(parts[0]) || !digits(parts[1]) || !digits(parts[2]) {
		if alt := europeanDate(s); alt != "" {
			return 0, fmt.Sprintf("%s is not a date in the expected order; write dates as YYYY-MM-DD, here %s", quote(s), quote(alt))
		}
		if s == "" {
			return 0, "the date is empty; " + dateHint
		}
		return 0, quote(s) + " is not a date; " + dateHint
	}
	y, _ := strconv.Atoi(parts[0])
	m, _ := strconv.Atoi(parts[1])
	d, _ := strconv.Atoi(parts[2])
	switch {
	case y < 1:
		return 0, "year 0 is out of range; " + dateHint
	case m < 1 || m > 12:
		return 0, fmt.Sprintf("month %d is out of range; %s", m, dateHint)
	}
	if n := daysIn(y, time.Month(m)); d < 1 || d > n {
		return 0, fmt.Sprintf("%s %d has %d days, so day %d is out of range; %s", time.Month(m), y, n, d, dateHint)
	}
	return civilDay(y, time.Month(m), d), ""
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// europeanDate rewrites "24.12.2026" as "2026-12-24"; dates with slashes
// are left alone, since 12/11/2026 means different days on each side of
// the Atlantic.
func europeanDate(s string) string {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || len(parts[2]) != 4 || len(parts[0]) > 2 || len(parts[1]) > 2 ||
		!digits(parts[0]) || !digits(parts[1]) || !digits(parts[2]) || parts[0] == "" || parts[1] == "" {
		return ""
	}
	d, _ := strconv.Atoi(parts[0])
	m, _ := strconv.Atoi(parts[1])
	if d < 1 || d > 31 || m < 1 || m > 12 {
		return ""
	}
	return fmt.Sprintf("%s-%02d-%02d", parts[2], m, d)
}

// parseCountries reads Config.PublicHolidays.
func parseCountries(list []string) ([][]*cal.Holiday, []*FieldError) {
	var out [][]*cal.Holiday
	var errs []*FieldError
	seen := map[string]bool{}
	for i, v := range list {
		code := strings.ToUpper(strings.TrimSpace(v))
		if a, ok := countryAliases[code]; ok {
			code = a
		}
		hs, ok := countries[code]
		if !ok {
			msg := "unknown country " + quote(v) + "; supported are " + supportedCountries
			switch g, guessed := countryGuesses[code]; {
			case code == "":
				msg = "the country is empty; write one of " + supportedCountries
			case guessed:
				msg = "unknown country " + quote(v) + "; did you mean " + quote(g) + "? Supported are " + supportedCountries
			}
			errs = append(errs, &FieldError{Field: fmt.Sprintf("public_holidays[%d]", i), Msg: msg})
			continue
		}
		if !seen[code] {
			seen[code] = true
			out = append(out, hs)
		}
	}
	return out, errs
}

// mergeRanges sorts day ranges and joins overlapping or adjacent ones, so
// that a chunk visits each at most once.
func mergeRanges(rs []dayRange) []dayRange {
	slices.SortFunc(rs, func(a, b dayRange) int {
		switch {
		case a.first < b.first:
			return -1
		case a.first > b.first:
			return 1
		}
		return 0
	})
	var out []dayRange
	for _, r := range rs {
		if n := len(out); n > 0 && r.first <= out[n-1].last+1 {
			out[n-1].last = max(out[n-1].last, r.last)
			continue
		}
		out = append(out, r)
	}
	return out
}
