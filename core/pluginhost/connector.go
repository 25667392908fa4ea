package pluginhost

import (
	"context"
	"fmt"

	"github.com/switchboard-hub/switchboard/sdk"
)

// Connector is a supervised connector plugin instance. It implements
// sdk.Connector; calls fail with *CallError when the plugin crashed or hung.
type Connector struct {
	sup *supervisor
}

var _ sdk.Connector = (*Connector)(nil)

// StartConnector starts the connector plugin described by spec.
func StartConnector(spec Spec, opts Options) (*Connector, error) {
	spec.Kind = sdk.KindConnector
	s, err := newSupervisor(spec, opts)
	if err != nil {
		return nil, err
	}
	return &Connector{sup: s}, nil
}

func connectorCall[T any](ctx context.Context, c *Connector, method string, f func(context.Context, sdk.Connector) (T, error)) (T, error) {
	return call(ctx, c.sup, method, func(ctx context.Context, raw any) (T, error) { return f(ctx, raw.(sdk.Connector)) })
}

func (c *Connector) Schema(ctx context.Context) (*sdk.Schema, error) {
	return connectorCall(ctx, c, "schema", func(ctx context.Context, p sdk.Connector) (*sdk.Schema, error) { return p.Schema(ctx) })
}

// Configure configures the plugin and, when it accepts the configuration,
// remembers it to configure every restarted process the same way.
func (c *Connector) Configure(ctx context.Context, req sdk.ConfigureRequest) (sdk.Diagnostics, error) {
	diags, err := connectorCall(ctx, c, "configure", func(ctx context.Context, p sdk.Connector) (sdk.Diagnostics, error) {
		return p.Configure(ctx, req)
	})
	if err == nil && !diags.HasErrors() {
		c.sup.remember(func(ctx context.Context, raw any) error {
			return replayConfigure(ctx, raw.(sdk.Connector).Configure, req)
		})
	}
	return diags, err
}

func (c *Connector) Poll(ctx context.Context, req sdk.PollRequest) (*sdk.PollResult, error) {
	return connectorCall(ctx, c, "poll", func(ctx context.Context, p sdk.Connector) (*sdk.PollResult, error) {
		return p.Poll(ctx, req)
	})
}

func (c *Connector) HandleWebhook(ctx context.Context, req *sdk.WebhookRequest) (*sdk.WebhookResponse, error) {
	return connectorCall(ctx, c, "webhook", func(ctx context.Context, p sdk.Connector) (*sdk.WebhookResponse, error) {
		return p.HandleWebhook(ctx, req)
	})
}

func (c *Connector) Send(ctx context.Context, items []sdk.SendItem) ([]sdk.SendResult, error) {
	return connectorCall(ctx, c, "send", func(ctx context.Context, p sdk.Connector) ([]sdk.SendResult, error) {
		return p.Send(ctx, items)
	})
}

func (c *Connector) LookupSend(ctx context.Context, req sdk.LookupRequest) (*sdk.LookupResult, error) {
	return connectorCall(ctx, c, "lookup send", func(ctx context.Context, p sdk.Connector) (*sdk.LookupResult, error) {
		return p.LookupSend(ctx, req)
	})
}

func (c *Connector) Check(ctx context.Context) (sdk.Diagnostics, error) {
	return connectorCall(ctx, c, "check", func(ctx context.Context, p sdk.Connector) (sdk.Diagnostics, error) { return p.Check(ctx) })
}

// Pid is the process id of the running plugin, 0 between a failure and the
// restart.
func (c *Connector) Pid() int { return c.sup.pid() }

// Restarts counts restarts after failures.
func (c *Connector) Restarts() int64 { return c.sup.restarts.Load() }

// ProtocolVersion is the wire protocol version negotiated with the plugin.
func (c *Connector) ProtocolVersion() int { return c.sup.version() }

// Close stops the plugin.
func (c *Connector) Close() { c.sup.close() }

func replayConfigure(ctx context.Context, f func(context.Context, sdk.ConfigureRequest) (sdk.Diagnostics, error), req sdk.ConfigureRequest) error {
	diags, err := f(ctx, req)
	if err != nil {
		return err
	}
	if diags.HasErrors() {
		return fmt.Errorf("the plugin now rejects its configuration: %w", diags.Err())
	}
	return nil
}
