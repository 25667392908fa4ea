package sdk

import (
	"fmt"
	"regexp"
	"time"

	"github.com/zclconf/go-cty/cty"
)

// Kind is what a plugin provides.
type Kind int

const (
	KindConnector Kind = iota + 1
	KindAction
)

func (k Kind) String() string {
	switch k {
	case KindConnector:
		return "connector"
	case KindAction:
		return "action"
	}
	return "unknown"
}

// Schema describes a plugin as data. Schema is answered before Configure, so
// the host can decode and check the user's HCL, write documentation and a
// lock file without configuring the plugin.
type Schema struct {
	Kind        Kind
	Name        string // plugin type, e.g. "webhook"
	Version     string // the plugin's own semantic version
	Description string
	// Config is the body of the plugin's block in HCL.
	Config Block
	// Channels (connectors) that the connector carries, with their capabilities.
	Channels []Channel
	// Arguments (actions) of a step of this type.
	Arguments Block
	// Outputs (actions) is the object type a step returns, so that later
	// steps' references can be checked; cty.NilType when there are none.
	Outputs cty.Type
}

// Block is a configuration body: attributes and nested blocks.
type Block struct {
	Description string
	Attributes  []Attribute
	Blocks      []NestedBlock
}

// Attribute is one `name = value` in a block.
type Attribute struct {
	Name        string
	Type        cty.Type
	Description string
	Required    bool
	Optional    bool
	// Sensitive values are marked and never logged or shown.
	Sensitive bool
	// Template says the plugin reads the string as a template of its own,
	// filled in for each item (the http action's body). The host refuses
	// message data (message, thread, contact) in it, so that what a buyer
	// wrote never becomes template code: the template's own fields are the
	// way to reach it, escaped as the template needs. Only a block's own
	// attributes, not those of nested blocks, may be templates.
	Template bool
	// Default is used when an optional attribute is omitted; cty.NilVal for none.
	Default cty.Value
}

// Nesting says how many blocks of a type may appear and how they decode.
type Nesting int

const (
	// NestingSingle is at most one block, decoded to an object (null when absent).
	NestingSingle Nesting = iota + 1
	// NestingList is any number of blocks, decoded to a list of objects.
	NestingList
	// NestingMap is blocks with one label, decoded to a map of objects by label.
	NestingMap
)

// NestedBlock is a block type allowed inside a Block.
type NestedBlock struct {
	TypeName string
	Nesting  Nesting
	Block    Block
	MinItems int
	MaxItems int // 0 means no limit
}

// Channel is one stream a connector carries, e.g. Allegro's "discussions".
type Channel struct {
	Name         string
	Description  string
	Capabilities Capabilities
}

// Delivery is what the host does with a send that was attempted before a
// crash when the connector cannot look it up.
type Delivery int

const (
	DeliveryUnspecified Delivery = iota
	// AtMostOnce: the send is not retried; it may have been lost.
	AtMostOnce
	// AtLeastOnce: the send is retried with the same idempotency key; the
	// buyer may see it twice where the vendor ignores the key.
	AtLeastOnce
)

func (d Delivery) String() string {
	switch d {
	case AtMostOnce:
		return "at-most-once"
	case AtLeastOnce:
		return "at-least-once"
	}
	return "unspecified"
}

// Capabilities of a channel.
type Capabilities struct {
	Poll        bool
	Webhook     bool
	Send        bool
	Threads     bool
	Attachments bool
	// MaxTextLength of an outbound text; 0 means no limit.
	MaxTextLength int
	// MinReplyDelay: replies are never sent sooner after the inbound message.
	MinReplyDelay time.Duration
	// ServiceWindow: free-form replies are allowed only this long after the
	// buyer's last message (WhatsApp: 24h); 0 means always.
	ServiceWindow time.Duration
	// LookupSend: the connector can tell whether a send went out.
	LookupSend bool
	// UnverifiableSend applies when LookupSend cannot tell.
	UnverifiableSend Delivery
}

// Channel returns the channel named name, or nil.
func (s *Schema) Channel(name string) *Channel {
	for i := range s.Channels {
		if s.Channels[i].Name == name {
			return &s.Channels[i]
		}
	}
	return nil
}

// ImpliedType is the object type a block decodes to.
func (b *Block) ImpliedType() cty.Type {
	attrs := make(map[string]cty.Type, len(b.Attributes)+len(b.Blocks))
	for _, a := range b.Attributes {
		attrs[a.Name] = a.Type
	}
	for _, nb := range b.Blocks {
		t := nb.Block.ImpliedType()
		switch nb.Nesting {
		case NestingList:
			t = cty.List(t)
		case NestingMap:
			t = cty.Map(t)
		}
		attrs[nb.TypeName] = t
	}
	return cty.Object(attrs)
}

var identifier = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// ValidName reports whether name can name a plugin, an attribute, a block
// or a channel: a lower-case letter, then lower-case letters, digits and
// underscores.
func ValidName(name string) bool { return identifier.MatchString(name) }

// Validate checks that the schema is well formed: names are identifiers and
// unique, attributes are either required or optional, defaults fit their
// types, channels are declared for connectors. Both the host and sdktest run
// it, so a malformed schema is caught by the plugin's own tests.
func (s *Schema) Validate() error {
	if s.Kind != KindConnector && s.Kind != KindAction {
		return fmt.Errorf("schema: kind must be connector or action")
	}
	if !identifier.MatchString(s.Name) {
		return fmt.Errorf("schema: name %q must be lower-case letters, digits and underscores", s.Name)
	}
	if s.Version == "" {
		return fmt.Errorf("schema: version is empty; set the plugin's semantic version")
	}
	if s.Description == "" {
		return fmt.Errorf("schema: description is empty; say what the plugin does")
	}
	if err := s.Config.validate("config"); err != nil {
		return err
	}
	switch s.Kind {
	case KindConnector:
		if len(s.Channels) == 0 {
			return fmt.Errorf("schema: a connector declares at least one channel")
		}
		seen := map[string]bool{}
		for _, c := range s.Channels {
			if !identifier.MatchString(c.Name) {
				return fmt.Errorf("schema: channel name %q must be lower-case letters, digits and underscores", c.Name)
			}
			if seen[c.Name] {
				return fmt.Errorf("schema: channel %q is declared twice", c.Name)
			}
			seen[c.Name] = true
			cp := c.Capabilities
			if !cp.Poll && !cp.Webhook && !cp.Send {
				return fmt.Errorf("schema: channel %q neither polls, receives webhooks nor sends", c.Name)
			}
			if cp.Send && !cp.LookupSend && cp.UnverifiableSend == DeliveryUnspecified {
				return fmt.Errorf("schema: channel %q sends without LookupSend; set UnverifiableSend to AtMostOnce or AtLeastOnce", c.Name)
			}
			if cp.MinReplyDelay < 0 || cp.ServiceWindow < 0 || cp.MaxTextLength < 0 {
				return fmt.Errorf("schema: channel %q has a negative limit", c.Name)
			}
		}
	case KindAction:
		if len(s.Channels) > 0 {
			return fmt.Errorf("schema: an action declares no channels")
		}
		if err := s.Arguments.validate("arguments"); err != nil {
			return err
		}
		if s.Outputs != cty.NilType && !s.Outputs.IsObjectType() {
			return fmt.Errorf("schema: outputs must be an object type, not %s", s.Outputs.FriendlyName())
		}
	}
	return nil
}

func (b *Block) validate(where string) error {
	seen := map[string]bool{}
	for _, a := range b.Attributes {
		at := where + "." + a.Name
		if !identifier.MatchString(a.Name) {
			return fmt.Errorf("schema: %s: name must be lower-case letters, digits and underscores", at)
		}
		if seen[a.Name] {
			return fmt.Errorf("schema: %s is declared twice", at)
		}
		seen[a.Name] = true
		if a.Type == cty.NilType {
			return fmt.Errorf("schema: %s has no type", at)
		}
		if a.Required == a.Optional {
			return fmt.Errorf("schema: %s must be exactly one of required or optional", at)
		}
		if a.Description == "" {
			return fmt.Errorf("schema: %s has no description", at)
		}
		if a.Template && !a.Type.Equals(cty.String) {
			return fmt.Errorf("schema: %s is a template, so its type must be string, not %s", at, a.Type.FriendlyName())
		}
		if a.Default != cty.NilVal {
			if a.Required {
				return fmt.Errorf("schema: %s is required and cannot have a default", at)
			}
			if !a.Default.Type().Equals(a.Type) && a.Type != cty.DynamicPseudoType {
				return fmt.Errorf("schema: %s: default is %s, want %s", at, a.Default.Type().FriendlyName(), a.Type.FriendlyName())
			}
		}
	}
	for _, nb := range b.Blocks {
		at := where + "." + nb.TypeName
		if !identifier.MatchString(nb.TypeName) {
			return fmt.Errorf("schema: %s: block type must be lower-case letters, digits and underscores", at)
		}
		if seen[nb.TypeName] {
			return fmt.Errorf("schema: %s is declared twice", at)
		}
		seen[nb.TypeName] = true
		if nb.Nesting < NestingSingle || nb.Nesting > NestingMap {
			return fmt.Errorf("schema: %s has no nesting mode", at)
		}
		if nb.MaxItems > 0 && nb.MinItems > nb.MaxItems {
			return fmt.Errorf("schema: %s: min_items %d exceeds max_items %d", at, nb.MinItems, nb.MaxItems)
		}
		for _, a := range nb.Block.Attributes {
			if a.Template {
				return fmt.Errorf("schema: %s.%s: only a block's own attributes may be templates, not those of its nested blocks", at, a.Name)
			}
		}
		if err := nb.Block.validate(at); err != nil {
			return err
		}
	}
	return nil
}
