package main

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
	"github.com/switchboard-hub/switchboard/sdk/vendorhttp"
)

const (
	defaultSignatureHeader = "X-Switchboard-Signature"
	defaultTimeout         = 10 * time.Second
)

// config is a validated configuration. It is immutable once built, so the
// connector can swap it atomically and read it from concurrent calls.
type config struct {
	instance        string
	secret          []byte // nil: inbound requests are not authenticated
	signatureHeader string
	sendURL         *url.URL // nil: sending is not configured
	sendSecret      []byte   // nil: outbound bodies are not signed
	headers         map[string]string
	client          *http.Client
	logger          hclog.Logger // never given secrets or message bodies
}

// parseConfig checks the configuration object and reports every problem at
// the attribute that causes it, so the host can show the user's file and line.
func parseConfig(instance string, v cty.Value) (*config, sdk.Diagnostics) {
	r := sdk.ReadAttrs(v)
	cfg := &config{instance: instance, signatureHeader: defaultSignatureHeader}
	timeout := defaultTimeout

	if s, ok := r.String("secret"); ok {
		if s == "" {
			r.AddError("secret", "secret is empty",
				"An empty secret would accept any request. Set it to the key shared with the sender, or remove the attribute to accept unsigned requests.")
		}
		cfg.secret = []byte(s)
	}
	if s, ok := r.String("signature_header"); ok {
		if !vendorhttp.ValidHeaderName(s) {
			r.AddError("signature_header", "signature_header is not a valid HTTP header name",
				fmt.Sprintf("%q has characters a header name cannot have. Use letters, digits and dashes, such as %q.", s, defaultSignatureHeader))
		}
		cfg.signatureHeader = http.CanonicalHeaderKey(s)
	}
	cfg.sendURL, _ = r.URL("send_url", "http", "https")
	if s, ok := r.String("send_secret"); ok {
		if s == "" {
			r.AddError("send_secret", "send_secret is empty",
				"An empty key signs nothing a receiver could trust. Set it to the key shared with the receiver, or remove the attribute to send unsigned requests.")
		}
		cfg.sendSecret = []byte(s)
	}
	if d, ok := r.Duration("timeout"); ok {
		if d <= 0 {
			r.AddError("timeout", "timeout must be positive",
				fmt.Sprintf("%q would fail every send at once; use a duration such as \"10s\".", d))
		}
		timeout = d
	}
	cfg.headers = vendorhttp.ExtraHeaders(r, "headers", func(h string) string {
		if !reservedHeader(h, cfg.signatureHeader) {
			return ""
		}
		return h + " is set on every request by the connector (the receiver relies on it); remove it from headers."
	})

	if r.Diagnostics().HasErrors() {
		return nil, r.Diagnostics()
	}
	if cfg.secret == nil {
		r.AddWarning("", "inbound requests are not authenticated",
			"Without secret, anyone who knows the webhook address can post messages as any buyer. Set secret and have the sender sign its requests.")
	}
	// A redirect is reported, not followed: it would drop the POST body.
	cfg.client = vendorhttp.NewClient(timeout)
	return cfg, r.Diagnostics()
}

// reservedHeader tells whether name is one of the headers the connector
// writes itself; letting headers override them would break signatures or
// de-duplication at the receiver.
func reservedHeader(name, signatureHeader string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Content-Type", "Idempotency-Key", "Content-Length", "Host", http.CanonicalHeaderKey(signatureHeader):
		return true
	}
	return false
}
