package vendorhttp_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hub/switchboard/sdk"
	"github.com/switchboard-hub/switchboard/sdk/vendorhttp"
)

func TestTransportError(t *testing.T) {
	t.Parallel()
	receiver := vendorhttp.Vendor{Name: "the receiver", TimeoutAttribute: "timeout"}
	do := func(t *testing.T, ctx context.Context, url string, timeout time.Duration) (*http.Request, error) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := vendorhttp.NewClient(timeout).Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatal("the request got an answer")
		}
		return req, err
	}
	check := func(t *testing.T, err error, want ...string) {
		t.Helper()
		if sdk.KindOf(err) != sdk.KindRetryable {
			t.Errorf("error = %v, want a retryable one", err)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error = %q, want it to contain %q", err, w)
			}
		}
		if strings.Contains(err.Error(), "t0p") {
			t.Errorf("error %q shows the URL's query, which may hold a token", err)
		}
	}

	t.Run("receiver down", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		req, err := do(t, t.Context(), url+"/hook?token=t0p", 5*time.Second)
		check(t, receiver.TransportError(t.Context(), req, err, 5*time.Second), "POST "+url+"/hook: ", "connection refused")
	})
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Read the body first: only then does the server notice the
			// client hanging up and cancel the request's context.
			io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}))
		t.Cleanup(srv.Close)
		req, err := do(t, t.Context(), srv.URL+"/hook?token=t0p", 50*time.Millisecond)
		check(t, receiver.TransportError(t.Context(), req, err, 50*time.Millisecond),
			"POST "+srv.URL+"/hook: no answer within 50ms; check that the receiver is up, or raise timeout if it is slow")
		check(t, vendorhttp.Vendor{}.TransportError(t.Context(), req, err, 0), "no answer in time; check that the server is up, or raise the timeout if it is slow")
	})
	t.Run("host cancels", func(t *testing.T) {
		t.Parallel()
		srv := answering(t, 200, nil, "")
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		req, err := do(t, ctx, srv.URL+"/hook?token=t0p", 5*time.Second)
		check(t, receiver.TransportError(ctx, req, err, 5*time.Second), "stopped by Switchboard before the receiver answered: context canceled")
	})
	t.Run("answer breaks off", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			io.WriteString(w, "short")
		}))
		t.Cleanup(srv.Close)
		req, err := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/hook?token=t0p", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := vendorhttp.NewClient(5 * time.Second).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		_, err = io.ReadAll(resp.Body)
		if err == nil {
			t.Fatal("the body read in full")
		}
		check(t, receiver.TransportError(t.Context(), req, err, 5*time.Second), "POST "+srv.URL+"/hook: reading the answer: unexpected EOF")
	})
	t.Run("nil", func(t *testing.T) {
		t.Parallel()
		if err := receiver.TransportError(t.Context(), nil, nil, 0); err != nil {
			t.Errorf("TransportError(nil) = %v", err)
		}
	})
	t.Run("without a request", func(t *testing.T) {
		t.Parallel()
		err := receiver.TransportError(t.Context(), nil, errors.New("boom"), 0)
		if err.Error() != "reading the answer: boom (retryable)" {
			t.Errorf("error = %q", err)
		}
	})
}
