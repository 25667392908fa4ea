package hub

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hub/switchboard/core/clock"
	"github.com/switchboard-hub/switchboard/core/store"
)

// countRows counts a table's rows in the database file.
func countRows(t *testing.T, path, table string) int {
	t.Helper()
	db := readDB(t, path)
	defer db.Close()
	n := 0
	if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// message_retention deletes a finished message and its reply once they are
// older than it, within the hour after, and keeps what is younger and the
// thread.
func TestMessageRetentionPrunesWithinTheHour(t *testing.T) {
	t.Parallel()
	const retention = 8 * 24 * time.Hour
	sink := newReplySink(t)
	clk := clock.NewFake(testStart)
	st, path := openStore(t, store.Options{})
	cfg := loadConfig(t, webhookDir, map[string]string{
		"hub.hcl": "hub {\n  message_retention = \"8d\"\n}\n" + webhookConnector(sink.srv.URL, ""),
		"wf.hcl":  replyWorkflow("ack", "Thanks"),
	})
	h := newTestHub(t, cfg, Options{Store: st, Queue: JetStream(openQueue(t)), PluginDir: webhookDir, Clock: clk, Node: "node"})
	h.run(t)
	replied := func(n float64) {
		t.Helper()
		eventually(t, "the replies to be recorded", func() bool {
			s, err := st.Stats(context.Background())
			return err == nil && s.Outbox == 0 && s.QueuedSteps == 0 && s.RunningSteps == 0 && h.metric(t, "switchboard_messages_out_total") == n
		})
	}
	if code := h.deliver(t, "shop", "m1", "t1", "hello"); code != http.StatusOK {
		t.Fatalf("deliver m1: %d", code)
	}
	replied(1)
	clk.Advance(7 * 24 * time.Hour)
	if code := h.deliver(t, "shop", "m2", "t2", "hello"); code != http.StatusOK {
		t.Fatalf("deliver m2: %d", code)
	}
	replied(2)
	if n := countRows(t, path, "messages"); n != 4 {
		t.Fatalf("%d messages stored after a week, want the two and their replies", n)
	}

	clk.Advance(retention - 7*24*time.Hour - time.Hour)
	drive(t, clk, 10*time.Minute, "m1 and its reply to be pruned", func() bool { return countRows(t, path, "messages") < 4 })
	if now := clk.Now(); now.Before(testStart.Add(retention)) || now.After(testStart.Add(retention+PruneEvery+10*time.Minute)) {
		t.Errorf("pruned at %s, want within the hour after %s", now.Format(time.RFC3339), testStart.Add(retention).Format(time.RFC3339))
	}
	if n := countRows(t, path, "messages"); n != 2 {
		t.Errorf("%d messages left, want m2 and its reply", n)
	}
	if n := countRows(t, path, "steps"); n != 1 {
		t.Errorf("%d steps left, want m2's", n)
	}
	if n := countRows(t, path, "threads"); n != 2 {
		t.Errorf("%d threads left, want both", n)
	}
	// Counted and logged once the prune's transaction has ended.
	eventually(t, "the prune to be counted and logged", func() bool {
		return h.metric(t, "switchboard_pruned_total", "kind", "messages") == 2 &&
			strings.Contains(h.logs.String(), "retention: pruned: messages=2 contacts=1")
	})
}
