package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/switchboard-hub/switchboard/sdk"
	"github.com/switchboard-hub/switchboard/sdk/vendorhttp"
)

const (
	// maxResponseBytes bounds how much of a receiver's answer is read: the
	// connector needs only a small JSON object.
	maxResponseBytes = 64 << 10
	userAgent        = "switchboard-connector-" + pluginName + "/" + pluginVersion
)

// replyReceiver is how error messages name the system behind send_url. Its
// redirect advice says "the URL" rather than send_url, as it always has.
var replyReceiver = vendorhttp.Vendor{Name: "the receiver", TimeoutAttribute: "timeout"}

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

// maxConcurrentSends bounds the POSTs one Send has in flight.
const maxConcurrentSends = 16

// Send POSTs the items, those of different threads at the same time (up to
// maxConcurrentSends) and those of one thread one after the other, in
// order. A failure of one item is reported in its result and does not stop
// the others: each has its own idempotency key, so the host retries
// exactly the ones that failed.
func (c *connector) Send(ctx context.Context, items []sdk.SendItem) ([]sdk.SendResult, error) {
	cfg, err := c.config()
	if err != nil {
		return nil, err
	}
	results := make([]sdk.SendResult, len(items))
	var threads [][]int // item indexes by thread, in order
	byThread := map[string]int{}
	for i, it := range items {
		t, ok := byThread[it.Message.Thread]
		if !ok || it.Message.Thread == "" {
			t = len(threads)
			byThread[it.Message.Thread] = t
			threads = append(threads, nil)
		}
		threads[t] = append(threads[t], i)
	}
	slots := make(chan struct{}, maxConcurrentSends)
	var wg sync.WaitGroup
	for _, idx := range threads {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			for _, i := range idx {
				results[i] = c.send(ctx, cfg, items[i])
			}
		}()
	}
	wg.Wait()
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

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.sendURL.String(), bytes.NewReader(body))
	if err != nil {
		return fail(sdk.Permanent(fmt.Errorf("POST %s: %w", vendorhttp.RedactURL(cfg.sendURL), err)))
	}
	req.Header.Set("User-Agent", userAgent)
	for k, v := range cfg.headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", it.IdempotencyKey)
	if cfg.sendSecret != nil {
		req.Header.Set(cfg.signatureHeader, vendorhttp.Sign(cfg.sendSecret, body))
	}

	resp, err := cfg.client.Do(req)
	if err != nil {
		return fail(replyReceiver.TransportError(ctx, req, err, cfg.client.Timeout))
	}
	defer resp.Body.Close()
	cfg.logger.Debug("sent a message", "idempotency_key", it.IdempotencyKey, "status", resp.StatusCode)
	if err := replyReceiver.Classify(resp, c.now()); err != nil {
		return fail(err)
	}
	// The receiver has accepted the message; an answer that breaks off only
	// costs its own id, so the idempotency key stands in for it.
	respBody, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
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
