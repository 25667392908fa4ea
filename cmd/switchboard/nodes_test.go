package main

import (
	"fmt"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/switchboard-hub/switchboard/core/store/storetest"
)

// Two nodes share PostgreSQL and a NATS stream, and take webhooks in turn.
// One is killed with SIGKILL while it sends replies and holds messages from
// the queue; the other takes over its work, once its leases run out on the
// survivor's clock, and every buyer gets a reply. A reply sent twice, with
// the same idempotency key, is one the dead node was sending when it died:
// the webhook connector cannot be asked whether it went out.
func TestAKilledNodeLosesNothing(t *testing.T) {
	const before, after = 40, 20
	dsn, admin := storetest.Postgres(t)
	js := testJetStream(t)
	schema, stream := storetest.Schema(t, admin, "nodestest"), testStream(t, js)
	s := newSink(t)
	s.delay = 200 * time.Millisecond // a slow shop, so that sends are in flight at the kill
	cfg := t.TempDir()
	writeSharedHub(t, cfg, s.srv.URL, dsn, schema, testNATSURL(), stream)
	write(t, cfg, "workflow.hcl", `workflow "ack" {
  description = "Acknowledge every message"
  trigger { sources = ["webhook"] }
  step "reply" "ack" { text = "Thanks for message ${message.external_id}" }
}
`)
	a, b := startHub(t, cfg, t.TempDir()), startHub(t, cfg, t.TempDir())
	deliver := func(h *hubProc, i int) {
		t.Helper()
		if code := h.deliver(t, fmt.Sprintf("m%d", i), fmt.Sprintf("t%d", i), "hello"); code != http.StatusOK {
			t.Fatalf("deliver m%d: status %d", i, code)
		}
	}
	for i := range before {
		deliver([]*hubProc{a, b}[i%2], i)
	}
	eventually(t, 30*time.Second, "a few replies to reach the shop", func() bool { return s.distinct() >= 4 })
	plugin := childPlugin(t, a.cmd.Process.Pid, "switchboard-connector-webhook")
	a.kill(t)
	// The dead node's plugin dies after it, and may still send what it was
	// given; the other node finishes what it holds.
	eventually(t, 30*time.Second, "the dead node's plugin to exit", func() bool { return !running(plugin) })
	eventually(t, 30*time.Second, "the shop to answer every request", s.idle)
	s.mu.Lock()
	reached := maps.Clone(s.keys) // only these may come twice: the dead node's sends in flight
	s.mu.Unlock()
	// The dead node held work: messages not yet replied to, or sends that
	// reached the shop but were never recorded (begun steps the survivor,
	// idle now, is not running).
	if len(reached) == before && b.metric(t, "switchboard_steps_running") == 0 {
		t.Fatal("every message was answered and recorded before the kill; the test needs work the dead node held")
	}
	for i := before; i < before+after; i++ {
		deliver(b, i)
	}

	// The dead node's steps are taken over once their lease (2 minutes)
	// runs out, and the messages it held are handed to the queue again
	// after 10 minutes, on the survivor's clock. It moves a little at a
	// time: a scheduler busy when it jumps would sleep past it.
	finished := func() bool {
		return s.distinct() == before+after && b.metric(t, "switchboard_steps_running") == 0
	}
	for i := 0; !finished() && i < 100; i++ {
		b.advance(t, "10s")
		time.Sleep(50 * time.Millisecond)
	}
	eventually(t, 60*time.Second, "a reply to every message", finished)
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, c := range s.keys {
		if c != 1 && (c != 2 || reached[key] == 0) {
			t.Errorf("reply %s reached the shop %d times (%d when the node died)", key, c, reached[key])
		}
	}
	if code, _ := b.get(t, "/readyz"); code != http.StatusOK {
		t.Errorf("the surviving node's /readyz: %d", code)
	}
}
