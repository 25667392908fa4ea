package config

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// fold evaluates, once at load time, every part of an expression that
// depends on nothing a message brings — keyword lists, literal tuples,
// calls of pure functions on constants, local values — and replaces it with
// its value. Conditions run for every workflow on every message, and
// without folding HCL rebuilds `["zwrot", "return"]` each time.
func fold(expr hcl.Expression, ctx *hcl.EvalContext, runtime map[string]bool) hcl.Expression {
	if e, ok := expr.(hclsyntax.Expression); ok {
		return foldSyntax(e, ctx, runtime)
	}
	return expr
}

func foldSyntax(expr hclsyntax.Expression, ctx *hcl.EvalContext, runtime map[string]bool) hclsyntax.Expression {
	if constant(expr, runtime) {
		if v, diags := expr.Value(ctx); !diags.HasErrors() && v.IsWhollyKnown() {
			return &hclsyntax.LiteralValueExpr{Val: v, SrcRange: expr.Range()}
		}
		return expr
	}
	switch e := expr.(type) {
	case *hclsyntax.FunctionCallExpr:
		for i, a := range e.Args {
			e.Args[i] = foldSyntax(a, ctx, runtime)
			// A constant argument is converted once to the parameter's type
			// (a keyword tuple to a list), not on every call.
			if lit, ok := e.Args[i].(*hclsyntax.LiteralValueExpr); ok {
				if p, ok := paramType(ctx, e.Name, i); ok {
					if v, err := convert.Convert(lit.Val, p); err == nil {
						lit.Val = v
					}
				}
			}
		}
	case *hclsyntax.BinaryOpExpr:
		e.LHS, e.RHS = foldSyntax(e.LHS, ctx, runtime), foldSyntax(e.RHS, ctx, runtime)
	case *hclsyntax.UnaryOpExpr:
		e.Val = foldSyntax(e.Val, ctx, runtime)
	case *hclsyntax.ConditionalExpr:
		e.Condition = foldSyntax(e.Condition, ctx, runtime)
		e.TrueResult = foldSyntax(e.TrueResult, ctx, runtime)
		e.FalseResult = foldSyntax(e.FalseResult, ctx, runtime)
	case *hclsyntax.TemplateExpr:
		for i, p := range e.Parts {
			e.Parts[i] = foldSyntax(p, ctx, runtime)
		}
	case *hclsyntax.TemplateWrapExpr:
		e.Wrapped = foldSyntax(e.Wrapped, ctx, runtime)
	case *hclsyntax.TupleConsExpr:
		for i, x := range e.Exprs {
			e.Exprs[i] = foldSyntax(x, ctx, runtime)
		}
	case *hclsyntax.ParenthesesExpr:
		e.Expression = foldSyntax(e.Expression, ctx, runtime)
	}
	return expr
}

// paramType is the type of a function's i-th parameter.
func paramType(ctx *hcl.EvalContext, name string, i int) (cty.Type, bool) {
	for c := ctx; c != nil; c = c.Parent() {
		f, ok := c.Functions[name]
		if !ok {
			continue
		}
		params := f.Params()
		if i < len(params) {
			return params[i].Type, true
		}
		if vp := f.VarParam(); vp != nil {
			return vp.Type, true
		}
		return cty.NilType, false
	}
	return cty.NilType, false
}

// constant reports whether expr reads no runtime variable and calls no
// function whose answer depends on the clock or the message.
func constant(expr hclsyntax.Expression, runtime map[string]bool) bool {
	for _, t := range expr.Variables() {
		if runtime[t.RootName()] {
			return false
		}
	}
	pure := true
	hclsyntax.VisitAll(expr, func(n hclsyntax.Node) hcl.Diagnostics {
		if call, ok := n.(*hclsyntax.FunctionCallExpr); ok && impure[call.Name] {
			pure = false
		}
		return nil
	})
	return pure
}

// impure functions give different answers for the same arguments.
var impure = map[string]bool{
	"open_now": true, "next_open": true, "weekday": true, "hour": true, "today": true,
	"env": true, "file": true, "detect_language": true,
}
