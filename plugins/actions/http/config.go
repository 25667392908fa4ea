package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
	"github.com/switchboard-hub/switchboard/sdk/vendorhttp"
)

const (
	signatureHeader = "X-Switchboard-Signature"
	defaultMethod   = http.MethodPost
	defaultTimeout  = 10 * time.Second

	// hostCallTimeout is the deadline Switchboard gives every call to a
	// plugin (core/pluginhost's default CallTimeout, which the hub keeps).
	hostCallTimeout = 60 * time.Second
	// maxTimeout is the longest timeout accepted. Execute starts a request
	// only while its whole timeout fits before the call's deadline, so a
	// timeout close to hostCallTimeout would never let one start; this
	// leaves room for the call's own transit and for more than one round
	// of requests.
	maxTimeout = hostCallTimeout - 10*time.Second
)

// config is a validated configuration, immutable once built so that the
// action can swap it atomically under concurrent Execute calls.
type config struct {
	url     *url.URL
	method  string
	secret  []byte // nil: requests are not signed
	headers map[string]string
	timeout time.Duration // bounds one request; also the client's Timeout
	client  *http.Client
	logger  hclog.Logger // never given secrets or bodies
}

// parseConfig checks the configuration object and reports every problem at
// the attribute that causes it, so the host can show the user's file and line.
func parseConfig(v cty.Value) (*config, sdk.Diagnostics) {
	r := sdk.ReadAttrs(v)
	cfg := &config{method: defaultMethod, timeout: defaultTimeout}

	r.Require("url", `Set url to the address to notify, such as "https://crm.example.com/hooks/switchboard".`)
	cfg.url, _ = r.URL("url", "http", "https")
	if s, ok := r.String("method"); ok {
		m := strings.ToUpper(strings.TrimSpace(s))
		switch m {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
			cfg.method = m
		default:
			r.AddError("method", "method is not supported",
				fmt.Sprintf("%q cannot carry the body this action sends; use POST, PUT or PATCH.", s))
		}
	}
	if s, ok := r.String("secret"); ok {
		if s == "" {
			r.AddError("secret", "secret is empty",
				"An empty key signs nothing the receiver could trust. Set it to the key shared with the receiver, or remove the attribute to send unsigned requests.")
		}
		cfg.secret = []byte(s)
	}
	if d, ok := r.Duration("timeout"); ok {
		switch {
		case d <= 0:
			r.AddError("timeout", "timeout must be positive",
				fmt.Sprintf("%q would fail every request at once; use a duration such as \"10s\".", d))
		case d > maxTimeout:
			r.AddError("timeout", "timeout is too long",
				fmt.Sprintf("%s is too long for the %s Switchboard gives a step call: a request is started only when its whole timeout fits before the call's deadline. Use at most %s.", d, hostCallTimeout, maxTimeout))
		}
		cfg.timeout = d
	}
	cfg.headers = vendorhttp.ExtraHeaders(r, "headers", func(h string) string {
		if !reservedHeader(h) {
			return ""
		}
		return h + " is set on every request by the action; remove it from headers (set a step's content type with its content_type argument)."
	})
	if diags := r.Diagnostics(); diags.HasErrors() {
		return nil, diags
	}
	// A redirect is reported, not followed: it would drop the body.
	cfg.client = vendorhttp.NewClient(cfg.timeout)
	return cfg, r.Diagnostics()
}

// reservedHeader tells whether name is one of the headers the action writes
// itself; overriding them would break the signature or de-duplication.
func reservedHeader(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Content-Type", "Idempotency-Key", "Content-Length", "Host", signatureHeader:
		return true
	}
	return false
}
