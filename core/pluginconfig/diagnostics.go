package pluginconfig

import (
	"fmt"
	"math/big"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
)

// Diagnostics turns the diagnostics a plugin returned about its
// configuration into HCL diagnostics that point into the user's file.
//
// body is the body the configuration was decoded from. Each diagnostic's
// attribute path (`send_url`, `tls.cert`, `route["orders"].url`,
// `rule[0].pattern`) is followed through the body's attributes and nested
// blocks: the Subject is the attribute's value, or the block's header when
// the path ends at a block, and an attribute inside an object or tuple
// expression is followed into it where it is written literally. A
// diagnostic without a path is about the whole block.
//
// When the path leads to something that is not written in the file (a
// required value left out), the Subject is where it would go, the body's
// missing-item range, and the Detail gains a sentence naming the path, since
// the range alone would not say which attribute the plugin meant. Otherwise
// the Summary and Detail are kept as the plugin wrote them.
func Diagnostics(body hcl.Body, diags sdk.Diagnostics) hcl.Diagnostics {
	if len(diags) == 0 {
		return nil
	}
	out := make(hcl.Diagnostics, 0, len(diags))
	for _, d := range diags {
		sev := hcl.DiagError
		if d.Severity == sdk.SeverityWarning {
			sev = hcl.DiagWarning
		}
		hd := &hcl.Diagnostic{Severity: sev, Summary: d.Summary, Detail: d.Detail}
		if body != nil {
			loc := locate(body, d.Attribute)
			hd.Subject = loc.subject.Ptr()
			hd.Context = loc.context
			if !loc.found {
				note := fmt.Sprintf("This concerns %s, which is not set here.", sdk.PathString(d.Attribute))
				if hd.Detail == "" {
					hd.Detail = note
				} else {
					hd.Detail += "\n\n" + note
				}
			}
		}
		out = append(out, hd)
	}
	return out
}

// location is where a path leads in a body.
type location struct {
	subject hcl.Range
	context *hcl.Range
	// found is false when the path leads outside what the file contains.
	found bool
}

func locate(body hcl.Body, path cty.Path) location {
	if len(path) == 0 {
		return location{subject: wholeBody(body), found: true}
	}
	for i := 0; i < len(path); i++ {
		step, ok := path[i].(cty.GetAttrStep)
		if !ok {
			return location{subject: body.MissingItemRange()}
		}
		rest := path[i+1:]
		attr := findAttribute(body, step.Name)
		atAttr := func() location {
			ctx := attr.Range
			return location{subject: exprRange(attr.Expr, rest), context: &ctx, found: true}
		}
		// JSON cannot tell an attribute from a block without the schema:
		// any object property is both. Read as a block, the path can go on
		// into it, where its properties are attributes again.
		if _, native := body.(*hclsyntax.Body); attr != nil && (native || len(rest) == 0) {
			return atAttr()
		}

		// A nested block: the next step, if any, says which one. An index
		// selects a list block, a string key a map block by its label, and
		// an attribute name reads inside a single block.
		var next cty.PathStep
		if len(rest) > 0 {
			next = rest[0]
		}
		key, keyed := next.(cty.IndexStep)
		labelled := keyed && key.Key.Type() == cty.String
		blocks := findBlocks(body, step.Name, labelled)
		block := (*hcl.Block)(nil)
		if len(blocks) > 0 {
			block = blocks[0]
			if keyed {
				block = selectBlock(blocks, key.Key)
			}
		}
		switch {
		case block == nil && attr != nil:
			return atAttr()
		case block == nil && len(blocks) > 0:
			// No block with that index or label: the first one is the
			// nearest thing to point at.
			return location{subject: blocks[0].DefRange}
		case block == nil:
			return location{subject: body.MissingItemRange()}
		}
		if keyed {
			i++
		}
		if i+1 == len(path) {
			return location{subject: block.DefRange, found: true}
		}
		body = block.Body
	}
	return location{subject: body.MissingItemRange()}
}

// wholeBody is the range a diagnostic about a whole body points at.
func wholeBody(body hcl.Body) hcl.Range {
	if b, ok := body.(*hclsyntax.Body); ok {
		return b.SrcRange
	}
	return body.MissingItemRange()
}

func findAttribute(body hcl.Body, name string) *hcl.Attribute {
	if b, ok := body.(*hclsyntax.Body); ok {
		if a, ok := b.Attributes[name]; ok {
			return a.AsHCLAttribute()
		}
		return nil
	}
	// Other syntaxes (JSON) only answer through a schema; errors are about
	// the other content, which is not ours to judge here.
	content, _, _ := body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: name}}})
	if content == nil {
		return nil
	}
	return content.Attributes[name]
}

func findBlocks(body hcl.Body, typeName string, labelled bool) hcl.Blocks {
	if b, ok := body.(*hclsyntax.Body); ok {
		var blocks hcl.Blocks
		for _, blk := range b.Blocks {
			if blk.Type == typeName {
				blocks = append(blocks, blk.AsHCLBlock())
			}
		}
		return blocks
	}
	hs := hcl.BlockHeaderSchema{Type: typeName}
	if labelled {
		hs.LabelNames = []string{mapLabel}
	}
	content, _, _ := body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{hs}})
	if content == nil {
		return nil
	}
	return content.Blocks.OfType(typeName)
}

func selectBlock(blocks hcl.Blocks, key cty.Value) *hcl.Block {
	if key.IsNull() || !key.IsKnown() {
		return nil
	}
	switch key.Type() {
	case cty.String:
		for _, b := range blocks {
			if len(b.Labels) > 0 && b.Labels[0] == key.AsString() {
				return b
			}
		}
	case cty.Number:
		i, acc := key.AsBigFloat().Int64()
		if acc == big.Exact && i >= 0 && i < int64(len(blocks)) {
			return blocks[i]
		}
	}
	return nil
}

// exprRange follows the rest of a path into an attribute's expression as far
// as it is written literally (`{ a = … }`, `[…]`), and returns the range of
// the innermost part reached.
func exprRange(expr hcl.Expression, rest cty.Path) hcl.Range {
	for len(rest) > 0 {
		if p, ok := expr.(*hclsyntax.ParenthesesExpr); ok {
			expr = p.Expression
			continue
		}
		next := element(expr, rest[0])
		if next == nil {
			break
		}
		expr, rest = next, rest[1:]
	}
	return expr.Range()
}

// element is the part of a literal object or tuple expression that step
// selects, or nil.
func element(expr hcl.Expression, step cty.PathStep) hcl.Expression {
	switch e := expr.(type) {
	case *hclsyntax.ObjectConsExpr:
		want, ok := stepKey(step)
		if !ok {
			return nil
		}
		for _, item := range e.Items {
			k, diags := item.KeyExpr.Value(nil)
			if diags.HasErrors() || !k.IsKnown() || k.IsNull() || k.Type() != cty.String {
				continue
			}
			if k.AsString() == want {
				return item.ValueExpr
			}
		}
	case *hclsyntax.TupleConsExpr:
		idx, ok := step.(cty.IndexStep)
		if !ok || idx.Key.Type() != cty.Number || !idx.Key.IsKnown() || idx.Key.IsNull() {
			return nil
		}
		i, acc := idx.Key.AsBigFloat().Int64()
		if acc == big.Exact && i >= 0 && i < int64(len(e.Exprs)) {
			return e.Exprs[i]
		}
	}
	return nil
}

// stepKey is the name an object key must have for step: an attribute name
// or a string index.
func stepKey(step cty.PathStep) (string, bool) {
	switch s := step.(type) {
	case cty.GetAttrStep:
		return s.Name, true
	case cty.IndexStep:
		if s.Key.Type() == cty.String && s.Key.IsKnown() && !s.Key.IsNull() {
			return s.Key.AsString(), true
		}
	}
	return "", false
}
