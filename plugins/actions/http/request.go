package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/switchboard-hub/switchboard/sdk"
	"github.com/switchboard-hub/switchboard/sdk/vendorhttp"
)

const (
	// maxResponseBytes bounds the response body kept as the step's output:
	// enough for an id or a short answer, never a whole page.
	maxResponseBytes = 64 << 10
	userAgent        = "switchboard-action-" + pluginName + "/" + pluginVersion
)

// notified is how error messages name the system behind url.
var notified = vendorhttp.Vendor{Name: "the receiver", URLAttribute: "url", TimeoutAttribute: "timeout"}

// deliver sends one request and returns the response's status and the
// first maxResponseBytes of its body, or an error of the kind the host acts
// on.
func (a *action) deliver(ctx context.Context, cfg *config, key, contentType string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, cfg.method, cfg.url.String(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, sdk.Permanent(fmt.Errorf("%s %s: %w", cfg.method, vendorhttp.RedactURL(cfg.url), err))
	}
	req.Header.Set("User-Agent", userAgent)
	for k, v := range cfg.headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Idempotency-Key", key)
	if cfg.secret != nil {
		req.Header.Set(signatureHeader, vendorhttp.Sign(cfg.secret, body))
	}
	resp, err := cfg.client.Do(req)
	if err != nil {
		return 0, nil, notified.TransportError(ctx, req, err, cfg.client.Timeout)
	}
	defer resp.Body.Close()
	cfg.logger.Debug("sent a request", "idempotency_key", key, "status", resp.StatusCode)
	if err := notified.Classify(resp, a.now()); err != nil {
		return 0, nil, err
	}
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		// The receiver accepted the request but the answer broke off; a
		// retry carries the same key, so the receiver can drop the repeat.
		return 0, nil, notified.TransportError(ctx, req, err, cfg.client.Timeout)
	}
	return resp.StatusCode, respBody, nil
}
