package pluginconfig

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/mitchellh/go-wordwrap"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
)

// docWidth is the width descriptions are wrapped to, indentation included.
const docWidth = 78

// Document renders a schema as plain-text reference documentation, the page
// `switchboard plugins inspect NAME` prints: the plugin's name, kind, version
// and description; for connectors their channels and capabilities; the
// configuration attributes and nested blocks; for actions the step arguments
// and the outputs. The rendering follows the schema's declaration order and
// is the same for the same schema. Sensitive defaults are not shown.
func Document(s *sdk.Schema) string {
	d := &doc{}
	d.line(0, fmt.Sprintf("%s %s (%s)", s.Name, s.Version, s.Kind))
	d.text(0, s.Description)

	if s.Kind == sdk.KindConnector || len(s.Channels) > 0 {
		d.heading("Channels")
		if len(s.Channels) == 0 {
			d.line(2, "none")
		}
		for _, c := range s.Channels {
			d.channel(c)
		}
	}

	d.heading("Config")
	d.block(2, &s.Config)

	if s.Kind == sdk.KindAction {
		d.heading("Arguments")
		d.block(2, &s.Arguments)

		d.heading("Outputs")
		d.outputs(s.Outputs)
	}
	return d.String()
}

type doc struct {
	strings.Builder
}

func (d *doc) line(indent int, s string) {
	d.WriteString(strings.Repeat(" ", indent))
	d.WriteString(s)
	d.WriteByte('\n')
}

// text writes a description wrapped to the page width.
func (d *doc) text(indent int, s string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	width := docWidth - indent
	if width < 20 {
		width = 20
	}
	for _, l := range strings.Split(wordwrap.WrapString(s, uint(width)), "\n") {
		d.line(indent, strings.TrimRight(l, " "))
	}
}

func (d *doc) heading(s string) {
	d.WriteString("\n" + s + ":\n")
}

// field writes one aligned `label  value` line of a channel's capabilities.
func (d *doc) field(label, value string) {
	d.line(4, fmt.Sprintf("%-18s %s", label, value))
}

func (d *doc) channel(c sdk.Channel) {
	cp := c.Capabilities
	d.line(2, c.Name)
	d.text(4, c.Description)
	d.field("poll", yesNo(cp.Poll))
	d.field("webhook", yesNo(cp.Webhook))
	d.field("send", yesNo(cp.Send))
	d.field("threads", yesNo(cp.Threads))
	d.field("attachments", yesNo(cp.Attachments))
	if !cp.Send {
		return
	}
	if cp.MaxTextLength > 0 {
		d.field("max text length", fmt.Sprintf("%d characters", cp.MaxTextLength))
	} else {
		d.field("max text length", "no limit")
	}
	if cp.MinReplyDelay > 0 {
		d.field("min reply delay", duration(cp.MinReplyDelay)+" after the buyer's message")
	} else {
		d.field("min reply delay", "none")
	}
	if cp.ServiceWindow > 0 {
		d.field("service window", duration(cp.ServiceWindow)+" after the buyer's last message")
	} else {
		d.field("service window", "none, replies are allowed at any time")
	}
	if cp.LookupSend {
		d.field("lookup send", "yes, a send interrupted by a crash is looked up")
	} else {
		d.field("lookup send", "no")
	}
	switch cp.UnverifiableSend {
	case sdk.AtMostOnce:
		d.field("unverifiable send", "at-most-once: not retried, it may have been lost")
	case sdk.AtLeastOnce:
		d.field("unverifiable send", "at-least-once: retried, the buyer may see it twice")
	}
}

// block writes a block's attributes and nested blocks at indent, their
// traits lined up, each entry's description and contents two columns in.
func (d *doc) block(indent int, b *sdk.Block) {
	d.text(indent, b.Description)
	if len(b.Attributes) == 0 && len(b.Blocks) == 0 {
		d.line(indent, "none")
		return
	}
	names := make([]string, 0, len(b.Attributes)+len(b.Blocks))
	for _, a := range b.Attributes {
		names = append(names, a.Name)
	}
	for _, nb := range b.Blocks {
		name := nb.TypeName
		if nb.Nesting == sdk.NestingMap {
			name += fmt.Sprintf(" %q", mapLabel)
		}
		names = append(names, name)
	}
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for i, a := range b.Attributes {
		d.line(indent, fmt.Sprintf("%-*s  %s", width, names[i], attributeTraits(a)))
		d.text(indent+2, a.Description)
	}
	for i, nb := range b.Blocks {
		d.line(indent, fmt.Sprintf("%-*s  %s", width, names[len(b.Attributes)+i], blockTraits(nb)))
		d.block(indent+2, &nb.Block)
	}
}

func attributeTraits(a sdk.Attribute) string {
	traits := []string{typeName(a.Type)}
	if a.Required {
		traits = append(traits, "required")
	} else {
		traits = append(traits, "optional")
	}
	if a.Default != cty.NilVal {
		if a.Sensitive || sdk.IsSensitive(a.Default) {
			traits = append(traits, "default hidden")
		} else {
			traits = append(traits, "default "+literal(a.Default))
		}
	}
	if a.Sensitive {
		traits = append(traits, "sensitive")
	}
	if a.Template {
		traits = append(traits, "the plugin's own template: no message data through ${…}")
	}
	return strings.Join(traits, ", ")
}

func blockTraits(nb sdk.NestedBlock) string {
	if nb.Nesting == sdk.NestingSingle {
		if nb.MinItems > 0 {
			return "block, required"
		}
		return "block, optional"
	}
	var n string
	switch lo, hi := nb.MinItems, nb.MaxItems; {
	case lo == 0 && hi == 0:
		n = "any number"
	case hi == 0:
		n = fmt.Sprintf("at least %d", lo)
	case lo == 0:
		n = fmt.Sprintf("at most %d", hi)
	case lo == hi:
		n = fmt.Sprintf("exactly %d", lo)
	default:
		n = fmt.Sprintf("%d to %d", lo, hi)
	}
	if nb.Nesting == sdk.NestingMap {
		return "blocks by name, " + n
	}
	return "blocks, " + n
}

func (d *doc) outputs(t cty.Type) {
	if t == cty.NilType {
		d.line(2, "none")
		return
	}
	if !t.IsObjectType() {
		d.line(2, typeName(t))
		return
	}
	names := make([]string, 0, len(t.AttributeTypes()))
	for name := range t.AttributeTypes() {
		names = append(names, name)
	}
	if len(names) == 0 {
		d.line(2, "none")
		return
	}
	sort.Strings(names)
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, name := range names {
		d.line(2, fmt.Sprintf("%-*s  %s", width, name, typeName(t.AttributeType(name))))
	}
}

// typeName is cty's friendly name of a type, with the attributes of object
// types and the elements of tuple types spelled out, since "object" alone
// does not tell a user what to write.
func typeName(t cty.Type) string {
	switch {
	case t.IsListType():
		return "list of " + typeName(t.ElementType())
	case t.IsSetType():
		return "set of " + typeName(t.ElementType())
	case t.IsMapType():
		return "map of " + typeName(t.ElementType())
	case t.IsTupleType():
		elems := make([]string, 0, t.Length())
		for _, et := range t.TupleElementTypes() {
			elems = append(elems, typeName(et))
		}
		return "tuple [" + strings.Join(elems, ", ") + "]"
	case t.IsObjectType():
		names := make([]string, 0, len(t.AttributeTypes()))
		for name := range t.AttributeTypes() {
			names = append(names, name)
		}
		if len(names) == 0 {
			return "object {}"
		}
		sort.Strings(names)
		attrs := make([]string, 0, len(names))
		for _, name := range names {
			at := typeName(t.AttributeType(name))
			if t.AttributeOptional(name) {
				at = "optional " + at
			}
			attrs = append(attrs, name+" = "+at)
		}
		return "object { " + strings.Join(attrs, ", ") + " }"
	}
	return t.FriendlyName()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// duration writes a time.Duration without its zero tails: 24h, 1h30m, 5m.
func duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// literal writes a value the way it would be written in HCL, on one line.
func literal(v cty.Value) string {
	v, _ = v.UnmarkDeep()
	switch {
	case !v.IsKnown():
		return "(known after configuration)"
	case v.IsNull():
		return "null"
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return strings.TrimSpace(string(hclwrite.TokensForValue(v).Bytes()))
	case ty == cty.Number:
		return v.AsBigFloat().Text('f', -1)
	case ty == cty.Bool:
		return yesNoBool(v.True())
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		var elems []string
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			elems = append(elems, literal(e))
		}
		return "[" + strings.Join(elems, ", ") + "]"
	case ty.IsMapType() || ty.IsObjectType():
		var elems []string
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			key := k.AsString()
			if !hclsyntax.ValidIdentifier(key) {
				key = literal(k)
			}
			elems = append(elems, key+" = "+literal(e))
		}
		if len(elems) == 0 {
			return "{}"
		}
		return "{ " + strings.Join(elems, ", ") + " }"
	}
	return v.GoString()
}

func yesNoBool(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
