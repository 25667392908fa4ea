package workflowtest

import (
	"container/heap"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/core/config"
	"github.com/switchboard-hub/switchboard/core/loopguard"
	"github.com/switchboard-hub/switchboard/core/workflow"
	"github.com/switchboard-hub/switchboard/sdk"
)

// Sent is a reply the test's hub sent.
type Sent struct {
	Thread   string
	At       time.Duration // after the test's start
	Text     string
	Workflow string
	Step     string
}

// Trace is what happened to one planned step.
type Trace struct {
	Step    workflow.Planned
	At      time.Duration
	Outcome string
}

// Result is the outcome of one test.
type Result struct {
	Test     *Test
	Failures []string
	Sent     []Sent
	// Explanations of every received message, in order.
	Explanations []workflow.Explanation
	Traces       []Trace
	Elapsed      time.Duration
}

// Passed reports whether every expectation held.
func (r *Result) Passed() bool { return len(r.Failures) == 0 }

// LanguageDetector fills in a message's language when a test does not.
type LanguageDetector func(text string) string

// thread is the runner's view of one thread.
type thread struct {
	state workflow.Thread
	key   string // connector/account/thread
}

// item is a timed thing to do: an event or a due step.
type item struct {
	at    time.Time
	order int // events before steps at the same instant; then FIFO
	seq   int
	event *Event
	step  *workflow.Planned
}

type queue []*item

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	if q[i].order != q[j].order {
		return q[i].order < q[j].order
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(*item)) }
func (q *queue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

// run plays one test against the engine.
type run struct {
	engine   *workflow.Engine
	test     *Test
	detect   LanguageDetector
	claims   *workflow.MemClaims
	threads  map[string]*thread // by connector/account/thread
	contacts map[string]*workflow.Contact
	lastSeen map[string]time.Time // contact → last message
	messages map[string]*workflow.Inbound
	outputs  map[string]map[string]cty.Value // message/workflow → step → outputs
	q        queue
	seq      int
	res      *Result
}

// Run plays test against engine and checks its expectations.
func Run(engine *workflow.Engine, test *Test, detect LanguageDetector) *Result {
	r := &run{
		engine: engine, test: test, detect: detect, claims: workflow.NewMemClaims(),
		threads: map[string]*thread{}, contacts: map[string]*workflow.Contact{}, lastSeen: map[string]time.Time{},
		messages: map[string]*workflow.Inbound{}, outputs: map[string]map[string]cty.Value{},
		res: &Result{Test: test},
	}
	for _, e := range test.Events {
		r.push(&item{at: test.Start.Add(e.At), order: 0, event: e})
	}
	end := test.Start.Add(test.Horizon)
	for r.q.Len() > 0 {
		it := heap.Pop(&r.q).(*item)
		if it.at.After(end) {
			// Only steps are left: ParseFile refuses events after the
			// horizon ("Event after the horizon").
			break
		}
		if it.event != nil {
			r.handleEvent(it.at, it.event)
		} else {
			r.handleStep(it.at, it.step)
		}
	}
	r.check()
	return r.res
}

func (r *run) push(it *item) {
	r.seq++
	it.seq = r.seq
	heap.Push(&r.q, it)
}

func (r *run) offset(t time.Time) time.Duration { return t.Sub(r.test.Start) }

// thread finds or starts the thread of a received message: threads are
// told apart by connector, account and external id, as the hub does.
func (r *run) thread(e *Event) *thread {
	key := e.Connector + "/" + e.Account + "/" + e.Thread
	t, ok := r.threads[key]
	if !ok {
		t = &thread{key: key}
		t.state.ID = fmt.Sprintf("thread-%d", len(r.threads)+1)
		t.state.ExternalID = e.Thread
		r.threads[key] = t
	}
	return t
}

// byExternal lists the threads with an external id, in a fixed order;
// expectations and agent replies name threads that way.
func (r *run) byExternal(id string) []*thread {
	var out []*thread
	for _, t := range r.threads {
		if t.state.ExternalID == id {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// threadIDs lists the threads' ids, as tests name them.
func (r *run) threadIDs() []string {
	var out []string
	for _, t := range r.threads {
		if !slices.Contains(out, t.state.ExternalID) {
			out = append(out, t.state.ExternalID)
		}
	}
	return out
}

func (r *run) handleEvent(now time.Time, e *Event) {
	if e.Kind == AgentReply {
		threads := r.byExternal(e.Thread)
		if len(threads) == 0 {
			r.fail("%s: agent_reply at %s: thread %q has no messages yet", e.DeclRange, config.FormatDuration(e.At), e.Thread)
			return
		}
		for _, t := range threads {
			t.state.LastHumanReplyAt = now
			if t.state.FirstResponseAt.IsZero() {
				t.state.FirstResponseAt = now
			}
		}
		return
	}
	t := r.thread(e)
	id := fmt.Sprintf("m%d", len(r.messages)+1)
	contactID := e.Contact
	if contactID == "" {
		contactID = e.From
	}
	c, ok := r.contacts[contactID]
	if !ok {
		c = &workflow.Contact{ID: contactID}
		r.contacts[contactID] = c
	}
	if e.Name != "" {
		c.Name = e.Name
	}
	// Each detail keeps its latest known value, as the hub's store does.
	if p := sender(e); p.Email != "" {
		c.Email = p.Email
	} else if p.Phone != "" {
		c.Phone = p.Phone
	}
	c.Messages++
	lang := e.Language
	if lang == "" && r.detect != nil {
		lang = r.detect(e.Text)
	}
	in := &workflow.Inbound{
		Message: sdk.Message{
			ID: id, ExternalID: id, Connector: e.Connector, Account: e.Account, Channel: e.Channel,
			Thread: e.Thread, Direction: sdk.Inbound, Sender: sender(e),
			Subject: e.Subject, Text: e.Text, SentAt: now, Language: lang, Headers: e.Headers, AutoGenerated: e.Auto,
			OrderRef: e.OrderRef,
		},
		ReceivedAt: now,
	}
	// As at the hub's ingest: an automatic message is stored in its thread
	// but is nobody's first message, so the first person who writes is
	// still welcomed.
	t.state.Messages++
	t.state.LastInboundAt = now
	in.ContactPreviousAt = r.lastSeen[contactID]
	if auto, _ := loopguard.Automatic(&in.Message); !auto {
		if t.state.FirstMessageID == "" {
			t.state.FirstMessageID = id
			t.state.FirstInboundAt = now
		}
		r.lastSeen[contactID] = now
	}
	in.Thread, in.Contact = t.state, *c
	r.messages[id] = in
	d := r.engine.Evaluate(in)
	r.res.Explanations = append(r.res.Explanations, d.Explanation)
	for i := range d.Steps {
		p := d.Steps[i]
		r.push(&item{at: p.DueAt, order: 1, step: &p})
	}
}

func (r *run) handleStep(now time.Time, p *workflow.Planned) {
	in := r.messages[p.MessageID]
	t := r.threads[in.Message.Connector+"/"+in.Message.Account+"/"+in.Message.Thread]
	outs := r.outputs[p.MessageID+"/"+p.Workflow]
	o, err := r.engine.Resolve(context.Background(), &workflow.Due{
		Step: *p, Message: in, Thread: t.state, Contact: *r.contacts[in.Contact.ID], Outputs: outs, Now: now,
	}, r.claims)
	trace := Trace{Step: *p, At: r.offset(now)}
	switch {
	case err != nil:
		trace.Outcome = "failed: " + err.Error()
		// In the hub this step would be retried or dead-lettered; in a
		// test it is a mistake in the workflow.
		r.fail("workflow %q step %q for message %s failed at %s: %v", p.Workflow, p.Step, p.MessageID, config.FormatDuration(r.offset(now)), err)
	case o.Kind == workflow.Wait:
		trace.Outcome = fmt.Sprintf("waits until %s: %s", config.FormatDuration(r.offset(o.Until)), o.Reason)
		r.push(&item{at: o.Until, order: 1, step: p})
	case o.Kind == workflow.Skip:
		trace.Outcome = "skipped: " + o.Reason
	case o.Kind == workflow.Send:
		trace.Outcome = "sent"
		t.state.LastAutoReplyAt = now
		t.state.AutoReplies++
		r.res.Sent = append(r.res.Sent, Sent{Thread: in.Message.Thread, At: r.offset(now), Text: o.Reply.Text, Workflow: p.Workflow, Step: p.Step})
	case o.Kind == workflow.Apply:
		trace.Outcome = "applied"
		for _, tag := range o.Tags {
			if !slices.Contains(t.state.Tags, tag) {
				t.state.Tags = append(t.state.Tags, tag)
			}
		}
		if o.Status != "" {
			t.state.Status = o.Status
		}
		if o.Assignee != "" {
			t.state.Assignee = o.Assignee
		}
	case o.Kind == workflow.Execute:
		// Action plugins do not run under test; later steps see null outputs.
		trace.Outcome = "executed " + o.Action.Type + " (not run under test)"
		if outs == nil {
			outs = map[string]cty.Value{}
			r.outputs[p.MessageID+"/"+p.Workflow] = outs
		}
		if t := o.Action.Schema.Outputs; t != cty.NilType {
			outs[p.Step] = cty.NullVal(t)
		}
	}
	r.res.Traces = append(r.res.Traces, trace)
}

// sender fills in the sender's address or phone number from `from` when it
// looks like one, as a connector would.
func sender(e *Event) sdk.Party {
	p := sdk.Party{ID: e.From, Name: e.Name}
	switch {
	case strings.Contains(e.From, "@"):
		p.Email = e.From
	case strings.HasPrefix(e.From, "+"):
		p.Phone = e.From
	}
	return p
}

func (r *run) fail(format string, args ...any) {
	r.res.Failures = append(r.res.Failures, fmt.Sprintf(format, args...))
}

// check evaluates the expectations after the run.
func (r *run) check() {
	for _, x := range r.test.Expects {
		where := x.DeclRange.String()
		// An expectation about a thread nobody wrote to would hold, or
		// fail, for no reason of the workflows': most likely a typo.
		if len(r.byExternal(x.Thread)) == 0 {
			r.fail("%s: thread %q has no messages: no receive of this test names it, so there is nothing to check.%s",
				where, x.Thread, config.Suggestion(x.Thread, r.threadIDs()))
			continue
		}
		switch x.Kind {
		case ExpectSent:
			matched := 0
			for _, s := range r.res.Sent {
				if s.Thread != x.Thread {
					continue
				}
				if x.HasRange && (s.At < x.From || s.At > x.To) {
					continue
				}
				if (x.Contains == "" || strings.Contains(s.Text, x.Contains)) && (x.Equals == "" || s.Text == x.Equals) {
					matched++
				}
			}
			if matched != x.Count {
				r.fail("%s: expected %d matching send(s) to thread %q%s%s, got %d%s",
					where, x.Count, x.Thread, rangeText(x), textText(x), matched, sentList(r.res.Sent, x.Thread))
			}
		case ExpectNotSent:
			for _, s := range r.res.Sent {
				if s.Thread == x.Thread && (!x.HasRange || s.At >= x.From && s.At <= x.To) {
					r.fail("%s: expected nothing sent to thread %q%s, but workflow %q step %q sent at %s: %q",
						where, x.Thread, rangeText(x), s.Workflow, s.Step, config.FormatDuration(s.At), s.Text)
				}
			}
		case ExpectTags:
			var have []string
			for _, t := range r.byExternal(x.Thread) {
				have = append(have, t.state.Tags...)
			}
			for _, tag := range x.Tags {
				if !slices.Contains(have, tag) {
					r.fail("%s: thread %q lacks tag %q (it has %v)", where, x.Thread, tag, have)
				}
			}
			for _, tag := range x.NotTags {
				if slices.Contains(have, tag) {
					r.fail("%s: thread %q has tag %q, which it must not", where, x.Thread, tag)
				}
			}
		case ExpectStatus, ExpectAssignee:
			var have string
			for _, t := range r.byExternal(x.Thread) {
				if x.Kind == ExpectStatus {
					have = t.state.Status
				} else {
					have = t.state.Assignee
				}
			}
			want, what := x.Status, "status"
			if x.Kind == ExpectAssignee {
				want, what = x.Assignee, "assignee"
			}
			if have != want {
				r.fail("%s: thread %q has %s %q, want %q", where, x.Thread, what, have, want)
			}
		}
	}
}

func rangeText(x *Expect) string {
	switch {
	case !x.HasRange:
		return ""
	case x.From == x.To:
		return " at " + config.FormatDuration(x.From)
	}
	return fmt.Sprintf(" between %s and %s", config.FormatDuration(x.From), config.FormatDuration(x.To))
}

func textText(x *Expect) string {
	var parts []string
	if x.Equals != "" {
		parts = append(parts, fmt.Sprintf("equal to %q", x.Equals))
	}
	if x.Contains != "" {
		parts = append(parts, fmt.Sprintf("containing %q", x.Contains))
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, " and ")
}

func sentList(all []Sent, thread string) string {
	var b strings.Builder
	for _, s := range all {
		if s.Thread == thread {
			fmt.Fprintf(&b, "\n        sent at %s by %s/%s: %q", config.FormatDuration(s.At), s.Workflow, s.Step, s.Text)
		}
	}
	if b.Len() == 0 {
		return "; nothing was sent to that thread"
	}
	return "; sent to that thread:" + b.String()
}
