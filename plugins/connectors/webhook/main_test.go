package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
	"github.com/switchboard-hub/switchboard/sdk/sdktest"
	"github.com/switchboard-hub/switchboard/sdk/vendorhttp"
)

func TestConformance(t *testing.T) {
	var binary string
	if dir := os.Getenv("SWITCHBOARD_PLUGIN_DIR"); dir != "" {
		binary = filepath.Join(dir, "switchboard-connector-webhook")
	}
	sdktest.RunConnector(t, sdktest.ConnectorSuite{
		New:     func() sdk.Connector { return newConnector() },
		Binary:  binary,
		Fixture: func(t testing.TB) sdktest.ConnectorFixture { return newFakeReceiver(t) },
	})
}

const (
	testInboundSecret = "inbound-secret"
	testSendSecret    = "outbound-secret"
	testAuthorization = "Bearer receiver-token"
)

// fakeReceiver is both ends of the connector's world: the sender that signs
// inbound webhooks, and the system behind send_url. It behaves as
// docs/plugins/webhook.md asks a receiver to: it checks the signature and the
// Idempotency-Key header, and answers a repeated key with its first answer
// without delivering the message again.
type fakeReceiver struct {
	srv *httptest.Server

	mu       sync.Mutex
	sent     []sdktest.Sent
	idForKey map[string]string
	failNext func(w http.ResponseWriter)
	injected int
}

func newFakeReceiver(t testing.TB) *fakeReceiver {
	f := &fakeReceiver{idForKey: map[string]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// refuse answers a request that breaks the contract with 4xx, so that the
// connector's send fails with the reason in its error.
func refuse(w http.ResponseWriter, code int, format string, args ...any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": fmt.Sprintf(format, args...)})
}

func (f *fakeReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		refuse(w, http.StatusBadRequest, "read body: %v", err)
		return
	}
	switch {
	case r.Method != http.MethodPost:
		refuse(w, http.StatusMethodNotAllowed, "method %s", r.Method)
		return
	case r.URL.Path != "/outbound" || r.URL.Query().Get("token") != "abc":
		refuse(w, http.StatusNotFound, "wrong address %s", r.URL)
		return
	case r.Header.Get("Content-Type") != "application/json":
		refuse(w, http.StatusUnsupportedMediaType, "Content-Type is %q", r.Header.Get("Content-Type"))
		return
	case r.Header.Get("Authorization") != testAuthorization:
		refuse(w, http.StatusForbidden, "Authorization header from config.headers is missing")
		return
	}
	if err := vendorhttp.Verify([]byte(testSendSecret), body, r.Header, defaultSignatureHeader); err != nil {
		refuse(w, http.StatusUnauthorized, "%v", err)
		return
	}
	var msg outboundRequest
	if err := json.Unmarshal(body, &msg); err != nil {
		refuse(w, http.StatusBadRequest, "body: %v", err)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	switch {
	case key == "":
		refuse(w, http.StatusBadRequest, "Idempotency-Key header is missing")
		return
	case key != msg.IdempotencyKey:
		refuse(w, http.StatusBadRequest, "Idempotency-Key header %q differs from idempotency_key %q", key, msg.IdempotencyKey)
		return
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	if fail := f.failNext; fail != nil {
		f.failNext = nil
		fail(w)
		return
	}
	id, seen := f.idForKey[key]
	if !seen {
		id = fmt.Sprintf("r-%d", len(f.sent)+1)
		f.idForKey[key] = id
		f.sent = append(f.sent, sdktest.Sent{IdempotencyKey: key, Text: msg.Text, ExternalID: id})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"id": id})
}

func (f *fakeReceiver) Config() cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"secret":      cty.StringVal(testInboundSecret),
		"send_url":    cty.StringVal(f.srv.URL + "/outbound?token=abc"),
		"send_secret": cty.StringVal(testSendSecret),
		"timeout":     cty.StringVal("5s"),
		"headers":     cty.MapVal(map[string]cty.Value{"Authorization": cty.StringVal(testAuthorization)}),
	})
}

func (f *fakeReceiver) BadConfigs() []sdktest.BadConfig {
	str := cty.StringVal
	return []sdktest.BadConfig{
		{Name: "relative send_url", Config: cty.ObjectVal(map[string]cty.Value{"send_url": str("/outbound")}), Attribute: cty.GetAttrPath("send_url")},
		{Name: "ftp send_url", Config: cty.ObjectVal(map[string]cty.Value{"send_url": str("ftp://example.com/x")}), Attribute: cty.GetAttrPath("send_url")},
		{Name: "bad timeout", Config: cty.ObjectVal(map[string]cty.Value{"timeout": str("soon")}), Attribute: cty.GetAttrPath("timeout")},
		{Name: "negative timeout", Config: cty.ObjectVal(map[string]cty.Value{"timeout": str("-1s")}), Attribute: cty.GetAttrPath("timeout")},
		{Name: "empty secret", Config: cty.ObjectVal(map[string]cty.Value{"secret": str("")}), Attribute: cty.GetAttrPath("secret")},
		{Name: "bad signature_header", Config: cty.ObjectVal(map[string]cty.Value{"signature_header": str("X Signature")}), Attribute: cty.GetAttrPath("signature_header")},
		{
			Name:      "header overrides Idempotency-Key",
			Config:    cty.ObjectVal(map[string]cty.Value{"headers": cty.MapVal(map[string]cty.Value{"idempotency-key": str("x")})}),
			Attribute: cty.GetAttrPath("headers").Index(str("idempotency-key")),
		},
	}
}

func (f *fakeReceiver) Inject(t testing.TB, text string) sdktest.Inbound {
	f.mu.Lock()
	f.injected++
	id := fmt.Sprintf("in-%d", f.injected)
	f.mu.Unlock()
	body, err := json.Marshal(map[string]any{
		"id":      id,
		"thread":  "order-42",
		"from":    map[string]string{"id": "buyer-1", "name": "Anna Nowak"},
		"text":    text,
		"sent_at": "2026-03-01T09:30:00Z",
	})
	if err != nil {
		t.Fatal(err)
	}
	return sdktest.Inbound{
		ExternalID: id,
		Webhook: &sdk.WebhookRequest{
			Method: http.MethodPost,
			Path:   "/",
			Header: http.Header{
				"Content-Type":         {"application/json"},
				defaultSignatureHeader: {vendorhttp.Sign([]byte(testInboundSecret), body)},
			},
			Body: body,
		},
		Signed: true,
	}
}

func (f *fakeReceiver) Outbound(text string) sdk.OutboundMessage {
	return sdk.OutboundMessage{
		Channel:    channelName,
		Thread:     "order-42",
		Recipients: []sdk.Party{{ID: "buyer-1", Name: "Anna Nowak"}},
		Text:       text,
	}
}

func (f *fakeReceiver) Sent() []sdktest.Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sdktest.Sent(nil), f.sent...)
}

func (f *fakeReceiver) FailNextSend(kind sdk.ErrorKind) bool {
	var fail func(w http.ResponseWriter)
	switch kind {
	case sdk.KindPermanent:
		fail = func(w http.ResponseWriter) { refuse(w, http.StatusBadRequest, "unknown thread") }
	case sdk.KindRetryable:
		fail = func(w http.ResponseWriter) { refuse(w, http.StatusInternalServerError, "database is down") }
	case sdk.KindRateLimited:
		fail = func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "7")
			refuse(w, http.StatusTooManyRequests, "slow down")
		}
	default:
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNext = fail
	return true
}

func (f *fakeReceiver) DedupsKeys() bool { return true }

// configured returns a connector configured with attrs, the way the host
// would pass them (defaults filled in, secrets marked).
func configured(t *testing.T, attrs map[string]cty.Value) *connector {
	t.Helper()
	c := newConnector()
	diags := configure(t, c, attrs)
	if diags.HasErrors() {
		t.Fatalf("Configure: %v", diags.Err())
	}
	return c
}

func configure(t *testing.T, c *connector, attrs map[string]cty.Value) sdk.Diagnostics {
	t.Helper()
	s, err := c.Schema(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Config.Coerce(cty.ObjectVal(attrs))
	if err != nil {
		t.Fatalf("config does not fit the schema: %v", err)
	}
	diags, err := c.Configure(t.Context(), sdk.ConfigureRequest{Instance: "shop", Config: v})
	if err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return diags
}

// fixedClock is the time tests read Retry-After dates against.
var fixedClock = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
