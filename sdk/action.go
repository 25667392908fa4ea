package sdk

import (
	"context"

	"github.com/zclconf/go-cty/cty"
)

// Action is a step type a workflow can run. Like connectors, actions keep no
// delivery state and may be killed at any moment.
type Action interface {
	// Schema describes the action; it works before Configure.
	Schema(ctx context.Context) (*Schema, error)
	// Configure receives the plugin block's configuration.
	Configure(ctx context.Context, req ConfigureRequest) (Diagnostics, error)
	// Execute runs a batch of steps and returns one result per item, in
	// order; an error from Execute itself fails the whole batch.
	Execute(ctx context.Context, items []ExecuteItem) ([]ExecuteResult, error)
}

// ExecuteItem is one step to run.
type ExecuteItem struct {
	// IdempotencyKey is the same on every retry of the same step.
	IdempotencyKey string
	Message        Message
	Thread         ThreadContext
	Contact        Contact
	// Arguments is an object of the schema's arguments type.
	Arguments cty.Value
}

// ExecuteResult is the outcome of one item: Outputs (of the schema's outputs
// type) on success, Err on failure.
type ExecuteResult struct {
	Outputs cty.Value
	Err     error
}
