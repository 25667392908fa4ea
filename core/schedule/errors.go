package schedule

import (
	"strconv"
	"strings"
)

// FieldError is one problem with one attribute of a schedule. Field names
// the attribute as the user wrote it in HCL ("timezone", "hours.mon_fri",
// "holidays[2]", "public_holidays[0]", "icalendar"), so that the config
// package can point at the right place in the file; Msg says what is wrong,
// quotes the value and says how to fix it.
type FieldError struct {
	Schedule string // the schedule's name as given to New; may be empty
	Field    string
	Msg      string
}

func (e *FieldError) Error() string {
	if e.Schedule == "" {
		return e.Field + ": " + e.Msg
	}
	return "schedule " + quote(e.Schedule) + ": " + e.Field + ": " + e.Msg
}

// Errors is what New returns when a Config is invalid: every problem found,
// in a stable order (timezone, hours by key, holidays, public holidays,
// icalendar). It is never empty. errors.As finds a *FieldError in it.
type Errors []*FieldError

func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap lets errors.As and errors.Is look at each FieldError.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// quote shows a value in an error message: in double quotes, so that spaces
// and empty strings are visible, and with control characters escaped.
func quote(s string) string { return strconv.Quote(s) }
