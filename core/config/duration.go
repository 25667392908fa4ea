package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ParseDuration reads durations as Go writes them ("10m", "1h30m") plus
// weeks and days in front ("14d", "2w", "7d12h"), which workflow authors
// need for idle periods and windows.
func ParseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	bad := fmt.Errorf("%q is not a duration; write it like \"10m\", \"2h30m\", \"14d\" or \"7d12h\"", s)
	m := longDuration.FindStringSubmatch(in)
	if m == nil || in == "" {
		return 0, bad
	}
	var d time.Duration
	for i, unit := range []time.Duration{7 * 24 * time.Hour, 24 * time.Hour} {
		if m[i+1] == "" {
			continue
		}
		v, err := strconv.ParseFloat(m[i+1], 64)
		if err != nil {
			return 0, bad
		}
		d += time.Duration(v * float64(unit))
	}
	if rest := m[3]; rest != "" {
		r, err := time.ParseDuration(rest)
		if err != nil || r < 0 {
			return 0, bad
		}
		d += r
	} else if m[1] == "" && m[2] == "" {
		return 0, bad
	}
	return d, nil
}

var longDuration = regexp.MustCompile(`^(?:(\d+(?:\.\d+)?)w)?(?:(\d+(?:\.\d+)?)d)?(.*)$`)

// FormatDuration writes d the way users write it: a whole number of days in
// days ("14d"), anything else in hours and minutes ("10m", "1h30m", "36h",
// "168h5m"), since "1d12h" reads as a sum to work out where "36h" does not.
func FormatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d >= day && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return hoursText(d)
}

// hoursText writes d in hours, minutes and seconds, as Go parses it but
// without Go's trailing zero units: "36h", "1h30m", "1m30s".
func hoursText(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
