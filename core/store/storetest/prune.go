package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/switchboard-hub/switchboard/core/store"
	"github.com/switchboard-hub/switchboard/core/workflow"
	"github.com/switchboard-hub/switchboard/sdk"
)

var pruneTests = []test{
	{"Prune/FinishedWorkOnly", testPruneFinishedWorkOnly},
	{"Prune/Invalid", testPruneInvalid},
}

// A day after t0, what was finished then goes: a message answered (with
// its reply, explanation and step) and one dead-lettered. A message with a
// follow-up still to come, not yet evaluated, or whose step died since,
// stays; so do the threads,
// with their counts. The buyers last heard from then are blanked, and one
// who writes again is a new contact. The pruned replies' verdicts go, and
// the circuit breaker's count stays right.
func testPruneFinishedWorkOnly(t *testing.T, s store.Store) {
	day := 24 * time.Hour
	// The oldest messages wait: the limit counts only what can go.
	waiting := one(t, s, msg("e-wait", "t-wait", "bob"), t0)
	follow := planned(waiting.MessageID, "w", "follow-up", at(3*day))
	plan(t, s, waiting.MessageID, t0, follow)
	unevaluated := one(t, s, msg("e-new", "t-new", "carl"), t0)
	answered, replyKey := attempted(t, s, "w", "reply")
	must(t, "Finish sent", s.Finish(ctx(t), replyKey, 1, store.Result{Kind: store.ResultSent, At: at(time.Minute), ExternalID: "vendor-1",
		Reply: &sdk.OutboundMessage{Channel: "discussions", Thread: "thread-w-reply", Text: "Thanks!"}}))
	_, deadKey := attempted(t, s, "w", "dead")
	must(t, "Retry dead", s.Retry(ctx(t), deadKey, 1, t0, "permanent", true))
	// A message of then whose step died after the cutoff stays, so that
	// its dead letter is seen.
	lateDead, lateDeadKey := attempted(t, s, "w", "late-dead")
	must(t, "Retry late dead", s.Retry(ctx(t), lateDeadKey, 1, at(2*day), "permanent", true))
	later := one(t, s, msg("e-later", "thread-w-reply", "dora"), at(2*day))
	drain(t, s)

	// The answered reply's verdict, granted at t0, is within the breaker's
	// count when it is pruned.
	claim := func(key, thread string, when time.Time) workflow.Verdict {
		t.Helper()
		v, err := s.ClaimReply(ctx(t), workflow.ReplyClaim{ThreadID: thread, Workflow: "w", Key: key, At: when, BreakerLimit: 1, BreakerPer: time.Minute})
		must(t, "ClaimReply", err)
		return v
	}
	if v := claim(replyKey, answered.ThreadID, t0); !v.OK {
		t.Fatalf("the first claim: %+v", v)
	}

	got, err := s.Prune(ctx(t), at(day), 1)
	must(t, "Prune", err)
	if got != (store.Pruned{Messages: 1, Contacts: 1}) {
		t.Errorf("Prune with a limit of 1 = %+v, want one message and one contact", got)
	}
	got, err = s.Prune(ctx(t), at(day), 100)
	must(t, "Prune", err)
	// The answered question, its reply and the dead-lettered message; the
	// buyer of all three, bob and carl.
	if got != (store.Pruned{Messages: 2, Contacts: 2}) {
		t.Errorf("Prune = %+v, want the two messages and two contacts left", got)
	}
	if again, err := s.Prune(ctx(t), at(day), 100); err != nil || again != (store.Pruned{}) {
		t.Errorf("Prune again = %+v, %v; want nothing", again, err)
	}

	th, msgs := thread(t, s, answered.ThreadID)
	if len(msgs) != 1 || msgs[0].ID != later.MessageID {
		t.Errorf("the thread holds %d messages, want only the later one", len(msgs))
	}
	if th.AutoReplies != 1 || !th.LastAutoReplyAt.Equal(at(time.Minute)) || th.Messages != 2 {
		t.Errorf("the thread's counts changed: %d automatic replies at %s, %d buyer messages", th.AutoReplies, th.LastAutoReplyAt, th.Messages)
	}
	if _, err := s.Explanation(ctx(t), answered.MessageID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the pruned message's explanation: %v, want ErrNotFound", err)
	}
	if dead, err := s.DeadLetters(ctx(t), 10); err != nil || len(dead) != 1 || dead[0].Key != lateDeadKey {
		t.Errorf("dead letters after pruning: %v, %v; want only the one that died after the cutoff", dead, err)
	}
	if n := nextDue(t, s); !n.Equal(follow.DueAt) {
		t.Errorf("NextDue = %s, want the follow-up's %s", n, follow.DueAt)
	}
	for _, id := range []string{waiting.MessageID, unevaluated.MessageID, later.MessageID, lateDead.MessageID} {
		in := inbound(t, s, id)
		if id != later.MessageID && (in.Contact.Name != "" || in.Contact.ID == "") {
			t.Errorf("contact of %s after pruning: %+v, want kept and blanked", id, in.Contact)
		}
	}
	if in := inbound(t, s, later.MessageID); in.Contact.Name != "Buyer dora" {
		t.Errorf("a contact heard from after the cutoff was blanked: %+v", in.Contact)
	}
	back := one(t, s, msg("e-back", "t-back", "bob"), at(3*day))
	if back.ContactID == "" || back.ContactID == waiting.ContactID {
		t.Errorf("bob, blanked, wrote again as contact %q; want a new contact, not %q", back.ContactID, waiting.ContactID)
	}
	// The pruned verdict is gone, and left the breaker's count: a reply two
	// days later is the only one within its minute, and the next is one
	// too many. A claim with the pruned key is decided anew.
	if v := claim("x", "t-x", at(2*day)); !v.OK {
		t.Errorf("after pruning, the breaker still counts the pruned reply: %+v", v)
	}
	if v := claim("y", "t-y", at(2*day+time.Second)); v.OK {
		t.Errorf("after pruning, the breaker let a reply through past its limit: %+v", v)
	}
	if v := claim(replyKey, answered.ThreadID, at(2*day+2*time.Second)); v.Repeated {
		t.Errorf("the pruned verdict was kept: %+v", v)
	}
}

func testPruneInvalid(t *testing.T, s store.Store) {
	for _, c := range []struct {
		before time.Time
		limit  int
	}{{time.Time{}, 10}, {t0, 0}} {
		if _, err := s.Prune(ctx(t), c.before, c.limit); err == nil {
			t.Errorf("Prune(%s, %d): no error", c.before, c.limit)
		}
	}
}
