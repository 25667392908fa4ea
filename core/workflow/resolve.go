package workflow

import (
	"context"
	"fmt"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/core/config"
	"github.com/switchboard-hub/switchboard/core/loopguard"
	"github.com/switchboard-hub/switchboard/core/pluginconfig"
	"github.com/switchboard-hub/switchboard/sdk"
)

// OutcomeKind is what to do with a due step.
type OutcomeKind int

const (
	// Send a reply through the message's connector.
	Send OutcomeKind = iota + 1
	// Apply tags, a status or an assignee to the thread.
	Apply
	// Execute an action plugin.
	Execute
	// Skip the step for Reason.
	Skip
	// Wait until Until, then resolve again.
	Wait
)

func (k OutcomeKind) String() string {
	return [...]string{"", "send", "apply", "execute", "skip", "wait"}[k]
}

// Outcome is the second half's answer for one due step.
type Outcome struct {
	Kind   OutcomeKind
	Reason string
	Until  time.Time

	Reply *sdk.OutboundMessage // Send
	// MaybeSent (Send): an earlier attempt of the step was granted this
	// reply, so it may have reached the connector; where that attempt was
	// cut short (the hub tells), the connector is asked before the reply
	// is sent again. Without it, no earlier attempt got that far.
	MaybeSent bool

	Tags     []string // Apply
	Status   string   // Apply
	Assignee string   // Apply

	Action    *config.Action // Execute
	Arguments cty.Value      // Execute
}

// Due is a step that fell due, with the thread as it is now.
type Due struct {
	Step    Planned
	Message *Inbound
	// Thread and Contact as they are now, not when the message arrived.
	Thread  Thread
	Contact Contact
	// Outputs of the workflow's earlier action steps for this message, by
	// step name.
	Outputs map[string]cty.Value
	Now     time.Time
}

// Resolve runs the second half: every send-time recheck, then what to do.
// A reply's claim (per-thread window and breaker) is taken through claims
// only once every other check has passed, so a skipped step claims nothing.
func (e *Engine) Resolve(ctx context.Context, d *Due, claims Claims) (Outcome, error) {
	w, s, err := e.findStep(d.Step)
	if err != nil {
		return Outcome{Kind: Skip, Reason: err.Error() + " (configuration changed)"}, nil
	}
	if d.Now.Before(d.Step.DueAt) {
		return Outcome{Kind: Wait, Until: d.Step.DueAt, Reason: "not due yet"}, nil
	}
	switch s.Kind {
	case config.StepTag:
		return Outcome{Kind: Apply, Tags: s.Tags}, nil
	case config.StepStatus:
		return Outcome{Kind: Apply, Status: s.Status}, nil
	case config.StepAssign:
		return Outcome{Kind: Apply, Assignee: s.Assignee}, nil
	case config.StepWait:
		return Outcome{Kind: Apply}, nil
	case config.StepReply:
		return e.resolveReply(ctx, d, w, s, claims)
	}
	vars := e.vars(d)
	args, diags := pluginconfig.Decode(s.Arguments, &s.Action.Schema.Arguments, vars.all())
	if diags.HasErrors() {
		return Outcome{}, sdk.Permanent(fmt.Errorf("step %q of workflow %q: arguments: %w", s.Name, w.Name, diagError(diags)))
	}
	return Outcome{Kind: Execute, Action: s.Action, Arguments: args}, nil
}

func (e *Engine) vars(d *Due) *evalVars {
	v := e.newEvalVars(&Inbound{Message: d.Message.Message, ReceivedAt: d.Message.ReceivedAt, Thread: d.Thread, Contact: d.Contact}, d.Now)
	v.outputs = d.Outputs
	return v
}

func (e *Engine) resolveReply(ctx context.Context, d *Due, w *config.Workflow, s *config.Step, claims Claims) (Outcome, error) {
	in := d.Message
	if auto, why := loopguard.Automatic(&in.Message); auto {
		return Outcome{Kind: Skip, Reason: "loop guard: the message looks automatic (" + why + ")"}, nil
	}
	if s.UnlessAnswered && !d.Thread.LastHumanReplyAt.IsZero() && !d.Thread.LastHumanReplyAt.Before(in.ReceivedAt) {
		return Outcome{Kind: Skip, Reason: fmt.Sprintf("unless_answered: a person answered the thread at %s",
			d.Thread.LastHumanReplyAt.UTC().Format(time.RFC3339))}, nil
	}
	ch := e.channel(in)
	if ch != nil {
		if min := in.ReceivedAt.Add(ch.Capabilities.MinReplyDelay); d.Now.Before(min) {
			return Outcome{Kind: Wait, Until: min, Reason: fmt.Sprintf("%s replies wait at least %s", ch.Key(), config.FormatDuration(ch.Capabilities.MinReplyDelay))}, nil
		}
		if win := ch.Capabilities.ServiceWindow; win > 0 && !d.Thread.LastInboundAt.IsZero() && d.Now.Sub(d.Thread.LastInboundAt) > win {
			return Outcome{Kind: Skip, Reason: fmt.Sprintf("service window: %s allows free-form replies only %s after the buyer's last message", ch.Key(), config.FormatDuration(win))}, nil
		}
	}
	vars := e.vars(d)
	expr := s.Text
	if s.Template != nil {
		expr = s.Template.Variant(in.Message.Language)
	}
	text, err := vars.text(expr)
	if err != nil {
		return Outcome{}, sdk.Permanent(fmt.Errorf("step %q of workflow %q: %w", s.Name, w.Name, err))
	}
	if ch != nil && ch.Capabilities.MaxTextLength > 0 && len([]rune(text)) > ch.Capabilities.MaxTextLength {
		return Outcome{}, sdk.Permanent(fmt.Errorf("step %q of workflow %q: the reply has %d characters; %s allows %d",
			s.Name, w.Name, len([]rune(text)), ch.Key(), ch.Capabilities.MaxTextLength))
	}
	window := w.ReplyWindow
	if window == 0 {
		window = e.cfg.Hub.ReplyWindow
	}
	v, err := claims.ClaimReply(ctx, ReplyClaim{
		ThreadID: d.Thread.ID, Workflow: w.Name, Key: d.Step.Key, At: d.Now, Window: window,
		BreakerLimit: e.cfg.Hub.Breaker.Limit, BreakerPer: e.cfg.Hub.Breaker.Per,
	})
	if err != nil {
		return Outcome{}, err
	}
	if !v.OK {
		return Outcome{Kind: Skip, Reason: v.Reason}, nil
	}
	return Outcome{Kind: Send, MaybeSent: v.Repeated, Reply: &sdk.OutboundMessage{
		Channel:    in.Message.Channel,
		Thread:     in.Message.Thread,
		Recipients: []sdk.Party{in.Message.Sender},
		Subject:    replySubject(in.Message.Subject),
		Text:       text,
		InReplyTo:  in.Message.ExternalID,
		OrderRef:   in.Message.OrderRef,
		// Marked as an automatic reply (RFC 3834), so that the buyer's own
		// robots do not answer it; connectors pass it on where the channel
		// carries headers.
		Headers: map[string]string{"Auto-Submitted": "auto-replied"},
	}}, nil
}

func replySubject(s string) string {
	if s == "" || len(s) >= 3 && (s[:3] == "Re:" || s[:3] == "RE:") {
		return s
	}
	return "Re: " + s
}
