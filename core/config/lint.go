package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// checkConstantArguments checks, at load time, the constant arguments of
// functions that would otherwise fail only when a message arrives: a
// regular expression, a time zone, a date format, timeadd's duration.
// Type-checking with unknown values cannot see these, because the calls
// also take message data.
func (l *loader) checkConstantArguments(expr hcl.Expression) {
	node, ok := expr.(hclsyntax.Node)
	if !ok {
		return
	}
	hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
		call, ok := n.(*hclsyntax.FunctionCallExpr)
		if !ok {
			return nil
		}
		arg := func(i int) (string, *hcl.Range, bool) {
			if i >= len(call.Args) {
				return "", nil, false
			}
			for _, t := range call.Args[i].Variables() {
				if runtimeNames[t.RootName()] {
					return "", nil, false // known only when a message comes
				}
			}
			v, diags := call.Args[i].Value(l.static)
			if diags.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
				return "", nil, false
			}
			v, _ = v.Unmark()
			return v.AsString(), call.Args[i].Range().Ptr(), true
		}
		switch call.Name {
		case "matches":
			if p, rng, ok := arg(1); ok {
				if _, err := compileRegex(p); err != nil {
					l.errorf(rng, "Invalid regular expression", "%s. The syntax is RE2's: https://github.com/google/re2/wiki/Syntax.", strings.TrimPrefix(err.Error(), "invalid regular expression "))
				}
			}
		case "weekday", "hour", "today":
			if tz, rng, ok := arg(0); ok {
				if _, err := time.LoadLocation(tz); err != nil {
					l.errorf(rng, "Unknown time zone", "%q is not a time zone; use an IANA name such as \"Europe/Warsaw\".", tz)
				}
			}
		case "timecmp":
			for i := range 2 {
				if ts, rng, ok := arg(i); ok {
					if _, err := time.Parse(time.RFC3339, ts); err != nil {
						l.errorf(rng, "Invalid timestamp", "%q is not an RFC 3339 timestamp such as \"2027-01-07T00:00:00+01:00\".", ts)
					}
				}
			}
		case "timeadd":
			if d, rng, ok := arg(1); ok {
				if _, err := time.ParseDuration(d); err != nil {
					l.errorf(rng, "Invalid duration", "timeadd: %q is not a duration timeadd understands. It takes Go durations, in hours, minutes and seconds (\"48h\", \"-30m\", \"1h30m\"), without days or weeks%s.", d, hoursForm(d))
				}
			}
		case "formatdate":
			if f, rng, ok := arg(0); ok {
				if _, err := stdlib.FormatDate(cty.StringVal(f), cty.StringVal("2026-01-02T15:04:05Z")); err != nil {
					l.errorf(rng, "Invalid date format", "%s.", err)
				}
			}
		}
		return nil
	})
}

// hoursForm suggests, for a duration with days or weeks ("2d", "-1d12h"),
// the same duration as timeadd takes it: `: write "48h"`.
func hoursForm(s string) string {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	d, err := ParseDuration(strings.TrimPrefix(s, "-"))
	if err != nil || d == 0 {
		return ""
	}
	if neg {
		d = -d
	}
	return fmt.Sprintf(": write %q", hoursText(d))
}
