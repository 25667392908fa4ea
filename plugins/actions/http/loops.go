package main

import (
	"context"
	"fmt"
	"text/template"
	"text/template/parse"
)

// A body template runs inside the plugin, under the deadline of the host's
// call, and text/template neither watches a context nor bounds its loops.
// Since Go 1.22 {{range N}} repeats its body N times: {{range 100000000000}}
// writes nothing, so the output cap never stops it, and it burns a CPU until
// the host kills the plugin as hung. The data can give such numbers too:
// {{range .Message.SentAt.Unix}} counts to 1.7 billion, and so can len,
// index on a string, or a template that calls itself twice. Hence two
// defences:
//
//   - refuseConstantRanges refuses, before anything runs, a range over a
//     value written in the template rather than taken from the data: a
//     constant can only be a number (a loop of that many turns) or
//     something range fails on anyway;
//   - loopGuard counts every turn of every range and every template call,
//     and stops the template after maxRepetitions of them or once the
//     call's context is done, whatever the loop ranges over.

// maxRepetitions bounds the range turns and template calls of one
// rendering. A body over a message's recipients, tags or headers needs a
// few hundred; this many empty turns take a few tens of milliseconds.
const maxRepetitions = 100_000

// refuseConstantRanges returns an error naming the first range, in t or in
// any template it defines, whose pipeline uses no data.
func refuseConstantRanges(t *template.Template) error {
	var first *parse.RangeNode
	var firstTree *parse.Tree
	for _, tt := range t.Templates() {
		if tt.Tree == nil {
			continue
		}
		walkRanges(tt.Tree.Root, func(r *parse.RangeNode) {
			if constantPipe(r.Pipe) && (first == nil || r.Pos < first.Pos) {
				first, firstTree = r, tt.Tree
			}
		})
	}
	if first == nil {
		return nil
	}
	at, _ := firstTree.ErrorContext(first)
	what := "a value computed from constants"
	if len(first.Pipe.Cmds) == 1 && len(first.Pipe.Cmds[0].Args) == 1 {
		if n, ok := first.Pipe.Cmds[0].Args[0].(*parse.NumberNode); ok {
			what = "the number " + n.Text
		}
	}
	return fmt.Errorf("%s: {{range %s}} ranges over %s, not over the message's data: "+
		"a range over a number repeats its body that many times, which can run for longer than Switchboard waits; "+
		"range over a list from the data instead, such as {{range .Thread.Tags}} or {{range .Message.Recipients}}",
		at, first.Pipe, what)
}

// walkRanges calls f for every range in the list, nested ones included.
// Ranges only occur in lists: pipelines hold no statements.
func walkRanges(list *parse.ListNode, f func(*parse.RangeNode)) {
	if list == nil {
		return
	}
	for _, n := range list.Nodes {
		switch n := n.(type) {
		case *parse.RangeNode:
			f(n)
			walkRanges(n.List, f)
			walkRanges(n.ElseList, f)
		case *parse.IfNode:
			walkRanges(n.List, f)
			walkRanges(n.ElseList, f)
		case *parse.WithNode:
			walkRanges(n.List, f)
			walkRanges(n.ElseList, f)
		}
	}
}

// constantPipe tells whether a pipeline's value depends on no data: it
// holds only literals and function calls on them, no dot, field or
// variable. None of the template's functions returns a list from
// constants, so ranging over one is a number of turns or an error.
func constantPipe(p *parse.PipeNode) bool {
	if p == nil || len(p.Cmds) == 0 {
		return false
	}
	for _, c := range p.Cmds {
		for _, arg := range c.Args {
			if !constantNode(arg) {
				return false
			}
		}
	}
	return true
}

func constantNode(n parse.Node) bool {
	switch n := n.(type) {
	case *parse.NumberNode, *parse.StringNode, *parse.BoolNode, *parse.NilNode, *parse.IdentifierNode:
		// An identifier is a function; the functions read only their
		// arguments.
		return true
	case *parse.PipeNode:
		return constantPipe(n)
	case *parse.ChainNode:
		return constantNode(n.Node)
	}
	return false // dot, field, variable: data
}

// loopGuard is the state of one rendering's repetition count. Its tick is
// called at the start of every range turn and every template call, through
// actions that install adds to the parsed tree.
type loopGuard struct {
	ctx    context.Context
	left   int
	labels []string // where each installed tick is, for the error
}

// guardFunc is the name under which tick is given to the template.
const guardFunc = "loopGuard"

// funcs returns the functions that give the template access to g.
func (g *loopGuard) funcs() template.FuncMap {
	return template.FuncMap{guardFunc: g.tick}
}

// loopStopped is the error of a template the guard stopped.
type loopStopped struct {
	label string
	err   error // the context's error, or nil when the count ran out
}

func (e *loopStopped) Error() string {
	if e.err != nil {
		return fmt.Sprintf("%s: still repeating when the call's time ran out (%v)", e.label, e.err)
	}
	return fmt.Sprintf("%s: the template was stopped after %d repetitions (range turns and template calls); "+
		"a range over a number from the data (such as .Message.SentAt.Unix) or a template that calls itself can repeat for longer than Switchboard waits; "+
		"range over a list from the data instead, such as {{range .Thread.Tags}}", e.label, maxRepetitions)
}

func (e *loopStopped) Unwrap() error { return e.err }

// tick counts one repetition at the tick installed as number at. It writes
// nothing.
func (g *loopGuard) tick(at int) (string, error) {
	label := "the template"
	if at >= 0 && at < len(g.labels) {
		label = g.labels[at]
	}
	if err := g.ctx.Err(); err != nil {
		return "", &loopStopped{label: label, err: err}
	}
	if g.left--; g.left < 0 {
		return "", &loopStopped{label: label}
	}
	return "", nil
}

// install puts a tick at the start of every template of t, which counts its
// calls, and at the start of every range's body, which counts its turns.
func (g *loopGuard) install(t *template.Template) {
	for _, tt := range t.Templates() {
		tr := tt.Tree
		if tr == nil || tr.Root == nil {
			continue
		}
		at, _ := tr.ErrorContext(tr.Root)
		g.prepend(tr, tr.Root, tr.Root.Pos, fmt.Sprintf("%s: {{template %q}}", at, tt.Name()))
		walkRanges(tr.Root, func(r *parse.RangeNode) {
			at, _ := tr.ErrorContext(r)
			g.prepend(tr, r.List, r.Pos, fmt.Sprintf("%s: {{range %s}}", at, r.Pipe))
		})
	}
}

// prepend inserts {{loopGuard N}} at the start of list, N being the index
// of label. The nodes are built by hand, as the parser would build them
// for that text at pos.
func (g *loopGuard) prepend(tr *parse.Tree, list *parse.ListNode, pos parse.Pos, label string) {
	n := len(g.labels)
	g.labels = append(g.labels, label)
	ident := parse.NewIdentifier(guardFunc).SetTree(tr).SetPos(pos)
	num := &parse.NumberNode{NodeType: parse.NodeNumber, Pos: pos, IsInt: true, Int64: int64(n), Text: fmt.Sprint(n)}
	cmd := &parse.CommandNode{NodeType: parse.NodeCommand, Pos: pos, Args: []parse.Node{ident, num}}
	pipe := &parse.PipeNode{NodeType: parse.NodePipe, Pos: pos, Cmds: []*parse.CommandNode{cmd}}
	action := &parse.ActionNode{NodeType: parse.NodeAction, Pos: pos, Pipe: pipe}
	list.Nodes = append([]parse.Node{action}, list.Nodes...)
}
