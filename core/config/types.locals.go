package config

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// decodeLocals evaluates locals blocks. Locals may use functions and other
// locals; they are evaluated in as many passes as their references need.
func (l *loader) decodeLocals() {
	pending := map[string]*hcl.Attribute{}
	for _, b := range l.blocks["locals"] {
		attrs, diags := b.Body.JustAttributes()
		l.diags = append(l.diags, diags...)
		for name, a := range attrs {
			if prev, ok := pending[name]; ok {
				l.duplicate("local", name, prev.NameRange, a.NameRange)
				continue
			}
			pending[name] = a
		}
	}
	values := map[string]cty.Value{}
	for len(pending) > 0 {
		progress := false
		for name, a := range pending {
			if !l.localsReady(a, values, pending) {
				continue
			}
			l.static.Variables["local"] = cty.ObjectVal(values)
			v, diags := a.Expr.Value(l.static)
			l.diags = append(l.diags, diags...)
			if diags.HasErrors() {
				v = cty.DynamicVal
			}
			values[name] = v
			delete(pending, name)
			progress = true
		}
		if !progress {
			for name, a := range pending {
				l.errorf(a.Expr.Range().Ptr(), "Cyclic local value", "local.%s refers to itself through other locals; break the cycle.", name)
			}
			break
		}
	}
	l.cfg.Locals = values
	l.static.Variables["local"] = cty.ObjectVal(values)
}

// localsReady reports whether every local that a refers to is evaluated. A
// reference to a local that does not exist is left to evaluation to report.
func (l *loader) localsReady(a *hcl.Attribute, done map[string]cty.Value, pending map[string]*hcl.Attribute) bool {
	for _, t := range a.Expr.Variables() {
		if t.RootName() != "local" || len(t) < 2 {
			continue
		}
		if attr, ok := t[1].(hcl.TraverseAttr); ok {
			if _, isPending := pending[attr.Name]; isPending {
				if _, isDone := done[attr.Name]; !isDone && attr.Name != "" {
					return false
				}
			}
		}
	}
	return true
}
