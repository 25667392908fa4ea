package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-hub/switchboard/sdk"
)

const (
	// maxResponseBytes bounds the response body kept as the step's output:
	// enough for an id or a short answer, never a whole page.
	maxResponseBytes = 64 << 10
	// maxRetryAfter caps a receiver's Retry-After, so that a typo in it
	// cannot park a step for weeks.
	maxRetryAfter = 24 * time.Hour
	userAgent     = "switchboard-action-" + pluginName + "/" + pluginVersion
)

// deliver sends one request and returns the response's status and the
// first maxResponseBytes of its body, or an error of the kind the host acts
// on.
func (a *action) deliver(ctx context.Context, cfg *config, key, contentType string, body []byte) (int, []byte, error) {
	target := cfg.method + " " + displayURL(cfg.url)
	req, err := http.NewRequestWithContext(ctx, cfg.method, cfg.url.String(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, sdk.Permanent(fmt.Errorf("%s: %w", target, err))
	}
	req.Header.Set("User-Agent", userAgent)
	for k, v := range cfg.headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Idempotency-Key", key)
	if cfg.secret != nil {
		req.Header.Set(signatureHeader, sign(cfg.secret, body))
	}
	resp, err := cfg.client.Do(req)
	if err != nil {
		return 0, nil, sdk.Retryable(fmt.Errorf("%s: %s", target, transportProblem(ctx, err, cfg.client.Timeout)))
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		// The receiver accepted the request but the answer broke off; a
		// retry carries the same key, so the receiver can drop the repeat.
		return 0, nil, sdk.Retryable(fmt.Errorf("%s: reading the answer: %s", target, transportProblem(ctx, err, cfg.client.Timeout)))
	}
	cfg.logger.Debug("sent a request", "idempotency_key", key, "status", resp.StatusCode)
	if err := classify(target, resp, respBody, a.now()); err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, respBody, nil
}

// sign returns the signature header value of body: "sha256=" and the hex
// HMAC-SHA256 of the exact bytes sent.
func sign(key, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// classify turns the receiver's answer into the error the host acts on, or
// nil for success. what names the request in the message, such as
// "POST https://crm.example.com/hook".
func classify(what string, resp *http.Response, body []byte, now time.Time) error {
	code := resp.StatusCode
	if code >= 200 && code <= 299 {
		return nil
	}
	msg := fmt.Sprintf("%s: the receiver answered %s", what, statusText(code))
	if snippet := bodySnippet(body); snippet != "" {
		msg += ": " + snippet
	}
	switch {
	case code == http.StatusTooManyRequests:
		wait := retryAfter(resp.Header.Get("Retry-After"), now)
		if wait == 0 {
			msg += " (no usable Retry-After header; Switchboard backs off)"
		}
		return sdk.RateLimited(errors.New(msg), wait)
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly, code >= 500:
		return sdk.Retryable(errors.New(msg))
	case code >= 300 && code <= 399:
		loc := resp.Header.Get("Location")
		if u, err := url.Parse(loc); err == nil && loc != "" {
			loc = displayURL(resp.Request.URL.ResolveReference(u))
		}
		return sdk.Permanent(fmt.Errorf("%s; redirects are not followed because they would drop the body: set url to the final address %q", msg, loc))
	default:
		return sdk.Permanent(errors.New(msg))
	}
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return strconv.Itoa(code)
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date
// (RFC 9110, section 10.2.3). It returns 0 when the header is absent or
// unreadable, leaving the wait to the host's backoff.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		switch {
		case secs <= 0:
			return 0
		case secs > int64(maxRetryAfter/time.Second):
			return maxRetryAfter
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), maxRetryAfter)
	}
	return 0
}

// bodySnippet is the start of a receiver's answer, on one line, for error
// messages: receivers usually say there what was wrong.
func bodySnippet(body []byte) string {
	const limit = 300
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(body), "?")), " ")
	if len(s) > limit {
		s = strings.ToValidUTF8(s[:limit], "") + "…"
	}
	return s
}

// displayURL shows where a request went without its query or user info,
// which often carry access tokens and must not reach logs.
func displayURL(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// transportProblem describes a failed request without the full URL that
// net/http's errors repeat.
func transportProblem(ctx context.Context, err error, timeout time.Duration) string {
	if ctx.Err() != nil {
		return "stopped by Switchboard before the receiver answered: " + ctx.Err().Error()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Sprintf("no answer within %s; check that the receiver is up, or raise timeout if it is slow", timeout)
		}
		err = ue.Err
	}
	return err.Error()
}
