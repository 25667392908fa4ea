package sdktest

import (
	"fmt"
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
		if s.Outputs != cty.NilType && !r.Outputs.IsNull() {
			if errs := r.Outputs.Type().TestConformance(s.Outputs); len(errs) > 0 {
				t.Errorf("outputs %s do not conform to the declared outputs type %s: %v", r.Outputs.Type().FriendlyName(), s.Outputs.FriendlyName(), errs)
			}
		}
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

	fx = h.fixture(t)
	a, s = h.configured(t, fx)
	var items []sdk.ExecuteItem
	for i := range 3 {
		items = append(items, h.item(t, s, fx, fmt.Sprintf("batch-%d", i), fmt.Sprintf("batch %d", i)))
	}
	for i, r := range execute(t, a, items...) {
		if r.Err != nil {
			t.Errorf("batch item %d: %v", i, r.Err)
		}
	}
	if n := len(fx.Received()); n != 3 {
		t.Errorf("service received %d of a batch of 3", n)
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
