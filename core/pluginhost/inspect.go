package pluginhost

import (
	"context"
	"fmt"

	"github.com/switchboard-hub/switchboard/sdk"
)

// Info describes a plugin binary: what `switchboard plugins list` shows and
// the lock file records.
type Info struct {
	Candidate
	Protocol int
	SHA256   string
	Schema   *sdk.Schema
}

// Inspect starts the plugin, asks for its schema without configuring it, and
// stops it.
func Inspect(ctx context.Context, c Candidate, opts Options) (*Info, error) {
	if err := checkExecutable(c.Path); err != nil {
		return nil, fmt.Errorf("%s plugin %q: %w", c.Kind, c.Name, err)
	}
	sum, err := SHA256File(c.Path)
	if err != nil {
		return nil, fmt.Errorf("%s plugin %q: %w", c.Kind, c.Name, err)
	}
	spec := Spec{Kind: c.Kind, Name: c.Name, Path: c.Path, SHA256: sum}
	var (
		schema   *sdk.Schema
		protocol int
	)
	switch c.Kind {
	case sdk.KindConnector:
		p, err := StartConnector(spec, opts)
		if err != nil {
			return nil, err
		}
		defer p.Close()
		schema, err = p.Schema(ctx)
		if err != nil {
			return nil, err
		}
		protocol = p.ProtocolVersion()
	case sdk.KindAction:
		p, err := StartAction(spec, opts)
		if err != nil {
			return nil, err
		}
		defer p.Close()
		schema, err = p.Schema(ctx)
		if err != nil {
			return nil, err
		}
		protocol = p.ProtocolVersion()
	default:
		return nil, fmt.Errorf("plugin %s: unknown kind", c.Path)
	}
	if err := schema.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", spec, err)
	}
	if schema.Kind != c.Kind || schema.Name != c.Name {
		return nil, fmt.Errorf("%s: the binary says it is %s %q; rename it %s", spec, schema.Kind, schema.Name, BinaryName(schema.Kind, schema.Name))
	}
	return &Info{Candidate: c, Protocol: protocol, SHA256: sum, Schema: schema}, nil
}
