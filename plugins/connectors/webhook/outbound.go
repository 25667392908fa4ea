package main

import (
	"bytes"
	"context"
	"encoding/json"
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
	// maxResponseBytes bounds how much of a receiver's answer is read: the
	// connector needs only a small JSON object or an error text.
	maxResponseBytes = 64 << 10
	// maxRetryAfter caps a receiver's Retry-After, so that a typo in it
	// cannot park a reply for weeks.
	maxRetryAfter = 24 * time.Hour
	userAgent     = "switchboard-connector-" + pluginName + "/" + pluginVersion
)

// outboundRequest is the JSON body POSTed to send_url for each message;
// docs/plugins/webhook.md is its user-facing description.
type outboundRequest struct {
	IdempotencyKey string            `json:"idempotency_key"`
	Channel        string            `json:"channel"`
	Thread         string            `json:"thread,omitempty"`
	Recipients     []party           `json:"recipients,omitempty"`
	Subject        string            `json:"subject,omitempty"`
	Text           string            `json:"text"`
	HTML           string            `json:"html,omitempty"`
	InReplyTo      string            `json:"in_reply_to,omitempty"`
	OrderRef       string            `json:"order_ref,omitempty"`
	Headers        map[string]string `json:"headers,omitempty"`
}

// Send POSTs the items one by one. A failure of one item is reported in its
// result and does not stop the others: each has its own idempotency key, so
// the host retries exactly the ones that failed.
func (c *connector) Send(ctx context.Context, items []sdk.SendItem) ([]sdk.SendResult, error) {
	cfg, err := c.config()
	if err != nil {
		return nil, err
	}
	results := make([]sdk.SendResult, len(items))
	for i, it := range items {
		results[i] = c.send(ctx, cfg, it)
	}
	return results, nil
}

func (c *connector) send(ctx context.Context, cfg *config, it sdk.SendItem) sdk.SendResult {
	fail := func(err error) sdk.SendResult { return sdk.SendResult{Err: err} }
	if cfg.sendURL == nil {
		return fail(sdk.Permanent(fmt.Errorf("webhook connector %q cannot send: send_url is not set; set send_url to the address that should receive outbound messages", cfg.instance)))
	}
	if it.IdempotencyKey == "" {
		return fail(sdk.Permanent(errors.New("the send has no idempotency key, so the receiver could not drop a repeat; this is a bug in the host")))
	}
	m := it.Message
	if len(m.Attachments) > 0 {
		return fail(sdk.Permanent(fmt.Errorf("the webhook connector does not send attachments (this message has %d); send a link in the text instead", len(m.Attachments))))
	}
	if m.Channel == "" {
		m.Channel = channelName
	}
	if m.Channel != channelName {
		return fail(sdk.Permanent(fmt.Errorf("channel %q is not a channel of the webhook connector; use %q", m.Channel, channelName)))
	}
	body, err := json.Marshal(outboundRequest{
		IdempotencyKey: it.IdempotencyKey,
		Channel:        m.Channel,
		Thread:         m.Thread,
		Recipients:     parties(m.Recipients),
		Subject:        m.Subject,
		Text:           m.Text,
		HTML:           m.HTML,
		InReplyTo:      m.InReplyTo,
		OrderRef:       m.OrderRef,
		Headers:        m.Headers,
	})
	if err != nil {
		return fail(sdk.Permanent(fmt.Errorf("encode the outbound message: %w", err)))
	}

	target := displayURL(cfg.sendURL)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.sendURL.String(), bytes.NewReader(body))
	if err != nil {
		return fail(sdk.Permanent(fmt.Errorf("POST %s: %w", target, err)))
	}
	req.Header.Set("User-Agent", userAgent)
	for k, v := range cfg.headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", it.IdempotencyKey)
	if cfg.sendSecret != nil {
		req.Header.Set(cfg.signatureHeader, sign(cfg.sendSecret, body))
	}

	resp, err := cfg.client.Do(req)
	if err != nil {
		return fail(sdk.Retryable(fmt.Errorf("POST %s: %s", target, transportProblem(ctx, err, cfg.client.Timeout))))
	}
	defer resp.Body.Close()
	respBody, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	cfg.logger.Debug("sent a message", "idempotency_key", it.IdempotencyKey, "status", resp.StatusCode)
	if err := classify("POST "+target, resp, respBody, c.now()); err != nil {
		return fail(err)
	}
	id := responseID(respBody)
	if id == "" {
		// The key is unique per send and stable across retries, so it is a
		// sound external id when the receiver does not give its own.
		id = it.IdempotencyKey
	}
	return sdk.SendResult{ExternalID: id, SentAt: c.now()}
}

func parties(ps []sdk.Party) []party {
	if len(ps) == 0 {
		return nil
	}
	out := make([]party, len(ps))
	for i, p := range ps {
		out[i] = party{ID: p.ID, Name: p.Name, Handle: p.Handle, Email: p.Email, Phone: p.Phone}
	}
	return out
}

// responseID reads the receiver's own id for the message from a JSON answer
// such as {"id": "r-42"}; anything else yields "".
func responseID(body []byte) string {
	var r struct {
		ID any `json:"id"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&r) != nil {
		return ""
	}
	switch id := r.ID.(type) {
	case string:
		return id
	case json.Number:
		return id.String()
	}
	return ""
}

// classify turns the receiver's answer into the error the host acts on, or
// nil for success. what names the request in the message, such as
// "POST https://example.com/hook".
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
		return sdk.Permanent(fmt.Errorf("%s; redirects are not followed because they would drop the POST body: set the URL to the final address %q", msg, loc))
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
