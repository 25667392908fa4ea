package workflow

import (
	"maps"
	"slices"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/switchboard-hub/switchboard/core/config"
)

// An evaluation builds the variables, and the time functions, that its
// expressions read, each once, and gives the same answers as with all of
// them built.
func TestEvalVarsBuildWhatExpressionsRead(t *testing.T) {
	e := engineFor(t, `workflow "w" {
  description = "w"
  trigger {}
  step "reply" "r" { text = "Thanks" }
}
`)
	parse := func(src string) hcl.Expression {
		expr, diags := hclsyntax.ParseTemplate([]byte(src), "test.hcl", hcl.Pos{Line: 1, Column: 1})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		return expr
	}
	in := inbound("Where is my order?")
	v := e.newEvalVars(in, in.ReceivedAt)
	for _, tc := range []struct {
		src       string
		want      string
		variables []string // built so far
		message   []string // the message's attributes built so far
		functions bool
	}{
		{"Thanks for ${message.external_id}", "Thanks for e1", []string{"message"}, []string{"external_id"}, false},
		{"Thanks", "Thanks", []string{"message"}, []string{"external_id"}, false},
		{"${thread.external_id}/${account.name}", "t1/shop", []string{"account", "message", "thread"}, []string{"external_id"}, false},
		{`${upper(contact.name)} on ${weekday("Europe/Warsaw")} at ${now}`, "JAN on fri at 2026-11-20T20:00:00Z",
			[]string{"account", "contact", "message", "now", "thread"}, []string{"external_id"}, true},
		{"${message.sender.name}: ${message.text}", "Jan: Where is my order?",
			[]string{"account", "contact", "message", "now", "thread"}, []string{"external_id", "sender", "text"}, true},
		// Read whole (by index here), the message is built whole.
		{`${message["subject"]}${message.external_id}`, "e1",
			[]string{"account", "contact", "message", "now", "thread"}, slices.Sorted(maps.Keys(config.MessageType.AttributeTypes())), true},
	} {
		expr := parse(tc.src)
		got, err := v.text(expr)
		if err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		if got != tc.want {
			t.Errorf("%s = %q, want %q", tc.src, got, tc.want)
		}
		if all, diags := expr.Value(e.newEvalVars(in, in.ReceivedAt).all()); diags.HasErrors() || all.AsString() != got {
			t.Errorf("%s with every variable built = %#v, %v; want %q", tc.src, all, diags, got)
		}
		if built := slices.Sorted(maps.Keys(v.ctx.Variables)); !slices.Equal(built, tc.variables) {
			t.Errorf("after %s: variables %v built, want %v", tc.src, built, tc.variables)
		}
		if built := slices.Sorted(maps.Keys(v.ctx.Variables["message"].Type().AttributeTypes())); !slices.Equal(built, tc.message) {
			t.Errorf("after %s: message attributes %v built, want %v", tc.src, built, tc.message)
		}
		if functions := v.ctx.Functions != nil; functions != tc.functions {
			t.Errorf("after %s: time functions built %t, want %t", tc.src, functions, tc.functions)
		}
	}
}

// The message variable the engine builds has the type that config
// type-checks expressions against.
func TestMessageValueHasTheConfiguredType(t *testing.T) {
	if got := messageValue(inbound("hello")).Type(); !got.Equals(config.MessageType) {
		t.Errorf("the message variable is %#v, config checks against %#v", got, config.MessageType)
	}
}
