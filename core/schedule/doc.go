// Package schedule holds office-hours schedules: the "open now" and "next
// opening" that workflow conditions and templates ask about, as in
// `condition = !open_now(schedule.office)` and "we will answer by
// ${next_open(schedule.office)}".
//
// A schedule is written in HCL and decoded by the config package into a
// Config:
//
//	schedule "office" {
//	  timezone        = "Europe/Warsaw"
//	  hours           = { mon_fri = "10:00-18:00", sat = "10:00-14:00" }
//	  holidays        = ["2026-12-24"]
//	  public_holidays = ["PL"]
//	}
//
// New checks it and returns Errors listing every problem, each a
// *FieldError naming the attribute ("hours.mon_fri", "timezone",
// "holidays[2]", "public_holidays[0]", "icalendar"), quoting the value and
// saying how to fix it. The package does no I/O beyond parsing the bytes
// it is given and loading the named time zone, and never reads the clock:
// every question takes the instant it is about.
//
// Open tells whether the schedule is open at an instant; NextOpen and
// NextClose give the next opening and closing (the instant itself when
// already open, or already closed), in the schedule's location, looking
// about two years ahead; IsHoliday tells whether the local date is a
// holiday. Instants outside the years 1 to 9999 count as closed.
//
// # Hours
//
// Keys name days ("mon" … "sun"), runs of days ("mon_fri", "tue_thu", or
// "fri_mon" across the week end) or aliases ("daily", "weekdays",
// "weekend"). Each weekday may be set by one key only: {mon_fri = …,
// fri = …} is an error naming both keys, never settled by precedence.
// Days that no key sets are closed. Values are "10:00-18:00", several
// ranges "08:00-12:00, 13:00-17:00" (touching ranges are one stretch),
// "closed", or "00:00-24:00" for the whole day. A range whose end is
// earlier than its start runs overnight and belongs to the day it starts
// on: mon = "18:00-10:00" is open from Monday 18:00 to Tuesday 10:00.
// Ranges must not overlap, neither within a day nor with the previous
// day's overnight range.
//
// # Time zones and daylight saving
//
// Hours are read on the clocks of the schedule's zone, so "10:00-18:00" is
// 10:00 to 18:00 local time on every day, including the days clocks
// change, and NextOpen and NextClose return exact instants (on Friday
// 2026-03-27 at 19:00 in Warsaw, mon_fri "10:00-18:00" next opens on
// 2026-03-30 at 10:00 +02:00, after the change to summer time). Each
// boundary takes effect at the first instant the local clock shows that
// time or later:
//
//   - When clocks go forward, a boundary in the skipped hour takes effect
//     at the jump: on 2026-03-29 in Warsaw "02:30-06:00" opens at 03:00
//     CEST, "01:00-02:30" closes at 03:00 CEST (02:00 CET) and
//     "02:00-03:00" does not open at all.
//   - When clocks go back, the repeated hour counts once, on its first
//     pass; during the second pass the schedule behaves as if the clock
//     stood just before the change (02:59:59 in Europe). On 2026-10-25 in
//     Warsaw "01:00-02:30" closes at 02:30 CEST and stays closed through
//     the repeat, while a range that contains 02:59:59, such as an
//     overnight "18:00-10:00", stays open through it and lasts an hour
//     longer than usual.
//
// So every range is one unbroken stretch of time, and ranges that touch
// on the clock face touch in time too.
//
// # Holidays
//
// A holiday closes every range that starts on that local date. A range
// that started the evening before still runs into the holiday morning:
// with daily = "18:00-10:00" and 2026-12-25 a holiday, the schedule is
// open from 24 December 18:00 to 25 December 10:00 and closed from then
// until 26 December 18:00. Holidays come from three places:
//
//   - holidays: dates "2026-12-24", or spans "2026-08-03..2026-08-14".
//   - public_holidays: national sets from github.com/rickar/cal/v2 for
//     "CZ", "DE", "FR", "GB" (also "UK"), "PL" and "US". PL adds three
//     days the Polish act lists and the library's latest release lacks:
//     Easter Sunday, Pentecost Sunday and, from 2025, Christmas Eve. Only
//     holidays observed in the whole country are included: for DE the nine federal
//     holidays (not, say, Epiphany or Corpus Christi, which only some
//     states keep); for GB the bank holidays of England and Wales (Scotland
//     and Northern Ireland differ); for US the eleven federal holidays (no
//     state holidays, no day after Thanksgiving). Add regional days with
//     holidays or an iCalendar file. When a holiday falls on a weekend and
//     the country moves it to a weekday (GB, US), both days are holidays,
//     so Boxing Day 2026 closes Saturday 26 and Monday 28 December.
//   - icalendar: every VEVENT of an .ics file closes the local dates it
//     touches: all-day events their dates (DTEND is exclusive, so a
//     multi-day event from DTSTART;VALUE=DATE:20260803 to
//     DTEND;VALUE=DATE:20260815 closes 3 to 14 August), timed events every
//     date they overlap in the schedule's zone. Recurring events (RRULE
//     with FREQ DAILY, WEEKLY, MONTHLY or YEARLY, with EXDATE, RDATE and
//     RECURRENCE-ID overrides) are expanded; faster recurrences, EXRULE and
//     RDATE periods are errors naming the event, never silently ignored.
//     Cancelled events are skipped. A TZID Go does not know (Windows zone
//     names from Outlook) is read in the schedule's zone.
//
// # Performance
//
// Open and NextOpen run for every message. Ranges are kept per weekday in
// seconds after midnight; the zone's offset changes and the holidays are
// computed lazily for chunks of about a year (so a question around New
// Year simply uses two chunks) and cached, so after the first question
// about a year Open, NextOpen and NextClose neither allocate nor take a
// lock: Open takes some 20 ns, NextOpen from Friday evening to Monday
// morning under 100 ns.
package schedule
