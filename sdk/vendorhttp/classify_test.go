package vendorhttp_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hub/switchboard/sdk"
	"github.com/switchboard-hub/switchboard/sdk/vendorhttp"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	receiver := vendorhttp.Vendor{Name: "the receiver", URLAttribute: "url"}
	tests := []struct {
		name       string
		vendor     *vendorhttp.Vendor // nil: receiver
		method     string
		status     int
		header     map[string]string
		body       string
		kind       sdk.ErrorKind // KindUnspecified: success
		retryAfter time.Duration
		msg        string // a part of the error message
	}{
		{name: "200", status: 200, body: `{"id": "r-1"}`},
		{name: "201", status: 201},
		{name: "204", status: 204},
		{name: "400", status: 400, body: `{"error": "unknown thread"}`, kind: sdk.KindPermanent,
			msg: `POST http://127.0.0.1:PORT/hook: the receiver answered 400 Bad Request: {"error": "unknown thread"}`},
		{name: "401", status: 401, kind: sdk.KindPermanent, msg: "401 Unauthorized"},
		{name: "403", status: 403, body: "forbidden", kind: sdk.KindPermanent, msg: "/hook: the receiver answered 403 Forbidden: forbidden"},
		{name: "404", status: 404, kind: sdk.KindPermanent, msg: "404 Not Found"},
		{name: "409", status: 409, kind: sdk.KindPermanent, msg: "409 Conflict"},
		{name: "422", status: 422, kind: sdk.KindPermanent, msg: "422 Unprocessable Entity"},
		{name: "408", status: 408, kind: sdk.KindRetryable, msg: "408 Request Timeout"},
		{name: "425", status: 425, kind: sdk.KindRetryable, msg: "425 Too Early"},
		{name: "500", status: 500, body: "boom\n  at line 1", kind: sdk.KindRetryable, msg: "500 Internal Server Error: boom at line 1"},
		{name: "503", status: 503, kind: sdk.KindRetryable, msg: "503 Service Unavailable"},
		{name: "504", status: 504, kind: sdk.KindRetryable, msg: "504 Gateway Timeout"},
		{name: "599", status: 599, kind: sdk.KindRetryable, msg: "answered 599"},
		{name: "long body", status: 400, body: strings.Repeat("x", 1000), kind: sdk.KindPermanent, msg: ": " + strings.Repeat("x", 300) + "…"},
		{name: "429 seconds", status: 429, header: map[string]string{"Retry-After": "30"}, kind: sdk.KindRateLimited, retryAfter: 30 * time.Second, msg: "429 Too Many Requests"},
		{name: "429 date", status: 429, header: map[string]string{"Retry-After": fixedClock.Add(90 * time.Second).Format(http.TimeFormat)}, kind: sdk.KindRateLimited, retryAfter: 90 * time.Second},
		{name: "429 capped", status: 429, header: map[string]string{"Retry-After": "9999999"}, kind: sdk.KindRateLimited, retryAfter: vendorhttp.MaxRetryAfter},
		{name: "429 without Retry-After", status: 429, kind: sdk.KindRateLimited, msg: "no usable Retry-After header; Switchboard backs off"},
		{name: "429 bad Retry-After", status: 429, header: map[string]string{"Retry-After": "later"}, kind: sdk.KindRateLimited, msg: "no usable Retry-After header"},
		{name: "302 relative", status: 302, header: map[string]string{"Location": "/v2/hook?token=secret"}, kind: sdk.KindPermanent,
			msg: `redirects are not followed because they would drop the POST body: set url to the final address "http://127.0.0.1:PORT/v2/hook"`},
		{name: "301 absolute", status: 301, header: map[string]string{"Location": "https://crm.example.com/v2?token=x"}, kind: sdk.KindPermanent,
			msg: `set url to the final address "https://crm.example.com/v2"`},
		{name: "301 PUT", method: "PUT", status: 301, header: map[string]string{"Location": "/v2"}, kind: sdk.KindPermanent, msg: "would drop the PUT body"},
		{name: "301 GET", method: "GET", status: 301, header: map[string]string{"Location": "/v2"}, kind: sdk.KindPermanent,
			msg: `301 Moved Permanently; redirects are not followed: set url to the final address`},
		{name: "301 without Location", status: 301, kind: sdk.KindPermanent, msg: "answered 301 Moved Permanently; redirects are not followed because they would drop the POST body"},
		{name: "zero vendor", vendor: &vendorhttp.Vendor{}, status: 502, kind: sdk.KindRetryable, msg: "/hook: the server answered 502 Bad Gateway"},
		{name: "zero vendor redirect", vendor: &vendorhttp.Vendor{}, status: 307, header: map[string]string{"Location": "/x"}, kind: sdk.KindPermanent, msg: "set the URL to the final address"},
		{name: "named vendor", vendor: &vendorhttp.Vendor{Name: "Acme", URLAttribute: "base_url"}, status: 308, header: map[string]string{"Location": "/x"}, kind: sdk.KindPermanent,
			msg: `Acme answered 308 Permanent Redirect; redirects are not followed because they would drop the POST body: set base_url to the final address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := answering(t, tt.status, tt.header, tt.body)
			method := tt.method
			if method == "" {
				method = "POST"
			}
			req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+"/hook?token=t0p", strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := vendorhttp.NewClient(5 * time.Second).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			v := receiver
			if tt.vendor != nil {
				v = *tt.vendor
			}
			err = v.Classify(resp, fixedClock)
			if tt.kind == sdk.KindUnspecified {
				if err != nil {
					t.Fatalf("Classify = %v, want nil", err)
				}
				if b, _ := io.ReadAll(resp.Body); string(b) != tt.body {
					t.Errorf("body after Classify = %q, want it unread: %q", b, tt.body)
				}
				return
			}
			if got := sdk.KindOf(err); got != tt.kind {
				t.Fatalf("Classify = %v (kind %s), want kind %s", err, got, tt.kind)
			}
			if got := sdk.RetryAfter(err); got != tt.retryAfter {
				t.Errorf("retry after = %s, want %s", got, tt.retryAfter)
			}
			want := strings.ReplaceAll(tt.msg, "127.0.0.1:PORT", strings.TrimPrefix(srv.URL, "http://"))
			var e *sdk.Error
			if !errors.As(err, &e) || !strings.Contains(e.Message, want) {
				t.Errorf("message = %q, want it to contain %q", e.Message, want)
			}
			if strings.Contains(err.Error(), "t0p") || strings.Contains(err.Error(), "token=") {
				t.Errorf("error %q shows a URL's query, which may hold a token", err)
			}
			var se *vendorhttp.StatusError
			if !errors.As(err, &se) || se.Status != tt.status || string(se.Body) != tt.body || se.Request != method+" "+srv.URL+"/hook" {
				t.Errorf("StatusError = %+v, want status %d, body %q and the request named", se, tt.status, tt.body)
			}
		})
	}
}

func TestClassifyWithoutRequest(t *testing.T) {
	t.Parallel()
	resp := &http.Response{StatusCode: 301, Header: http.Header{"Location": {"https://example.com/new?key=k"}}, Body: io.NopCloser(strings.NewReader("moved"))}
	err := vendorhttp.Vendor{Name: "Acme"}.Classify(resp, fixedClock)
	const want = `Acme answered 301 Moved Permanently: moved; redirects are not followed: set the URL to the final address "https://example.com/new" (permanent)`
	if sdk.KindOf(err) != sdk.KindPermanent || err.Error() != want {
		t.Errorf("Classify = %q, want %q", err, want)
	}
}

func TestStatusErrorSurvivesTheWire(t *testing.T) {
	t.Parallel()
	// The host sees only the *sdk.Error's message; it must be the whole
	// story, not a wrapper's prefix.
	resp := &http.Response{StatusCode: 503, Header: http.Header{}, Body: http.NoBody,
		Request: &http.Request{Method: "GET", URL: mustParse(t, "https://api.example.com/v1/messages?after=9")}}
	err := vendorhttp.Vendor{Name: "Acme"}.Classify(resp, fixedClock)
	var e *sdk.Error
	if !errors.As(err, &e) || e.Message != "GET https://api.example.com/v1/messages: Acme answered 503 Service Unavailable" {
		t.Errorf("message = %q", e.Message)
	}
}
