package schedule

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	minutesPerDay = 24 * 60
	secondsPerDay = 24 * 60 * 60
)

// span is one opening range of a weekday in seconds after the local
// midnight of the day it starts on. An overnight range ends past
// secondsPerDay, on the next day.
type span struct{ start, end int32 }

// clockRange is a parsed "HH:MM-HH:MM" in minutes, with its text for
// error messages and the key it came from.
type clockRange struct {
	start, end int // minutes; end > start, end <= start+minutesPerDay
	text       string
	key        string
}

// buildWeek turns Config.Hours into spans per weekday, reporting every
// problem it finds.
func buildWeek(hours map[string]string) (week [7][]span, errs []*FieldError) {
	if len(hours) == 0 {
		return week, []*FieldError{{Field: "hours", Msg: `no opening hours are set; write for example hours = { mon_fri = "10:00-18:00" } (days that are not listed are closed)`}}
	}
	keys := make([]string, 0, len(hours))
	for k := range hours {
		keys = append(keys, k)
	}
	slices.Sort(keys)

	masks := make(map[string]dayMask, len(keys))
	var days [7][]clockRange
	for _, key := range keys {
		field := "hours." + key
		mask, ok := parseDayKey(key)
		if !ok {
			errs = append(errs, &FieldError{Field: field, Msg: unknownDayKeyMsg(key)})
			continue
		}
		masks[key] = mask
		ranges, msg := parseRanges(hours[key])
		if msg != "" {
			errs = append(errs, &FieldError{Field: field, Msg: msg})
			continue
		}
		for i := range ranges {
			ranges[i].key = key
		}
		for d := range 7 {
			if mask.has(time.Weekday(d)) {
				days[d] = append(days[d], ranges...)
			}
		}
	}
	errs = append(errs, keyConflicts(keys, masks)...)
	if len(errs) > 0 {
		return week, errs
	}
	errs = overnightOverlaps(days)
	for d, ranges := range days {
		week[d] = mergeSpans(ranges)
	}
	return week, errs
}

// keyConflicts reports every pair of keys that both set some weekday:
// {mon_fri = ..., fri = ...} is a mistake the user must resolve, not
// something to settle silently by precedence.
func keyConflicts(keys []string, masks map[string]dayMask) []*FieldError {
	var errs []*FieldError
	for i, a := range keys {
		for _, b := range keys[i+1:] {
			ma, okA := masks[a]
			mb, okB := masks[b]
			overlap := ma & mb
			if !okA || !okB || overlap == 0 {
				continue
			}
			// Report on the narrower key, which is usually the one added
			// later to make an exception.
			narrow, wide, mw := b, a, ma
			if ma.count() < mb.count() {
				narrow, wide, mw = a, b, mb
			}
			verb, pron := "is", "its"
			if overlap.count() > 1 {
				verb, pron = "are", "their"
			}
			msg := fmt.Sprintf("%s %s also set by hours.%s; each day may be set by one key only", overlap, verb, wide)
			rest := mw &^ overlap
			if k, ok := rest.key(); ok && rest != 0 {
				msg += fmt.Sprintf(": to give %s %s own hours, replace %s with %s", overlap, pron, wide, k)
			} else if rest == 0 {
				msg += ": remove one of the two keys"
			} else {
				msg += fmt.Sprintf(": split hours.%s into keys that leave out %s", wide, overlap)
			}
			errs = append(errs, &FieldError{Field: "hours." + narrow, Msg: msg})
		}
	}
	return errs
}

// overnightOverlaps reports ranges that start before the previous day's
// overnight range has ended: Monday "18:00-10:00" and Tuesday "08:00-12:00".
func overnightOverlaps(days [7][]clockRange) []*FieldError {
	var errs []*FieldError
	seen := map[[4]string]bool{}
	for d := range 7 {
		for _, over := range days[d] {
			if over.end <= minutesPerDay {
				continue
			}
			spill := over.end - minutesPerDay
			next := (d + 1) % 7
			for _, r := range days[next] {
				if r.start >= spill {
					continue
				}
				id := [4]string{over.key, over.text, r.key, r.text}
				if seen[id] {
					continue
				}
				seen[id] = true
				msg := fmt.Sprintf("%s on %s overlaps the overnight range %s of hours.%s, which runs from %s %s until %s %s; end the overnight range by %s or start this range at %s or later",
					quote(r.text), time.Weekday(next), quote(over.text), over.key,
					time.Weekday(d), clockText(over.start), time.Weekday(next), clockText(spill),
					clockText(r.start), clockText(spill))
				errs = append(errs, &FieldError{Field: "hours." + r.key, Msg: msg})
			}
		}
	}
	return errs
}

// mergeSpans sorts a day's ranges and joins touching ones, so that
// "08:00-12:00, 12:00-17:00" closes once, at 17:00.
func mergeSpans(ranges []clockRange) []span {
	if len(ranges) == 0 {
		return nil
	}
	slices.SortFunc(ranges, func(a, b clockRange) int { return a.start - b.start })
	out := make([]span, 0, len(ranges))
	for _, r := range ranges {
		s := span{int32(r.start * 60), int32(r.end * 60)}
		if n := len(out); n > 0 && out[n-1].end == s.start {
			out[n-1].end = s.end
			continue
		}
		out = append(out, s)
	}
	return out
}

// parseRanges reads an hours value: "closed", "10:00-18:00", several
// ranges "08:00-12:00, 13:00-17:00", or overnight "18:00-10:00". On error
// it returns a message for FieldError.Msg.
func parseRanges(value string) ([]clockRange, string) {
	v := strings.TrimSpace(value)
	if v == "" {
		return nil, `value is empty; write a range like "10:00-18:00", several like "08:00-12:00, 13:00-17:00", or "closed"`
	}
	if strings.EqualFold(v, "closed") {
		return nil, ""
	}
	var ranges []clockRange
	for part := range strings.SplitSeq(v, ",") {
		p := strings.TrimSpace(part)
		switch {
		case p == "":
			return nil, quote(value) + `: has an empty range; separate ranges with single commas, e.g. "08:00-12:00, 13:00-17:00"`
		case strings.EqualFold(p, "closed"):
			return nil, quote(value) + `: "closed" cannot be combined with ranges; write either ranges or "closed"`
		}
		r, msg := parseRange(p)
		if msg != "" {
			return nil, quote(p) + ": " + msg
		}
		ranges = append(ranges, r)
	}
	slices.SortFunc(ranges, func(a, b clockRange) int { return a.start - b.start })
	for i := 1; i < len(ranges); i++ {
		if a, b := ranges[i-1], ranges[i]; a.end > b.start {
			return nil, fmt.Sprintf(`%s overlaps %s; ranges of one day must not overlap (touching ranges like "08:00-12:00, 12:00-17:00" are fine)`, quote(a.text), quote(b.text))
		}
	}
	return ranges, ""
}

var allDayWords = []string{"open", "24h", "24/7", "all day", "allday", "always"}

func parseRange(p string) (clockRange, string) {
	a, b, ok := cutDash(p)
	if !ok {
		for _, w := range allDayWords {
			if strings.EqualFold(p, w) {
				return clockRange{}, `to be open all day write "00:00-24:00"`
			}
		}
		return clockRange{}, `a range needs a start and an end; write HH:MM-HH:MM, e.g. "10:00-18:00"`
	}
	if _, _, more := cutDash(b); more {
		return clockRange{}, `a range has one start and one end; separate several ranges with commas, e.g. "08:00-12:00, 13:00-17:00"`
	}
	start, msg := parseClock(a)
	if msg != "" {
		return clockRange{}, msg
	}
	end, msg := parseClock(b)
	if msg != "" {
		return clockRange{}, msg
	}
	switch {
	case start == minutesPerDay:
		return clockRange{}, "24:00 can only end a range; write 00:00 to start at midnight"
	case start == end:
		return clockRange{}, `start and end are the same; write "00:00-24:00" to be open all day, or "closed"`
	case end < start:
		end += minutesPerDay // overnight: ends on the next day
	}
	return clockRange{start: start, end: end, text: p}, ""
}

// cutDash splits a range at a hyphen, or at an en or em dash as they come
// out of word processors.
func cutDash(s string) (string, string, bool) {
	i := strings.IndexAny(s, "-–—")
	if i < 0 {
		return "", "", false
	}
	_, size := utf8.DecodeRuneInString(s[i:])
	return s[:i], s[i+size:], true
}

const clockHint = "write times as HH:MM between 00:00 and 24:00"

// parseClock reads "HH:MM" (or "H:MM") as minutes after midnight; 24:00
// is allowed, as the end of a day.
func parseClock(s string) (int, string) {
	s = strings.TrimSpace(s)
	if msg := twelveHourHint(s); msg != "" {
		return 0, msg
	}
	hs, ms, ok := strings.Cut(s, ":")
	if !ok {
		if strings.Contains(s, ".") {
			return 0, quote(s) + " is not a time; " + clockHint + ` with a colon, e.g. "10:00"`
		}
		return 0, quote(s) + " is not a time; " + clockHint + `, e.g. "10:00"`
	}
	if strings.Contains(ms, ":") {
		return 0, quote(s) + " has seconds; " + clockHint
	}
	if len(hs) < 1 || len(hs) > 2 || len(ms) != 2 || !digits(hs) || !digits(ms) {
		return 0, quote(s) + " is not a time; " + clockHint + `, e.g. "10:00"`
	}
	h, _ := strconv.Atoi(hs)
	m, _ := strconv.Atoi(ms)
	switch {
	case h > 24:
		return 0, fmt.Sprintf("hour %d is out of range; %s", h, clockHint)
	case m > 59:
		return 0, fmt.Sprintf("minute %d is out of range; %s", m, clockHint)
	case h == 24 && m > 0:
		return 0, fmt.Sprintf(`%s is past midnight; %s (a range past midnight is written overnight, like "18:00-00:30")`, quote(s), clockHint)
	}
	return h*60 + m, ""
}

func digits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// twelveHourHint recognises "6pm", "6:30 PM", "10am" and says what to
// write instead.
func twelveHourHint(s string) string {
	l := strings.ToLower(strings.ReplaceAll(s, ".", ""))
	var pm bool
	switch {
	case strings.HasSuffix(l, "pm"):
		pm = true
	case strings.HasSuffix(l, "am"):
	default:
		return ""
	}
	num := strings.TrimSpace(l[:len(l)-2])
	hs, ms, _ := strings.Cut(num, ":")
	if ms == "" {
		ms = "00"
	}
	h, err1 := strconv.Atoi(hs)
	m, err2 := strconv.Atoi(ms)
	if err1 != nil || err2 != nil || h < 1 || h > 12 || m < 0 || m > 59 || len(ms) != 2 {
		return quote(s) + " is not a time; " + clockHint + " on a 24-hour clock"
	}
	switch {
	case pm && h < 12:
		h += 12
	case !pm && h == 12:
		h = 0
	}
	return fmt.Sprintf("%s is on a 12-hour clock; %s on a 24-hour clock, here %s", quote(s), clockHint, quote(clockText(h*60+m)))
}

// clockText formats minutes after midnight as HH:MM, also past 24:00 for
// the end of an overnight range.
func clockText(min int) string {
	return fmt.Sprintf("%02d:%02d", min/60, min%60)
}
