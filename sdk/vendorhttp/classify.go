package vendorhttp

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-hub/switchboard/sdk"
)

// maxErrorBody bounds how much of an error answer Classify reads: enough for
// any vendor's error object, never a whole page.
const maxErrorBody = 64 << 10

// StatusError is an answer outside 2xx. Classify returns it inside an
// *sdk.Error of the right kind, so errors.As finds it for a plugin that
// needs the status or the vendor's error code from the body (such as a
// lookup that treats one particular 404 as "not sent").
type StatusError struct {
	// Request names the request without secrets: "POST https://example.com/hook".
	Request string
	Status  int
	Header  http.Header
	// Body is the start of the answer's body, at most 64 KiB.
	Body []byte

	msg string
}

func (e *StatusError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return prefixed(e.Request, "answered "+statusText(e.Status))
}

// Classify turns an answer into nil for 2xx, or else into an error of the
// kind the host acts on, wrapping a *StatusError:
//
//	429                sdk.RateLimited, waiting as Retry-After says (see RetryAfter)
//	408, 425, 5xx      sdk.Retryable
//	3xx                sdk.Permanent, naming the redirect's target so the user can fix the URL
//	other 1xx and 4xx  sdk.Permanent
//
// The message names the request (from resp.Request, redacted), the status
// and the start of the body on one line, where vendors usually say what was
// wrong: `POST https://api.example.com/v1/messages: Acme answered 422
// Unprocessable Entity: {"error": "thread_closed"}`. now is the clock that
// Retry-After dates are read against.
//
// For a 2xx answer Classify leaves the body alone for the caller to read;
// otherwise it reads the start of it. The caller closes it either way.
func (v Vendor) Classify(resp *http.Response, now time.Time) error {
	code := resp.StatusCode
	if code >= 200 && code <= 299 {
		return nil
	}
	e := &StatusError{Request: describe(resp.Request), Status: code, Header: resp.Header}
	if resp.Body != nil {
		e.Body, _ = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	}
	msg := prefixed(e.Request, fmt.Sprintf("%s answered %s", v.name(), statusText(code)))
	if s := snippet(e.Body); s != "" {
		msg += ": " + s
	}
	switch {
	case code == http.StatusTooManyRequests:
		wait, _ := RetryAfter(resp.Header, now)
		if wait == 0 {
			msg += " (no usable Retry-After header; Switchboard backs off)"
		}
		e.msg = msg
		return sdk.RateLimited(e, wait)
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly, code >= 500:
		e.msg = msg
		return sdk.Retryable(e)
	case code >= 300 && code <= 399:
		e.msg = msg + v.redirectAdvice(resp)
		return sdk.Permanent(e)
	default:
		e.msg = msg
		return sdk.Permanent(e)
	}
}

// redirectAdvice says why a redirect was not followed and where to point
// the configuration instead.
func (v Vendor) redirectAdvice(resp *http.Response) string {
	advice := "; redirects are not followed"
	if req := resp.Request; req != nil && req.Method != "" && req.Method != http.MethodGet && req.Method != http.MethodHead {
		advice += " because they would drop the " + req.Method + " body"
	}
	loc := resp.Header.Get("Location")
	u, err := url.Parse(loc)
	if loc == "" || err != nil {
		return advice
	}
	if resp.Request != nil && resp.Request.URL != nil {
		u = resp.Request.URL.ResolveReference(u)
	}
	return advice + fmt.Sprintf(": set %s to the final address %q", or(v.URLAttribute, "the URL"), RedactURL(u))
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return strconv.Itoa(code)
}

// snippet is the start of an answer's body on one line, for messages.
func snippet(body []byte) string {
	const limit = 300
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(body), "?")), " ")
	if len(s) > limit {
		s = strings.ToValidUTF8(s[:limit], "") + "…"
	}
	return s
}
