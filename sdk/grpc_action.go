package sdk

import (
	"context"
	"fmt"

	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk/internal/wire"
)

// actionServer runs in the plugin: it calls the author's Action.
type actionServer struct {
	wire.UnimplementedActionServer
	impl   Action
	plugin pluginSide
}

func (s *actionServer) Schema(ctx context.Context, _ *wire.SchemaRequest) (*wire.SchemaResponse, error) {
	return schemaResponse(s.impl.Schema(ctx))
}

func (s *actionServer) Configure(ctx context.Context, r *wire.ConfigureRequest) (*wire.ConfigureResponse, error) {
	req, err := s.plugin.configureRequest(r)
	if err != nil {
		return nil, statusError(Permanent(err))
	}
	return configureResponse(s.impl.Configure(ctx, req))
}

func (s *actionServer) Execute(ctx context.Context, r *wire.ExecuteRequest) (*wire.ExecuteResponse, error) {
	items := make([]ExecuteItem, len(r.Items))
	for i, it := range r.Items {
		args, err := valueFromWire(it.Arguments)
		if err != nil {
			return nil, statusError(Permanent(fmt.Errorf("item %d: arguments: %w", i, err)))
		}
		items[i] = ExecuteItem{IdempotencyKey: it.IdempotencyKey, Message: messageFromWire(it.Message),
			Thread: threadFromWire(it.Thread), Contact: contactFromWire(it.Contact), Arguments: args}
	}
	res, err := s.impl.Execute(ctx, items)
	if err != nil {
		return nil, statusError(err)
	}
	if len(res) != len(items) {
		return nil, statusError(fmt.Errorf("plugin bug: Execute returned %d results for %d items", len(res), len(items)))
	}
	out := &wire.ExecuteResponse{Results: make([]*wire.ExecuteResult, len(res))}
	enc := batchEncoder(len(res))
	for i, x := range res {
		outputs, err := enc.encode(x.Outputs)
		if err != nil {
			return nil, statusError(Permanent(fmt.Errorf("plugin bug: item %d: outputs: %w", i, err)))
		}
		out.Results[i] = &wire.ExecuteResult{Outputs: outputs, Error: errorToWire(x.Err)}
	}
	return out, nil
}

// actionClient runs in the host: it is an Action over gRPC.
type actionClient struct {
	rpc  wire.ActionClient
	host hostSide
}

func (c *actionClient) Schema(ctx context.Context) (*Schema, error) {
	r, err := c.rpc.Schema(ctx, &wire.SchemaRequest{})
	if err != nil {
		return nil, errorFromStatus("schema", err)
	}
	return schemaFromWire(r.Schema)
}

func (c *actionClient) Configure(ctx context.Context, req ConfigureRequest) (Diagnostics, error) {
	w, err := c.host.configureRequest(req)
	if err != nil {
		return nil, err
	}
	r, err := c.rpc.Configure(ctx, w)
	if err != nil {
		return nil, errorFromStatus("configure", err)
	}
	return diagnosticsFromWire(r.Diagnostics)
}

func (c *actionClient) Execute(ctx context.Context, items []ExecuteItem) ([]ExecuteResult, error) {
	w := &wire.ExecuteRequest{Items: make([]*wire.ExecuteItem, len(items))}
	enc := batchEncoder(len(items))
	for i := range items {
		it := &items[i]
		args, err := enc.encode(it.Arguments)
		if err != nil {
			return nil, fmt.Errorf("execute: item %d: arguments: %w", i, err)
		}
		wi := &wire.ExecuteItem{IdempotencyKey: it.IdempotencyKey, Arguments: args}
		if !messageIsZero(&it.Message) {
			wi.Message = messageToWire(&it.Message)
		}
		if !threadIsZero(&it.Thread) {
			wi.Thread = threadToWire(&it.Thread)
		}
		if !contactIsZero(&it.Contact) {
			wi.Contact = contactToWire(&it.Contact)
		}
		w.Items[i] = wi
	}
	r, err := c.rpc.Execute(ctx, w)
	if err != nil {
		return nil, errorFromStatus("execute", err)
	}
	if len(r.Results) != len(items) {
		return nil, fmt.Errorf("execute: plugin returned %d results for %d items", len(r.Results), len(items))
	}
	out := make([]ExecuteResult, len(r.Results))
	for i, x := range r.Results {
		v, err := valueFromWire(x.Outputs)
		if err != nil {
			return nil, fmt.Errorf("execute: item %d: outputs: %w", i, err)
		}
		if v == cty.NilVal {
			v = cty.NullVal(cty.DynamicPseudoType)
		}
		out[i] = ExecuteResult{Outputs: v, Err: errorFromWire(x.Error)}
	}
	return out, nil
}
