package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
)

func TestSchema(t *testing.T) {
	t.Parallel()
	s, err := newConnector().Schema(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	ch := s.Channel("webhook")
	if ch == nil {
		t.Fatal(`no "webhook" channel`)
	}
	want := sdk.Capabilities{Webhook: true, Send: true, Threads: true, UnverifiableSend: sdk.AtLeastOnce}
	if ch.Capabilities != want {
		t.Errorf("capabilities = %+v, want %+v", ch.Capabilities, want)
	}
	for _, a := range s.Config.Attributes {
		if secret := strings.Contains(a.Name, "secret"); secret != a.Sensitive {
			t.Errorf("%s: sensitive = %t, want %t", a.Name, a.Sensitive, secret)
		}
	}
}

func TestConfigure(t *testing.T) {
	t.Parallel()
	str := cty.StringVal
	headers := func(k, v string) cty.Value { return cty.MapVal(map[string]cty.Value{k: str(v)}) }
	tests := []struct {
		name  string
		attrs map[string]cty.Value
		path  cty.Path
		msg   string // a part of the summary or detail
	}{
		{"relative send_url", map[string]cty.Value{"send_url": str("example.com/hook")}, cty.GetAttrPath("send_url"), `"example.com/hook" must start with http:// or https://`},
		{"send_url without host", map[string]cty.Value{"send_url": str("https:///hook")}, cty.GetAttrPath("send_url"), "has no host"},
		{"unparsable send_url", map[string]cty.Value{"send_url": str("http://[::1")}, cty.GetAttrPath("send_url"), "cannot be parsed"},
		{"mailto send_url", map[string]cty.Value{"send_url": str("mailto:shop@example.com")}, cty.GetAttrPath("send_url"), "must start with http:// or https://"},
		{"bad timeout", map[string]cty.Value{"timeout": str("10")}, cty.GetAttrPath("timeout"), `"10" cannot be read as a duration; write it like "10s"`},
		{"zero timeout", map[string]cty.Value{"timeout": str("0s")}, cty.GetAttrPath("timeout"), "timeout must be positive"},
		{"empty secret", map[string]cty.Value{"secret": str("")}, cty.GetAttrPath("secret"), "remove the attribute to accept unsigned requests"},
		{"empty send_secret", map[string]cty.Value{"send_secret": str("")}, cty.GetAttrPath("send_secret"), "send_secret is empty"},
		{"signature_header with a colon", map[string]cty.Value{"signature_header": str("X-Sig:")}, cty.GetAttrPath("signature_header"), "not a valid HTTP header name"},
		{"empty signature_header", map[string]cty.Value{"signature_header": str("")}, cty.GetAttrPath("signature_header"), "not a valid HTTP header name"},
		{"header name with a space", map[string]cty.Value{"headers": headers("X Shop", "1")}, cty.GetAttrPath("headers").Index(str("X Shop")), "header name is not valid"},
		{"header value with a newline", map[string]cty.Value{"headers": headers("X-Shop", "a\r\nEvil: 1")}, cty.GetAttrPath("headers").Index(str("X-Shop")), "line break"},
		{"header overrides Content-Type", map[string]cty.Value{"headers": headers("content-type", "text/plain")}, cty.GetAttrPath("headers").Index(str("content-type")), "Content-Type is set on every request by the connector"},
		{
			"header overrides the signature",
			map[string]cty.Value{"signature_header": str("X-Sig"), "headers": headers("x-sig", "forged")},
			cty.GetAttrPath("headers").Index(str("x-sig")), "X-Sig is set on every request",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			diags := configure(t, newConnector(), tt.attrs)
			for _, d := range diags {
				if d.Severity == sdk.SeverityError && d.Attribute.Equals(tt.path) && strings.Contains(d.Summary+": "+d.Detail, tt.msg) {
					return
				}
			}
			t.Errorf("diagnostics = %v; want an error at %s containing %q", diags.Err(), sdk.PathString(tt.path), tt.msg)
		})
	}
}

func TestConfigureDefaults(t *testing.T) {
	t.Parallel()
	c := configured(t, map[string]cty.Value{"secret": cty.StringVal("k"), "send_url": cty.StringVal("https://example.com/hook")})
	cfg := c.cfg.Load()
	if cfg.signatureHeader != defaultSignatureHeader || cfg.client.Timeout != 10*time.Second || cfg.sendSecret != nil {
		t.Errorf("defaults: header %q, timeout %s, send secret %q", cfg.signatureHeader, cfg.client.Timeout, cfg.sendSecret)
	}
	// Even without the host's defaults (null attributes), the same apply.
	c = newConnector()
	diags, err := c.Configure(t.Context(), sdk.ConfigureRequest{Config: cty.ObjectVal(map[string]cty.Value{
		"secret": cty.StringVal("k"), "timeout": cty.NullVal(cty.String),
	})})
	if err != nil || diags.HasErrors() {
		t.Fatalf("Configure with nulls: %v %v", diags.Err(), err)
	}
	if cfg := c.cfg.Load(); cfg.signatureHeader != defaultSignatureHeader || cfg.client.Timeout != defaultTimeout {
		t.Errorf("defaults without the host: header %q, timeout %s", cfg.signatureHeader, cfg.client.Timeout)
	}
}

func TestConfigureRejectsOddValues(t *testing.T) {
	t.Parallel()
	for name, v := range map[string]cty.Value{
		"not an object": cty.StringVal("x"),
		"unknown":       cty.UnknownVal(cty.EmptyObject),
		"wrong type":    cty.ObjectVal(map[string]cty.Value{"headers": cty.StringVal("x")}),
		"unknown attr":  cty.ObjectVal(map[string]cty.Value{"secret": cty.UnknownVal(cty.String)}),
	} {
		diags, err := newConnector().Configure(t.Context(), sdk.ConfigureRequest{Config: v})
		if err != nil || !diags.HasErrors() {
			t.Errorf("%s: Configure = %v, %v; want error diagnostics", name, diags, err)
		}
	}
}

func TestConfigureKeepsPreviousOnError(t *testing.T) {
	t.Parallel()
	c := configured(t, map[string]cty.Value{"secret": cty.StringVal("k"), "send_url": cty.StringVal("https://example.com/a")})
	if diags := configure(t, c, map[string]cty.Value{"send_url": cty.StringVal("nope")}); !diags.HasErrors() {
		t.Fatal("bad send_url accepted")
	}
	if got := c.cfg.Load().sendURL.String(); got != "https://example.com/a" {
		t.Errorf("send_url after a rejected Configure = %s, want the previous one", got)
	}
}

func TestPoll(t *testing.T) {
	t.Parallel()
	c := configured(t, map[string]cty.Value{"secret": cty.StringVal("k")})
	_, err := c.Poll(t.Context(), sdk.PollRequest{})
	if sdk.KindOf(err) != sdk.KindPermanent || !errors.Is(err, sdk.ErrUnsupported) || !strings.Contains(err.Error(), "senders POST messages to /hooks/webhook/shop") {
		t.Errorf("Poll = %v, want a permanent ErrUnsupported that names the webhook address", err)
	}
}

func TestLookupSendAndCheck(t *testing.T) {
	t.Parallel()
	c := configured(t, map[string]cty.Value{"secret": cty.StringVal("k"), "send_url": cty.StringVal("https://example.com/a")})
	res, err := c.LookupSend(t.Context(), sdk.LookupRequest{IdempotencyKey: "k"})
	if err != nil || res.Outcome != sdk.LookupUnknown {
		t.Errorf("LookupSend = %+v, %v; want unknown", res, err)
	}
	if diags, err := c.Check(t.Context()); err != nil || len(diags) != 0 {
		t.Errorf("Check = %v, %v; want nothing", diags, err)
	}
	if _, err := newConnector().Check(t.Context()); !errors.Is(err, errNotConfigured) {
		t.Errorf("Check before Configure = %v, want %v", err, errNotConfigured)
	}
}
