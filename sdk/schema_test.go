package sdk

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func validSchema() *Schema {
	return &Schema{
		Kind: KindConnector, Name: "demo", Version: "0.1.0", Description: "Demo.",
		Config:   Block{Attributes: []Attribute{{Name: "url", Type: cty.String, Required: true, Description: "Where."}}},
		Channels: []Channel{{Name: "inbox", Capabilities: Capabilities{Poll: true, Send: true, LookupSend: true}}},
	}
}

func TestSchemaValidate(t *testing.T) {
	tests := map[string]struct {
		edit func(*Schema)
		want string
	}{
		"valid":            {func(*Schema) {}, ""},
		"bad name":         {func(s *Schema) { s.Name = "Demo" }, "lower-case"},
		"no version":       {func(s *Schema) { s.Version = "" }, "version is empty"},
		"no channels":      {func(s *Schema) { s.Channels = nil }, "at least one channel"},
		"both req and opt": {func(s *Schema) { s.Config.Attributes[0].Optional = true }, "exactly one of required or optional"},
		"no description":   {func(s *Schema) { s.Config.Attributes[0].Description = "" }, "no description"},
		"duplicate": {func(s *Schema) {
			s.Config.Attributes = append(s.Config.Attributes, s.Config.Attributes[0])
		}, "declared twice"},
		"bad default": {func(s *Schema) {
			s.Config.Attributes[0] = Attribute{Name: "n", Type: cty.Number, Optional: true, Default: cty.StringVal("x"), Description: "N."}
		}, "default is string"},
		"template not a string": {func(s *Schema) {
			s.Config.Attributes[0] = Attribute{Name: "n", Type: cty.Number, Optional: true, Template: true, Description: "N."}
		}, "is a template, so its type must be string"},
		"template in a nested block": {func(s *Schema) {
			s.Config.Blocks = []NestedBlock{{TypeName: "part", Nesting: NestingList, Block: Block{Attributes: []Attribute{
				{Name: "t", Type: cty.String, Optional: true, Template: true, Description: "T."},
			}}}}
		}, "only a block's own attributes may be templates"},
		"send without semantics": {func(s *Schema) { s.Channels[0].Capabilities.LookupSend = false }, "UnverifiableSend"},
		"action with channels":   {func(s *Schema) { s.Kind = KindAction }, "no channels"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s := validSchema()
			tt.edit(s)
			err := s.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestCoerce(t *testing.T) {
	b := &Block{
		Attributes: []Attribute{
			{Name: "url", Type: cty.String, Required: true, Description: "."},
			{Name: "retries", Type: cty.Number, Optional: true, Default: cty.NumberIntVal(3), Description: "."},
			{Name: "token", Type: cty.String, Optional: true, Sensitive: true, Description: "."},
		},
		Blocks: []NestedBlock{{TypeName: "route", Nesting: NestingList, Block: Block{Attributes: []Attribute{
			{Name: "to", Type: cty.String, Required: true, Description: "."},
		}}}},
	}
	v, err := b.Coerce(cty.ObjectVal(map[string]cty.Value{
		"url":   cty.StringVal("https://x"),
		"token": cty.StringVal("t"),
		"route": cty.TupleVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"to": cty.StringVal("a")})}),
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !v.GetAttr("retries").RawEquals(cty.NumberIntVal(3)) {
		t.Errorf("default not applied: %#v", v.GetAttr("retries"))
	}
	if !v.GetAttr("token").HasMark(Sensitive) {
		t.Error("sensitive attribute not marked")
	}
	if !v.Type().Equals(b.ImpliedType()) {
		t.Errorf("type %s, want %s", v.Type().GoString(), b.ImpliedType().GoString())
	}
	for name, in := range map[string]cty.Value{
		"missing required": cty.EmptyObjectVal,
		"unknown attr":     cty.ObjectVal(map[string]cty.Value{"url": cty.StringVal("x"), "urll": cty.StringVal("y")}),
		"wrong type":       cty.ObjectVal(map[string]cty.Value{"url": cty.ListValEmpty(cty.String)}),
	} {
		if _, err := b.Coerce(in); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
