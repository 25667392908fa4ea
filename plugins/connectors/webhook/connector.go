package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
)

const (
	pluginName    = "webhook"
	pluginVersion = "0.1.0"
	channelName   = "webhook"
)

// connector implements sdk.Connector. Its only state is the configuration,
// swapped atomically so that calls running during a reconfiguration see
// either the old or the new one, never a mix.
type connector struct {
	cfg atomic.Pointer[config]
	// now is the clock used to read Retry-After dates; tests replace it.
	now func() time.Time
}

func newConnector() *connector {
	return &connector{now: time.Now}
}

var errNotConfigured = errors.New("webhook connector is not configured yet; Switchboard calls Configure first, so this is a bug in the host")

func (c *connector) config() (*config, error) {
	cfg := c.cfg.Load()
	if cfg == nil {
		return nil, sdk.Permanent(errNotConfigured)
	}
	return cfg, nil
}

func (c *connector) Schema(context.Context) (*sdk.Schema, error) {
	return &sdk.Schema{
		Kind:        sdk.KindConnector,
		Name:        pluginName,
		Version:     pluginVersion,
		Description: "Generic JSON connector: receives buyer messages as signed JSON webhooks and POSTs replies as JSON to a URL you choose.",
		Config: sdk.Block{
			Attributes: []sdk.Attribute{
				{
					Name:        "secret",
					Type:        cty.String,
					Optional:    true,
					Sensitive:   true,
					Description: "HMAC-SHA256 key for inbound requests. When set, a request whose signature header is missing or does not match its body is rejected with 401.",
				},
				{
					Name:        "signature_header",
					Type:        cty.String,
					Optional:    true,
					Default:     cty.StringVal(defaultSignatureHeader),
					Description: "Header carrying the signature, \"sha256=<hex HMAC-SHA256 of the raw body>\", on inbound requests and on outbound ones signed with send_secret.",
				},
				{
					Name:        "send_url",
					Type:        cty.String,
					Optional:    true,
					Description: "Absolute http or https URL that outbound messages are POSTed to as JSON. Required to send; without it every send fails.",
				},
				{
					Name:        "send_secret",
					Type:        cty.String,
					Optional:    true,
					Sensitive:   true,
					Description: "HMAC-SHA256 key that signs outbound request bodies in the signature header, so the receiver can check they come from Switchboard.",
				},
				{
					Name:        "timeout",
					Type:        cty.String,
					Optional:    true,
					Default:     cty.StringVal(defaultTimeout.String()),
					Description: "How long one outbound request may take, as a duration such as \"10s\"; a request that takes longer is retried.",
				},
				{
					Name:        "headers",
					Type:        cty.Map(cty.String),
					Optional:    true,
					Description: "Extra headers on every outbound request, such as an Authorization token the receiver expects.",
				},
			},
		},
		Channels: []sdk.Channel{{
			Name:        channelName,
			Description: "Messages posted to the hub's webhook address and replies POSTed to send_url.",
			Capabilities: sdk.Capabilities{
				Webhook: true,
				Send:    true,
				Threads: true,
				// The receiver is any system at all, and the connector has no
				// way to ask it whether a request arrived. So a send that
				// was attempted before a crash is sent again, with the same
				// Idempotency-Key header: a receiver that drops repeated keys
				// (as docs/plugins/webhook.md asks) shows the buyer one reply,
				// while a lost reply would never be noticed.
				LookupSend:       false,
				UnverifiableSend: sdk.AtLeastOnce,
			},
		}},
	}, nil
}

func (c *connector) Configure(_ context.Context, req sdk.ConfigureRequest) (sdk.Diagnostics, error) {
	cfg, diags := parseConfig(req.Instance, req.Config)
	if diags.HasErrors() {
		// Keep the previous configuration: invalid config never half-starts.
		return diags, nil
	}
	cfg.logger = req.Logger
	if cfg.logger == nil {
		cfg.logger = hclog.NewNullLogger()
	}
	c.cfg.Store(cfg)
	return diags, nil
}

func (c *connector) Poll(context.Context, sdk.PollRequest) (*sdk.PollResult, error) {
	where := "/hooks/webhook/<account>"
	if cfg := c.cfg.Load(); cfg != nil {
		where = "/hooks/webhook/" + cfg.instance
	}
	return nil, sdk.Permanent(fmt.Errorf("the webhook connector does not poll: senders POST messages to %s: %w", where, sdk.ErrUnsupported))
}

// LookupSend cannot tell: the receiver offers no way to ask. The channel's
// UnverifiableSend (at least once) decides what the host does.
func (c *connector) LookupSend(context.Context, sdk.LookupRequest) (*sdk.LookupResult, error) {
	return &sdk.LookupResult{Outcome: sdk.LookupUnknown}, nil
}

// Check has nothing to probe: the receiver's address was checked by
// Configure, and a request to it would be a send the receiver must handle.
func (c *connector) Check(context.Context) (sdk.Diagnostics, error) {
	if _, err := c.config(); err != nil {
		return nil, err
	}
	return nil, nil
}
