package vendorhttp

import (
	"net/http"
	"time"
)

// NewClient returns a client for requests that carry a body, such as a
// POST of a message. It hands a redirect back instead of following it,
// because a redirected POST turns into a GET and loses its body; Classify
// then reports the redirect as permanent, with the final address for the
// user to configure. timeout bounds each request, reading the answer
// included; 0 means none, which leaves only the call's context to stop it.
func NewClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
