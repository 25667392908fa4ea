package config

import (
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/switchboard-hub/switchboard/core/pluginconfig"
	"github.com/switchboard-hub/switchboard/sdk"
)

// Attributes of connector and action blocks that belong to the host, not to
// the plugin's schema.
var connectorMetaSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "poll_interval"}}}

func (l *loader) schemaFor(kind sdk.Kind, name string, rng hcl.Range) *sdk.Schema {
	s, err := l.opts.Schemas.Schema(kind, name)
	if err != nil {
		summary := "Unknown " + kind.String() + " plugin"
		if !errors.Is(err, ErrNoSchema) {
			summary = "Cannot read plugin schemas"
		}
		l.errorf(rng.Ptr(), summary, "%s", err)
		return nil
	}
	return s
}

func (l *loader) decodeConnectors() {
	seen := map[string]*Connector{}
	for _, b := range l.blocks["connector"] {
		typ, name := b.Labels[0], b.Labels[1]
		key := typ + "." + name
		if prev, ok := seen[key]; ok {
			l.duplicate("connector", key, prev.DeclRange, b.DefRange)
			continue
		}
		c := &Connector{Type: typ, Name: name, Body: b.Body, DeclRange: b.DefRange}
		seen[key] = c
		meta, rest, diags := b.Body.PartialContent(connectorMetaSchema)
		l.diags = append(l.diags, diags...)
		c.PollInterval = l.duration(meta.Attributes["poll_interval"], 0)
		if c.Schema = l.schemaFor(sdk.KindConnector, typ, b.LabelRanges[0]); c.Schema == nil {
			continue
		}
		var d hcl.Diagnostics
		c.Config, d = pluginconfig.Decode(rest, &c.Schema.Config, l.static)
		l.diags = append(l.diags, d...)
		l.cfg.Connectors = append(l.cfg.Connectors, c)
	}
}

func (l *loader) decodeActions() {
	seen := map[string]*Action{}
	for _, b := range l.blocks["action"] {
		typ, name := b.Labels[0], b.Labels[1]
		key := typ + "." + name
		if prev, ok := seen[key]; ok {
			l.duplicate("action", key, prev.DeclRange, b.DefRange)
			continue
		}
		a := &Action{Type: typ, Name: name, Body: b.Body, DeclRange: b.DefRange}
		seen[key] = a
		if a.Schema = l.schemaFor(sdk.KindAction, typ, b.LabelRanges[0]); a.Schema == nil {
			continue
		}
		var d hcl.Diagnostics
		a.Config, d = pluginconfig.Decode(b.Body, &a.Schema.Config, l.static)
		l.diags = append(l.diags, d...)
		l.cfg.Actions = append(l.cfg.Actions, a)
	}
}

// collectChannels gathers the channels of every connector type in use and
// of the lock file, then the ones tests declare, checking that a declared
// channel agrees with a known schema.
func (l *loader) collectChannels() {
	add := func(typ string, s *sdk.Schema) {
		for _, ch := range s.Channels {
			c := &Channel{Connector: typ, Name: ch.Name, Capabilities: ch.Capabilities}
			l.cfg.Channels[c.Key()] = c
		}
	}
	for _, c := range l.cfg.Connectors {
		add(c.Type, c.Schema)
	}
	for _, declared := range l.opts.Channels {
		known, ok := l.cfg.Channels[declared.Key()]
		if !ok {
			if s, err := l.opts.Schemas.Schema(sdk.KindConnector, declared.Connector); err == nil {
				add(declared.Connector, s)
				known, ok = l.cfg.Channels[declared.Key()]
				if !ok {
					l.errorf(declared.DeclRange.Ptr(), "Unknown channel",
						"The %s plugin has no channel %q.%s", declared.Connector, declared.Name, Suggestion(declared.Name, l.channelNames(declared.Connector)))
					continue
				}
			}
		}
		if ok {
			if !agree(known.Capabilities, declared.Capabilities) {
				l.errorf(declared.DeclRange.Ptr(), "Channel disagrees with its plugin",
					"channel %q declares %s, but the plugin's schema says %s; remove the declaration or make it agree.",
					declared.Key(), capsText(declared.Capabilities), capsText(known.Capabilities))
			}
			continue
		}
		l.cfg.Channels[declared.Key()] = declared
	}
}

// agree compares the capabilities a test can declare.
func agree(schema, declared sdk.Capabilities) bool {
	return schema.MinReplyDelay == declared.MinReplyDelay &&
		schema.ServiceWindow == declared.ServiceWindow &&
		(declared.MaxTextLength == 0 || schema.MaxTextLength == declared.MaxTextLength)
}

// channelNames lists the channels known for a connector type.
func (l *loader) channelNames(typ string) []string {
	var out []string
	for _, c := range l.cfg.Channels {
		if c.Connector == typ {
			out = append(out, c.Name)
		}
	}
	return out
}

// capsText writes the capabilities a test can declare, as HCL.
func capsText(c sdk.Capabilities) string {
	return fmt.Sprintf("min_reply_delay = %q, service_window = %q, max_text_length = %d",
		FormatDuration(c.MinReplyDelay), FormatDuration(c.ServiceWindow), c.MaxTextLength)
}
