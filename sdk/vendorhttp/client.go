package vendorhttp

import (
	"net/http"
	"time"
)

// MaxIdleConnsPerHost is how many idle connections a client from NewClient
// keeps to one vendor host. The hub sends a connector's replies many at a
// time; with net/http's default of two, every request beyond two would
// open (and then close) a connection of its own.
const MaxIdleConnsPerHost = 64

// NewClient returns a client for requests that carry a body, such as a
// POST of a message. It hands a redirect back instead of following it,
// because a redirected POST turns into a GET and loses its body; Classify
// then reports the redirect as permanent, with the final address for the
// user to configure. timeout bounds each request, reading the answer
// included; 0 means none, which leaves only the call's context to stop it.
// It keeps up to MaxIdleConnsPerHost connections to a host open for reuse.
func NewClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = MaxIdleConnsPerHost
	return &http.Client{
		Timeout:       timeout,
		Transport:     t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
