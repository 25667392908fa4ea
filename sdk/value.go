package sdk

import (
	"fmt"
	"strings"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/gocty"
)

// Values (configuration, step arguments, step outputs) are cty values: typed,
// possibly null or unknown. Sensitive parts carry the Sensitive mark, which
// survives the wire; the host never logs them.

type mark string

// Sensitive is the cty mark on secret values (tokens, passwords).
const Sensitive = mark("sensitive")

// IsSensitive reports whether v or any part of it is sensitive.
func IsSensitive(v cty.Value) bool {
	if !containsMarked(v) {
		return false
	}
	_, pvm := v.UnmarkDeepWithPaths()
	for _, p := range pvm {
		if _, ok := p.Marks[Sensitive]; ok {
			return true
		}
	}
	return false
}

// containsMarked is cty's Value.ContainsMarked without its allocations for
// objects of primitives, the usual arguments and configuration: unmarking a
// value that has no marks costs a walk and a copy of every part.
func containsMarked(v cty.Value) bool {
	switch ty := v.Type(); {
	case v.IsMarked():
		return true
	case ty.IsPrimitiveType() || v.IsNull() || !v.IsKnown():
		return false
	case ty.IsObjectType():
		for name := range ty.AttributeTypes() {
			if containsMarked(v.GetAttr(name)) {
				return true
			}
		}
		return false
	default:
		return v.ContainsMarked()
	}
}

// Decode copies a known value into a Go value (usually a struct whose fields
// carry `cty:"name"` tags matching the schema's attributes). Marks are
// dropped: the plugin needs the secret to use it.
func Decode(v cty.Value, target any) error {
	if containsMarked(v) {
		v, _ = v.UnmarkDeep()
	}
	if !v.IsWhollyKnown() {
		return fmt.Errorf("value is not known yet")
	}
	return gocty.FromCtyValue(v, target)
}

// PathString renders a path the way HCL users write it: a.b[0]["k"].
func PathString(p cty.Path) string {
	var b strings.Builder
	for i, s := range p {
		switch s := s.(type) {
		case cty.GetAttrStep:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.Name)
		case cty.IndexStep:
			switch {
			case s.Key.Type() == cty.String:
				fmt.Fprintf(&b, "[%q]", s.Key.AsString())
			case s.Key.Type() == cty.Number:
				fmt.Fprintf(&b, "[%s]", s.Key.AsBigFloat().String())
			}
		}
	}
	return b.String()
}
