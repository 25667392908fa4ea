package sdktest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
)

// callTimeout bounds every call the suite makes, so a hung plugin fails the
// check instead of the whole test binary.
const callTimeout = 30 * time.Second

// RunConnector runs the conformance suite against a connector.
func RunConnector(t *testing.T, s ConnectorSuite) {
	t.Helper()
	if s.New == nil || s.Fixture == nil {
		t.Fatal("sdktest.ConnectorSuite needs New and Fixture")
	}
	newImpl := func() sdk.ServeOpts { return sdk.ServeOpts{Connector: s.New()} }
	for _, m := range modes(sdk.KindConnector, newImpl, s.Binary) {
		t.Run(m.name, func(t *testing.T) {
			h := &connectorHarness{mode: m, fixture: s.Fixture}
			schema := h.schema(t)
			t.Run("schema", func(t *testing.T) { checkSchema(t, schema, sdk.KindConnector) })
			t.Run("configure", h.checkConfigure)
			if anyChannel(schema, func(c sdk.Capabilities) bool { return c.Send }) {
				t.Run("error_kinds", h.checkErrorKinds)
				t.Run("idempotent_send", h.checkIdempotentSend)
				t.Run("batch_send", h.checkBatchSend)
			}
			if anyChannel(schema, func(c sdk.Capabilities) bool { return c.Poll }) {
				t.Run("poll_cursor", h.checkPollCursor)
			}
			if anyChannel(schema, func(c sdk.Capabilities) bool { return c.Webhook }) {
				t.Run("webhook", h.checkWebhook)
			}
		})
	}
}

type connectorHarness struct {
	mode    mode
	fixture func(t testing.TB) ConnectorFixture
	// states keeps each fixture's State across restarts of the plugin, as
	// the host keeps it in its store.
	states sync.Map // ConnectorFixture → *memState
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), callTimeout)
	t.Cleanup(cancel)
	return c
}

// schema asks a fresh, unconfigured instance: Schema must work before Configure.
func (h *connectorHarness) schema(t *testing.T) *sdk.Schema {
	t.Helper()
	c := h.mode.dispense(t).(sdk.Connector)
	s, err := c.Schema(ctx(t))
	if err != nil {
		t.Fatalf("Schema before Configure: %v", err)
	}
	return s
}

// configured returns a fresh instance configured for fx.
func (h *connectorHarness) configured(t testing.TB, fx ConnectorFixture) (sdk.Connector, *sdk.Schema) {
	t.Helper()
	c := h.mode.dispense(t).(sdk.Connector)
	s, err := c.Schema(ctx(t))
	if err != nil {
		t.Fatalf("Schema: %v", err)
	}
	st, _ := h.states.LoadOrStore(fx, newMemState())
	configure(t, c.Configure, &s.Config, fx.Config(), st.(*memState))
	return c, s
}

func configure(t testing.TB, call configureFunc, b *sdk.Block, cfg cty.Value, state sdk.State) {
	t.Helper()
	v, err := b.Coerce(cfg)
	if err != nil {
		t.Fatalf("fixture's Config does not fit the schema: %v", err)
	}
	diags, err := call(ctx(t), sdk.ConfigureRequest{Instance: "conformance", Config: v, State: state})
	if err != nil {
		t.Fatalf("Configure with the fixture's Config: %v", err)
	}
	if diags.HasErrors() {
		t.Fatalf("Configure rejected the fixture's Config: %v", diags.Err())
	}
}

func (h *connectorHarness) checkConfigure(t *testing.T) {
	fx := h.fixture(t)
	bad := fx.BadConfigs()
	if len(bad) == 0 {
		t.Error("fixture has no BadConfigs: give at least one configuration Configure must reject")
	}
	for _, bc := range bad {
		t.Run(bc.Name, func(t *testing.T) {
			c := h.mode.dispense(t).(sdk.Connector)
			s, err := c.Schema(ctx(t))
			if err != nil {
				t.Fatalf("Schema: %v", err)
			}
			checkRejected(t, c.Configure, &s.Config, bc)
		})
	}
}

func (h *connectorHarness) checkErrorKinds(t *testing.T) {
	kinds := []sdk.ErrorKind{sdk.KindPermanent, sdk.KindRetryable, sdk.KindRateLimited}
	tested := 0
	for _, kind := range kinds {
		fx := h.fixture(t)
		if !fx.FailNextSend(kind) {
			continue
		}
		tested++
		c, _ := h.configured(t, fx)
		res := send(t, c, sdk.SendItem{IdempotencyKey: "kind-" + kind.String(), Message: fx.Outbound("error kind " + kind.String())})
		if got := sdk.KindOf(res[0].Err); res[0].Err == nil || got != kind {
			t.Errorf("vendor failure meant as %s: Send result error = %v (kind %s), want kind %s", kind, res[0].Err, got, kind)
			continue
		}
		if kind == sdk.KindRateLimited && sdk.RetryAfter(res[0].Err) <= 0 {
			t.Errorf("rate-limited send error carries no retry-after: %v", res[0].Err)
		}
	}
	if tested == 0 {
		t.Error("fixture's FailNextSend supports no error kind; the suite cannot check that kinds survive the wire")
	}
}

func send(t testing.TB, c sdk.Connector, items ...sdk.SendItem) []sdk.SendResult {
	t.Helper()
	res, err := c.Send(ctx(t), items)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if len(res) != len(items) {
		t.Fatalf("Send returned %d results for %d items", len(res), len(items))
	}
	return res
}

func (h *connectorHarness) checkIdempotentSend(t *testing.T) {
	fx := h.fixture(t)
	c, s := h.configured(t, fx)
	out := fx.Outbound("idempotent hello")
	ch := s.Channel(out.Channel)
	if ch == nil {
		t.Fatalf("fixture's Outbound uses channel %q, which the schema does not declare", out.Channel)
	}
	const key = "conformance-key-1"
	first := send(t, c, sdk.SendItem{IdempotencyKey: key, Message: out})[0]
	if first.Err != nil {
		t.Fatalf("first Send: %v", first.Err)
	}
	if first.ExternalID == "" {
		t.Error("Send succeeded without an external id")
	}
	checkLookup(t, c, ch, key, out, first.ExternalID)

	retry := send(t, c, sdk.SendItem{IdempotencyKey: key, Message: out})[0]
	if retry.Err != nil {
		t.Fatalf("retried Send with the same key: %v", retry.Err)
	}
	var withKey int
	for _, x := range fx.Sent() {
		if x.Text != out.Text {
			continue
		}
		if x.IdempotencyKey != key {
			t.Errorf("vendor received the send with idempotency key %q, want %q", x.IdempotencyKey, key)
		}
		withKey++
	}
	switch {
	case withKey == 0:
		t.Error("the vendor never received the send")
	case fx.DedupsKeys() && withKey != 1:
		t.Errorf("a retried Send with the same key reached the vendor %d times, want once", withKey)
	}
}

func checkLookup(t *testing.T, c sdk.Connector, ch *sdk.Channel, key string, out sdk.OutboundMessage, externalID string) {
	t.Helper()
	got, err := c.LookupSend(ctx(t), sdk.LookupRequest{IdempotencyKey: key, Channel: out.Channel, Thread: out.Thread})
	if err != nil {
		t.Fatalf("LookupSend of a sent key: %v", err)
	}
	unsent, err := c.LookupSend(ctx(t), sdk.LookupRequest{IdempotencyKey: "conformance-never-sent", Channel: out.Channel, Thread: out.Thread})
	if err != nil {
		t.Fatalf("LookupSend of an unsent key: %v", err)
	}
	if !ch.Capabilities.LookupSend {
		if got.Outcome != sdk.LookupUnknown || unsent.Outcome != sdk.LookupUnknown {
			t.Errorf("channel %q declares no LookupSend, yet LookupSend answered %s and %s; answer LookupUnknown or declare the capability",
				ch.Name, got.Outcome, unsent.Outcome)
		}
		return
	}
	if got.Outcome != sdk.LookupSent {
		t.Errorf("LookupSend of a sent key = %s, want sent", got.Outcome)
	} else if got.ExternalID != externalID {
		t.Errorf("LookupSend external id = %q, Send said %q", got.ExternalID, externalID)
	}
	if unsent.Outcome != sdk.LookupNotSent {
		t.Errorf("LookupSend of a key never sent = %s, want not sent", unsent.Outcome)
	}
}

// checkBatchSend sends three distinct messages in one call. The host
// records result i as the outcome of item i, so each result must carry the
// external id the vendor gave that item's key: a result at the wrong index
// files a reply under another message. Then the vendor fails one send of a
// batch, and the error must come back at that item.
func (h *connectorHarness) checkBatchSend(t *testing.T) {
	fx := h.fixture(t)
	c, _ := h.configured(t, fx)
	items := batchItems(fx, "batch")
	res := send(t, c, items...)
	sent := sentByKey(fx.Sent())
	for i, it := range items {
		x, ok := sent[it.IdempotencyKey]
		switch {
		case res[i].Err != nil:
			t.Errorf("batch item %d (key %s): %v", i, it.IdempotencyKey, res[i].Err)
		case !ok || x.Text != it.Message.Text:
			t.Errorf("vendor has %q for key %s, want %q", x.Text, it.IdempotencyKey, it.Message.Text)
		case x.ExternalID == "":
			t.Errorf("fixture's Sent has no ExternalID for key %s; record the id the vendor gave each send, so the suite can check each result's", it.IdempotencyKey)
		case res[i].ExternalID != x.ExternalID:
			t.Errorf("batch item %d (key %s): Send returned external id %q, but the vendor gave that key %q; return one result per item, in the items' order",
				i, it.IdempotencyKey, res[i].ExternalID, x.ExternalID)
		}
	}

	fx = h.fixture(t)
	kind, ok := failKind(fx.FailNextSend)
	if !ok {
		return // error_kinds reports it
	}
	c, _ = h.configured(t, fx)
	items = batchItems(fx, "batch-fail")
	res = send(t, c, items...)
	errs := make([]error, len(res))
	for i, r := range res {
		errs[i] = r.Err
	}
	checkFailedItem(t, kind, keys(items), errs, sentByKey(fx.Sent()))
}

// batchItems returns three sends with distinct keys and texts.
func batchItems(fx ConnectorFixture, prefix string) []sdk.SendItem {
	items := make([]sdk.SendItem, 3)
	for i := range items {
		items[i] = sdk.SendItem{IdempotencyKey: fmt.Sprintf("%s-%d", prefix, i), Message: fx.Outbound(fmt.Sprintf("%s message %d", prefix, i))}
	}
	return items
}

func keys(items []sdk.SendItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.IdempotencyKey
	}
	return out
}

// checkPollCursor plays the host: it keeps the cursor, restarts the plugin
// between polls, and repeats a poll whose cursor it "did not save".
func (h *connectorHarness) checkPollCursor(t *testing.T) {
	fx := h.fixture(t)
	want := map[string]bool{}
	for i := range 5 {
		want[fx.Inject(t, fmt.Sprintf("poll message %d", i)).ExternalID] = true
	}
	seen := map[string]int{}
	var cursor []byte
	for round := 0; ; round++ {
		if round > 20 {
			t.Fatal("Poll never ran dry after 20 rounds of at most 2 messages; does the cursor move?")
		}
		c, s := h.configured(t, fx) // a fresh instance: nothing survives but the cursor
		res := poll(t, c, cursor)
		if len(res.Messages) > 2 {
			t.Errorf("Poll returned %d messages, over the limit of 2", len(res.Messages))
		}
		checkInbound(t, s, res.Messages)
		// A crash before the host saved NextCursor: the same poll again must
		// lose nothing.
		again := poll(t, c, cursor)
		if !sameIDs(res.Messages, again.Messages) && !containsIDs(again.Messages, res.Messages) {
			t.Errorf("Poll repeated with the same cursor returned %v, first time %v: messages were lost", ids(again.Messages), ids(res.Messages))
		}
		for _, m := range res.Messages {
			seen[m.ExternalID]++
		}
		cursor = res.NextCursor
		if len(res.Messages) == 0 && !res.More {
			break
		}
	}
	for id := range want {
		if seen[id] == 0 {
			t.Errorf("message %s was never polled", id)
		}
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("message %s came back %d times across cursors", id, n)
		}
		if !want[id] {
			t.Errorf("Poll returned %s, which was never injected", id)
		}
	}
	late := fx.Inject(t, "poll message after the end")
	c, _ := h.configured(t, fx)
	res := poll(t, c, cursor)
	if len(res.Messages) != 1 || res.Messages[0].ExternalID != late.ExternalID {
		t.Errorf("after the last cursor, Poll returned %v, want only %s", ids(res.Messages), late.ExternalID)
	}
}

func poll(t testing.TB, c sdk.Connector, cursor []byte) *sdk.PollResult {
	t.Helper()
	res, err := c.Poll(ctx(t), sdk.PollRequest{Cursor: cursor, Limit: 2})
	if err != nil {
		t.Fatalf("Poll: %v", err)
	}
	return res
}

func (h *connectorHarness) checkWebhook(t *testing.T) {
	fx := h.fixture(t)
	c, s := h.configured(t, fx)
	in := fx.Inject(t, "webhook hello")
	if in.Webhook == nil {
		t.Fatal("the connector declares webhooks but the fixture's Inject returned no Webhook request")
	}
	for i := range 2 { // a vendor redelivers: the external id must be stable
		res, err := c.HandleWebhook(ctx(t), in.Webhook)
		if err != nil {
			t.Fatalf("HandleWebhook delivery %d: %v", i+1, err)
		}
		if status := res.Status; status != 0 && (status < 200 || status > 299) { // 0 answers 200
			t.Fatalf("HandleWebhook delivery %d answered %d, want 2xx", i+1, res.Status)
		}
		if len(res.Messages) != 1 || res.Messages[0].ExternalID != in.ExternalID {
			t.Fatalf("HandleWebhook delivery %d returned %v, want exactly %s", i+1, ids(res.Messages), in.ExternalID)
		}
		if got := res.Messages[0].Text; got != "webhook hello" {
			t.Errorf("message text = %q, want %q", got, "webhook hello")
		}
		checkInbound(t, s, res.Messages)
	}
	garbage := *in.Webhook
	garbage.Body = []byte("{not json")
	expectRejected(t, c, &garbage, "a malformed body")
	if in.Signed {
		tampered := *in.Webhook
		tampered.Body = append(bytes.Clone(in.Webhook.Body), ' ')
		expectRejected(t, c, &tampered, "a body that does not match its signature")
		unsigned := *in.Webhook
		unsigned.Header = nil
		expectRejected(t, c, &unsigned, "a request without headers (no signature)")
	}
}

func expectRejected(t *testing.T, c sdk.Connector, req *sdk.WebhookRequest, what string) {
	t.Helper()
	res, err := c.HandleWebhook(ctx(t), req)
	if err != nil {
		t.Errorf("HandleWebhook with %s returned an error (the host would answer 503 and the vendor retry): %v; answer 4xx instead", what, err)
		return
	}
	if res.Status < 400 || res.Status > 499 {
		t.Errorf("HandleWebhook with %s answered %d, want 4xx", what, res.Status)
	}
	if len(res.Messages) > 0 {
		t.Errorf("HandleWebhook with %s returned messages %v, want none", what, ids(res.Messages))
	}
}

// checkInbound checks what a connector reports of inbound messages.
func checkInbound(t testing.TB, s *sdk.Schema, ms []sdk.Message) {
	t.Helper()
	for _, m := range ms {
		switch {
		case m.ExternalID == "":
			t.Errorf("message without ExternalID: %+v", m)
		case s.Channel(m.Channel) == nil:
			t.Errorf("message %s is on channel %q, which the schema does not declare", m.ExternalID, m.Channel)
		case m.Direction != sdk.Inbound && m.Direction != sdk.Outbound:
			t.Errorf("message %s has no direction; set Inbound for buyers' messages, Outbound for the seller's own", m.ExternalID)
		case m.ID != "" || m.Connector != "" || m.Account != "":
			t.Errorf("message %s sets ID, Connector or Account, which the host assigns", m.ExternalID)
		}
	}
}

func anyChannel(s *sdk.Schema, f func(sdk.Capabilities) bool) bool {
	for _, c := range s.Channels {
		if f(c.Capabilities) {
			return true
		}
	}
	return false
}

func ids(ms []sdk.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ExternalID
	}
	return out
}

func sameIDs(a, b []sdk.Message) bool {
	return strings.Join(ids(a), "\x00") == strings.Join(ids(b), "\x00")
}

func containsIDs(have, want []sdk.Message) bool {
	set := map[string]bool{}
	for _, m := range have {
		set[m.ExternalID] = true
	}
	for _, m := range want {
		if !set[m.ExternalID] {
			return false
		}
	}
	return true
}
