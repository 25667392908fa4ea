package workflow

import (
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/core/config"
)

// reads is what an expression reads of an evaluation: its variables, by
// root name, and its functions.
type reads uint8

const (
	readsMessage reads = 1 << iota
	readsThread
	readsContact
	readsAccount
	readsNow
	readsStep
	readsFunctions
	readsAll = readsFunctions<<1 - 1
)

var readsByRoot = map[string]reads{
	config.VarMessage: readsMessage,
	config.VarThread:  readsThread,
	config.VarContact: readsContact,
	config.VarAccount: readsAccount,
	config.VarNow:     readsNow,
	config.VarStep:    readsStep,
}

// exprReads is what an expression reads of an evaluation.
type exprReads struct {
	vars reads
	// message holds the message's attributes it reads, when vars has
	// readsMessage and it reads them only by name (message.text); nil
	// when it reads the message whole.
	message []string
}

// readsOf returns what expr reads, from the engine's cache after its first
// evaluation. An expression that is not HCL native syntax is taken to call
// functions.
func (e *Engine) readsOf(expr hcl.Expression) exprReads {
	if r, ok := e.reads.Load(expr); ok {
		return r.(exprReads)
	}
	var (
		r     exprReads
		whole bool
	)
	for _, t := range expr.Variables() {
		root := t.RootName()
		r.vars |= readsByRoot[root]
		if root != config.VarMessage {
			continue
		}
		if len(t) > 1 {
			if attr, ok := t[1].(hcl.TraverseAttr); ok {
				r.message = append(r.message, attr.Name)
				continue
			}
		}
		whole = true
	}
	if whole {
		r.message = nil
	}
	if n, ok := expr.(hclsyntax.Node); ok {
		hclsyntax.VisitAll(n, func(n hclsyntax.Node) hcl.Diagnostics {
			if _, ok := n.(*hclsyntax.FunctionCallExpr); ok {
				r.vars |= readsFunctions
			}
			return nil
		})
	} else {
		r.vars |= readsFunctions
	}
	e.reads.Store(expr, r)
	return r
}

// evalVars holds the variables of one evaluation. Each is built the first
// time an expression reads it: a reply's text that names only the message
// costs no thread, contact or time functions, and most conditions compile
// to Go and read none.
type evalVars struct {
	e       *Engine
	in      *Inbound
	now     time.Time
	outputs map[string]cty.Value // earlier steps' outputs, the step variable
	ctx     *hcl.EvalContext
	built   reads
	// message holds the message's attributes built so far, until the
	// message is built whole (and built has readsMessage).
	message map[string]cty.Value
}

func (e *Engine) newEvalVars(in *Inbound, now time.Time) *evalVars {
	ctx := e.cfg.Eval.NewChild()
	ctx.Variables = make(map[string]cty.Value, len(readsByRoot))
	return &evalVars{e: e, in: in, now: now, ctx: ctx}
}

// context returns the evaluation context with what expr reads built.
func (v *evalVars) context(expr hcl.Expression) *hcl.EvalContext {
	v.build(v.e.readsOf(expr))
	return v.ctx
}

// all returns the evaluation context with every variable and function
// built, for bodies (an action's arguments) rather than one expression.
func (v *evalVars) all() *hcl.EvalContext {
	v.build(exprReads{vars: readsAll})
	return v.ctx
}

// buildMessage builds the message variable with the attributes named, and
// those built before; the message's other attributes are read by no
// expression of the evaluation so far.
func (v *evalVars) buildMessage(names []string) {
	grew := false
	for _, name := range names {
		build := messageAttrs[name]
		if _, ok := v.message[name]; ok || build == nil {
			continue // built, or not an attribute: the evaluation says so
		}
		if v.message == nil {
			v.message = make(map[string]cty.Value, len(names))
		}
		v.message[name] = build(v.in)
		grew = true
	}
	if _, ok := v.ctx.Variables[config.VarMessage]; grew || !ok {
		v.ctx.Variables[config.VarMessage] = cty.ObjectVal(v.message)
	}
}

func (v *evalVars) build(er exprReads) {
	r := er.vars &^ v.built
	if r&readsMessage != 0 && er.message != nil {
		v.buildMessage(er.message)
		r &^= readsMessage
	}
	if r == 0 {
		return
	}
	v.built |= r
	in, vars := v.in, v.ctx.Variables
	if r&readsMessage != 0 {
		vars[config.VarMessage] = messageValue(in)
		v.message = nil
	}
	if r&readsThread != 0 {
		vars[config.VarThread] = threadValue(&in.Thread)
	}
	if r&readsContact != 0 {
		vars[config.VarContact] = contactValue(&in.Contact)
	}
	if r&readsAccount != 0 {
		vars[config.VarAccount] = cty.ObjectVal(map[string]cty.Value{
			"connector": cty.StringVal(in.Message.Connector),
			"name":      cty.StringVal(in.Message.Account),
		})
	}
	if r&readsNow != 0 {
		vars[config.VarNow] = cty.StringVal(v.now.UTC().Format(time.RFC3339))
	}
	if r&readsStep != 0 {
		vars[config.VarStep] = cty.EmptyObjectVal
		if len(v.outputs) > 0 {
			vars[config.VarStep] = cty.ObjectVal(v.outputs)
		}
	}
	if r&readsFunctions != 0 {
		v.ctx.Functions = config.TimeFunctions(v.now)
	}
}
