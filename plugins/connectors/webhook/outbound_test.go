package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
	"github.com/switchboard-hub/switchboard/sdk/vendorhttp"
)

// request is what a test receiver saw.
type request struct {
	method, path string
	header       http.Header
	body         []byte
}

// receiver starts a server that records the request and answers with
// answer, and returns a connector configured to send to it with extra
// config attributes.
func receiver(t *testing.T, answer http.HandlerFunc, attrs map[string]cty.Value) (*connector, <-chan request) {
	t.Helper()
	seen := make(chan request, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen <- request{r.Method, r.URL.RequestURI(), r.Header.Clone(), body}
		answer(w, r)
	}))
	t.Cleanup(srv.Close)
	all := map[string]cty.Value{"send_url": cty.StringVal(srv.URL + "/replies?token=t0p")}
	for k, v := range attrs {
		all[k] = v
	}
	c := configured(t, all)
	c.now = func() time.Time { return fixedClock }
	return c, seen
}

func answerJSON(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func sendOne(t *testing.T, c *connector, it sdk.SendItem) sdk.SendResult {
	t.Helper()
	res, err := c.Send(t.Context(), []sdk.SendItem{it})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if len(res) != 1 {
		t.Fatalf("Send returned %d results for 1 item", len(res))
	}
	return res[0]
}

func TestSendRequest(t *testing.T) {
	t.Parallel()
	c, seen := receiver(t, answerJSON(201, `{"id": "r-9", "status": "queued"}`), map[string]cty.Value{
		"send_secret":      cty.StringVal("out-key"),
		"signature_header": cty.StringVal("X-Shop-Signature"),
		"headers":          cty.MapVal(map[string]cty.Value{"Authorization": cty.StringVal("Bearer abc"), "User-Agent": cty.StringVal("shop/1")}),
	})
	res := sendOne(t, c, sdk.SendItem{IdempotencyKey: "step-1", Message: sdk.OutboundMessage{
		Channel:    "webhook",
		Thread:     "order-42",
		Recipients: []sdk.Party{{ID: "buyer-1", Name: "Anna Nowak", Email: "anna@example.com"}},
		Subject:    "Re: parcel",
		Text:       "It ships today.",
		HTML:       "<p>It ships today.</p>",
		InReplyTo:  "m-1",
		OrderRef:   "A-1001",
		Headers:    map[string]string{"X-Ticket": "7"},
	}})
	if res.Err != nil || res.ExternalID != "r-9" || !res.SentAt.Equal(fixedClock) {
		t.Fatalf("Send = %+v, want external id r-9 sent at %s", res, fixedClock)
	}
	r := <-seen
	if r.method != "POST" || r.path != "/replies?token=t0p" {
		t.Errorf("request = %s %s, want POST /replies?token=t0p", r.method, r.path)
	}
	for name, want := range map[string]string{
		"Content-Type":     "application/json",
		"Idempotency-Key":  "step-1",
		"X-Shop-Signature": vendorhttp.Sign([]byte("out-key"), r.body),
		"Authorization":    "Bearer abc",
		"User-Agent":       "shop/1",
	} {
		if got := r.header.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	const want = `{"idempotency_key":"step-1","channel":"webhook","thread":"order-42",` +
		`"recipients":[{"id":"buyer-1","name":"Anna Nowak","email":"anna@example.com"}],` +
		`"subject":"Re: parcel","text":"It ships today.","html":"\u003cp\u003eIt ships today.\u003c/p\u003e",` +
		`"in_reply_to":"m-1","order_ref":"A-1001","headers":{"X-Ticket":"7"}}`
	if string(r.body) != want {
		t.Errorf("body =\n%s\nwant\n%s", r.body, want)
	}
}

func TestSendMinimalRequest(t *testing.T) {
	t.Parallel()
	c, seen := receiver(t, answerJSON(204, ""), nil)
	res := sendOne(t, c, sdk.SendItem{IdempotencyKey: "step-2", Message: sdk.OutboundMessage{Text: "Hi"}})
	if res.Err != nil || res.ExternalID != "step-2" {
		t.Fatalf("Send = %+v, want the idempotency key as external id", res)
	}
	r := <-seen
	if got := string(r.body); got != `{"idempotency_key":"step-2","channel":"webhook","text":"Hi"}` {
		t.Errorf("body = %s", got)
	}
	if got := r.header.Get(defaultSignatureHeader); got != "" {
		t.Errorf("unsigned request carries %s: %q", defaultSignatureHeader, got)
	}
	if got := r.header.Get("User-Agent"); got != userAgent {
		t.Errorf("User-Agent = %q, want %q", got, userAgent)
	}
}

func TestResponseID(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		`{"id": "r-1"}`:    "r-1",
		`{"id": 42}`:       "42",
		`{"id": null}`:     "",
		`{"id": {"a": 1}}`: "",
		`{"other": "x"}`:   "",
		`[1, 2]`:           "",
		`OK`:               "",
		``:                 "",
	} {
		if got := responseID([]byte(body)); got != want {
			t.Errorf("responseID(%s) = %q, want %q", body, got, want)
		}
	}
}

// TestSendStatus checks how answers reach a send's result. The full
// classification is vendorhttp's (its TestClassify); these rows check the
// connector's use of it: each kind and its retry-after arrive, the message
// names the request without the URL's query, and a redirect says what to fix.
func TestSendStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		kind       sdk.ErrorKind // KindUnspecified: success
		retryAfter time.Duration
		msg        string // a part of the error message
	}{
		{name: "200", status: 200, body: `{"id": "r-1"}`},
		{name: "202", status: 202},
		{name: "400", status: 400, body: `{"error": "unknown thread"}`, kind: sdk.KindPermanent, msg: `the receiver answered 400 Bad Request: {"error": "unknown thread"}`},
		{name: "408", status: 408, kind: sdk.KindRetryable, msg: "408 Request Timeout"},
		{name: "500", status: 500, body: "boom\n  at line 1", kind: sdk.KindRetryable, msg: "500 Internal Server Error: boom at line 1"},
		{name: "429 seconds", status: 429, header: map[string]string{"Retry-After": "30"}, kind: sdk.KindRateLimited, retryAfter: 30 * time.Second, msg: "429 Too Many Requests"},
		{name: "429 without Retry-After", status: 429, kind: sdk.KindRateLimited, msg: "no usable Retry-After header"},
		{name: "302", status: 302, header: map[string]string{"Location": "/v2/replies?token=secret"}, kind: sdk.KindPermanent, msg: `redirects are not followed because they would drop the POST body: set the URL to the final address "http://127.0.0.1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := receiver(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}, nil)
			res := sendOne(t, c, sdk.SendItem{IdempotencyKey: "k", Message: sdk.OutboundMessage{Text: "Hi"}})
			if tt.kind == sdk.KindUnspecified {
				if res.Err != nil || res.ExternalID == "" {
					t.Errorf("Send = %+v, want success with an external id", res)
				}
				return
			}
			if got := sdk.KindOf(res.Err); got != tt.kind {
				t.Fatalf("error = %v (kind %s), want kind %s", res.Err, got, tt.kind)
			}
			if got := sdk.RetryAfter(res.Err); got != tt.retryAfter {
				t.Errorf("retry after = %s, want %s", got, tt.retryAfter)
			}
			if msg := res.Err.Error(); !strings.Contains(msg, tt.msg) {
				t.Errorf("error = %q, want it to contain %q", msg, tt.msg)
			}
			if msg := res.Err.Error(); strings.Contains(msg, "t0p") || strings.Contains(msg, "token=secret") {
				t.Errorf("error %q shows a URL's query, which may hold a token", msg)
			}
		})
	}
}

func TestSendTransportErrors(t *testing.T) {
	t.Parallel()
	t.Run("receiver down", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		c := configured(t, map[string]cty.Value{"send_url": cty.StringVal(url + "/replies?token=t0p")})
		res := sendOne(t, c, sdk.SendItem{IdempotencyKey: "k", Message: sdk.OutboundMessage{Text: "Hi"}})
		if sdk.KindOf(res.Err) != sdk.KindRetryable || !strings.Contains(res.Err.Error(), "POST "+url+"/replies: ") {
			t.Errorf("error = %v, want a retryable error naming POST %s/replies", res.Err, url)
		}
		if strings.Contains(res.Err.Error(), "t0p") {
			t.Errorf("error %q shows the URL's query, which may hold a token", res.Err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		c, _ := receiver(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			map[string]cty.Value{"timeout": cty.StringVal("50ms")})
		res := sendOne(t, c, sdk.SendItem{IdempotencyKey: "k", Message: sdk.OutboundMessage{Text: "Hi"}})
		if sdk.KindOf(res.Err) != sdk.KindRetryable || !strings.Contains(res.Err.Error(), "no answer within 50ms; check that the receiver is up, or raise timeout") {
			t.Errorf("error = %v, want a retryable timeout that suggests raising timeout", res.Err)
		}
	})
	t.Run("host cancels", func(t *testing.T) {
		t.Parallel()
		c, _ := receiver(t, answerJSON(200, `{}`), nil)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		res, err := c.Send(ctx, []sdk.SendItem{{IdempotencyKey: "k", Message: sdk.OutboundMessage{Text: "Hi"}}})
		if err != nil || sdk.KindOf(res[0].Err) != sdk.KindRetryable || !strings.Contains(res[0].Err.Error(), "stopped by Switchboard") {
			t.Errorf("Send with a canceled context = %+v, %v; want a retryable item error", res, err)
		}
	})
}

func TestSendRefusals(t *testing.T) {
	t.Parallel()
	c, seen := receiver(t, answerJSON(200, `{"id": "r-1"}`), nil)
	items := []sdk.SendItem{
		{IdempotencyKey: "a", Message: sdk.OutboundMessage{Text: "fine"}},
		{IdempotencyKey: "b", Message: sdk.OutboundMessage{Text: "file", Attachments: []sdk.Attachment{{Name: "invoice.pdf"}}}},
		{IdempotencyKey: "c", Message: sdk.OutboundMessage{Channel: "sms", Text: "wrong channel"}},
		{IdempotencyKey: "", Message: sdk.OutboundMessage{Text: "no key"}},
		{IdempotencyKey: "e", Message: sdk.OutboundMessage{Text: "fine too"}},
	}
	res, err := c.Send(t.Context(), items)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	wantErr := []string{"", "does not send attachments (this message has 1)", `channel "sms" is not a channel of the webhook connector; use "webhook"`, "has no idempotency key", ""}
	for i, want := range wantErr {
		switch {
		case want == "" && res[i].Err != nil:
			t.Errorf("item %d: %v", i, res[i].Err)
		case want != "" && (sdk.KindOf(res[i].Err) != sdk.KindPermanent || !strings.Contains(res[i].Err.Error(), want)):
			t.Errorf("item %d: error = %v, want a permanent error containing %q", i, res[i].Err, want)
		}
	}
	if n := len(seen); n != 2 {
		t.Errorf("receiver got %d requests, want the 2 valid items", n)
	}
}

func TestSendWithoutSendURL(t *testing.T) {
	t.Parallel()
	c := configured(t, map[string]cty.Value{"secret": cty.StringVal("k")})
	res := sendOne(t, c, sdk.SendItem{IdempotencyKey: "k", Message: sdk.OutboundMessage{Text: "Hi"}})
	want := `webhook connector "shop" cannot send: send_url is not set; set send_url`
	if sdk.KindOf(res.Err) != sdk.KindPermanent || !strings.Contains(res.Err.Error(), want) {
		t.Errorf("error = %v, want a permanent error containing %q", res.Err, want)
	}
}

// TestSendBatchThreadsAtOnceInOrderWithin sends a batch of two threads:
// the first reply of thread a is held until thread b's arrives (so threads
// go at the same time), and thread a's replies arrive in batch order.
func TestSendBatchThreadsAtOnceInOrderWithin(t *testing.T) {
	bArrived := make(chan struct{})
	var (
		mu    sync.Mutex
		order []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body outboundRequest
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Error(err)
		}
		switch body.Text {
		case "a1":
			select {
			case <-bArrived:
			case <-time.After(10 * time.Second):
				t.Error("thread b's reply did not arrive while thread a's first was in flight")
			}
		case "b1":
			close(bArrived)
		}
		mu.Lock()
		order = append(order, body.Text)
		mu.Unlock()
		answerJSON(200, `{}`)(w, r)
	}))
	defer srv.Close()
	c := configured(t, map[string]cty.Value{"send_url": cty.StringVal(srv.URL)})
	item := func(thread, text string) sdk.SendItem {
		return sdk.SendItem{IdempotencyKey: text, Message: sdk.OutboundMessage{Channel: "webhook", Thread: thread, Text: text}}
	}
	res, err := c.Send(t.Context(), []sdk.SendItem{item("a", "a1"), item("b", "b1"), item("a", "a2"), item("a", "a3")})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Errorf("item %d: %v", i, r.Err)
		}
	}
	var a []string
	for _, s := range order {
		if strings.HasPrefix(s, "a") {
			a = append(a, s)
		}
	}
	if strings.Join(a, ",") != "a1,a2,a3" {
		t.Errorf("thread a's replies arrived as %v, want a1,a2,a3", a)
	}
}
