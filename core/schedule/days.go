package schedule

import (
	"strings"
	"time"
)

// dayNames are the day keys in the order of time.Weekday (Sunday first).
var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// fullDayNames help suggest "mon" for "monday", "tues" or "mo".
var fullDayNames = [7]string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// dayMask is a set of weekdays, bit time.Weekday.
type dayMask uint8

const (
	allDays  dayMask = 1<<7 - 1
	weekdays dayMask = 1<<time.Monday | 1<<time.Tuesday | 1<<time.Wednesday | 1<<time.Thursday | 1<<time.Friday
	weekend  dayMask = 1<<time.Saturday | 1<<time.Sunday
)

var dayAliases = map[string]dayMask{
	"daily":    allDays,
	"weekdays": weekdays,
	"weekend":  weekend,
}

// misnamedAliases are keys people plausibly write for an alias.
var misnamedAliases = map[string]string{
	"everyday":     "daily",
	"every_day":    "daily",
	"all":          "daily",
	"always":       "daily",
	"week":         "daily",
	"weekday":      "weekdays",
	"workdays":     "weekdays",
	"work_days":    "weekdays",
	"workday":      "weekdays",
	"business":     "weekdays",
	"businessdays": "weekdays",
	"weekends":     "weekend",
}

func (m dayMask) has(d time.Weekday) bool { return m&(1<<d) != 0 }

// String lists the days in Monday-first order, "Monday, Tuesday and Friday".
func (m dayMask) String() string {
	var names []string
	for i := 1; i <= 7; i++ {
		d := time.Weekday(i % 7)
		if m.has(d) {
			names = append(names, d.String())
		}
	}
	switch len(names) {
	case 0:
		return "no day"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func (m dayMask) count() int {
	n := 0
	for d := range 7 {
		if m.has(time.Weekday(d)) {
			n++
		}
	}
	return n
}

// key gives the shortest day key for m when one exists: a day, a range
// of consecutive days (wrapping over the week end) or an alias.
func (m dayMask) key() (string, bool) {
	for k, v := range dayAliases {
		if v == m {
			return k, true
		}
	}
	n := m.count()
	if n == 0 {
		return "", false
	}
	for first := range 7 {
		var run dayMask
		for i := range n {
			run |= 1 << ((first + i) % 7)
		}
		if run == m {
			if n == 1 {
				return dayNames[first], true
			}
			return dayNames[first] + "_" + dayNames[(first+n-1)%7], true
		}
	}
	return "", false
}

// parseDayKey reads an hours key: a day ("mon"), a range of days
// ("mon_fri", wrapping like "fri_mon") or an alias. Keys are matched
// case-insensitively.
func parseDayKey(key string) (dayMask, bool) {
	k := strings.ToLower(strings.TrimSpace(key))
	if m, ok := dayAliases[k]; ok {
		return m, true
	}
	if d, ok := dayIndex(k); ok {
		return 1 << d, true
	}
	a, b, ok := strings.Cut(k, "_")
	if !ok {
		return 0, false
	}
	from, ok1 := dayIndex(a)
	to, ok2 := dayIndex(b)
	if !ok1 || !ok2 || from == to {
		return 0, false
	}
	var m dayMask
	for d := from; ; d = (d + 1) % 7 {
		m |= 1 << d
		if d == to {
			return m, true
		}
	}
}

func dayIndex(s string) (int, bool) {
	for i, n := range dayNames {
		if s == n {
			return i, true
		}
	}
	return 0, false
}

// unknownDayKeyMsg explains why key is not a day key and, when it can
// guess, which key the user meant.
func unknownDayKeyMsg(key string) string {
	k := strings.ToLower(strings.TrimSpace(key))
	const valid = `Keys are days (mon, tue, wed, thu, fri, sat, sun), ranges of days like "mon_fri" or "fri_mon", or "daily", "weekdays", "weekend"`
	if a, b, ok := cutDayRange(k); ok && a == b {
		if _, ok := dayIndex(a); ok {
			return "unknown day key " + quote(key) + `: a range must end on another day; write "` + a + `" for one day or "daily" for every day`
		}
	}
	if s := suggestDayKey(k); s != "" {
		return "unknown day key " + quote(key) + "; did you mean " + quote(s) + "? " + valid
	}
	return "unknown day key " + quote(key) + ". " + valid
}

// cutDayRange splits "mon-fri", "mon to fri", "mon..fri" and "mon_fri".
func cutDayRange(k string) (string, string, bool) {
	for _, sep := range []string{"_to_", " to ", "...", "..", "_", "-", "–", "—", " "} {
		if a, b, ok := strings.Cut(k, sep); ok {
			a, b = strings.TrimSpace(a), strings.TrimSpace(b)
			if a != "" && b != "" {
				return a, b, true
			}
		}
	}
	return "", "", false
}

func suggestDayKey(k string) string {
	if s, ok := misnamedAliases[k]; ok {
		return s
	}
	if d, ok := guessDay(k); ok {
		return dayNames[d]
	}
	if a, b, ok := cutDayRange(k); ok {
		da, ok1 := guessDay(a)
		db, ok2 := guessDay(b)
		if ok1 && ok2 {
			if da == db {
				return dayNames[da]
			}
			return dayNames[da] + "_" + dayNames[db]
		}
	}
	best, bestDist := "", 3
	for alias := range dayAliases {
		if d := editDistance(k, alias); d < bestDist || (d == bestDist && alias < best) {
			best, bestDist = alias, d
		}
	}
	return best
}

// guessDay recognises a day written another way: "mon", "Monday", "tues",
// "thur", or a typo one edit away ("mno", "frii").
func guessDay(s string) (int, bool) {
	if d, ok := dayIndex(s); ok {
		return d, true
	}
	if len(s) >= 2 {
		for i, full := range fullDayNames {
			if strings.HasPrefix(full, s) {
				return i, true
			}
		}
	}
	best, bestDist := -1, 2
	for i, n := range dayNames {
		if d := editDistance(s, n); d < bestDist {
			best, bestDist = i, d
		}
	}
	return best, best >= 0
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and transpositions of neighbours ("fir" is one
// edit from "fri"). Inputs are short keys; longer ones are cut, since a
// suggestion for them would not help anyway.
func editDistance(a, b string) int {
	const maxLen = 32
	ra, rb := []rune(a), []rune(b)
	if len(ra) > maxLen {
		ra = ra[:maxLen]
	}
	if len(rb) > maxLen {
		rb = rb[:maxLen]
	}
	var d [maxLen + 1][maxLen + 1]int
	for i := 0; i <= len(ra); i++ {
		d[i][0] = i
	}
	for j := 0; j <= len(rb); j++ {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
