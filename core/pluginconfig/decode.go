package pluginconfig

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
)

// mapLabel is the name of the one label of a NestingMap block, as in
// `route "orders" { … }`.
const mapLabel = "name"

// Spec returns the hcldec specification of a schema block: an
// hcldec.ObjectSpec with one entry per attribute and nested block type.
//
// Optional attributes with a default are wrapped in an hcldec.DefaultSpec, so
// an omitted (or null) attribute decodes to its default. Single blocks decode
// to an object, null when absent; list blocks to a list of objects; map
// blocks, which carry one label, to a map of objects by that label. Where a
// nested block has attributes of dynamic type, whose blocks cannot share one
// element type, lists decode to a tuple and maps to an object instead.
func Spec(b *sdk.Block) hcldec.Spec {
	spec := make(hcldec.ObjectSpec, len(b.Attributes)+len(b.Blocks))
	for _, a := range b.Attributes {
		var s hcldec.Spec = &hcldec.AttrSpec{Name: a.Name, Type: a.Type, Required: a.Required}
		if !a.Required && a.Default != cty.NilVal {
			s = &hcldec.DefaultSpec{Primary: s, Default: &hcldec.LiteralSpec{Value: a.Default}}
		}
		spec[a.Name] = s
	}
	for _, nb := range b.Blocks {
		spec[nb.TypeName] = blockSpec(nb)
	}
	return spec
}

func blockSpec(nb sdk.NestedBlock) hcldec.Spec {
	nested := Spec(&nb.Block)
	// hcldec cannot build a list or map whose elements differ in type, and
	// blocks with dynamically typed attributes may (BlockMapSpec panics).
	dynamic := nb.Block.ImpliedType().HasDynamicTypes()
	switch nb.Nesting {
	case sdk.NestingList:
		if dynamic {
			return &hcldec.BlockTupleSpec{TypeName: nb.TypeName, Nested: nested, MinItems: nb.MinItems, MaxItems: nb.MaxItems}
		}
		return &hcldec.BlockListSpec{TypeName: nb.TypeName, Nested: nested, MinItems: nb.MinItems, MaxItems: nb.MaxItems}
	case sdk.NestingMap:
		var s hcldec.Spec
		if dynamic {
			s = &hcldec.BlockObjectSpec{TypeName: nb.TypeName, LabelNames: []string{mapLabel}, Nested: nested}
		} else {
			s = &hcldec.BlockMapSpec{TypeName: nb.TypeName, LabelNames: []string{mapLabel}, Nested: nested}
		}
		if nb.MinItems > 0 || nb.MaxItems > 0 {
			// hcldec's map specs have no item limits of their own.
			s = &hcldec.ValidateSpec{Wrapped: s, Func: countBlocks(nb)}
		}
		return s
	default:
		return &hcldec.BlockSpec{TypeName: nb.TypeName, Nested: nested, Required: nb.MinItems > 0}
	}
}

// countBlocks checks the number of labelled blocks with the same wording as
// hcldec's list limits.
func countBlocks(nb sdk.NestedBlock) func(cty.Value) hcl.Diagnostics {
	return func(v cty.Value) hcl.Diagnostics {
		v, _ = v.Unmark()
		if v.IsNull() || !v.IsKnown() {
			return nil
		}
		n := v.LengthInt()
		switch {
		case n < nb.MinItems:
			return hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Insufficient %s blocks", nb.TypeName),
				Detail:   fmt.Sprintf("At least %d %q blocks are required.", nb.MinItems, nb.TypeName),
			}}
		case nb.MaxItems > 0 && n > nb.MaxItems:
			return hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Too many %s blocks", nb.TypeName),
				Detail:   fmt.Sprintf("No more than %d %q blocks are allowed.", nb.MaxItems, nb.TypeName),
			}}
		}
		return nil
	}
}

// Decode decodes body against the schema block b, evaluating expressions in
// ctx (which may be nil when no variables or functions are allowed).
//
// The values of attributes declared Sensitive, at any depth, are marked with
// sdk.Sensitive. Where decoding failed and left a block unknown, the whole
// unknown value is marked if anything inside it would have been, so a secret
// is never shown by accident.
//
// Arguments and blocks the schema does not declare are errors ("Unsupported
// argument", "Unsupported block type") that name the closest declared name.
// The value is returned even with errors, with unknowns where parts failed,
// so that callers can go on checking the rest.
func Decode(body hcl.Body, b *sdk.Block, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	v, diags := hcldec.Decode(body, Spec(b), ctx)
	return markSensitive(v, b), diags
}

// markSensitive marks the sensitive attributes of v, a value decoded with b.
// Marks already present (from functions in the evaluation context) are kept.
func markSensitive(v cty.Value, b *sdk.Block) cty.Value {
	unmarked, marks := v.UnmarkDeepWithPaths()
	before := len(marks)
	marks = sensitivePaths(unmarked, b, nil, marks)
	if len(marks) == before {
		return v
	}
	return unmarked.MarkWithPaths(marks)
}

func sensitivePaths(v cty.Value, b *sdk.Block, path cty.Path, marks []cty.PathValueMarks) []cty.PathValueMarks {
	if v.IsNull() || !v.Type().IsObjectType() {
		return marks
	}
	if !v.IsKnown() {
		if hasSensitive(b) {
			marks = append(marks, sensitiveMark(path))
		}
		return marks
	}
	for _, a := range b.Attributes {
		if a.Sensitive && v.Type().HasAttribute(a.Name) {
			marks = append(marks, sensitiveMark(path.GetAttr(a.Name)))
		}
	}
	for _, nb := range b.Blocks {
		if !hasSensitive(&nb.Block) || !v.Type().HasAttribute(nb.TypeName) {
			continue
		}
		nv := v.GetAttr(nb.TypeName)
		np := path.GetAttr(nb.TypeName)
		if nb.Nesting == sdk.NestingSingle {
			marks = sensitivePaths(nv, &nb.Block, np, marks)
			continue
		}
		if nv.IsNull() {
			continue
		}
		if !nv.IsKnown() {
			marks = append(marks, sensitiveMark(np))
			continue
		}
		// Lists and maps are indexed; the tuple and object forms used for
		// dynamic types are walked the same way cty walks them.
		byAttr := nv.Type().IsObjectType()
		for it := nv.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			ep := np.Index(k)
			if byAttr {
				ep = np.GetAttr(k.AsString())
			}
			marks = sensitivePaths(ev, &nb.Block, ep, marks)
		}
	}
	return marks
}

func sensitiveMark(p cty.Path) cty.PathValueMarks {
	return cty.PathValueMarks{Path: p.Copy(), Marks: cty.NewValueMarks(sdk.Sensitive)}
}

// hasSensitive reports whether b declares a sensitive attribute at any depth.
func hasSensitive(b *sdk.Block) bool {
	for _, a := range b.Attributes {
		if a.Sensitive {
			return true
		}
	}
	for _, nb := range b.Blocks {
		if hasSensitive(&nb.Block) {
			return true
		}
	}
	return false
}
