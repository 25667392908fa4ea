package vendorhttp_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/switchboard-hub/switchboard/sdk"
	"github.com/switchboard-hub/switchboard/sdk/vendorhttp"
)

// A connector declares its vendor once and wraps every call with
// TransportError and Classify; the errors carry the kind the host acts on.
func Example() {
	acme := vendorhttp.Vendor{Name: "Acme", URLAttribute: "base_url", TimeoutAttribute: "timeout"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"error": "slow_down"}`)
	}))
	defer srv.Close()
	client := &http.Client{Timeout: 10 * time.Second}

	send := func(ctx context.Context, body []byte) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/messages?access_token=secret", bytes.NewReader(body))
		if err != nil {
			return sdk.Permanent(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return acme.TransportError(ctx, req, err, client.Timeout)
		}
		defer resp.Body.Close()
		if err := acme.Classify(resp, time.Now()); err != nil {
			return err
		}
		// ... decode the 2xx answer
		return nil
	}

	err := send(context.Background(), []byte(`{"text": "Hello"}`))
	fmt.Println(sdk.KindOf(err), sdk.RetryAfter(err))
	fmt.Println(strings.Replace(err.Error(), srv.URL, "https://api.acme.example", 1))
	// Output:
	// rate-limited 30s
	// POST https://api.acme.example/v1/messages: Acme answered 429 Too Many Requests: {"error": "slow_down"} (rate-limited, retry after 30s)
}

// A webhook handler checks the signature over the raw body before parsing
// it, and answers a bad one with 401 and the reason.
func ExampleVerify() {
	secret := []byte("s3cret")
	body := []byte(`{"id":"m-1","text":"Hello"}`)
	h := http.Header{}
	h.Set("X-Acme-Signature", vendorhttp.Sign(secret, body))

	fmt.Println(h.Get("X-Acme-Signature"))
	fmt.Println(vendorhttp.Verify(secret, body, h, "X-Acme-Signature"))
	fmt.Println(vendorhttp.Verify(secret, []byte(`{"id":"m-1","text":"Hi"}`), h, "X-Acme-Signature"))
	fmt.Println(vendorhttp.Verify(secret, body, http.Header{}, "X-Acme-Signature"))
	// Output:
	// sha256=8ba9d119ac3ea19d7722d785400d07f77df16f982f8fca7cbb159d49037e5445
	// <nil>
	// the signature does not match the body; sign the exact bytes sent with the shared secret
	// the X-Acme-Signature header is missing; sign the raw body with HMAC-SHA256 and send sha256=<hex digest>
}
