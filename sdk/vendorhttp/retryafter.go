package vendorhttp

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter caps the wait a Retry-After header can ask for, so that a
// typo in it (or a vendor's bug) cannot park work for weeks.
const MaxRetryAfter = 24 * time.Hour

// RetryAfter reads the Retry-After header of an answer (RFC 9110, section
// 10.2.3): delay-seconds, or an HTTP date that is compared with now. The
// wait is at most MaxRetryAfter, and zero for a date in the past. ok is
// false when the header is absent or unreadable, which leaves the wait to
// the host's backoff.
func RetryAfter(h http.Header, now time.Time) (wait time.Duration, ok bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if isDigits(v) {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter, true // too many digits for int64 is also too long
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), MaxRetryAfter), true
	}
	return 0, false
}

func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
