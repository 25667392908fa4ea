package pluginconfig

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
)

const located = `send_url = "https://example.com/out"
secret   = "s3cret"
headers = {
  "X-Shop" = "pl"
  accept   = ("json")
}
tags = ["vip", "b2b"]
tls {
  cert = "cert.pem"
}
rule {
  pattern = "hello"
}
rule {
  pattern = "bye"
}
route "orders" {
  url = "https://orders"
}
`

func root() cty.Path { return nil }

func TestDiagnostics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		path cty.Path
		// subject is the expected Subject as hcl.Range.String writes it.
		subject string
		// context is the expected Context, "" for none.
		context string
		// missing is whether the path is not in the file, so the detail
		// gains a note.
		missing bool
	}{
		{name: "whole block", path: nil, subject: "test.hcl:1,1-20,1"},
		{name: "attribute", path: root().GetAttr("send_url"), subject: "test.hcl:1,12-37", context: "test.hcl:1,1-37"},
		{name: "map attribute key", path: root().GetAttr("headers").Index(cty.StringVal("X-Shop")), subject: "test.hcl:4,14-18", context: "test.hcl:3,1-6,2"},
		{name: "key in parentheses", path: root().GetAttr("headers").Index(cty.StringVal("accept")), subject: "test.hcl:5,14-22", context: "test.hcl:3,1-6,2"},
		{name: "object attribute as attribute step", path: root().GetAttr("headers").GetAttr("accept"), subject: "test.hcl:5,14-22", context: "test.hcl:3,1-6,2"},
		{name: "unknown map key", path: root().GetAttr("headers").Index(cty.StringVal("X-Other")), subject: "test.hcl:3,11-6,2", context: "test.hcl:3,1-6,2"},
		{name: "list element", path: root().GetAttr("tags").Index(cty.NumberIntVal(1)), subject: "test.hcl:7,16-21", context: "test.hcl:7,1-22"},
		{name: "list element out of range", path: root().GetAttr("tags").Index(cty.NumberIntVal(5)), subject: "test.hcl:7,8-22", context: "test.hcl:7,1-22"},
		{name: "single block attribute", path: root().GetAttr("tls").GetAttr("cert"), subject: "test.hcl:9,10-20", context: "test.hcl:9,3-20"},
		{name: "single block", path: root().GetAttr("tls"), subject: "test.hcl:8,1-4"},
		{name: "missing attribute in a single block", path: root().GetAttr("tls").GetAttr("key"), subject: "test.hcl:8,5-5", missing: true},
		{name: "list block attribute", path: root().GetAttr("rule").Index(cty.NumberIntVal(1)).GetAttr("pattern"), subject: "test.hcl:15,13-18", context: "test.hcl:15,3-18"},
		{name: "list block", path: root().GetAttr("rule").Index(cty.NumberIntVal(0)), subject: "test.hcl:11,1-5"},
		{name: "list block out of range", path: root().GetAttr("rule").Index(cty.NumberIntVal(2)).GetAttr("pattern"), subject: "test.hcl:11,1-5", missing: true},
		{name: "map block attribute", path: root().GetAttr("route").Index(cty.StringVal("orders")).GetAttr("url"), subject: "test.hcl:18,9-25", context: "test.hcl:18,3-25"},
		{name: "map block", path: root().GetAttr("route").Index(cty.StringVal("orders")), subject: "test.hcl:17,1-15"},
		{name: "unknown map block", path: root().GetAttr("route").Index(cty.StringVal("returns")).GetAttr("url"), subject: "test.hcl:17,1-15", missing: true},
		{name: "missing top-level attribute", path: root().GetAttr("timeout"), subject: "test.hcl:1,1-1", missing: true},
		{name: "index at the top", path: root().Index(cty.NumberIntVal(0)), subject: "test.hcl:1,1-1", missing: true},
	}
	body := parse(t, "test.hcl", located)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := sdk.Diagnostics{}.AddError(tt.path, "Bad value", "The plugin does not like it.")
			got := Diagnostics(body, in)
			if len(got) != 1 {
				t.Fatalf("got %d diagnostics, want 1", len(got))
			}
			d := got[0]
			if d.Severity != hcl.DiagError || d.Summary != "Bad value" {
				t.Errorf("got %v %q, want an error %q", d.Severity, d.Summary, "Bad value")
			}
			wantDetail := "The plugin does not like it."
			if tt.missing {
				wantDetail += "\n\nThis concerns " + sdk.PathString(tt.path) + ", which is not set here."
			}
			if d.Detail != wantDetail {
				t.Errorf("detail %q, want %q", d.Detail, wantDetail)
			}
			if d.Subject == nil || d.Subject.String() != tt.subject {
				t.Errorf("subject %v, want %s", d.Subject, tt.subject)
			}
			var ctx string
			if d.Context != nil {
				ctx = d.Context.String()
			}
			if ctx != tt.context {
				t.Errorf("context %q, want %q", ctx, tt.context)
			}
		})
	}
}

func TestDiagnosticsSeverityAndOrder(t *testing.T) {
	t.Parallel()
	body := parse(t, "test.hcl", located)
	in := sdk.Diagnostics{
		{Severity: sdk.SeverityWarning, Summary: "Plain HTTP", Detail: "Use https.", Attribute: cty.GetAttrPath("send_url")},
		{Severity: sdk.SeverityError, Summary: "Unreachable", Attribute: cty.GetAttrPath("route").Index(cty.StringVal("orders")).GetAttr("url")},
	}
	got := Diagnostics(body, in)
	if len(got) != 2 {
		t.Fatalf("got %d diagnostics, want 2", len(got))
	}
	if got[0].Severity != hcl.DiagWarning || got[0].Summary != "Plain HTTP" || got[0].Detail != "Use https." {
		t.Errorf("first: %+v", got[0])
	}
	if got[1].Severity != hcl.DiagError || got[1].Summary != "Unreachable" || got[1].Detail != "" {
		t.Errorf("second: %+v", got[1])
	}
	if got.HasErrors() != in.HasErrors() {
		t.Errorf("HasErrors differs")
	}
	if Diagnostics(body, nil) != nil {
		t.Errorf("no diagnostics should give nil")
	}
}

func TestDiagnosticsJSON(t *testing.T) {
	t.Parallel()
	body := parse(t, "test.json", `{
  "send_url": "https://example.com/out",
  "tls": {"cert": "cert.pem"},
  "route": {"orders": {"url": "https://orders"}}
}`)
	tests := []struct {
		name    string
		path    cty.Path
		subject string
		missing bool
	}{
		{"attribute", cty.GetAttrPath("send_url"), "test.json:2,15-40", false},
		{"single block attribute", cty.GetAttrPath("tls").GetAttr("cert"), "test.json:3,19-29", false},
		{"map block attribute", cty.GetAttrPath("route").Index(cty.StringVal("orders")).GetAttr("url"), "test.json:4,31-47", false},
		{"missing attribute", cty.GetAttrPath("tls").GetAttr("key"), "test.json:3,29-30", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Diagnostics(body, sdk.Diagnostics{}.AddError(tt.path, "Bad value", ""))
			if got[0].Subject == nil || got[0].Subject.String() != tt.subject {
				t.Errorf("subject %v, want %s", got[0].Subject, tt.subject)
			}
			if gotMissing := got[0].Detail != ""; gotMissing != tt.missing {
				t.Errorf("detail %q; want a note: %v", got[0].Detail, tt.missing)
			}
		})
	}
}
