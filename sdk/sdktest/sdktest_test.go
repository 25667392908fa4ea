package sdktest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
	"github.com/switchboard-hub/switchboard/sdk/sdktest"
)

// vendor is a fake marketplace: an inbox of buyer messages and an outbox
// that drops repeated idempotency keys.
type vendor struct {
	mu      sync.Mutex
	inbox   []string
	sent    []sdktest.Sent
	failing sdk.ErrorKind
}

// vendors lets the in-process connector find its fake vendor by name, the
// way a real connector finds its vendor by URL.
var vendors sync.Map

func (v *vendor) fail() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	k := v.failing
	v.failing = sdk.KindUnspecified
	switch k {
	case sdk.KindPermanent:
		return errHTTP{400}
	case sdk.KindRetryable:
		return errHTTP{503}
	case sdk.KindRateLimited:
		return errHTTP{429}
	}
	return nil
}

type errHTTP struct{ status int }

func (e errHTTP) Error() string { return "vendor answered " + strconv.Itoa(e.status) }

// conn is a polling connector over the fake vendor. The broken field makes
// it misbehave in one way, to prove that the suite notices.
type conn struct {
	v      *vendor
	broken string
}

func (c *conn) Schema(context.Context) (*sdk.Schema, error) {
	return &sdk.Schema{
		Kind: sdk.KindConnector, Name: "memory", Version: "1.0.0", Description: "A connector over a fake vendor.",
		Config: sdk.Block{Attributes: []sdk.Attribute{
			{Name: "vendor", Type: cty.String, Required: true, Description: "Name of the fake vendor."},
			{Name: "api_token", Type: cty.String, Optional: true, Sensitive: c.broken != "secret", Description: "Token."},
		}},
		Channels: []sdk.Channel{{Name: "inbox", Capabilities: sdk.Capabilities{Poll: true, Send: true, LookupSend: true}}},
	}, nil
}

func (c *conn) Configure(_ context.Context, req sdk.ConfigureRequest) (sdk.Diagnostics, error) {
	var cfg struct {
		Vendor string  `cty:"vendor"`
		Token  *string `cty:"api_token"`
	}
	if err := sdk.Decode(req.Config, &cfg); err != nil {
		return nil, err
	}
	v, ok := vendors.Load(cfg.Vendor)
	if !ok && c.broken != "configure" {
		return sdk.Diagnostics{}.AddError(cty.GetAttrPath("vendor"), "no such vendor", cfg.Vendor), nil
	}
	if ok {
		c.v = v.(*vendor)
	}
	stateKeys := map[string]string{
		"statekey": "token_" + strings.Repeat("x", 1100), // named after a long vendor id
		"nulkey":   "token\x00x",
	}
	if key, ok := stateKeys[c.broken]; ok {
		// The host cannot store the key.
		if err := req.State.Put(context.Background(), key, []byte("t")); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// Poll: the cursor is the index of the next inbox message.
func (c *conn) Poll(_ context.Context, req sdk.PollRequest) (*sdk.PollResult, error) {
	start := 0
	if len(req.Cursor) > 0 {
		start, _ = strconv.Atoi(string(req.Cursor))
	}
	c.v.mu.Lock()
	defer c.v.mu.Unlock()
	end := min(len(c.v.inbox), start+max(req.Limit, 1))
	var ms []sdk.Message
	for i := start; i < end; i++ {
		ms = append(ms, sdk.Message{ExternalID: "m" + strconv.Itoa(i), Channel: "inbox", Direction: sdk.Inbound, Text: c.v.inbox[i]})
	}
	next := end
	if c.broken == "cursor" {
		next = start + 1 // skips messages
	}
	return &sdk.PollResult{Messages: ms, NextCursor: []byte(strconv.Itoa(next)), More: end < len(c.v.inbox)}, nil
}

func (c *conn) HandleWebhook(context.Context, *sdk.WebhookRequest) (*sdk.WebhookResponse, error) {
	return nil, sdk.Permanent(sdk.ErrUnsupported)
}

func (c *conn) Send(_ context.Context, items []sdk.SendItem) ([]sdk.SendResult, error) {
	out := make([]sdk.SendResult, len(items))
	for i, it := range items {
		if err := c.v.fail(); err != nil {
			out[i].Err = c.classify(err)
			continue
		}
		key := it.IdempotencyKey
		if c.broken == "key" {
			key = fmt.Sprintf("%s-%d", key, time.Now().UnixNano())
		}
		out[i].ExternalID = c.v.send(key, it.Message.Text)
	}
	if c.broken == "order" {
		slices.Reverse(out) // each reply filed under another message
	}
	return out, nil
}

func (c *conn) classify(err error) error {
	if c.broken == "kinds" {
		return err
	}
	return classify(err)
}

// classify gives the fake's failures their kinds.
func classify(err error) error {
	var h errHTTP
	if !errors.As(err, &h) {
		return err
	}
	switch {
	case h.status == 429:
		return sdk.RateLimited(err, 5*time.Second)
	case h.status >= 500:
		return sdk.Retryable(err)
	}
	return sdk.Permanent(err)
}

func (v *vendor) send(key, text string) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, s := range v.sent {
		if s.IdempotencyKey == key {
			return s.ExternalID
		}
	}
	id := "out" + strconv.Itoa(len(v.sent))
	v.sent = append(v.sent, sdktest.Sent{IdempotencyKey: key, Text: text, ExternalID: id})
	return id
}

func (c *conn) LookupSend(_ context.Context, req sdk.LookupRequest) (*sdk.LookupResult, error) {
	c.v.mu.Lock()
	defer c.v.mu.Unlock()
	for _, s := range c.v.sent {
		if s.IdempotencyKey == req.IdempotencyKey {
			return &sdk.LookupResult{Outcome: sdk.LookupSent, ExternalID: s.ExternalID}, nil
		}
	}
	return &sdk.LookupResult{Outcome: sdk.LookupNotSent}, nil
}

func (c *conn) Check(context.Context) (sdk.Diagnostics, error) { return nil, nil }

// fixture drives the fake vendor for the suite.
type fixture struct {
	name string
	v    *vendor
}

func newFixture(t testing.TB) sdktest.ConnectorFixture {
	f := &fixture{name: t.Name(), v: &vendor{}}
	vendors.Store(f.name, f.v)
	t.Cleanup(func() { vendors.Delete(f.name) })
	return f
}

func (f *fixture) Config() cty.Value {
	return cty.ObjectVal(map[string]cty.Value{"vendor": cty.StringVal(f.name)})
}

func (f *fixture) BadConfigs() []sdktest.BadConfig {
	return []sdktest.BadConfig{{
		Name:      "unknown vendor",
		Config:    cty.ObjectVal(map[string]cty.Value{"vendor": cty.StringVal("nowhere")}),
		Attribute: cty.GetAttrPath("vendor"),
	}}
}

func (f *fixture) Inject(_ testing.TB, text string) sdktest.Inbound {
	f.v.mu.Lock()
	defer f.v.mu.Unlock()
	f.v.inbox = append(f.v.inbox, text)
	return sdktest.Inbound{ExternalID: "m" + strconv.Itoa(len(f.v.inbox)-1)}
}

func (f *fixture) Outbound(text string) sdk.OutboundMessage {
	return sdk.OutboundMessage{Channel: "inbox", Thread: "t1", Text: text}
}

func (f *fixture) Sent() []sdktest.Sent {
	f.v.mu.Lock()
	defer f.v.mu.Unlock()
	return append([]sdktest.Sent(nil), f.v.sent...)
}

func (f *fixture) FailNextSend(kind sdk.ErrorKind) bool {
	f.v.mu.Lock()
	defer f.v.mu.Unlock()
	f.v.failing = kind
	return true
}

func (f *fixture) DedupsKeys() bool { return true }

func TestConformingConnectorPasses(t *testing.T) {
	sdktest.RunConnector(t, sdktest.ConnectorSuite{
		New:     func() sdk.Connector { return &conn{} },
		Fixture: newFixture,
	})
}

// TestBrokenConnector runs the suite against connectors broken in one way
// each, in a child process, and expects it to fail saying why.
func TestBrokenConnectorsFail(t *testing.T) {
	tests := map[string][]string{
		"cursor":    {"came back"},
		"key":       {"want \"conformance-key-1\""},
		"kinds":     {"want kind permanent"},
		"configure": {"Configure accepted it"},
		"secret":    {"looks like a secret but is not Sensitive"},
		"order": {
			`batch item 0 (key batch-0): Send returned external id "out2", but the vendor gave that key "out0"`,
			"batch with one failed call, item 0 (key batch-fail-0): the vendor never took it, yet its result is a success",
			"batch with one failed call, item 2 (key batch-fail-2): the vendor took it, yet its result is an error",
		},
		"statekey": {"is 1106 bytes, over the limit of 1024"},
		"nulkey":   {"holds a NUL byte"},
	}
	for broken, want := range tests {
		t.Run(broken, func(t *testing.T) {
			t.Parallel()
			expectSuiteFails(t, "TestBrokenHelper", broken, want)
		})
	}
}

// expectSuiteFails runs the helper test with SDKTEST_BROKEN=broken in a
// child process, where the suite's failure cannot fail this test, and
// expects it to fail saying each of want.
func expectSuiteFails(t *testing.T, helper, broken string, want []string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+helper+"$")
	cmd.Env = append(os.Environ(), "SDKTEST_BROKEN="+broken)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the suite passed a plugin with a broken %s:\n%s", broken, out)
	}
	for _, w := range want {
		if !strings.Contains(string(out), w) {
			t.Errorf("the suite failed without saying %q:\n%s", w, out)
		}
	}
}

func TestBrokenHelper(t *testing.T) {
	broken := os.Getenv("SDKTEST_BROKEN")
	if broken == "" {
		t.Skip("run by TestBrokenConnectorsFail")
	}
	sdktest.RunConnector(t, sdktest.ConnectorSuite{
		New:     func() sdk.Connector { return &conn{broken: broken} },
		Fixture: newFixture,
	})
}
