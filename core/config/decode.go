package config

import (
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"
)

// Helpers that evaluate one attribute at load time. Each reports its own
// diagnostics and returns ok=false when the value is unusable; an unknown
// value (an unset env() under validate) is unusable without an error.

func (l *loader) content(body hcl.Body, schema *hcl.BodySchema) *hcl.BodyContent {
	c, diags := body.Content(schema)
	l.diags = append(l.diags, diags...)
	return c
}

func (l *loader) eval(attr *hcl.Attribute, ty cty.Type, ctx *hcl.EvalContext) (cty.Value, bool) {
	if attr == nil {
		return cty.NilVal, false
	}
	if ctx == nil {
		ctx = l.static
	}
	v, diags := attr.Expr.Value(ctx)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return cty.NilVal, false
	}
	v, err := convert.Convert(v, ty)
	if err != nil {
		l.errorf(attr.Expr.Range().Ptr(), "Incorrect attribute value type",
			"%s must be %s: %s.", attr.Name, ty.FriendlyName(), err)
		return cty.NilVal, false
	}
	if v.IsNull() {
		l.errorf(attr.Expr.Range().Ptr(), "Missing value", "%s must not be null.", attr.Name)
		return cty.NilVal, false
	}
	if !v.IsWhollyKnown() {
		return cty.NilVal, false
	}
	return v, true
}

func (l *loader) str(attr *hcl.Attribute) (string, bool) {
	v, ok := l.eval(attr, cty.String, nil)
	if !ok {
		return "", false
	}
	v, _ = v.Unmark()
	return v.AsString(), true
}

func (l *loader) strList(attr *hcl.Attribute) ([]string, bool) {
	v, ok := l.eval(attr, cty.List(cty.String), nil)
	if !ok {
		return nil, false
	}
	var out []string
	v, _ = v.UnmarkDeep()
	if err := gocty.FromCtyValue(v, &out); err != nil {
		l.errorf(attr.Expr.Range().Ptr(), "Invalid list", "%s: %s.", attr.Name, err)
		return nil, false
	}
	return out, true
}

func (l *loader) strMap(attr *hcl.Attribute) (map[string]string, bool) {
	v, ok := l.eval(attr, cty.Map(cty.String), nil)
	if !ok {
		return nil, false
	}
	var out map[string]string
	v, _ = v.UnmarkDeep()
	if err := gocty.FromCtyValue(v, &out); err != nil {
		l.errorf(attr.Expr.Range().Ptr(), "Invalid map", "%s: %s.", attr.Name, err)
		return nil, false
	}
	return out, true
}

func (l *loader) boolean(attr *hcl.Attribute, def bool) bool {
	v, ok := l.eval(attr, cty.Bool, nil)
	if !ok {
		return def
	}
	v, _ = v.Unmark()
	return v.True()
}

func (l *loader) integer(attr *hcl.Attribute, def int) int {
	v, ok := l.eval(attr, cty.Number, nil)
	if !ok {
		return def
	}
	v, _ = v.Unmark()
	var n int
	if err := gocty.FromCtyValue(v, &n); err != nil {
		l.errorf(attr.Expr.Range().Ptr(), "Invalid number", "%s must be a whole number: %s.", attr.Name, err)
		return def
	}
	return n
}

func (l *loader) duration(attr *hcl.Attribute, def time.Duration) time.Duration {
	s, ok := l.str(attr)
	if !ok {
		return def
	}
	d, err := ParseDuration(s)
	if err != nil {
		l.errorf(attr.Expr.Range().Ptr(), "Invalid duration", "%s: %s.", attr.Name, err)
		return def
	}
	return d
}
