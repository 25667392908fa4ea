package storetest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hub/switchboard/core/config"
	"github.com/switchboard-hub/switchboard/core/store"
	"github.com/switchboard-hub/switchboard/core/workflow"
	"github.com/switchboard-hub/switchboard/sdk"
)

var stepTests = []test{
	{"Plan/BeginsDueSteps", testPlanBeginsDue},
	{"Plan/Replan", testPlanReplan},
	{"Plan/Invalid", testPlanInvalid},
	{"Plan/EngineExplanation", testPlanEngineExplanation},
	{"ReleaseDue/DueOnly", testReleaseDue},
	{"ReleaseDue/Retrying", testReleaseRetrying},
	{"ReleaseDue/Invalid", testReleaseInvalid},
	{"BeginAttempt/Lease", testBeginAttemptLease},
	{"BeginAttempt/States", testBeginAttemptStates},
	{"Finish/Sent", testFinishSent},
	{"Finish/Applied", testFinishApplied},
	{"Finish/Executed", testFinishExecuted},
	{"Finish/Skipped", testFinishSkipped},
	{"Finish/Waiting", testFinishWaiting},
	{"Finish/NotAttempted", testFinishNotAttempted},
	{"Finish/TakenOver", testFinishTakenOver},
	{"Retry/Backoff", testRetryBackoff},
	{"Retry/DeadLetters", testDeadLetters},
	{"Retry/RetryDead", testRetryDead},
	{"GiveUp/LeavesHeldSteps", testGiveUp},
	{"Requeue/LostWork", testRequeue},
	{"Requeue/AbandonedSteps", testRequeueAbandoned},
	{"RenewAttempts/KeepsTheLease", testRenewAttempts},
}

func testPlanBeginsDue(t *testing.T, s store.Store) {
	in := one(t, s, msg("e1", "t1", "anna"), t0)
	drain(t, s)
	now := at(time.Minute)
	steps := []workflow.Planned{
		planned(in.MessageID, "w", "tag", t0),                   // overdue
		planned(in.MessageID, "w", "reply", at(10*time.Minute)), // later
		planned(in.MessageID, "w", "assign", now),               // due exactly now
		planned(in.MessageID, "w", "notify", at(5*time.Minute)), // later
	}
	begun := plan(t, s, in.MessageID, now, steps...)
	// The steps due now are begun for the planner, in plan order, and need
	// no queue.
	want := []store.Step{
		{Planned: steps[0], ThreadID: in.ThreadID, State: store.StepAttempted, Attempts: 1, UpdatedAt: now},
		{Planned: steps[2], ThreadID: in.ThreadID, State: store.StepAttempted, Attempts: 1, UpdatedAt: now},
	}
	var got []store.Step
	for _, st := range begun {
		got = append(got, *st)
	}
	diff(t, "steps begun by Plan", want, got)
	if rows := drain(t, s); len(rows) != 0 {
		t.Errorf("Plan wrote outbox rows %v; begun steps need none", outboxOf(rows))
	}
	diff(t, "stats", store.Stats{PendingSteps: 2, RunningSteps: 2}, stats(t, s))
	if n := nextDue(t, s); !n.Equal(at(5 * time.Minute)) {
		t.Errorf("NextDue = %s, want %s", n, at(5*time.Minute))
	}
	// The planner holds them; the pending ones cannot be begun yet.
	_, err := s.BeginAttempt(ctx(t), steps[0].Key, now)
	wantErr(t, "BeginAttempt of a step Plan began", err, store.ErrStepHeld)
	_, err = s.BeginAttempt(ctx(t), steps[1].Key, now)
	wantErr(t, "BeginAttempt of a pending step", err, store.ErrNotClaimable)
	// A begun step finishes and retries as any other: queued once after its
	// retry, it is queued the first time.
	must(t, "Finish", s.Finish(ctx(t), steps[2].Key, 1, store.Result{Kind: store.ResultApplied, At: now, Tags: []string{"x"}}))
	must(t, "Retry", s.Retry(ctx(t), steps[0].Key, 1, at(2*time.Minute), "vendor timeout", false))
	if n := release(t, s, at(2*time.Minute), 10); n != 1 {
		t.Fatalf("ReleaseDue of the retry moved %d, want 1", n)
	}
	diff(t, "outbox after the retry", []string{"steps " + steps[0].Key + "/1 " + steps[0].Key}, outboxOf(drain(t, s)))
	st, err := s.BeginAttempt(ctx(t), steps[0].Key, at(2*time.Minute))
	must(t, "BeginAttempt of the retried step", err)
	if st.Attempts != 2 || st.WasAttempted || !st.Retried {
		t.Errorf("retried step: %d attempts, was attempted %t, retried %t; want 2, false, true", st.Attempts, st.WasAttempted, st.Retried)
	}
}

func testPlanReplan(t *testing.T, s store.Store) {
	in := one(t, s, msg("e1", "t1", "anna"), t0)
	drain(t, s)
	steps := []workflow.Planned{planned(in.MessageID, "w", "now", t0), planned(in.MessageID, "w", "later", at(time.Hour))}
	x := workflow.Explanation{MessageID: in.MessageID, Source: "allegro.discussions", Account: account,
		Workflows: []workflow.WorkflowResult{{Workflow: "w", Fired: true, Steps: steps}, {Workflow: "v", Reason: "mode first_message: not the thread's first buyer message"}}}
	d := workflow.Decision{Steps: steps, Explanation: x}
	first, err := s.Plan(ctx(t), in.MessageID, d, t0)
	must(t, "Plan", err)
	if len(first) != 1 || first[0].Key != steps[0].Key {
		t.Errorf("first Plan began %d steps, want the one due now", len(first))
	}
	// Redelivery of the message: the engine plans the same again, later,
	// and then, after a configuration change, something else.
	changed := workflow.Decision{Steps: append(slices.Clone(steps), planned(in.MessageID, "w", "new", t0)),
		Explanation: workflow.Explanation{MessageID: in.MessageID, Source: "allegro.discussions", Account: account}}
	for _, again := range []workflow.Decision{d, d, changed} {
		begun, err := s.Plan(ctx(t), in.MessageID, again, at(2*time.Hour))
		wantErr(t, "Plan again", err, store.ErrPlanned)
		if len(begun) != 0 {
			t.Errorf("replanning began %d steps again", len(begun))
		}
	}
	if rows := drain(t, s); len(rows) != 0 {
		t.Errorf("planning wrote outbox rows %v", outboxOf(rows))
	}
	diff(t, "stats after replanning", store.Stats{PendingSteps: 1, RunningSteps: 1}, stats(t, s))
	got, err := s.Explanation(ctx(t), in.MessageID)
	must(t, "Explanation", err)
	diff(t, "explanation", x.String(), got.String())
	diff(t, "explanation", x, *got, cmpUnexported())
	// The due step keeps the time it was planned for.
	if n := nextDue(t, s); !n.Equal(at(time.Hour)) {
		t.Errorf("NextDue = %s after replanning, want %s", n, at(time.Hour))
	}
}

func testPlanInvalid(t *testing.T, s store.Store) {
	in := one(t, s, msg("e1", "t1", "anna"), t0)
	_, err := s.Plan(ctx(t), "01JNOTSTORED0000000000000", workflow.Decision{}, t0)
	wantErr(t, "Plan of an unknown message", err, store.ErrNotFound)
	cases := map[string]workflow.Planned{
		"no key":        {MessageID: in.MessageID, Workflow: "w", Step: "s", DueAt: t0},
		"other message": planned("01JOTHER00000000000000000", "w", "s", t0),
		"no due time":   {Key: "k", MessageID: in.MessageID, Workflow: "w", Step: "s"},
	}
	for name, p := range cases {
		if _, err := s.Plan(ctx(t), in.MessageID, workflow.Decision{Steps: []workflow.Planned{p}}, t0); err == nil {
			t.Errorf("Plan with a step with %s: no error", name)
		}
	}
	if st := stats(t, s); st.PendingSteps+st.QueuedSteps != 0 {
		t.Errorf("refused plans stored steps: %+v", st)
	}
}

const engineConfig = `
workflow "welcome" {
  description = "Welcome the first buyer message of a thread"
  trigger {
    event   = "message_received"
    sources = ["allegro.discussions"]
    mode    = "first_message"
  }
  step "reply" "hello" {
    text  = "Hello ${message.sender.name}"
    delay = "10m"
  }
  step "tag" "welcomed" { tags = ["welcomed"] }
}

workflow "seen" {
  description = "Tag and acknowledge every message"
  trigger {
    event   = "message_received"
    sources = ["allegro.discussions"]
  }
  step "tag" "seen" { tags = ["seen"] }
  step "reply" "thanks" {
    text  = "Thanks"
    delay = "1h"
  }
}

workflow "amazon" {
  description = "Amazon only"
  trigger {
    event   = "message_received"
    sources = ["amazon.buyer_messages"]
  }
  step "tag" "amazon" { tags = ["amazon"] }
}

workflow "refunds" {
  description = "Refund requests"
  trigger {
    event   = "message_received"
    sources = ["allegro.discussions"]
  }
  condition = has_keyword(message.text, ["refund"])
  step "tag" "refund" { tags = ["refund"] }
}

workflow "off" {
  description = "Switched off"
  enabled     = false
  trigger {
    event   = "message_received"
    sources = ["allegro.discussions"]
  }
  step "tag" "off" { tags = ["off"] }
}
`

func engine(t *testing.T) *workflow.Engine {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(engineConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := config.Load(dir, config.Options{Channels: []*config.Channel{
		{Connector: "allegro", Name: "discussions", Capabilities: sdk.Capabilities{Poll: true, Send: true}},
		{Connector: "amazon", Name: "buyer_messages", Capabilities: sdk.Capabilities{Poll: true, Send: true, MinReplyDelay: 10 * time.Minute}},
	}})
	if diags.HasErrors() {
		t.Fatalf("configuration: %s", diags.Error())
	}
	return workflow.New(cfg)
}

// The engine evaluates what the store loads, and the store keeps what the
// engine explains, including the reasons it encodes compactly.
func testPlanEngineExplanation(t *testing.T, s store.Store) {
	e := engine(t)
	robot := msg("r1", "t1", "noreply", automatic)
	buyer := msg("b1", "t1", "anna", func(m *sdk.Message) { m.Text = "I want a refund" })
	again := msg("b2", "t1", "anna")
	want := map[string][]string{
		"r1": {"welcome: did not fire: mode first_message: an automatic message is nobody's first message", "seen: fired; steps seen at", "replies withheld: loop guard",
			"amazon: did not fire: source: allegro.discussions is not among its sources", "refunds: did not fire: condition is false", "off: did not fire: disabled"},
		"b1": {"welcome: fired; steps hello at 2026-03-02T11:10:00Z, welcomed at 2026-03-02T11:00:00Z", "refunds: fired; steps refund at"},
		"b2": {"welcome: did not fire: mode first_message: not the thread's first buyer message"},
	}
	for i, m := range []sdk.Message{robot, buyer, again} {
		now := at(time.Duration(i+1) * time.Hour)
		in := one(t, s, m, now)
		loaded := inbound(t, s, in.MessageID)
		d := e.Evaluate(loaded)
		_, err := s.Plan(ctx(t), in.MessageID, d, now)
		must(t, "Plan", err)
		got, err := s.Explanation(ctx(t), in.MessageID)
		must(t, "Explanation", err)
		diff(t, "explanation of "+m.ExternalID, d.Explanation.String(), got.String())
		for _, w := range want[m.ExternalID] {
			if !strings.Contains(got.String(), w) {
				t.Errorf("explanation of %s lacks %q:\n%s", m.ExternalID, w, got)
			}
		}
		for i, r := range got.Workflows {
			if r.Why(got) != d.Explanation.Workflows[i].Why(&d.Explanation) {
				t.Errorf("%s: Why of %s: %q, want %q", m.ExternalID, r.Workflow, r.Why(got), d.Explanation.Workflows[i].Why(&d.Explanation))
			}
		}
	}
}

func testReleaseDue(t *testing.T, s store.Store) {
	in := one(t, s, msg("e1", "t1", "anna"), t0)
	var steps []workflow.Planned
	for i, d := range []time.Duration{30, 10, 20, 10, 40} {
		steps = append(steps, planned(in.MessageID, "w", fmt.Sprintf("s%d", i), at(d*time.Minute)))
	}
	plan(t, s, in.MessageID, t0, steps...)
	drain(t, s)
	if n := release(t, s, at(5*time.Minute), 10); n != 0 {
		t.Errorf("ReleaseDue before anything is due moved %d", n)
	}
	// Due at 10, 10, 20 by 25 minutes; a limit of 2 takes the earliest two.
	if n := release(t, s, at(25*time.Minute), 2); n != 2 {
		t.Errorf("ReleaseDue with limit 2 moved %d", n)
	}
	key := func(i int) string { return steps[i].Key }
	lo, hi := key(1), key(3)
	if hi < lo {
		lo, hi = hi, lo
	}
	diff(t, "outbox: the earliest first", []string{"steps " + lo + "/1 " + lo, "steps " + hi + "/1 " + hi}, outboxOf(drain(t, s)))
	if n := release(t, s, at(25*time.Minute), 10); n != 1 {
		t.Errorf("second ReleaseDue moved %d, want 1 (s2)", n)
	}
	diff(t, "outbox", []string{"steps " + key(2) + "/1 " + key(2)}, outboxOf(drain(t, s)))
	if n := release(t, s, at(25*time.Minute), 10); n != 0 {
		t.Errorf("ReleaseDue again at the same time moved %d", n)
	}
	if n := nextDue(t, s); !n.Equal(at(30 * time.Minute)) {
		t.Errorf("NextDue = %s, want %s", n, at(30*time.Minute))
	}
	diff(t, "stats", store.Stats{PendingSteps: 2, QueuedSteps: 3}, stats(t, s))
	if n := release(t, s, at(time.Hour), 10); n != 2 {
		t.Errorf("ReleaseDue of the rest moved %d, want 2", n)
	}
	diff(t, "outbox, in due order", []string{"steps " + key(0) + "/1 " + key(0), "steps " + key(4) + "/1 " + key(4)}, outboxOf(drain(t, s)))
	if n := nextDue(t, s); !n.IsZero() {
		t.Errorf("NextDue = %s with nothing pending, want zero", n)
	}
}

func testReleaseRetrying(t *testing.T, s store.Store) {
	_, key := attempted(t, s, "w", "send")
	retryAt := at(3 * time.Minute)
	must(t, "Retry", s.Retry(ctx(t), key, 1, retryAt, "vendor timeout", false))
	if n := nextDue(t, s); !n.Equal(retryAt) {
		t.Errorf("NextDue = %s, want the retry time %s", n, retryAt)
	}
	diff(t, "stats while retrying", store.Stats{PendingSteps: 1}, stats(t, s))
	if n := release(t, s, retryAt.Add(-time.Nanosecond), 10); n != 0 {
		t.Errorf("ReleaseDue before the retry time moved %d", n)
	}
	if n := release(t, s, retryAt, 10); n != 1 {
		t.Errorf("ReleaseDue at the retry time moved %d, want 1", n)
	}
	// Queued a second time: a new de-duplication id, or the queue would
	// drop it as a duplicate of the first.
	diff(t, "outbox", []string{"steps " + key + "/2 " + key}, outboxOf(drain(t, s)))
	st, err := s.BeginAttempt(ctx(t), key, retryAt)
	must(t, "BeginAttempt after the retry", err)
	if st.Attempts != 2 || st.WasAttempted || st.LastError != "vendor timeout" {
		t.Errorf("step after retry: attempts %d, was attempted %t, last error %q; want 2, false, the error", st.Attempts, st.WasAttempted, st.LastError)
	}
}

func testReleaseInvalid(t *testing.T, s store.Store) {
	if _, err := s.ReleaseDue(ctx(t), t0, 0); err == nil {
		t.Error("ReleaseDue with limit 0: no error")
	}
	if _, err := s.Outbox(ctx(t), 0); err == nil {
		t.Error("Outbox with limit 0: no error")
	}
}

func testBeginAttemptLease(t *testing.T, s store.Store) {
	lease := store.DefaultAttemptLease
	cases := []struct {
		name     string
		after    time.Duration // since the first attempt began
		want     error
		was      bool
		attempts int
	}{
		{"at once", 0, store.ErrStepHeld, false, 0},
		{"within the lease", lease - time.Nanosecond, store.ErrStepHeld, false, 0},
		{"when the lease ends", lease, nil, true, 2},
		{"long after", 10 * lease, nil, true, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, key := queuedStep(t, s, "lease", strings.ReplaceAll(c.name, " ", "_"))
			first, err := s.BeginAttempt(ctx(t), key, t0)
			must(t, "first BeginAttempt", err)
			if first.WasAttempted || first.Retried || first.Attempts != 1 || first.State != store.StepAttempted {
				t.Fatalf("first attempt: %+v", first)
			}
			st, err := s.BeginAttempt(ctx(t), key, t0.Add(c.after))
			wantErr(t, "second BeginAttempt", err, c.want)
			if c.want != nil {
				return
			}
			if st.WasAttempted != c.was || st.Retried || st.Attempts != c.attempts || !st.UpdatedAt.Equal(t0.Add(c.after)) {
				t.Errorf("taken over: was attempted %t, retried %t, attempts %d, updated %s; want %t, false, %d, %s", st.WasAttempted, st.Retried, st.Attempts, st.UpdatedAt, c.was, c.attempts, t0.Add(c.after))
			}
			// The new holder has a lease of its own.
			_, err = s.BeginAttempt(ctx(t), key, t0.Add(c.after+lease/2))
			wantErr(t, "BeginAttempt within the new lease", err, store.ErrStepHeld)
		})
	}
}

func testBeginAttemptStates(t *testing.T, s store.Store) {
	_, err := s.BeginAttempt(ctx(t), "no-such-step", t0)
	wantErr(t, "BeginAttempt of an unknown step", err, store.ErrNotFound)
	finish := map[string]store.Result{
		"done":    {Kind: store.ResultApplied, At: t0},
		"skipped": {Kind: store.ResultSkipped, At: t0, Reason: "unless_answered"},
	}
	for name, r := range finish {
		_, key := attempted(t, s, "states", name)
		must(t, "Finish", s.Finish(ctx(t), key, 1, r))
		_, err := s.BeginAttempt(ctx(t), key, at(24*time.Hour))
		wantErr(t, "BeginAttempt of a "+name+" step", err, store.ErrNotClaimable)
	}
	_, key := attempted(t, s, "states", "dead")
	must(t, "Retry dead", s.Retry(ctx(t), key, 1, t0, "permanent", true))
	_, err = s.BeginAttempt(ctx(t), key, at(24*time.Hour))
	wantErr(t, "BeginAttempt of a dead step", err, store.ErrNotClaimable)
	_, key = attempted(t, s, "states", "retrying")
	must(t, "Retry", s.Retry(ctx(t), key, 1, at(time.Hour), "later", false))
	_, err = s.BeginAttempt(ctx(t), key, at(24*time.Hour))
	wantErr(t, "BeginAttempt of a retrying step not released yet", err, store.ErrNotClaimable)
}

func testFinishSent(t *testing.T, s store.Store) {
	in, key := attempted(t, s, "w", "reply")
	sentAt := at(10 * time.Minute)
	reply := &sdk.OutboundMessage{Channel: "discussions", Thread: "thread-w-reply", Text: "Thank you, we answer within a day.",
		Recipients: []sdk.Party{{ID: "buyer"}}, InReplyTo: "q-w-reply", Subject: "Re: question"}
	// The vendor's clock runs behind the hub's: its time of the send is
	// kept, but the reply is recorded at the hub's, after the question.
	vendorAt := t0.Add(-time.Second)
	r := store.Result{Kind: store.ResultSent, At: sentAt, SentAt: vendorAt, ExternalID: "vendor-42", Reply: reply}
	for range 2 { // a redelivered Finish is harmless
		must(t, "Finish sent", s.Finish(ctx(t), key, 1, r))
	}
	th, msgs := thread(t, s, in.ThreadID)
	if len(msgs) != 2 {
		t.Fatalf("thread holds %d messages, want the question and one reply", len(msgs))
	}
	got := msgs[1]
	want := sdk.Message{ID: got.ID, ExternalID: "vendor-42", Connector: connector, Account: account, Channel: "discussions", Thread: "thread-w-reply",
		Direction: sdk.Outbound, Recipients: reply.Recipients, Subject: reply.Subject, Text: reply.Text, SentAt: vendorAt, InReplyTo: "q-w-reply", AutoGenerated: true}
	diff(t, "stored reply", want, got)
	if th.AutoReplies != 1 || !th.LastAutoReplyAt.Equal(sentAt) || th.Messages != 1 || !th.LastHumanReplyAt.IsZero() {
		t.Errorf("thread after the reply: %d auto replies at %s, %d buyer messages, human reply %s; want 1 at %s, 1, none",
			th.AutoReplies, th.LastAutoReplyAt, th.Messages, th.LastHumanReplyAt, sentAt)
	}
	if in := inbound(t, s, in.MessageID); in.Thread.AutoReplies != 1 {
		t.Errorf("Inbound shows %d automatic replies, want 1", in.Thread.AutoReplies)
	}
	if rows := drain(t, s); len(rows) != 0 {
		t.Errorf("the reply was queued for evaluation: %v", outboxOf(rows))
	}
	// The vendor echoes the reply in its next poll: it is known already.
	echo := msg("vendor-42", "thread-w-reply", "shop", func(m *sdk.Message) { m.Direction = sdk.Outbound })
	if got := ingestAt(t, s, at(time.Hour), echo); len(got) != 0 {
		t.Errorf("the echoed reply was stored again")
	}
	// A reply whose vendor gave no id is still stored once.
	in2, key2 := attempted(t, s, "w", "reply2")
	r2 := store.Result{Kind: store.ResultSent, At: sentAt, Reply: &sdk.OutboundMessage{Text: "no id"}}
	for range 2 {
		must(t, "Finish sent without an id", s.Finish(ctx(t), key2, 1, r2))
	}
	if _, msgs := thread(t, s, in2.ThreadID); len(msgs) != 2 || !msgs[1].SentAt.Equal(sentAt) {
		t.Errorf("a reply without a vendor id or time: %+v; want it stored once, sent at %s", msgs, sentAt)
	}
}

func testFinishApplied(t *testing.T, s store.Store) {
	in, k1 := attempted(t, s, "w", "tag1")
	must(t, "Finish applied", s.Finish(ctx(t), k1, 1, store.Result{Kind: store.ResultApplied, At: at(time.Minute), Tags: []string{"vip", "refund"}, Status: "open"}))
	// A step of a second message on the same thread.
	in2 := one(t, s, msg("q-w-tag2", "thread-w-tag1", "buyer"), t0)
	p := planned(in2.MessageID, "w", "tag2", t0)
	plan(t, s, in2.MessageID, t0, p) // begun at once
	r := store.Result{Kind: store.ResultApplied, At: at(2 * time.Minute), Tags: []string{"refund", "urgent", "vip"}, Assignee: "ola"}
	for range 2 {
		must(t, "Finish applied", s.Finish(ctx(t), p.Key, 1, r))
	}
	th, _ := thread(t, s, in.ThreadID)
	diff(t, "thread after two applies", []any{[]string{"vip", "refund", "urgent"}, "open", "ola"}, []any{th.Tags, th.Status, th.Assignee})
	if !th.UpdatedAt.Equal(at(2 * time.Minute)) {
		t.Errorf("thread updated at %s, want %s", th.UpdatedAt, at(2*time.Minute))
	}
	got := inbound(t, s, in.MessageID)
	diff(t, "Inbound thread", []any{[]string{"vip", "refund", "urgent"}, "open", "ola"}, []any{got.Thread.Tags, got.Thread.Status, got.Thread.Assignee})
}

func testFinishExecuted(t *testing.T, s store.Store) {
	in := one(t, s, msg("ex-1", "ex-thread", "anna"), t0)
	// An action with outputs, another of the workflow that gives none, and
	// one of another workflow.
	p0, p1, p2 := planned(in.MessageID, "ai", "draft", t0), planned(in.MessageID, "ai", "label", t0), planned(in.MessageID, "other", "x", t0)
	if begun := plan(t, s, in.MessageID, t0, p0, p1, p2); len(begun) != 3 {
		t.Fatalf("Plan began %d steps, want 3", len(begun))
	}
	must(t, "Finish executed", s.Finish(ctx(t), p0.Key, 1, store.Result{Kind: store.ResultExecuted, At: at(time.Minute), Outputs: []byte(`{"draft":"Hi"}`)}))
	must(t, "Finish executed", s.Finish(ctx(t), p1.Key, 1, store.Result{Kind: store.ResultExecuted, At: at(time.Minute)}))
	must(t, "Finish executed", s.Finish(ctx(t), p2.Key, 1, store.Result{Kind: store.ResultExecuted, At: at(time.Minute), Outputs: []byte("x")}))
	out, err := s.Outputs(ctx(t), in.MessageID, "ai")
	must(t, "Outputs", err)
	diff(t, "outputs", map[string][]byte{"draft": []byte(`{"draft":"Hi"}`), "label": {}}, out)
	out, err = s.Outputs(ctx(t), in.MessageID, "none")
	must(t, "Outputs of a workflow without steps", err)
	if len(out) != 0 {
		t.Errorf("Outputs of a workflow without steps: %v", out)
	}
}

func testFinishSkipped(t *testing.T, s store.Store) {
	_, key := attempted(t, s, "w", "reply")
	r := store.Result{Kind: store.ResultSkipped, At: at(time.Minute), Reason: "unless_answered: a person answered"}
	must(t, "Finish skipped", s.Finish(ctx(t), key, 1, r))
	must(t, "Finish skipped again", s.Finish(ctx(t), key, 1, r))
	err := s.Finish(ctx(t), key, 1, store.Result{Kind: store.ResultSent, At: at(time.Minute)})
	wantErr(t, "Finish sent of a skipped step", err, store.ErrNotClaimable)
	diff(t, "stats", store.Stats{}, stats(t, s))
}

func testFinishWaiting(t *testing.T, s store.Store) {
	_, key := attempted(t, s, "amazon", "reply")
	until := at(10 * time.Minute)
	r := store.Result{Kind: store.ResultWaiting, At: at(time.Minute), Until: until, Reason: "amazon replies wait at least 10m"}
	must(t, "Finish waiting", s.Finish(ctx(t), key, 1, r))
	must(t, "Finish waiting again", s.Finish(ctx(t), key, 1, r))
	if n := nextDue(t, s); !n.Equal(until) {
		t.Errorf("NextDue = %s, want %s", n, until)
	}
	_, err := s.BeginAttempt(ctx(t), key, at(2*time.Minute))
	wantErr(t, "BeginAttempt of a waiting step", err, store.ErrNotClaimable)
	if n := release(t, s, until.Add(-time.Nanosecond), 10); n != 0 {
		t.Errorf("released %d before the wait ended", n)
	}
	if n := release(t, s, until, 10); n != 1 {
		t.Errorf("released %d when the wait ended, want 1", n)
	}
	diff(t, "outbox", []string{"steps " + key + "/2 " + key}, outboxOf(drain(t, s)))
	st, err := s.BeginAttempt(ctx(t), key, until)
	must(t, "BeginAttempt after the wait", err)
	if !st.DueAt.Equal(until) || st.Attempts != 2 || st.WasAttempted {
		t.Errorf("step after waiting: due %s, attempts %d, was attempted %t; want %s, 2, false", st.DueAt, st.Attempts, st.WasAttempted, until)
	}
	if err := s.Finish(ctx(t), key, 1, store.Result{Kind: store.ResultWaiting, At: until}); err == nil {
		t.Error("Finish waiting without a time: no error")
	}
}

func testFinishNotAttempted(t *testing.T, s store.Store) {
	_, key := queuedStep(t, s, "w", "queued")
	err := s.Finish(ctx(t), key, 1, store.Result{Kind: store.ResultApplied, At: t0})
	wantErr(t, "Finish of a queued step", err, store.ErrNotClaimable)
	err = s.Finish(ctx(t), "no-such-step", 1, store.Result{Kind: store.ResultApplied, At: t0})
	wantErr(t, "Finish of an unknown step", err, store.ErrNotFound)
	err = s.Retry(ctx(t), key, 1, at(time.Minute), "x", false)
	wantErr(t, "Retry of a queued step", err, store.ErrNotClaimable)
	if err := s.Finish(ctx(t), key, 1, store.Result{Kind: "exploded", At: t0}); err == nil {
		t.Error("Finish with an unknown kind: no error")
	}
}

// A worker whose attempt another worker took over (its lease ran out while
// it still ran) records no outcome: the step is the later attempt's.
func testFinishTakenOver(t *testing.T, s store.Store) {
	in, key := attempted(t, s, "w", "send")
	st, err := s.BeginAttempt(ctx(t), key, t0.Add(store.DefaultAttemptLease))
	must(t, "BeginAttempt after the lease", err)
	if st.Attempts != 2 || !st.WasAttempted {
		t.Fatalf("taken over: %d attempts, was attempted %t; want 2, true", st.Attempts, st.WasAttempted)
	}
	sent := store.Result{Kind: store.ResultSent, At: at(3 * time.Minute), ExternalID: "x"}
	wantErr(t, "Finish of the first attempt", s.Finish(ctx(t), key, 1, sent), store.ErrNotClaimable)
	wantErr(t, "Retry of the first attempt", s.Retry(ctx(t), key, 1, at(time.Hour), "timeout", false), store.ErrNotClaimable)
	wantErr(t, "dead-lettering the first attempt", s.Retry(ctx(t), key, 1, at(time.Hour), "permanent", true), store.ErrNotClaimable)
	// The first attempt changed nothing: the second finishes the step.
	must(t, "Finish of the second attempt", s.Finish(ctx(t), key, 2, sent))
	if th, _ := thread(t, s, in.ThreadID); th.AutoReplies != 1 {
		t.Errorf("thread with %d automatic replies, want 1", th.AutoReplies)
	}
	// Finished by the second, the step is no redelivery of the first's.
	wantErr(t, "Finish of the first attempt after the second's", s.Finish(ctx(t), key, 1, sent), store.ErrNotClaimable)
	must(t, "Finish of the second attempt again (redelivered)", s.Finish(ctx(t), key, 2, sent))
	if err := s.Finish(ctx(t), key, 0, sent); err == nil {
		t.Error("Finish without an attempt: no error")
	}
}

func testRetryBackoff(t *testing.T, s store.Store) {
	_, key := attempted(t, s, "w", "send")
	must(t, "Retry", s.Retry(ctx(t), key, 1, at(time.Minute), "rate limited", false))
	must(t, "Retry again (redelivered)", s.Retry(ctx(t), key, 1, at(time.Minute), "rate limited", false))
	release(t, s, at(time.Minute), 10)
	st, err := s.BeginAttempt(ctx(t), key, at(time.Minute))
	must(t, "BeginAttempt", err)
	must(t, "Retry", s.Retry(ctx(t), key, st.Attempts, at(5*time.Minute), "rate limited again", false))
	release(t, s, at(5*time.Minute), 10)
	diff(t, "outbox", []string{"steps " + key + "/2 " + key, "steps " + key + "/3 " + key}, outboxOf(drain(t, s)))
	st, err = s.BeginAttempt(ctx(t), key, at(5*time.Minute))
	must(t, "BeginAttempt", err)
	if st.Attempts != 3 || st.LastError != "rate limited again" || !st.RetryAt.Equal(at(5*time.Minute)) {
		t.Errorf("step: %d attempts, last error %q, retry at %s", st.Attempts, st.LastError, st.RetryAt)
	}
	if err := s.Retry(ctx(t), key, 1, time.Time{}, "no time", false); err == nil {
		t.Error("Retry without a time: no error")
	}
}

func testDeadLetters(t *testing.T, s store.Store) {
	var keys []string
	for i := range 3 {
		_, key := attempted(t, s, "w", fmt.Sprintf("s%d", i))
		must(t, "Retry dead", s.Retry(ctx(t), key, 1, at(time.Duration(i)*time.Hour), fmt.Sprintf("permanent %d", i), true))
		must(t, "Retry dead again", s.Retry(ctx(t), key, 1, at(time.Duration(i)*time.Hour), fmt.Sprintf("permanent %d", i), true))
		keys = append(keys, key)
	}
	dead, err := s.DeadLetters(ctx(t), 10)
	must(t, "DeadLetters", err)
	var got []string
	for _, d := range dead {
		if d.State != store.StepDead || d.Attempts != 1 || d.ThreadID == "" {
			t.Errorf("dead letter %+v", d)
		}
		got = append(got, d.Key+" "+d.LastError)
	}
	diff(t, "dead letters, newest first", []string{keys[2] + " permanent 2", keys[1] + " permanent 1", keys[0] + " permanent 0"}, got)
	dead, err = s.DeadLetters(ctx(t), 1)
	must(t, "DeadLetters", err)
	if len(dead) != 1 || dead[0].Key != keys[2] {
		t.Errorf("DeadLetters(1) = %v, want the newest", dead)
	}
	diff(t, "stats", store.Stats{DeadLetters: 3}, stats(t, s))
	if n := nextDue(t, s); !n.IsZero() {
		t.Errorf("NextDue = %s: dead letters never fall due", n)
	}
}

func testRetryDead(t *testing.T, s store.Store) {
	_, key := attempted(t, s, "w", "send")
	must(t, "Retry dead", s.Retry(ctx(t), key, 1, t0, "permanent", true))
	now := at(time.Hour)
	for range 2 {
		must(t, "RetryDead", s.RetryDead(ctx(t), key, now))
	}
	diff(t, "outbox", []string{"steps " + key + "/2 " + key}, outboxOf(drain(t, s)))
	diff(t, "stats", store.Stats{QueuedSteps: 1}, stats(t, s))
	st, err := s.BeginAttempt(ctx(t), key, now)
	must(t, "BeginAttempt after RetryDead", err)
	if st.Attempts != 2 || !st.Retried {
		t.Errorf("attempts %d, retried %t; want 2, true", st.Attempts, st.Retried)
	}
	err = s.RetryDead(ctx(t), key, now)
	wantErr(t, "RetryDead of an attempted step", err, store.ErrNotClaimable)
	err = s.RetryDead(ctx(t), "no-such-step", now)
	wantErr(t, "RetryDead of an unknown step", err, store.ErrNotFound)
}

// testRequeue: work the queue lost — a queued step nobody began, a message
// never evaluated — is handed to it again once it is older than the given
// age, with fresh de-duplication ids; finished work and young work are not.
func testRequeue(t *testing.T, s store.Store) {
	_, key := queuedStep(t, s, "wf", "lost") // queued at t0, its publish lost
	_, held := queuedStep(t, s, "wf", "held")
	lost := one(t, s, msg("never-evaluated", "thread-x", "buyer-x"), t0)
	drain(t, s)
	if n, err := s.Requeue(ctx(t), at(5*time.Minute), 10*time.Minute, 100); err != nil || n != 0 {
		t.Fatalf("Requeue of young work = %d, %v; want 0", n, err)
	}
	_, err := s.BeginAttempt(ctx(t), held, at(10*time.Minute+30*time.Second)) // a worker has it
	must(t, "BeginAttempt", err)
	n, err := s.Requeue(ctx(t), at(11*time.Minute), 10*time.Minute, 100)
	must(t, "Requeue", err)
	if n != 2 {
		t.Fatalf("Requeue = %d, want 2 (the step and the message)", n)
	}
	got := map[string]store.OutboxRow{}
	for _, r := range drain(t, s) {
		got[string(r.Payload)] = r
	}
	if r, ok := got[key]; !ok || r.Subject != store.SubjectSteps || r.DedupID != key+"/2" {
		t.Errorf("the lost step was not requeued with a new dedup id: %+v", got)
	}
	if r, ok := got[lost.MessageID]; !ok || r.Subject != store.SubjectMessages || r.DedupID == connector+"/"+account+"/never-evaluated" {
		t.Errorf("the lost message was not requeued with a new dedup id: %+v", got)
	}
	if _, ok := got[held]; ok {
		t.Error("a step a worker holds was requeued")
	}
	// Requeued work waits another period before it is requeued again.
	if n, _ := s.Requeue(ctx(t), at(12*time.Minute), 10*time.Minute, 100); n != 0 {
		t.Errorf("requeued again after a minute: %d", n)
	}
	// Once evaluated, a message is no longer pending; the held step's
	// worker has died by now.
	plan(t, s, lost.MessageID, at(13*time.Minute))
	if n, _ := s.Requeue(ctx(t), at(30*time.Minute), 10*time.Minute, 100); n != 2 { // the steps only
		t.Errorf("Requeue after evaluation = %d, want 2 (the steps)", n)
	}
	if _, err := s.Requeue(ctx(t), t0, 0, 1); err == nil {
		t.Error("Requeue without an age succeeded")
	}
}

// testRequeueAbandoned: a step Plan began for a worker that died with it
// goes to the queue once its lease has run out, and the worker that takes
// it asks the connector first.
func testRequeueAbandoned(t *testing.T, s store.Store) {
	in := one(t, s, msg("e1", "t1", "anna"), t0)
	drain(t, s)
	p := planned(in.MessageID, "w", "reply", t0)
	if begun := plan(t, s, in.MessageID, t0, p); len(begun) != 1 {
		t.Fatalf("Plan began %d steps, want 1", len(begun))
	}
	lease := store.DefaultAttemptLease
	requeue := func(now time.Time) []string {
		t.Helper()
		_, err := s.Requeue(ctx(t), now, time.Hour, 100)
		must(t, "Requeue", err)
		return outboxOf(drain(t, s))
	}
	if got := requeue(t0.Add(lease - time.Nanosecond)); len(got) != 0 {
		t.Errorf("requeued within the lease: %v", got)
	}
	diff(t, "requeued once the lease ran out", []string{"steps " + p.Key + "/1 " + p.Key}, requeue(t0.Add(lease)))
	if got := requeue(t0.Add(lease + lease/2)); len(got) != 0 {
		t.Errorf("requeued again within a lease of the first requeue: %v", got)
	}
	diff(t, "requeued again a lease later (the queue lost it too)", []string{"steps " + p.Key + "/2 " + p.Key}, requeue(t0.Add(2*lease)))
	st, err := s.BeginAttempt(ctx(t), p.Key, t0.Add(2*lease))
	must(t, "BeginAttempt of the abandoned step", err)
	if !st.WasAttempted || st.Attempts != 2 {
		t.Errorf("abandoned step taken over: was attempted %t, %d attempts; want true, 2", st.WasAttempted, st.Attempts)
	}
	// It comes with its message as Inbounds loads it.
	diff(t, "its message", inbound(t, s, in.MessageID), st.Inbound)
	if got := requeue(t0.Add(3*lease - time.Nanosecond)); len(got) != 0 {
		t.Errorf("requeued while its new worker holds it: %v", got)
	}
}

// testRenewAttempts: a live worker that renews its attempts keeps its steps
// past the lease; a renewal with a stale attempt count, or of a finished
// step, changes nothing.
func testRenewAttempts(t *testing.T, s store.Store) {
	in := one(t, s, msg("e1", "t1", "anna"), t0)
	drain(t, s)
	slow, done := planned(in.MessageID, "w", "slow", t0), planned(in.MessageID, "w", "done", t0)
	if begun := plan(t, s, in.MessageID, t0, slow, done); len(begun) != 2 {
		t.Fatalf("Plan began %d steps, want 2", len(begun))
	}
	must(t, "Finish", s.Finish(ctx(t), done.Key, 1, store.Result{Kind: store.ResultApplied, At: t0}))
	lease := store.DefaultAttemptLease
	renewed := t0.Add(lease - time.Second)
	must(t, "RenewAttempts", s.RenewAttempts(ctx(t), map[string]int{slow.Key: 1, done.Key: 1}, renewed))
	must(t, "RenewAttempts of nothing", s.RenewAttempts(ctx(t), nil, renewed))
	if n, err := s.Requeue(ctx(t), t0.Add(lease), time.Hour, 100); err != nil || n != 0 {
		t.Errorf("Requeue when the first lease ended = %d, %v; want 0 (renewed)", n, err)
	}
	_, err := s.BeginAttempt(ctx(t), slow.Key, t0.Add(lease))
	wantErr(t, "BeginAttempt of a renewed step", err, store.ErrStepHeld)
	diff(t, "stats", store.Stats{RunningSteps: 1}, stats(t, s))
	// A renewal with another count (a worker that lost the step) and one
	// without a time change nothing.
	must(t, "RenewAttempts with a stale count", s.RenewAttempts(ctx(t), map[string]int{slow.Key: 2}, renewed.Add(lease)))
	if err := s.RenewAttempts(ctx(t), map[string]int{slow.Key: 1}, time.Time{}); err == nil {
		t.Error("RenewAttempts without a time: no error")
	}
	st, err := s.BeginAttempt(ctx(t), slow.Key, renewed.Add(lease))
	must(t, "BeginAttempt a lease after the renewal", err)
	if !st.WasAttempted || st.Attempts != 2 {
		t.Errorf("taken over: was attempted %t, %d attempts; want true, 2", st.WasAttempted, st.Attempts)
	}
}

// The queue gives up on a step: one a live worker holds (within its lease,
// however renewed) is left to it; one whose worker died is dead-lettered;
// one no worker began stays queued for Requeue; a finished one is left
// alone.
func testGiveUp(t *testing.T, s store.Store) {
	lease := s.AttemptLease()
	if lease != store.DefaultAttemptLease {
		t.Fatalf("AttemptLease = %s, want the default %s", lease, store.DefaultAttemptLease)
	}
	_, held := attempted(t, s, "w", "held")
	renewed := t0.Add(lease / 2)
	must(t, "RenewAttempts", s.RenewAttempts(ctx(t), map[string]int{held: 1}, renewed))
	const reason = "delivered too often"
	st, err := s.GiveUp(ctx(t), held, t0.Add(lease), reason)
	wantErr(t, "GiveUp on a renewed step", err, store.ErrStepHeld)
	if st != nil {
		t.Errorf("GiveUp on a held step returned %+v", st)
	}
	diff(t, "stats after giving up on a held step", store.Stats{RunningSteps: 1}, stats(t, s))

	now := renewed.Add(lease)
	st, err = s.GiveUp(ctx(t), held, now, reason)
	must(t, "GiveUp a lease after the renewal", err)
	if st == nil || st.Key != held || st.State != store.StepDead || st.Workflow != "w" || st.LastError != reason {
		t.Errorf("GiveUp after the lease = %+v, want the step dead with the reason", st)
	}
	st, err = s.GiveUp(ctx(t), held, now, reason)
	must(t, "GiveUp again", err)
	if st != nil {
		t.Errorf("GiveUp on a dead letter again = %+v, want nil", st)
	}
	_, queued := queuedStep(t, s, "w", "queued")
	st, err = s.GiveUp(ctx(t), queued, now, reason)
	must(t, "GiveUp on a queued step", err)
	if st != nil {
		t.Errorf("GiveUp on a queued step = %+v, want nil: it never began", st)
	}
	diff(t, "stats after giving up", store.Stats{QueuedSteps: 1, DeadLetters: 1}, stats(t, s))
	if n, err := s.Requeue(ctx(t), now.Add(time.Hour), time.Hour, 100); err != nil || n != 1 {
		t.Errorf("Requeue of the queued step given up on = %d, %v; want 1", n, err)
	}
	_, done := attempted(t, s, "w", "done")
	must(t, "Finish", s.Finish(ctx(t), done, 1, store.Result{Kind: store.ResultApplied, At: t0}))
	if st, err := s.GiveUp(ctx(t), done, now, reason); err != nil || st != nil {
		t.Errorf("GiveUp on a finished step = %+v, %v; want nil, nil", st, err)
	}
	_, err = s.GiveUp(ctx(t), "no-such-step", now, reason)
	wantErr(t, "GiveUp on an unknown step", err, store.ErrNotFound)
	if _, err := s.GiveUp(ctx(t), done, time.Time{}, reason); err == nil {
		t.Error("GiveUp without a time: no error")
	}
	dead, err := s.DeadLetters(ctx(t), 10)
	must(t, "DeadLetters", err)
	var got []string
	for _, d := range dead {
		got = append(got, d.Key+" "+d.LastError)
	}
	diff(t, "dead letters", []string{held + " " + reason}, got)
}
