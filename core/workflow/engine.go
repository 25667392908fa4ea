package workflow

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/switchboard-hub/switchboard/core/config"
	"github.com/switchboard-hub/switchboard/core/loopguard"
)

// Engine evaluates one compiled configuration. It is safe for concurrent
// use; swap in a new Engine to change the configuration.
type Engine struct {
	cfg *config.Config
	// fast holds each workflow's compiled condition (nil: evaluate with HCL).
	fast []boolFn
	// overrides turn workflows on or off at run time (by name), whatever
	// their enabled attribute says.
	overrides map[string]bool
	// reads caches what each expression reads (see readsOf).
	reads *sync.Map
}

// New returns an engine for cfg, which must have loaded without errors.
func New(cfg *config.Config) *Engine {
	e := &Engine{cfg: cfg, fast: make([]boolFn, len(cfg.Workflows)), reads: &sync.Map{}}
	for i, w := range cfg.Workflows {
		if w.Condition != nil {
			e.fast[i] = compileCondition(w.Condition)
		}
	}
	return e
}

// WithOverrides returns an engine that runs the named workflows as enabled
// (true) or disabled (false), whatever their enabled attribute says.
func (e *Engine) WithOverrides(enabled map[string]bool) *Engine {
	return &Engine{cfg: e.cfg, fast: e.fast, overrides: enabled, reads: e.reads}
}

// enabled reports whether a workflow runs: its override, or its enabled
// attribute.
func (e *Engine) enabled(w *config.Workflow) bool {
	if on, ok := e.overrides[w.Name]; ok {
		return on
	}
	return w.Enabled
}

// Config is the configuration the engine runs.
func (e *Engine) Config() *config.Config { return e.cfg }

// Planned is a step to run at DueAt.
type Planned struct {
	// Key is the step's idempotency key, the same on every redelivery:
	// derived from the message, the workflow and the step.
	Key       string
	MessageID string
	Workflow  string
	Step      string
	DueAt     time.Time
}

// Decision is the first half's answer for one message.
type Decision struct {
	Steps       []Planned
	Explanation Explanation
}

// Evaluate runs the first half: which workflows fire for the message, and
// when their steps fall due.
func (e *Engine) Evaluate(in *Inbound) Decision {
	d := Decision{Explanation: Explanation{
		MessageID: in.Message.ID,
		Source:    in.Message.Connector + "." + in.Message.Channel,
		Account:   in.Message.Account,
		Workflows: make([]WorkflowResult, 0, len(e.cfg.Workflows)),
	}}
	var (
		vars      *evalVars
		automatic *autoVerdict
		stoppedBy string
		env       = fastEnv{in: in, now: in.ReceivedAt}
	)
	for i, w := range e.cfg.Workflows {
		r := WorkflowResult{Workflow: w.Name}
		switch {
		case stoppedBy != "":
			r.Reason = fmt.Sprintf("stopped by higher-priority workflow %q (stop = true)", stoppedBy)
		case !e.enabled(w):
			r.stop = stopDisabled
		case !w.Trigger.Listens(in.Message.Connector, in.Message.Channel):
			r.stop = stopSource
		case !w.Trigger.Accepts(in.Message.Account):
			r.stop = stopAccount
		default:
			if automatic == nil && (w.Replies() || w.Trigger.Mode != config.EveryMessage) {
				yes, why := loopguard.Automatic(&in.Message)
				automatic = &autoVerdict{yes, why}
			}
			withhold := ""
			if w.Replies() && automatic.yes {
				withhold = "loop guard: the message looks automatic (" + automatic.why + ")"
				if w.OnlyReplies() {
					r.Reason = withhold
					break
				}
			}
			if w.Trigger.Mode != config.EveryMessage && automatic.yes {
				r.Reason = fmt.Sprintf("mode %s: an automatic message is nobody's first message (%s)", w.Trigger.Mode, automatic.why)
				break
			}
			if reason := modeStops(w.Trigger, in); reason != "" {
				r.Reason = reason
				break
			}
			if fast := e.fast[i]; fast != nil {
				if !fast(&env) {
					r.stop = stopCondition
					break
				}
			} else if w.Condition != nil {
				if vars == nil {
					vars = e.newEvalVars(in, in.ReceivedAt)
				}
				ok, err := vars.condition(w.Condition)
				if err != nil {
					r.Reason = "condition failed: " + err.Error()
					break
				}
				if !ok {
					r.stop = stopCondition
					break
				}
			}
			r.Fired = true
			if withhold != "" {
				r.Reason = "replies withheld: " + withhold
			}
			for _, s := range w.Steps {
				if withhold != "" && s.Kind == config.StepReply {
					continue
				}
				p := Planned{
					Key:       StepKey(in.Message.ID, w.Name, s.Name),
					MessageID: in.Message.ID,
					Workflow:  w.Name,
					Step:      s.Name,
					DueAt:     e.dueAt(in, s),
				}
				d.Steps = append(d.Steps, p)
				r.Steps = append(r.Steps, p)
			}
			if w.Stop {
				stoppedBy = w.Name
			}
		}
		d.Explanation.Workflows = append(d.Explanation.Workflows, r)
	}
	return d
}

type autoVerdict struct {
	yes bool
	why string
}

// dueAt is the step's offset after the message, never sooner than the
// channel's minimum reply delay for replies.
func (e *Engine) dueAt(in *Inbound, s *config.Step) time.Time {
	offset := s.Offset
	if s.Kind == config.StepReply {
		if ch := e.channel(in); ch != nil && ch.Capabilities.MinReplyDelay > offset {
			offset = ch.Capabilities.MinReplyDelay
		}
	}
	return in.ReceivedAt.Add(offset)
}

func (e *Engine) channel(in *Inbound) *config.Channel {
	return e.cfg.Channels[in.Message.Connector+"."+in.Message.Channel]
}

// modeStops says why the trigger's mode does not match, or "".
func modeStops(t config.Trigger, in *Inbound) string {
	switch t.Mode {
	case config.FirstMessage:
		if in.Thread.FirstMessageID != "" && in.Thread.FirstMessageID != in.Message.ID {
			return "mode first_message: not the thread's first buyer message"
		}
	case config.FirstContactMessage:
		if in.ContactPreviousAt.IsZero() {
			return ""
		}
		since := in.ReceivedAt.Sub(in.ContactPreviousAt)
		if t.Idle == 0 {
			return "mode first_contact_message: the contact wrote before"
		}
		if since < t.Idle {
			return fmt.Sprintf("mode first_contact_message: the contact wrote %s earlier, within the idle period of %s",
				config.FormatDuration(since.Round(time.Second)), config.FormatDuration(t.Idle))
		}
	}
	return ""
}

// StepKey derives a step's idempotency key. It is readable when short, and
// a hash when the names are long (vendors limit key length).
func StepKey(messageID, workflow, step string) string {
	k := messageID + "." + workflow + "." + step
	if len(k) <= 100 {
		return k
	}
	sum := sha256.Sum256([]byte(k))
	return messageID + "." + hex.EncodeToString(sum[:12])
}

// findStep returns the workflow and step of a planned step.
func (e *Engine) findStep(p Planned) (*config.Workflow, *config.Step, error) {
	for _, w := range e.cfg.Workflows {
		if w.Name != p.Workflow {
			continue
		}
		for _, s := range w.Steps {
			if s.Name == p.Step {
				return w, s, nil
			}
		}
		return w, nil, fmt.Errorf("workflow %q has no step %q any more", p.Workflow, p.Step)
	}
	return nil, nil, fmt.Errorf("workflow %q no longer exists", p.Workflow)
}

func (v *evalVars) condition(expr hcl.Expression) (bool, error) {
	val, diags := expr.Value(v.context(expr))
	if diags.HasErrors() {
		return false, diagError(diags)
	}
	if val.IsMarked() {
		val, _ = val.Unmark()
	}
	// As validate checks it: a value that converts to a bool will do.
	b, err := convert.Convert(val, cty.Bool)
	if err != nil || b.IsNull() || !b.IsKnown() {
		return false, fmt.Errorf("the condition gave %s, not true or false", val.GoString())
	}
	return b.True(), nil
}

func (v *evalVars) text(expr hcl.Expression) (string, error) {
	val, diags := expr.Value(v.context(expr))
	if diags.HasErrors() {
		return "", diagError(diags)
	}
	val, _ = val.UnmarkDeep()
	// As validate checks it: a value that converts to a string (a number,
	// a bool) will do.
	str, err := convert.Convert(val, cty.String)
	if err != nil || str.IsNull() || !str.IsKnown() {
		return "", fmt.Errorf("the text is %s, not a string", val.GoString())
	}
	return str.AsString(), nil
}

func diagError(diags hcl.Diagnostics) error {
	var parts []string
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		if d.Subject != nil {
			msg = d.Subject.String() + ": " + msg
		}
		parts = append(parts, msg)
	}
	return fmt.Errorf("%s", strings.Join(parts, "; "))
}
