package schedule

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"
)

// icalRule is a recurring iCalendar event, expanded lazily per chunk of days.
type icalRule struct {
	rule     *rrule.RRule
	allDay   bool
	days     int64          // all-day events: days each occurrence covers
	dur      time.Duration  // timed events: length of each occurrence
	skip     map[int64]bool // EXDATE and moved occurrences: Unix second of the start
	skipDays map[int64]bool // EXDATE given as a date for a timed event: local days
}

// maxICalErrors keeps a broken export from burying the other diagnostics.
const maxICalErrors = 10

// earliestRecurrence bounds how far back a recurrence may start, since it
// is expanded from its first occurrence onwards.
const earliestRecurrence = 1900

// parseICalendar turns an iCalendar file into holiday days: each VEVENT
// closes the dates it touches in the schedule's zone (all-day events their
// dates, with DTEND exclusive; timed events every date they overlap).
// Recurring events (RRULE with FREQ=DAILY or slower, EXDATE, RDATE,
// RECURRENCE-ID overrides) are kept as rules; anything the importer cannot
// honour is an error naming the event, never silently dropped.
func parseICalendar(data []byte, loc *time.Location) (ranges []dayRange, rules []*icalRule, errs []*FieldError) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // byte order mark from Windows exports
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, nil
	}
	events, err := decodeICal(data)
	if err != nil {
		return nil, nil, []*FieldError{{Field: "icalendar", Msg: "cannot read the iCalendar file: " + err.Error() +
			"; export the calendar again as an .ics file (it starts with BEGIN:VCALENDAR and ends with END:VCALENDAR)"}}
	}
	p := icalParser{loc: loc, zones: map[string]*time.Location{}}

	// A VEVENT with RECURRENCE-ID replaces one occurrence of the recurring
	// event with the same UID: that occurrence moves to the override's dates.
	moved := map[string][]icalTime{}
	for _, ev := range events {
		uid, _ := ev.Props.Text(ical.PropUID)
		if rid := ev.Props.Get(ical.PropRecurrenceID); rid != nil && uid != "" {
			if t, err := p.time(*rid, rid.Value); err == nil {
				moved[uid] = append(moved[uid], t)
			}
		}
	}

	for i, ev := range events {
		rs, rule, err := p.event(ev, moved)
		if err != nil {
			errs = append(errs, &FieldError{Field: "icalendar", Msg: eventName(ev, i) + ": " + err.Error()})
			continue
		}
		ranges = append(ranges, rs...)
		if rule != nil {
			rules = append(rules, rule)
		}
	}
	if len(errs) > maxICalErrors {
		n := len(errs) - maxICalErrors
		errs = append(errs[:maxICalErrors], &FieldError{Field: "icalendar", Msg: fmt.Sprintf("%d more events have problems; fix the ones above first", n)})
	}
	return ranges, rules, errs
}

// decodeICal returns the events of every VCALENDAR in data (files made by
// concatenating exports hold several). It runs a third-party parser on
// untrusted bytes, so a panic in it becomes an error rather than taking the
// hub down.
func decodeICal(data []byte) (events []ical.Event, err error) {
	defer func() {
		if r := recover(); r != nil {
			events, err = nil, fmt.Errorf("the parser failed: %v", r)
		}
	}()
	dec := ical.NewDecoder(bytes.NewReader(data))
	for n := 0; ; n++ {
		c, err := dec.Decode()
		switch {
		case err == io.EOF && n > 0:
			return events, nil
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return nil, errors.New("the file ends before END:VCALENDAR")
		case err != nil:
			return nil, err
		}
		events = append(events, c.Events()...)
	}
}

func eventName(ev ical.Event, i int) string {
	name := fmt.Sprintf("event #%d", i+1)
	if s, _ := ev.Props.Text(ical.PropSummary); s != "" {
		name = "event " + quote(s)
	}
	if uid, _ := ev.Props.Text(ical.PropUID); uid != "" {
		name += " (UID " + uid + ")"
	}
	return name
}

type icalParser struct {
	loc   *time.Location
	zones map[string]*time.Location // TZID -> location, nil when unknown
}

// icalTime is a DATE (allDay, midnight UTC of that date) or a DATE-TIME.
type icalTime struct {
	t      time.Time
	allDay bool
}

func (p *icalParser) event(ev ical.Event, moved map[string][]icalTime) ([]dayRange, *icalRule, error) {
	if status, _ := ev.Props.Text(ical.PropStatus); strings.EqualFold(status, "CANCELLED") {
		return nil, nil, nil
	}
	startProp := ev.Props.Get(ical.PropDateTimeStart)
	if startProp == nil {
		return nil, nil, errors.New("has no DTSTART; every event needs a start date")
	}
	start, err := p.time(*startProp, startProp.Value)
	if err != nil {
		return nil, nil, err
	}
	end, err := p.end(ev, start)
	if err != nil {
		return nil, nil, err
	}
	first, last := p.days(start, end)

	if ev.Props.Get("EXRULE") != nil {
		return nil, nil, errors.New("uses EXRULE, which is not supported; list the skipped dates as EXDATE instead")
	}
	rrules := ev.Props.Values(ical.PropRecurrenceRule)
	if len(rrules) == 0 || ev.Props.Get(ical.PropRecurrenceID) != nil {
		return []dayRange{{first, last}}, nil, nil
	}
	if len(rrules) > 1 {
		return nil, nil, fmt.Errorf("has %d RRULE lines; only one is supported, split the event in two", len(rrules))
	}
	opt, err := ev.Props.RecurrenceRule()
	if err != nil {
		return nil, nil, fmt.Errorf("has an RRULE that cannot be read (%v): %s", err, quote(rrules[0].Value))
	}
	if opt.Freq > rrule.DAILY {
		return nil, nil, fmt.Errorf("repeats %s (RRULE %s); only DAILY, WEEKLY, MONTHLY and YEARLY repetitions are supported, list those dates as separate events",
			opt.Freq, quote(rrules[0].Value))
	}
	if y := start.t.Year(); y < earliestRecurrence {
		return nil, nil, fmt.Errorf("repeats from the year %d; recurring events must start in %d or later", y, earliestRecurrence)
	}
	opt.Dtstart = start.t
	rule, err := rrule.NewRRule(*opt)
	if err != nil {
		return nil, nil, fmt.Errorf("has an RRULE that cannot be used (%v): %s", err, quote(rrules[0].Value))
	}
	r := &icalRule{rule: rule, allDay: start.allDay, skip: map[int64]bool{}, skipDays: map[int64]bool{}}
	if start.allDay {
		r.days = last - first + 1
	} else if end.t.After(start.t) {
		r.dur = end.t.Sub(start.t)
	}

	for _, prop := range ev.Props.Values(ical.PropExceptionDates) {
		for v := range strings.SplitSeq(prop.Value, ",") {
			t, err := p.time(prop, v)
			if err != nil {
				return nil, nil, err
			}
			r.exclude(t, p.loc)
		}
	}
	uid, _ := ev.Props.Text(ical.PropUID)
	for _, t := range moved[uid] {
		r.exclude(t, p.loc)
	}

	// RDATEs add occurrences; they close their dates like single events.
	var ranges []dayRange
	for _, prop := range ev.Props.Values(ical.PropRecurrenceDates) {
		if strings.EqualFold(prop.Params.Get(ical.ParamValue), "PERIOD") {
			return nil, nil, errors.New("has an RDATE with VALUE=PERIOD, which is not supported; list those dates as separate events")
		}
		for v := range strings.SplitSeq(prop.Value, ",") {
			t, err := p.time(prop, v)
			if err != nil {
				return nil, nil, err
			}
			var a, b int64
			if r.allDay {
				a = floorDiv(t.t.Unix(), secondsPerDay)
				b = a + r.days - 1
			} else {
				a, b = p.days(t, icalTime{t: t.t.Add(r.dur)})
			}
			ranges = append(ranges, dayRange{a, b})
		}
	}
	return ranges, r, nil
}

// end is DTEND, or DTSTART plus DURATION, or for a lone DTSTART the whole
// day (all-day event) or the start itself (timed event).
func (p *icalParser) end(ev ical.Event, start icalTime) (icalTime, error) {
	if prop := ev.Props.Get(ical.PropDateTimeEnd); prop != nil {
		return p.time(*prop, prop.Value)
	}
	if prop := ev.Props.Get(ical.PropDuration); prop != nil {
		d, err := prop.Duration()
		if err != nil {
			return icalTime{}, fmt.Errorf("has a DURATION that cannot be read: %s", quote(prop.Value))
		}
		return icalTime{t: start.t.Add(d), allDay: start.allDay && d%(24*time.Hour) == 0}, nil
	}
	if start.allDay {
		return icalTime{t: start.t.AddDate(0, 0, 1), allDay: true}, nil
	}
	return start, nil
}

// days gives the local dates an event touches; the end is exclusive.
func (p *icalParser) days(start, end icalTime) (int64, int64) {
	first := p.day(start)
	var last int64
	switch {
	case end.allDay:
		last = floorDiv(end.t.Unix(), secondsPerDay) - 1
	case end.t.After(start.t):
		last = localDayOf(end.t.Add(-time.Nanosecond), p.loc)
	default:
		last = first
	}
	return first, max(first, last)
}

func (p *icalParser) day(t icalTime) int64 {
	if t.allDay {
		return floorDiv(t.t.Unix(), secondsPerDay)
	}
	return localDayOf(t.t, p.loc)
}

func localDayOf(t time.Time, loc *time.Location) int64 {
	return dayOf(t.In(loc))
}

// time reads one DATE or DATE-TIME value of prop. A TZID that Go does not
// know (Outlook writes Windows zone names such as "Central European
// Standard Time") falls back to the schedule's zone: the time only decides
// which dates an event touches, and such files come from a user in that
// zone.
func (p *icalParser) time(prop ical.Prop, value string) (icalTime, error) {
	v := strings.TrimSpace(value)
	vt := strings.ToUpper(prop.Params.Get(ical.ParamValue))
	if vt == "DATE" || (vt == "" && len(v) == len("20060102")) {
		t, err := time.Parse("20060102", v)
		if err != nil {
			return icalTime{}, fmt.Errorf("has %s %s, which is not a date (YYYYMMDD)", prop.Name, quote(v))
		}
		return icalTime{t: t, allDay: true}, nil
	}
	var t time.Time
	var err error
	if strings.HasSuffix(v, "Z") {
		t, err = time.Parse("20060102T150405Z", v)
	} else {
		t, err = time.ParseInLocation("20060102T150405", v, p.zone(prop.Params.Get(ical.ParamTimezoneID)))
	}
	if err != nil {
		return icalTime{}, fmt.Errorf("has %s %s, which is not a date (YYYYMMDD) or a date-time (YYYYMMDDTHHMMSS)", prop.Name, quote(v))
	}
	return icalTime{t: t}, nil
}

func (p *icalParser) zone(tzid string) *time.Location {
	tzid = strings.Trim(tzid, `"`)
	if tzid == "" {
		return p.loc // floating time: the schedule's own clock
	}
	loc, ok := p.zones[tzid]
	if !ok {
		if tzid != "Local" {
			loc, _ = time.LoadLocation(tzid)
		}
		p.zones[tzid] = loc
	}
	if loc == nil {
		return p.loc
	}
	return loc
}

func (r *icalRule) exclude(t icalTime, loc *time.Location) {
	switch {
	case r.allDay && !t.allDay:
		r.skip[civilDay(t.t.In(loc).Date())*secondsPerDay] = true
	case !r.allDay && t.allDay:
		r.skipDays[floorDiv(t.t.Unix(), secondsPerDay)] = true
	default:
		r.skip[t.t.Unix()] = true
	}
}

// expand marks the days in [lo, hi) that occurrences of r touch.
func (r *icalRule) expand(lo, hi int64, loc *time.Location, mark func(first, last int64)) {
	defer func() { _ = recover() }() // a panic in the recurrence library must not take the hub down
	if r.allDay {
		after := time.Unix((lo-r.days)*secondsPerDay, 0).UTC()
		before := time.Unix(hi*secondsPerDay, 0).UTC()
		for _, occ := range r.rule.Between(after, before, true) {
			if r.skip[occ.Unix()] {
				continue
			}
			d := floorDiv(occ.Unix(), secondsPerDay)
			mark(d, d+r.days-1)
		}
		return
	}
	after := time.Unix((lo-2)*secondsPerDay, 0).Add(-r.dur)
	before := time.Unix((hi+2)*secondsPerDay, 0)
	for _, occ := range r.rule.Between(after, before, true) {
		first := localDayOf(occ, loc)
		if r.skip[occ.Unix()] || r.skipDays[first] {
			continue
		}
		last := first
		if r.dur > 0 {
			last = localDayOf(occ.Add(r.dur-time.Nanosecond), loc)
		}
		mark(first, last)
	}
}
