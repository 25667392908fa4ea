package pluginhost

import (
	"context"

	"github.com/switchboard-hub/switchboard/sdk"
)

// Action is a supervised action plugin instance. It implements sdk.Action;
// calls fail with *CallError when the plugin crashed or hung.
type Action struct {
	sup *supervisor
}

var _ sdk.Action = (*Action)(nil)

// StartAction starts the action plugin described by spec.
func StartAction(spec Spec, opts Options) (*Action, error) {
	spec.Kind = sdk.KindAction
	s, err := newSupervisor(spec, opts)
	if err != nil {
		return nil, err
	}
	return &Action{sup: s}, nil
}

func actionCall[T any](ctx context.Context, a *Action, method string, f func(context.Context, sdk.Action) (T, error)) (T, error) {
	return call(ctx, a.sup, method, func(ctx context.Context, raw any) (T, error) { return f(ctx, raw.(sdk.Action)) })
}

func (a *Action) Schema(ctx context.Context) (*sdk.Schema, error) {
	return actionCall(ctx, a, "schema", func(ctx context.Context, p sdk.Action) (*sdk.Schema, error) { return p.Schema(ctx) })
}

// Configure configures the plugin and remembers an accepted configuration
// for restarts.
func (a *Action) Configure(ctx context.Context, req sdk.ConfigureRequest) (sdk.Diagnostics, error) {
	diags, err := actionCall(ctx, a, "configure", func(ctx context.Context, p sdk.Action) (sdk.Diagnostics, error) {
		return p.Configure(ctx, req)
	})
	if err == nil && !diags.HasErrors() {
		a.sup.remember(func(ctx context.Context, raw any) error {
			return replayConfigure(ctx, raw.(sdk.Action).Configure, req)
		})
	}
	return diags, err
}

func (a *Action) Execute(ctx context.Context, items []sdk.ExecuteItem) ([]sdk.ExecuteResult, error) {
	return actionCall(ctx, a, "execute", func(ctx context.Context, p sdk.Action) ([]sdk.ExecuteResult, error) {
		return p.Execute(ctx, items)
	})
}

// Pid is the process id of the running plugin, 0 between a failure and the
// restart.
func (a *Action) Pid() int { return a.sup.pid() }

// Restarts counts restarts after failures.
func (a *Action) Restarts() int64 { return a.sup.restarts.Load() }

// ProtocolVersion is the wire protocol version negotiated with the plugin.
func (a *Action) ProtocolVersion() int { return a.sup.version() }

// Close stops the plugin.
func (a *Action) Close() { a.sup.close() }
