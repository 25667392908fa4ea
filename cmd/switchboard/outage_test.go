package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/switchboard-hub/switchboard/core/config"
	"github.com/switchboard-hub/switchboard/core/queue"
	"github.com/switchboard-hub/switchboard/core/store/storetest"
)

// TestHubRidesOutPostgresAndNATSOutages proves that a hub on PostgreSQL and
// an external NATS JetStream server loses no message and sends no reply
// twice when its dependencies fail while buyer messages arrive: the NATS
// server is shut down in the middle of a batch and started again (on the
// same port and store) once webhooks have arrived without it, and every
// PostgreSQL session of the hub is terminated, eight times, in the middle
// of another. The vendor delivers again, with the same message id, whatever
// the hub did not answer 200. In the end every message has exactly one
// reply at the shop, the hub still runs, is ready again, and holds no step
// unfinished.
//
// The hub's clock is the test clock, and the test never moves it: the
// requeue of work the queue lost (RequeueAfter) and the takeover of steps
// whose attempt lease ran out never come, so a reply that only they would
// bring is reported missing instead of arriving late. What the queue
// itself redelivers comes on the real clock: a delivery the NATS server
// handed out as it shut down comes back after the consumer's AckWait.
func TestHubRidesOutPostgresAndNATSOutages(t *testing.T) {
	dsn, admin := storetest.Postgres(t)
	schema := storetest.Schema(t, admin, "outage")
	// The hub's sessions carry an application name of their own, so that
	// the test terminates them and no other test's, on a server that other
	// packages' tests share.
	hubDSN, app := storetest.Sessions(t, dsn, "switchboard_outage")
	ns := startRestartableNATS(t)
	s := newSink(t)
	// A shop that takes a moment per reply, as a real one does, so that
	// replies are being sent, claimed and recorded when the database fails.
	s.mu.Lock()
	s.delay = 30 * time.Millisecond
	s.mu.Unlock()
	cfg, data := t.TempDir(), t.TempDir()
	writeConfig(t, cfg, s.srv.URL, "0s")
	writeSharedHub(t, cfg, s.srv.URL, hubDSN, schema, ns.url(), "OUTAGE_"+strings.ToUpper(randomHex(t)))
	h := startHub(t, cfg, data)
	if n := hubSessions(t, admin, app); n == 0 {
		t.Fatalf("no PostgreSQL session has application_name %s: the test could not tell the hub's sessions apart", app)
	}

	v := &vendor{hubURL: h.url}
	var sent []string // every message id delivered

	// Before the outages, the hub answers as usual.
	sent = append(sent, v.batch(t, "before", 30, nil)...)

	// NATS: the server stops while a batch is being delivered, and starts
	// again, with the same store, once webhooks have arrived without it.
	// It goes first, so that the queue's redelivery of what it handed out
	// as it stopped is under way while the rest of the test runs.
	var natsStopped time.Time
	sent = append(sent, v.batch(t, "nats", 50, func(progress, extra func(int)) {
		progress(10)
		ns.stop(t)
		natsStopped = time.Now()
		eventually(t, 30*time.Second, "/readyz to report the queue gone", func() bool {
			code, _ := h.get(t, "/readyz")
			return code == http.StatusServiceUnavailable
		})
		extra(20) // stored while the queue is gone, whether or not the batch has ended
		ns.start(t)
		// The hub reconnects on its own (nats.go waits two seconds between
		// attempts); what follows is sent to a hub that is ready again.
		eventually(t, 60*time.Second, "/readyz to answer 200 once NATS is back", func() bool {
			code, _ := h.get(t, "/readyz")
			return code == http.StatusOK
		})
	})...)
	sent = append(sent, v.batch(t, "between", 25, nil)...)

	// PostgreSQL: every session of the hub is terminated, again each time
	// the hub has reconnected and taken more messages, while a batch is
	// being delivered. Each round fails whatever the hub was doing on those
	// sessions, or did next: storing a webhook, planning, claiming or
	// recording a reply, publishing its outbox.
	terminated := 0
	sent = append(sent, v.batch(t, "pg", 80, func(progress, extra func(int)) {
		for range 8 {
			progress(5)
			eventually(t, 30*time.Second, "the hub to reconnect to PostgreSQL", func() bool { return hubSessions(t, admin, app) > 0 })
			terminated += storetest.EndSessions(t, admin, app)
			extra(3) // these meet the terminated sessions, whether or not the batch has ended
		}
	})...)
	t.Logf("PostgreSQL outages: terminated %d sessions of the hub in 8 rounds", terminated)
	sent = append(sent, v.batch(t, "after", 25, nil)...)
	t.Logf("%d messages delivered, %d deliveries answered other than 200 and delivered again", len(sent), v.refused.Load())
	// The clock does not move, so every reply counts against the circuit
	// breaker's one minute: more would be skipped by design.
	if len(sent) >= config.DefaultBreakerLimit {
		t.Fatalf("the test delivered %d messages; the circuit breaker lets %d replies through in the minute its clock stands still", len(sent), config.DefaultBreakerLimit)
	}

	// The hub's backlog, by the store, is empty once every step is
	// finished; a step left begun or queued names a reply still to come.
	backlog := func() map[string]float64 {
		b := map[string]float64{}
		for _, g := range []string{"switchboard_steps_pending", "switchboard_steps_queued", "switchboard_steps_running", "switchboard_outbox_rows"} {
			if v := h.metric(t, g); v != 0 {
				b[g] = v
			}
		}
		return b
	}
	settled := func() bool { return s.distinct() >= len(sent) && len(backlog()) == 0 }
	// A minute for the work in hand, and at least until the NATS server
	// has redelivered what it handed out as it stopped: that never reached
	// the hub, and the server hands it out again once AckWait has passed.
	// Messages stored and never evaluated do not show in the backlog; the
	// shop's replies count them.
	lastDelivery := time.Now()
	deadline := lastDelivery.Add(60 * time.Second)
	if redelivered := natsStopped.Add(queue.DefaultAckWait + 30*time.Second); redelivered.After(deadline) {
		deadline = redelivered
	}
	for !settled() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // the hub is another process: poll it
	}
	if !settled() {
		t.Errorf("%s after the last delivery, the hub still has work: %v", time.Since(lastDelivery).Round(time.Second), backlog())
	}
	requireOneReplyEach(t, s, sent)
	if got := h.metric(t, "switchboard_dead_letters"); got != 0 {
		t.Errorf("%v steps were dead-lettered", got)
	}
	if !running(h.cmd.Process.Pid) {
		t.Fatalf("the hub exited")
	}
	eventually(t, 60*time.Second, "/readyz to answer 200", func() bool {
		code, _ := h.get(t, "/readyz")
		return code == http.StatusOK
	})
}

// requireOneReplyEach fails the test unless the shop received exactly one
// reply, with one idempotency key, for each message id in sent, and nothing
// else.
func requireOneReplyEach(t *testing.T, s *sink, sent []string) {
	t.Helper()
	s.requireEachOnce(t)
	if missing := unanswered(s, sent); len(missing) > 0 {
		t.Errorf("%d of %d messages got no reply: %v", len(missing), len(sent), missing)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.keys) != len(sent) {
		t.Errorf("the shop got %d distinct replies for %d messages", len(s.keys), len(sent))
	}
	for _, id := range sent {
		if got, want := s.texts[threadOf(id)], "Thanks for message "+id; got != want && got != "" {
			t.Errorf("message %s: the shop got %q, want %q", id, got, want)
		}
	}
}

// unanswered lists the messages of sent whose reply the shop has not
// received.
func unanswered(s *sink, sent []string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var missing []string
	for _, id := range sent {
		if _, ok := s.texts[threadOf(id)]; !ok {
			missing = append(missing, id)
		}
	}
	return missing
}

// threadOf is the thread a message of the test is in: each its own.
func threadOf(id string) string { return "thread-" + id }

// vendor delivers buyer messages to the hub's webhook as a vendor does:
// a delivery not answered 200 is delivered again, with the same id.
type vendor struct {
	hubURL   string
	accepted atomic.Int64 // deliveries answered 200
	refused  atomic.Int64 // deliveries answered otherwise, or not at all
}

// batch delivers n messages named after name from four senders at once
// and returns their ids once every one was answered 200. meanwhile, when
// not nil, runs in the test's goroutine while they are delivered: progress
// waits until k more deliveries were accepted (or the senders are done), and
// extra delivers k more messages of the batch from the test's goroutine, so
// that some surely arrive at a given moment.
func (v *vendor) batch(t *testing.T, name string, n int, meanwhile func(progress, extra func(k int))) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%d", name, i)
	}
	next := make(chan string, n)
	for _, id := range ids {
		next <- id
	}
	close(next)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for range 4 {
		wg.Go(func() {
			for id := range next {
				if err := v.deliver(id); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	if meanwhile != nil {
		progress := func(k int) {
			t.Helper()
			from := v.accepted.Load()
			eventually(t, 30*time.Second, fmt.Sprintf("%d more deliveries of batch %s to be accepted", k, name), func() bool {
				select {
				case <-done:
					return true
				default:
					return v.accepted.Load() >= from+int64(k)
				}
			})
		}
		extra := func(k int) {
			t.Helper()
			for range k {
				id := fmt.Sprintf("%s-x%d", name, len(ids)-n)
				if err := v.deliver(id); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
		}
		meanwhile(progress, extra)
	}
	<-done
	for _, err := range errs {
		t.Error(err)
	}
	if len(errs) > 0 {
		t.FailNow()
	}
	return ids
}

// deliver posts one signed buyer message until the hub answers 200. A 503
// is the hub's way to say it could not store it yet.
func (v *vendor) deliver(id string) error {
	body, _ := json.Marshal(map[string]any{"id": id, "thread": threadOf(id), "text": "hello", "from": map[string]string{"id": "buyer-" + id}})
	mac := hmac.New(sha256.New, []byte(hookSecret))
	mac.Write(body)
	signature := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	client := &http.Client{Timeout: 30 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodPost, v.hubURL+"/hooks/webhook/shop", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Switchboard-Signature", signature)
		resp, err := client.Do(req)
		status := 0
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			status = resp.StatusCode
		}
		switch {
		case status == http.StatusOK:
			v.accepted.Add(1)
			return nil
		case err == nil && status != http.StatusServiceUnavailable:
			return fmt.Errorf("deliver %s: status %d; only 200, or 503 to be delivered again, is right", id, status)
		case time.Now().After(deadline):
			return fmt.Errorf("deliver %s: not accepted after 60s; last status %d, error %v", id, status, err)
		}
		v.refused.Add(1)
		time.Sleep(50 * time.Millisecond) // the vendor's pause before it delivers again
	}
}

// hubSessions counts the PostgreSQL sessions with application name app.
func hubSessions(t *testing.T, admin *sql.DB, app string) int {
	t.Helper()
	var n int
	if err := admin.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`, app).Scan(&n); err != nil {
		t.Fatalf("count the hub's PostgreSQL sessions: %v", err)
	}
	return n
}

// running reports whether process pid runs: it exists and has not exited
// (a child that exited stays a zombie until it is waited for).
func running(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}

// restartableNATS is a nats-server with JetStream in the test process, on a
// port of its own: the machine's shared server must not be restarted. It
// starts again on the same port and store directory, so that the hub
// reconnects to the address it knows and finds its stream as it left it.
type restartableNATS struct {
	port     int
	storeDir string
	ns       *server.Server
}

func startRestartableNATS(t *testing.T) *restartableNATS {
	t.Helper()
	// The kernel picks a free port; the server takes it a moment later.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	n := &restartableNATS{port: port, storeDir: t.TempDir()}
	n.start(t)
	t.Cleanup(func() {
		if n.ns != nil {
			n.ns.Shutdown()
			n.ns.WaitForShutdown()
		}
	})
	return n
}

func (n *restartableNATS) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.port) }

func (n *restartableNATS) start(t *testing.T) {
	t.Helper()
	ns, err := server.NewServer(&server.Options{
		Host:      "127.0.0.1",
		Port:      n.port,
		JetStream: true,
		StoreDir:  n.storeDir,
		NoSigs:    true,
		NoLog:     true,
	})
	if err != nil {
		t.Fatalf("configure nats-server: %v", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(30*time.Second) || !ns.JetStreamEnabled() {
		ns.Shutdown()
		t.Fatalf("nats-server on %s with JetStream was not ready after 30s", n.url())
	}
	n.ns = ns
}

// stop shuts the server down, its store flushed to disk.
func (n *restartableNATS) stop(t *testing.T) {
	t.Helper()
	n.ns.Shutdown()
	n.ns.WaitForShutdown()
	n.ns = nil
}
