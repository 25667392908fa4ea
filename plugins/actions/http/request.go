package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

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
// on. The request, reading the answer included, is bound by cfg.timeout and
// by ctx's deadline, whichever comes first; Execute starts it only when the
// timeout fits (roomFor), so the call's deadline is a safety net.
func (a *action) deliver(ctx context.Context, cfg *config, key, contentType string, body []byte) (int, []byte, error) {
	rctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, cfg.method, cfg.url.String(), bytes.NewReader(body))
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
		// ctx, not rctx: running out of our own timeout is "no answer
		// within", not the host stopping the call.
		return 0, nil, notified.TransportError(ctx, req, err, cfg.timeout)
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
		return 0, nil, notified.TransportError(ctx, req, err, cfg.timeout)
	}
	return resp.StatusCode, respBody, nil
}

// deadlineMargin is kept free at the end of every call: the results must
// still travel back to the host before its deadline, or the host takes the
// plugin for hung, kills it and sends the whole batch again.
const deadlineMargin = time.Second

// roomFor returns nil when a request may start now: ctx is alive and, when
// it has a deadline (which Execute has already moved deadlineMargin
// earlier), the request's whole timeout fits before it. Otherwise it
// returns a retryable error saying the request was not attempted, so that
// the host sends it again in a later call with time to spare, instead of
// the request overrunning this one. Deadlines are wall-clock times, hence
// time.Until rather than the injected clock.
func roomFor(ctx context.Context, cfg *config) error {
	if err := ctx.Err(); err != nil {
		return notAttempted(cfg, fmt.Sprintf("stopped by Switchboard before the request could start (%v)", err))
	}
	d, ok := ctx.Deadline()
	if !ok {
		return nil
	}
	if left := time.Until(d); left < cfg.timeout {
		return notAttempted(cfg, fmt.Sprintf("only %s was left before this call must answer Switchboard, less than timeout (%s), so the request might not have finished in time",
			max(left, 0).Round(time.Millisecond), cfg.timeout))
	}
	return nil
}

// errNotAttempted marks the items whose request was never sent.
var errNotAttempted = errors.New("not attempted")

// notAttempted is the retryable error of an item whose request was not
// sent, for the reason why.
func notAttempted(cfg *config, why string) error {
	return sdk.Retryable(fmt.Errorf("%s %s: %w: %s; it is sent on a retry, with the same Idempotency-Key",
		cfg.method, vendorhttp.RedactURL(cfg.url), errNotAttempted, why))
}

func countNotAttempted(results []sdk.ExecuteResult) int {
	n := 0
	for _, r := range results {
		if errors.Is(r.Err, errNotAttempted) {
			n++
		}
	}
	return n
}
