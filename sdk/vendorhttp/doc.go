// Package vendorhttp holds what every plugin that talks HTTP to a vendor
// needs to get the same way: turning an answer into an error of the kind the
// host acts on (Vendor.Classify), reading Retry-After (RetryAfter),
// describing a request that got no answer (Vendor.TransportError), showing a
// URL without the tokens it may carry (RedactURL), and signing and checking
// bodies with HMAC-SHA256 in the "sha256=<hex>" form (Sign, Verify).
// NewClient makes a client that reports redirects instead of following them,
// and ExtraHeaders reads a plugin's attribute of headers to add to every
// request.
//
// A connector declares its vendor once and uses it around every call:
//
//	var acme = vendorhttp.Vendor{Name: "Acme", URLAttribute: "base_url", TimeoutAttribute: "timeout"}
//
//	client := vendorhttp.NewClient(10 * time.Second)
//	resp, err := client.Do(req)
//	if err != nil {
//		return acme.TransportError(ctx, req, err, client.Timeout)
//	}
//	defer resp.Body.Close()
//	if err := acme.Classify(resp, time.Now()); err != nil {
//		return err
//	}
//	// read the 2xx answer
//
// The classification is the one Switchboard's host expects of every plugin:
// 2xx is success; 429 is rate-limited and honours Retry-After; 408, 425, 5xx
// and requests without an answer are retryable; 3xx and every other 4xx are
// permanent. Error messages name the request without its query or user info.
package vendorhttp
