package sdk

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/switchboard-hub/switchboard/sdk/internal/wire"
)

func schemaToWire(s *Schema) (*wire.Schema, error) {
	cfg, err := blockToWire(&s.Config)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	args, err := blockToWire(&s.Arguments)
	if err != nil {
		return nil, fmt.Errorf("arguments: %w", err)
	}
	outputs, err := typeToWire(s.Outputs)
	if err != nil {
		return nil, fmt.Errorf("outputs: %w", err)
	}
	w := &wire.Schema{
		Kind:        wire.Schema_Kind(s.Kind),
		Name:        s.Name,
		Version:     s.Version,
		Description: s.Description,
		Config:      cfg,
		Arguments:   args,
		Outputs:     outputs,
	}
	for _, c := range s.Channels {
		cp := c.Capabilities
		w.Channels = append(w.Channels, &wire.Channel{
			Name:        c.Name,
			Description: c.Description,
			Capabilities: &wire.Capabilities{
				Poll:             cp.Poll,
				Webhook:          cp.Webhook,
				Send:             cp.Send,
				Threads:          cp.Threads,
				Attachments:      cp.Attachments,
				MaxTextLength:    int64(cp.MaxTextLength),
				MinReplyDelay:    durationToWire(cp.MinReplyDelay),
				ServiceWindow:    durationToWire(cp.ServiceWindow),
				LookupSend:       cp.LookupSend,
				UnverifiableSend: wire.Capabilities_UnverifiableSend(cp.UnverifiableSend),
			},
		})
	}
	return w, nil
}

func schemaFromWire(w *wire.Schema) (*Schema, error) {
	if w == nil {
		return nil, fmt.Errorf("plugin returned no schema")
	}
	cfg, err := blockFromWire(w.Config)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	args, err := blockFromWire(w.Arguments)
	if err != nil {
		return nil, fmt.Errorf("arguments: %w", err)
	}
	outputs, err := typeFromWire(w.Outputs)
	if err != nil {
		return nil, fmt.Errorf("outputs: %w", err)
	}
	s := &Schema{
		Kind:        Kind(w.Kind),
		Name:        w.Name,
		Version:     w.Version,
		Description: w.Description,
		Config:      cfg,
		Arguments:   args,
		Outputs:     outputs,
	}
	for _, c := range w.Channels {
		cp := c.GetCapabilities()
		s.Channels = append(s.Channels, Channel{
			Name:        c.Name,
			Description: c.Description,
			Capabilities: Capabilities{
				Poll:             cp.GetPoll(),
				Webhook:          cp.GetWebhook(),
				Send:             cp.GetSend(),
				Threads:          cp.GetThreads(),
				Attachments:      cp.GetAttachments(),
				MaxTextLength:    int(cp.GetMaxTextLength()),
				MinReplyDelay:    cp.GetMinReplyDelay().AsDuration(),
				ServiceWindow:    cp.GetServiceWindow().AsDuration(),
				LookupSend:       cp.GetLookupSend(),
				UnverifiableSend: Delivery(cp.GetUnverifiableSend()),
			},
		})
	}
	return s, nil
}

func durationToWire(d time.Duration) *durationpb.Duration {
	if d == 0 {
		return nil
	}
	return durationpb.New(d)
}

func blockToWire(b *Block) (*wire.Block, error) {
	w := &wire.Block{Description: b.Description}
	for _, a := range b.Attributes {
		ty, err := typeToWire(a.Type)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a.Name, err)
		}
		def, err := valueToWire(a.Default)
		if err != nil {
			return nil, fmt.Errorf("%s: default: %w", a.Name, err)
		}
		w.Attributes = append(w.Attributes, &wire.Attribute{
			Name: a.Name, Type: ty, Description: a.Description,
			Required: a.Required, Optional: a.Optional, Sensitive: a.Sensitive, Template: a.Template, Default: def,
		})
	}
	for _, nb := range b.Blocks {
		inner, err := blockToWire(&nb.Block)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", nb.TypeName, err)
		}
		w.Blocks = append(w.Blocks, &wire.NestedBlock{
			TypeName: nb.TypeName, Nesting: wire.NestedBlock_Nesting(nb.Nesting), Block: inner,
			MinItems: int64(nb.MinItems), MaxItems: int64(nb.MaxItems),
		})
	}
	return w, nil
}

func blockFromWire(w *wire.Block) (Block, error) {
	var b Block
	if w == nil {
		return b, nil
	}
	b.Description = w.Description
	for _, a := range w.Attributes {
		ty, err := typeFromWire(a.Type)
		if err != nil {
			return b, fmt.Errorf("%s: %w", a.Name, err)
		}
		def, err := valueFromWire(a.Default)
		if err != nil {
			return b, fmt.Errorf("%s: default: %w", a.Name, err)
		}
		b.Attributes = append(b.Attributes, Attribute{
			Name: a.Name, Type: ty, Description: a.Description,
			Required: a.Required, Optional: a.Optional, Sensitive: a.Sensitive, Template: a.Template, Default: def,
		})
	}
	for _, nb := range w.Blocks {
		inner, err := blockFromWire(nb.Block)
		if err != nil {
			return b, fmt.Errorf("%s: %w", nb.TypeName, err)
		}
		b.Blocks = append(b.Blocks, NestedBlock{
			TypeName: nb.TypeName, Nesting: Nesting(nb.Nesting), Block: inner,
			MinItems: int(nb.MinItems), MaxItems: int(nb.MaxItems),
		})
	}
	return b, nil
}

// MarshalSchemaJSON encodes a schema as JSON in the wire contract's shape
// (protobuf's JSON mapping), the form lock files keep.
func MarshalSchemaJSON(s *Schema) ([]byte, error) {
	w, err := schemaToWire(s)
	if err != nil {
		return nil, err
	}
	return protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(w)
}

// UnmarshalSchemaJSON decodes what MarshalSchemaJSON wrote.
func UnmarshalSchemaJSON(b []byte) (*Schema, error) {
	var w wire.Schema
	if err := protojson.Unmarshal(b, &w); err != nil {
		return nil, err
	}
	return schemaFromWire(&w)
}
