package sdktest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
)

// RunAction runs the conformance suite against an action.
func RunAction(t *testing.T, s ActionSuite) {
	t.Helper()
	if s.New == nil || s.Fixture == nil {
		t.Fatal("sdktest.ActionSuite needs New and Fixture")
	}
	newImpl := func() sdk.ServeOpts { return sdk.ServeOpts{Action: s.New()} }
	for _, m := range modes(sdk.KindAction, newImpl, s.Binary) {
		t.Run(m.name, func(t *testing.T) {
			h := &actionHarness{mode: m, fixture: s.Fixture}
			a := m.dispense(t).(sdk.Action)
			schema, err := a.Schema(ctx(t))
			if err != nil {
				t.Fatalf("Schema before Configure: %v", err)
			}
			t.Run("schema", func(t *testing.T) { checkSchema(t, schema, sdk.KindAction) })
			t.Run("configure", h.checkConfigure)
			t.Run("execute", h.checkExecute)
			t.Run("error_kinds", h.checkErrorKinds)
		})
	}
}

type actionHarness struct {
	mode    mode
	fixture func(t testing.TB) ActionFixture
}

func (h *actionHarness) configured(t testing.TB, fx ActionFixture) (sdk.Action, *sdk.Schema) {
	t.Helper()
	a := h.mode.dispense(t).(sdk.Action)
	s, err := a.Schema(ctx(t))
	if err != nil {
		t.Fatalf("Schema: %v", err)
	}
	configure(t, a.Configure, &s.Config, fx.Config(), newMemState())
	return a, s
}

func (h *actionHarness) checkConfigure(t *testing.T) {
	fx := h.fixture(t)
	bad := fx.BadConfigs()
	if len(bad) == 0 {
		t.Error("fixture has no BadConfigs: give at least one configuration Configure must reject")
	}
	for _, bc := range bad {
		t.Run(bc.Name, func(t *testing.T) {
			a := h.mode.dispense(t).(sdk.Action)
			s, err := a.Schema(ctx(t))
			if err != nil {
				t.Fatalf("Schema: %v", err)
			}
			checkRejected(t, a.Configure, &s.Config, bc)
		})
	}
}

func (h *actionHarness) item(t testing.TB, s *sdk.Schema, fx ActionFixture, key, text string) sdk.ExecuteItem {
	t.Helper()
	args, err := s.Arguments.Coerce(fx.Arguments(text))
	if err != nil {
		t.Fatalf("fixture's Arguments do not fit the schema: %v", err)
	}
	return sdk.ExecuteItem{
		IdempotencyKey: key,
		Message:        sdk.Message{ID: "01JCONFORMANCE", ExternalID: "m-" + key, Channel: "test", Direction: sdk.Inbound, Text: text},
		Thread:         sdk.ThreadContext{ID: "thread-1", Channel: "test"},
		Contact:        sdk.Contact{ID: "contact-1", Name: "Conformance Buyer"},
		Arguments:      args,
	}
}

func execute(t testing.TB, a sdk.Action, items ...sdk.ExecuteItem) []sdk.ExecuteResult {
	t.Helper()
	res, err := a.Execute(ctx(t), items)
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if len(res) != len(items) {
		t.Fatalf("Execute returned %d results for %d items", len(res), len(items))
	}
	return res
}

func (h *actionHarness) checkExecute(t *testing.T) {
	fx := h.fixture(t)
	a, s := h.configured(t, fx)
	const key = "conformance-key-1"
	for round := range 2 { // the second is a retry with the same key
		r := execute(t, a, h.item(t, s, fx, key, "action hello"))[0]
		if r.Err != nil {
			t.Fatalf("Execute round %d: %v", round+1, r.Err)
		}
		checkOutputs(t, s, fmt.Sprintf("round %d", round+1), r.Outputs)
	}
	var withKey int
	for _, x := range fx.Received() {
		if x.IdempotencyKey != key {
			t.Errorf("service received idempotency key %q, want %q", x.IdempotencyKey, key)
		}
		withKey++
	}
	switch {
	case withKey == 0:
		t.Error("the service never received the step")
	case fx.DedupsKeys() && withKey != 1:
		t.Errorf("a retried Execute with the same key reached the service %d times, want once", withKey)
	}
	h.checkBatch(t)
	h.checkBatchFailure(t)
}

// checkBatch executes three distinct items in one call: each reaches the
// service with its own key and text, and each result succeeds with outputs.
func (h *actionHarness) checkBatch(t *testing.T) {
	fx := h.fixture(t)
	a, s := h.configured(t, fx)
	items := h.batchItems(t, s, fx, "batch")
	res := execute(t, a, items...)
	received := sentByKey(fx.Received())
	for i, r := range res {
		if r.Err != nil {
			t.Errorf("batch item %d: %v", i, r.Err)
			continue
		}
		checkOutputs(t, s, fmt.Sprintf("batch item %d", i), r.Outputs)
	}
	if n := len(fx.Received()); n != len(items) {
		t.Errorf("service received %d of a batch of %d", n, len(items))
	}
	for _, it := range items {
		if x := received[it.IdempotencyKey]; x.Text != it.Message.Text {
			t.Errorf("service has %q for key %s, want %q", x.Text, it.IdempotencyKey, it.Message.Text)
		}
	}
}

// checkBatchFailure executes a batch in which the service fails one call.
// Outputs need not tell the items apart, so this is where the suite sees
// results in the wrong order: the error must come back at the failed item.
func (h *actionHarness) checkBatchFailure(t *testing.T) {
	fx := h.fixture(t)
	kind, ok := failKind(fx.FailNextExecute)
	if !ok {
		return // error_kinds reports it
	}
	a, s := h.configured(t, fx)
	items := h.batchItems(t, s, fx, "batch-fail")
	res := execute(t, a, items...)
	itemKeys := make([]string, len(items))
	errs := make([]error, len(res))
	for i := range items {
		itemKeys[i], errs[i] = items[i].IdempotencyKey, res[i].Err
	}
	checkFailedItem(t, kind, itemKeys, errs, sentByKey(fx.Received()))
	for i, r := range res {
		if r.Err == nil {
			checkOutputs(t, s, fmt.Sprintf("batch with a failed call, item %d", i), r.Outputs)
		}
	}
}

// batchItems returns three items with distinct keys and texts.
func (h *actionHarness) batchItems(t testing.TB, s *sdk.Schema, fx ActionFixture, prefix string) []sdk.ExecuteItem {
	items := make([]sdk.ExecuteItem, 3)
	for i := range items {
		items[i] = h.item(t, s, fx, fmt.Sprintf("%s-%d", prefix, i), fmt.Sprintf("%s %d", prefix, i))
	}
	return items
}

// checkOutputs checks a successful result's outputs against the schema.
// Later steps refer to the declared outputs, and the host checked those
// references when it loaded the workflow: missing outputs break them at run
// time.
func checkOutputs(t *testing.T, s *sdk.Schema, what string, v cty.Value) {
	t.Helper()
	if s.Outputs == cty.NilType {
		return
	}
	if v == cty.NilVal || v.IsNull() {
		declared := s.Outputs.FriendlyName()
		if s.Outputs.IsObjectType() {
			declared = strings.Join(slices.Sorted(maps.Keys(s.Outputs.AttributeTypes())), ", ")
		}
		t.Errorf("%s: Execute succeeded without outputs, but the schema declares outputs (%s); return a value of that type for every successful item",
			what, declared)
		return
	}
	if errs := v.Type().TestConformance(s.Outputs); len(errs) > 0 {
		t.Errorf("%s: outputs %s do not conform to the declared outputs type %s: %v", what, v.Type().FriendlyName(), s.Outputs.FriendlyName(), errs)
	}
}

func (h *actionHarness) checkErrorKinds(t *testing.T) {
	tested := 0
	for _, kind := range []sdk.ErrorKind{sdk.KindPermanent, sdk.KindRetryable, sdk.KindRateLimited} {
		fx := h.fixture(t)
		if !fx.FailNextExecute(kind) {
			continue
		}
		tested++
		a, s := h.configured(t, fx)
		r := execute(t, a, h.item(t, s, fx, "kind-"+kind.String(), "error kind"))[0]
		if got := sdk.KindOf(r.Err); r.Err == nil || got != kind {
			t.Errorf("service failure meant as %s: Execute result error = %v (kind %s), want kind %s", kind, r.Err, got, kind)
			continue
		}
		if kind == sdk.KindRateLimited && sdk.RetryAfter(r.Err) <= 0 {
			t.Errorf("rate-limited error carries no retry-after: %v", r.Err)
		}
	}
	if tested == 0 {
		t.Error("fixture's FailNextExecute supports no error kind; the suite cannot check that kinds survive the wire")
	}
}
