package sdktest_test

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
	"github.com/switchboard-hub/switchboard/sdk/sdktest"
)

// act is an action that opens a ticket per item at a fake vendor (the same
// fake as the connector's: one ticket per idempotency key). The broken field
// makes it misbehave in one way, to prove that the suite notices.
type act struct {
	v      *vendor
	broken string
}

var ticketOutputs = cty.Object(map[string]cty.Type{"ticket_id": cty.String})

func (a *act) Schema(context.Context) (*sdk.Schema, error) {
	return &sdk.Schema{
		Kind: sdk.KindAction, Name: "ticket", Version: "1.0.0", Description: "Opens a ticket at a fake vendor.",
		Config: sdk.Block{Attributes: []sdk.Attribute{
			{Name: "vendor", Type: cty.String, Required: true, Description: "Name of the fake vendor."},
		}},
		Arguments: sdk.Block{Attributes: []sdk.Attribute{
			{Name: "text", Type: cty.String, Required: true, Description: "Text of the ticket."},
		}},
		Outputs: ticketOutputs,
	}, nil
}

func (a *act) Configure(_ context.Context, req sdk.ConfigureRequest) (sdk.Diagnostics, error) {
	var cfg struct {
		Vendor string `cty:"vendor"`
	}
	if err := sdk.Decode(req.Config, &cfg); err != nil {
		return nil, err
	}
	v, ok := vendors.Load(cfg.Vendor)
	if !ok {
		return sdk.Diagnostics{}.AddError(cty.GetAttrPath("vendor"), "no such vendor", cfg.Vendor), nil
	}
	a.v = v.(*vendor)
	return nil, nil
}

func (a *act) Execute(_ context.Context, items []sdk.ExecuteItem) ([]sdk.ExecuteResult, error) {
	out := make([]sdk.ExecuteResult, len(items))
	for i, it := range items {
		if err := a.v.fail(); err != nil {
			out[i].Err = classify(err)
			continue
		}
		id := a.v.send(it.IdempotencyKey, it.Arguments.GetAttr("text").AsString())
		if a.broken != "outputs" {
			out[i].Outputs = cty.ObjectVal(map[string]cty.Value{"ticket_id": cty.StringVal(id)})
		}
	}
	if a.broken == "order" {
		slices.Reverse(out)
	}
	return out, nil
}

// actionFixture drives the fake vendor for the action suite.
type actionFixture struct{ *fixture }

func newActionFixture(t testing.TB) sdktest.ActionFixture {
	return actionFixture{newFixture(t).(*fixture)}
}

func (f actionFixture) Arguments(text string) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{"text": cty.StringVal(text)})
}

func (f actionFixture) Received() []sdktest.Sent                { return f.Sent() }
func (f actionFixture) FailNextExecute(kind sdk.ErrorKind) bool { return f.FailNextSend(kind) }

func TestConformingActionPasses(t *testing.T) {
	sdktest.RunAction(t, sdktest.ActionSuite{
		New:     func() sdk.Action { return &act{} },
		Fixture: newActionFixture,
	})
}

// TestBrokenActionsFail runs the suite against actions broken in one way
// each, in a child process, and expects it to fail saying why.
func TestBrokenActionsFail(t *testing.T) {
	tests := map[string][]string{
		"outputs": {
			"round 1: Execute succeeded without outputs, but the schema declares outputs (ticket_id)",
			"batch item 2: Execute succeeded without outputs",
			"batch with a failed call, item 2: Execute succeeded without outputs",
		},
		"order": {
			"batch with one failed call, item 0 (key batch-fail-0): the vendor never took it, yet its result is a success",
			"batch with one failed call, item 2 (key batch-fail-2): the vendor took it, yet its result is an error",
		},
	}
	for broken, want := range tests {
		t.Run(broken, func(t *testing.T) {
			t.Parallel()
			expectSuiteFails(t, "TestBrokenActionHelper", broken, want)
		})
	}
}

func TestBrokenActionHelper(t *testing.T) {
	broken := os.Getenv("SDKTEST_BROKEN")
	if broken == "" {
		t.Skip("run by TestBrokenActionsFail")
	}
	sdktest.RunAction(t, sdktest.ActionSuite{
		New:     func() sdk.Action { return &act{broken: broken} },
		Fixture: newActionFixture,
	})
}
