package config

import (
	"errors"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/core/pluginconfig"
	"github.com/switchboard-hub/switchboard/core/schedule"
	"github.com/switchboard-hub/switchboard/sdk"
)

var scheduleSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "timezone", Required: true},
	{Name: "hours", Required: true},
	{Name: "holidays"},
	{Name: "public_holidays"},
	{Name: "icalendar"},
}}

func (l *loader) decodeSchedules() {
	for _, b := range l.blocks["schedule"] {
		name := b.Labels[0]
		if prev, ok := l.cfg.Schedules[name]; ok {
			l.duplicate("schedule", name, prev.DeclRange, b.DefRange)
			continue
		}
		c := l.content(b.Body, scheduleSchema)
		var sc schedule.Config
		ok := true
		var good bool
		if sc.Timezone, good = l.str(c.Attributes["timezone"]); !good {
			ok = false
		}
		if sc.Hours, good = l.strMap(c.Attributes["hours"]); !good {
			ok = false
		}
		if a := c.Attributes["holidays"]; a != nil {
			sc.Holidays, good = l.strList(a)
			ok = ok && good
		}
		if a := c.Attributes["public_holidays"]; a != nil {
			sc.PublicHolidays, good = l.strList(a)
			ok = ok && good
		}
		if a := c.Attributes["icalendar"]; a != nil {
			var s string
			s, good = l.str(a)
			sc.ICalendar = []byte(s)
			ok = ok && good
		}
		if !ok {
			l.brokenSchedules[name] = true
			continue
		}
		s, err := schedule.New(name, sc)
		if err != nil {
			l.scheduleError(b, err)
			l.brokenSchedules[name] = true
			continue
		}
		l.cfg.Schedules[name] = &Schedule{Name: name, Schedule: s, DeclRange: b.DefRange}
	}
}

// scheduleError points a schedule's error at the attribute it names.
func (l *loader) scheduleError(b *hcl.Block, err error) {
	var list schedule.Errors
	var one *schedule.FieldError
	switch {
	case errors.As(err, &list):
	case errors.As(err, &one):
		list = schedule.Errors{one}
	default:
		l.errorf(b.DefRange.Ptr(), "Invalid schedule", "%s", err)
		return
	}
	var diags sdk.Diagnostics
	for _, fe := range list {
		diags = append(diags, sdk.Diagnostic{Severity: sdk.SeverityError, Summary: "Invalid schedule",
			Detail: fe.Error(), Attribute: fieldPath(fe.Field)})
	}
	l.diags = append(l.diags, pluginconfig.Diagnostics(b.Body, diags)...)
}

// fieldPath turns "hours.mon_fri" or "holidays[2]" into a cty.Path.
func fieldPath(field string) cty.Path {
	var p cty.Path
	for _, part := range strings.Split(field, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if len(p) == 0 {
			p = p.GetAttr(name)
		} else {
			p = p.Index(cty.StringVal(name))
		}
		if rest != "" {
			if i, err := strconv.Atoi(strings.TrimSuffix(rest, "]")); err == nil {
				p = p.Index(cty.NumberIntVal(int64(i)))
			}
		}
	}
	return p
}

// scheduleObject is the `schedule` variable: each schedule as a value that
// open_now and next_open accept.
func (l *loader) scheduleObject() cty.Value {
	m := map[string]cty.Value{}
	for name, s := range l.cfg.Schedules {
		m[name] = scheduleVal(s.Schedule)
	}
	// A schedule with errors stays referable, so that its errors are not
	// repeated at every use.
	for name := range l.brokenSchedules {
		m[name] = cty.UnknownVal(scheduleType)
	}
	return cty.ObjectVal(m)
}
