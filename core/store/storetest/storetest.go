// Package storetest is the conformance suite of store.Store: every method,
// every delivery invariant of DESIGN.md ("Delivery, state and scale"), the
// ingest rules shared with the workflow test runner, and the races that the
// store's conditional updates must settle. One call runs it against one
// implementation:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { … })
//	}
//
// open must return a new, empty store opened with default Options (the
// lease tests assume store.DefaultAttemptLease), and clean up whatever
// else it created with t.Cleanup; Run closes the store. Subtests run in
// parallel, each with its own store. Time is always passed in, so no test
// sleeps.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/switchboard-hub/switchboard/core/store"
	"github.com/switchboard-hub/switchboard/core/workflow"
	"github.com/switchboard-hub/switchboard/sdk"
)

// test is one conformance test; it gets its own empty store.
type test struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// Run runs the suite against the stores open returns.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	var all []test
	for _, group := range [][]test{ingestTests, stepTests, claimTests, queryTests, pruneTests, concurrencyTests} {
		all = append(all, group...)
	}
	for _, tc := range all {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
}

// t0 is the suite's start of time: a Monday morning.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const (
	connector = "allegro"
	account   = "shop_pl"
)

func at(d time.Duration) time.Time { return t0.Add(d) }

// msg is an inbound buyer message.
func msg(external, thread, from string, opts ...func(*sdk.Message)) sdk.Message {
	m := sdk.Message{
		ExternalID: external, Channel: "discussions", Thread: thread, Direction: sdk.Inbound,
		Sender: sdk.Party{ID: from, Name: "Buyer " + from}, Text: "Hello from " + from, SentAt: t0,
	}
	for _, o := range opts {
		o(&m)
	}
	return m
}

// automatic marks a message as written by a robot (RFC 3834).
func automatic(m *sdk.Message) { m.Headers = map[string]string{"Auto-Submitted": "auto-replied"} }

func ctx(t *testing.T) context.Context { return t.Context() }

func ingestAt(t *testing.T, s store.Store, when time.Time, msgs ...sdk.Message) []store.Ingested {
	t.Helper()
	got, err := s.Ingest(ctx(t), store.IngestBatch{Connector: connector, Account: account, Messages: msgs, ReceivedAt: when})
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	return got
}

// one ingests a message and returns it as stored.
func one(t *testing.T, s store.Store, m sdk.Message, when time.Time) store.Ingested {
	t.Helper()
	got := ingestAt(t, s, when, m)
	if len(got) != 1 {
		t.Fatalf("Ingest of a new message returned %d messages, want 1", len(got))
	}
	return got[0]
}

// drain returns every unpublished outbox row and marks them published.
func drain(t *testing.T, s store.Store) []store.OutboxRow {
	t.Helper()
	rows, err := s.Outbox(ctx(t), 100000)
	if err != nil {
		t.Fatalf("Outbox: %v", err)
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	if err := s.Published(ctx(t), ids); err != nil {
		t.Fatalf("Published: %v", err)
	}
	return rows
}

// outboxOf summarizes rows as subject dedup-id payload, for comparison.
func outboxOf(rows []store.OutboxRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprintf("%s %s %s", r.Subject, r.DedupID, r.Payload)
	}
	return out
}

func planned(messageID, wf, step string, due time.Time) workflow.Planned {
	return workflow.Planned{Key: workflow.StepKey(messageID, wf, step), MessageID: messageID, Workflow: wf, Step: step, DueAt: due}
}

// plan records steps for a message and returns those it began (due at or
// before now).
func plan(t *testing.T, s store.Store, messageID string, now time.Time, steps ...workflow.Planned) []*store.Step {
	t.Helper()
	begun, err := s.Plan(ctx(t), messageID, workflow.Decision{Steps: steps, Explanation: workflow.Explanation{MessageID: messageID}}, now)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	return begun
}

// queuedStep plans one step due at t0, releases it to the queue then, and
// returns its key (the outbox drained).
func queuedStep(t *testing.T, s store.Store, wf, step string) (store.Ingested, string) {
	t.Helper()
	in := one(t, s, msg("q-"+wf+"-"+step, "thread-"+wf+"-"+step, "buyer"), t0)
	p := planned(in.MessageID, wf, step, t0)
	plan(t, s, in.MessageID, t0.Add(-time.Second), p)
	if n := release(t, s, t0, 100); n != 1 {
		t.Fatalf("ReleaseDue moved %d steps, want the one planned", n)
	}
	drain(t, s)
	return in, p.Key
}

// attempted plans a step and begins it at t0.
func attempted(t *testing.T, s store.Store, wf, step string) (store.Ingested, string) {
	t.Helper()
	in, key := queuedStep(t, s, wf, step)
	if _, err := s.BeginAttempt(ctx(t), key, t0); err != nil {
		t.Fatalf("BeginAttempt: %v", err)
	}
	return in, key
}

func thread(t *testing.T, s store.Store, id string) (*store.Thread, []sdk.Message) {
	t.Helper()
	th, msgs, err := s.Thread(ctx(t), id)
	if err != nil {
		t.Fatalf("Thread(%s): %v", id, err)
	}
	return th, msgs
}

func inbound(t *testing.T, s store.Store, id string) *workflow.Inbound {
	t.Helper()
	in, err := s.Inbounds(ctx(t), []string{id})
	if err != nil || len(in) != 1 || in[0] == nil {
		t.Fatalf("Inbounds(%s) = %v, %v; want the message", id, in, err)
	}
	return in[0]
}

// stats returns the store's backlog; RowsWritten, which every write
// moves, is left out (testRowsWritten checks it).
func stats(t *testing.T, s store.Store) store.Stats {
	t.Helper()
	st, err := s.Stats(ctx(t))
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	st.RowsWritten, st.WriteStatements = 0, 0
	return st
}

func nextDue(t *testing.T, s store.Store) time.Time {
	t.Helper()
	n, err := s.NextDue(ctx(t))
	if err != nil {
		t.Fatalf("NextDue: %v", err)
	}
	return n
}

func release(t *testing.T, s store.Store, now time.Time, limit int) int {
	t.Helper()
	n, err := s.ReleaseDue(ctx(t), now, limit)
	if err != nil {
		t.Fatalf("ReleaseDue: %v", err)
	}
	return n
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

// cmpUnexported compares workflow results without the engine's private
// reason codes (a stored result carries its reason as text).
func cmpUnexported() cmp.Option { return cmpopts.IgnoreUnexported(workflow.WorkflowResult{}) }

func diff(t *testing.T, what string, want, got any, opts ...cmp.Option) {
	t.Helper()
	if d := cmp.Diff(want, got, opts...); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}
