package hub

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/core/pluginhost"
	"github.com/switchboard-hub/switchboard/core/store"
	"github.com/switchboard-hub/switchboard/core/workflow"
	"github.com/switchboard-hub/switchboard/sdk"
)

// Retry policy of failed steps: exponential from RetryBase, at most
// RetryMax apart, dead-lettered after MaxAttempts.
const (
	RetryBase   = 10 * time.Second
	RetryMax    = time.Hour
	MaxAttempts = 10
)

func backoff(attempts int) time.Duration {
	d := RetryBase << min(max(attempts-1, 0), 20)
	return min(d, RetryMax)
}

// execute runs a step the queue carried: claim it, run the engine's
// send-time checks, act, and record the outcome. It returns an error only
// when the store could not be reached, so that the queue redelivers; a step
// that fails is retried or dead-lettered through the store.
func (h *Hub) execute(ctx context.Context, key string) error {
	if h.attempts.holds(key) {
		// A run of this hub is on it, alive, whatever the lease says: a
		// clock that jumped forward can make the step look abandoned to the
		// requeue before the renewal comes. Taking it over would send it
		// twice.
		return fmt.Errorf("step %s: this hub runs it: %w", key, store.ErrStepHeld)
	}
	now := h.clock.Now()
	st, err := h.store.BeginAttempt(ctx, key, now)
	if errors.Is(err, store.ErrNotClaimable) {
		return nil // finished, or not queued: a redelivery that changes nothing
	}
	if errors.Is(err, store.ErrNotFound) {
		// Pruned by message_retention after it finished, or a database
		// restored from before it was planned: nothing to do.
		h.log.Warn("the queue carried a step the store does not hold; dropping it", "step", key, "error", err)
		return nil
	}
	if errors.Is(err, store.ErrStepHeld) {
		// Another worker is on it, or died on it: ask again after its lease,
		// when a dead worker's step is looked up and resumed.
		return err
	}
	if err != nil {
		return fmt.Errorf("begin step %s: %w", key, err)
	}
	h.attempts.hold(st.Key, st.Attempts) // renewed while it waits
	return h.run(ctx, st)
}

// run executes a begun step, held in h.attempts: the engine's send-time
// checks, the action, and the outcome recorded. A step the queue carried
// and a step begun by the worker that planned it both come here.
func (h *Hub) run(ctx context.Context, st *store.Step) error {
	began := time.Now()
	defer func() {
		h.attempts.release(st.Key, st.Attempts)
		h.metrics.stepLatency.Observe(time.Since(began).Seconds())
	}()
	key := st.Key
	now := h.clock.Now()
	g, err := h.use()
	if err != nil {
		return err
	}
	defer g.plugins.done()
	in := st.Inbound
	outputs, err := h.outputs(ctx, g, st)
	if err != nil {
		return err
	}
	due := &workflow.Due{Step: st.Planned, Message: in, Thread: in.Thread, Contact: in.Contact, Outputs: outputs, Now: now}
	o, err := g.engine.Resolve(ctx, due, h.store)
	if err != nil {
		if sdk.KindOf(err) == sdk.KindPermanent {
			return h.fail(ctx, st, err)
		}
		return fmt.Errorf("resolve step %s: %w", key, err)
	}
	switch o.Kind {
	case workflow.Wait:
		return h.finish(ctx, st, store.Result{Kind: store.ResultWaiting, At: now, Until: o.Until, Reason: o.Reason})
	case workflow.Skip:
		return h.finish(ctx, st, store.Result{Kind: store.ResultSkipped, At: now, Reason: o.Reason})
	case workflow.Apply:
		return h.finish(ctx, st, store.Result{Kind: store.ResultApplied, At: now, Tags: o.Tags, Status: o.Status, Assignee: o.Assignee})
	case workflow.Send:
		return h.send(ctx, g, st, in, o.Reply, o.MaybeSent)
	case workflow.Execute:
		return h.runAction(ctx, g, st, in, o)
	}
	return fmt.Errorf("step %s: unknown outcome %v", key, o.Kind)
}

// send delivers a reply through the thread's connector. A reply an
// earlier attempt may have sent (its worker died after the reply's claim was
// granted) is first looked up, so that it is not sent twice; one whose
// earlier attempt died before its claim never reached the connector, and
// goes out as any other. So is a reply retried after an attempt that
// failed, where the connector can tell: a vendor may have taken a send it
// answered with an error (a timeout, say). A send that the plugin's crash
// leaves in doubt is left attempted for a later lookup (leaveInDoubt) where
// one can decide.
func (h *Hub) send(ctx context.Context, g *generation, st *store.Step, in *workflow.Inbound, reply *sdk.OutboundMessage, maybeSent bool) error {
	conn, ok := g.plugins.connector(in.Message.Connector, in.Message.Account)
	if !ok {
		return h.fail(ctx, st, sdk.Permanent(fmt.Errorf("no connector %q %q is configured any more", in.Message.Connector, in.Message.Account)))
	}
	if maybeSent && (st.WasAttempted || st.Retried && capabilities(g, in).LookupSend) {
		done, err := h.lookup(ctx, g, conn, st, in, reply)
		if done || err != nil {
			return err
		}
	}
	res, err := g.plugins.senders[connectorKey(in.Message.Connector, in.Message.Account)].do(ctx, sdk.SendItem{IdempotencyKey: st.Key, Message: *reply})
	if err == nil {
		err = res.Err
	}
	if inDoubt(err) && lookupDecides(g, in) {
		return h.leaveInDoubt(ctx, st, err)
	}
	if err != nil {
		return h.fail(ctx, st, err)
	}
	// Recorded at the hub's clock, as every message of the thread is, so
	// that it follows the message it answers; the vendor's time of the send
	// is kept as its SentAt.
	now := h.clock.Now()
	h.metrics.sent(in.Message.Connector, in.Message.Account, now.Sub(in.ReceivedAt))
	return h.finish(ctx, st, store.Result{Kind: store.ResultSent, At: now, SentAt: res.SentAt, ExternalID: res.ExternalID, Reply: reply})
}

// lookup asks the connector about a send attempted before a crash, or
// retried after an error. It reports done when the step is settled (sent,
// or, after a crash, given up under at-most-once delivery): a retry the
// connector cannot tell about is sent again, as the connector's error said
// it failed.
func (h *Hub) lookup(ctx context.Context, g *generation, conn *pluginhost.Connector, st *store.Step, in *workflow.Inbound, reply *sdk.OutboundMessage) (bool, error) {
	res, err := conn.LookupSend(ctx, sdk.LookupRequest{IdempotencyKey: st.Key, Channel: reply.Channel, Thread: reply.Thread})
	if err != nil && sdk.KindOf(err) != sdk.KindPermanent && st.WasAttempted && lookupDecides(g, in) {
		// Still in doubt after a crash: a retry would send it without
		// asking. (A retry after a failed send asks again at its next
		// attempt, after the usual backoff.)
		return true, h.leaveInDoubt(ctx, st, err)
	}
	if err != nil {
		return true, h.fail(ctx, st, err)
	}
	switch res.Outcome {
	case sdk.LookupSent:
		return true, h.finish(ctx, st, store.Result{Kind: store.ResultSent, At: h.clock.Now(), SentAt: res.SentAt, ExternalID: res.ExternalID, Reply: reply})
	case sdk.LookupNotSent:
		return false, nil
	}
	if atMostOnce(g, in) && st.WasAttempted {
		const reason = "at-most-once: an earlier attempt, cut short by a crash, may have sent it and the connector cannot tell"
		return true, h.finish(ctx, st, store.Result{Kind: store.ResultSkipped, At: h.clock.Now(), Reason: reason})
	}
	return false, nil // at-least-once: send again with the same key
}

// capabilities are those of the message's channel (zero when it is not
// known any more).
func capabilities(g *generation, in *workflow.Inbound) sdk.Capabilities {
	return channelCapabilities(g, in.Message.Connector, in.Message.Channel)
}

// channelCapabilities are those of a connector's channel (zero when it is
// not known any more).
func channelCapabilities(g *generation, connector, channel string) sdk.Capabilities {
	if ch := g.cfg.Channels[connector+"."+channel]; ch != nil {
		return ch.Capabilities
	}
	return sdk.Capabilities{}
}

// atMostOnce reports whether the message's channel gives up a send it
// cannot verify rather than send it twice.
func atMostOnce(g *generation, in *workflow.Inbound) bool {
	return capabilities(g, in).UnverifiableSend == sdk.AtMostOnce
}

// lookupDecides reports whether a lookup can change what happens to a send
// whose outcome is unknown: the channel's connector can tell whether it went
// out, or the channel would rather lose it than send it twice. Elsewhere it
// is simply sent again with the same key.
func lookupDecides(g *generation, in *workflow.Inbound) bool {
	c := capabilities(g, in)
	return c.LookupSend || c.UnverifiableSend == sdk.AtMostOnce
}

// inDoubt reports whether a failed call may have done its work: the plugin
// got it, then crashed or hung.
func inDoubt(err error) bool {
	var ce *pluginhost.CallError
	return errors.As(err, &ce) && ce.Reached()
}

// leaveInDoubt leaves a step whose reply may have gone out attempted, as a
// crash of the hub would: once its lease runs out it is taken over and
// looked up, not sent again blindly. After MaxAttempts it is dead-lettered
// instead.
func (h *Hub) leaveInDoubt(ctx context.Context, st *store.Step, cause error) error {
	if st.Attempts >= MaxAttempts {
		return h.retry(ctx, st, h.clock.Now(), fmt.Errorf("gave up after %d attempts, the last in doubt: %w", st.Attempts, cause), true)
	}
	h.metrics.sendsInDoubt.WithLabelValues(st.Workflow).Inc()
	h.log.Warn("send in doubt; the step is looked up once its lease runs out", "step", st.Key, "workflow", st.Workflow, "attempt", st.Attempts, "error", cause)
	return nil
}

func (h *Hub) runAction(ctx context.Context, g *generation, st *store.Step, in *workflow.Inbound, o workflow.Outcome) error {
	act, ok := g.plugins.executors[o.Action.Type+"/"+o.Action.Name]
	if !ok {
		return h.fail(ctx, st, sdk.Permanent(fmt.Errorf("no action %q %q is configured any more", o.Action.Type, o.Action.Name)))
	}
	res, err := act.do(ctx, sdk.ExecuteItem{
		IdempotencyKey: st.Key, Message: in.Message, Arguments: o.Arguments,
		Thread: sdk.ThreadContext{ID: in.Thread.ID, Connector: in.Message.Connector, Account: in.Message.Account,
			Channel: in.Message.Channel, ExternalID: in.Thread.ExternalID, Status: in.Thread.Status, Tags: in.Thread.Tags, Assignee: in.Thread.Assignee},
		Contact: sdk.Contact{ID: in.Contact.ID, Name: in.Contact.Name},
	})
	if err == nil {
		err = res.Err
	}
	if err != nil {
		return h.fail(ctx, st, err)
	}
	out, err := encodeOutputs(res.Outputs)
	if err != nil {
		return h.fail(ctx, st, sdk.Permanent(fmt.Errorf("outputs: %w", err)))
	}
	return h.finish(ctx, st, store.Result{Kind: store.ResultExecuted, At: h.clock.Now(), Outputs: out})
}

// fail schedules a retry by the error's kind, or dead-letters the step.
func (h *Hub) fail(ctx context.Context, st *store.Step, cause error) error {
	now := h.clock.Now()
	var wait time.Duration
	switch sdk.KindOf(cause) {
	case sdk.KindPermanent:
		return h.retry(ctx, st, now, cause, true)
	case sdk.KindRateLimited:
		wait = max(sdk.RetryAfter(cause), backoff(st.Attempts))
	default:
		var ce *pluginhost.CallError
		if errors.As(cause, &ce) && ce.RetryAfter > 0 {
			wait = max(ce.RetryAfter, backoff(st.Attempts))
		} else {
			wait = backoff(st.Attempts)
		}
	}
	if st.Attempts >= MaxAttempts {
		return h.retry(ctx, st, now, fmt.Errorf("gave up after %d attempts: %w", st.Attempts, cause), true)
	}
	return h.retry(ctx, st, now.Add(wait), cause, false)
}

func (h *Hub) retry(ctx context.Context, st *store.Step, at time.Time, cause error, dead bool) error {
	h.log.Warn("step failed", "step", st.Key, "workflow", st.Workflow, "attempt", st.Attempts, "dead", dead, "error", cause)
	if err := h.store.Retry(ctx, st.Key, st.Attempts, at, cause.Error(), dead); err != nil {
		return fmt.Errorf("record failure of step %s: %w", st.Key, err)
	}
	if dead {
		h.metrics.deadLettered(st.Workflow)
	}
	h.wakeScheduler()
	return nil
}

func (h *Hub) finish(ctx context.Context, st *store.Step, r store.Result) error {
	err := h.store.Finish(ctx, st.Key, st.Attempts, r)
	if r.Kind == store.ResultSent || r.Kind == store.ResultExecuted {
		// What went out cannot be called back. Left attempted, the step
		// would be looked up after its lease, or sent again where the
		// connector cannot tell; while this hub holds it, it keeps trying
		// to record it through a database outage (a failover, say), for
		// half the lease.
		deadline := time.Now().Add(h.store.AttemptLease() / 2)
		for wait := time.Second; store.Unavailable(err) && ctx.Err() == nil && time.Now().Add(wait).Before(deadline); wait = min(2*wait, 10*time.Second) {
			h.log.Warn("the database is unavailable to record what a step did; trying again", "step", st.Key, "retry_in", wait, "error", err)
			h.sleep(ctx, wait)
			err = h.store.Finish(ctx, st.Key, st.Attempts, r)
		}
	}
	if err != nil {
		return fmt.Errorf("finish step %s: %w", st.Key, err)
	}
	switch r.Kind {
	case store.ResultWaiting:
		h.wakeScheduler()
	case store.ResultSkipped:
		// Counted once recorded: a skip that failed to be is run again.
		h.metrics.stepSkipped(st.Workflow, r.Reason)
	}
	return nil
}

// outputs loads the earlier action steps' outputs of the step's workflow.
func (h *Hub) outputs(ctx context.Context, g *generation, st *store.Step) (map[string]cty.Value, error) {
	if w := g.workflows[st.Workflow]; w != nil && !w.ActsBefore(st.Step) {
		return nil, nil
	}
	raw, err := h.store.Outputs(ctx, st.MessageID, st.Workflow)
	if err != nil {
		return nil, fmt.Errorf("load outputs for %s: %w", st.Key, err)
	}
	if len(raw) == 0 {
		return nil, nil
	}
	out := make(map[string]cty.Value, len(raw))
	for name, b := range raw {
		v, err := decodeOutputs(b)
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	return out, nil
}
