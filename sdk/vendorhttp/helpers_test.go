package vendorhttp_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// fixedClock is the time tests read Retry-After dates against.
var fixedClock = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// answering starts a server that answers every request with status,
// header and body.
func answering(t *testing.T, status int, header map[string]string, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}
