// Command testaction is a minimal action for the plugin host's tests and
// benchmarks: it returns the length of each item's text argument.
package main

import (
	"context"
	"fmt"

	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
)

func main() { sdk.Serve(sdk.ServeOpts{Action: action{}}) }

type action struct{}

func (action) Schema(context.Context) (*sdk.Schema, error) {
	return &sdk.Schema{
		Kind: sdk.KindAction, Name: "testaction", Version: "0.0.1", Description: "Counts characters.",
		Arguments: sdk.Block{Attributes: []sdk.Attribute{
			{Name: "text", Type: cty.String, Required: true, Description: "Text to count."},
		}},
		Outputs: cty.Object(map[string]cty.Type{"length": cty.Number}),
	}, nil
}

func (action) Configure(context.Context, sdk.ConfigureRequest) (sdk.Diagnostics, error) {
	return nil, nil
}

func (action) Execute(_ context.Context, items []sdk.ExecuteItem) ([]sdk.ExecuteResult, error) {
	out := make([]sdk.ExecuteResult, len(items))
	for i, it := range items {
		r := sdk.ReadAttrs(it.Arguments)
		text, ok := r.String("text")
		if !ok || r.Diagnostics().HasErrors() {
			out[i].Err = sdk.Permanent(fmt.Errorf("arguments: text is missing or not a string"))
			continue
		}
		out[i].Outputs = cty.ObjectVal(map[string]cty.Value{"length": cty.NumberIntVal(int64(len(text)))})
	}
	return out, nil
}
