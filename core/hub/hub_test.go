package hub

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hub/switchboard/core/clock"
	"github.com/switchboard-hub/switchboard/core/config"
	"github.com/switchboard-hub/switchboard/core/pluginhost"
	"github.com/switchboard-hub/switchboard/core/queue"
	"github.com/switchboard-hub/switchboard/core/store"
	"github.com/switchboard-hub/switchboard/core/workflow"
	"github.com/switchboard-hub/switchboard/sdk"
)

// These tests assemble hubs in-process with a real store (SQLite), the real
// queue (embedded JetStream), real plugin processes and a fake clock, and
// drive what the end-to-end tests of cmd/switchboard cannot reach from
// outside: reloads, poll leases between two hubs, work the queue lost, and
// sends begun by a worker that died.

var (
	// webhookDir holds the webhook connector (SWITCHBOARD_PLUGIN_DIR, as
	// `make test` sets it); testPluginDir the misbehaving test connector
	// (SWITCHBOARD_TESTPLUGIN_DIR). A bare `go test` builds what is missing.
	webhookDir    string
	testPluginDir string
	testStart     = time.Date(2026, 11, 20, 19, 0, 0, 0, time.UTC)
)

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	webhookDir, testPluginDir = os.Getenv("SWITCHBOARD_PLUGIN_DIR"), os.Getenv("SWITCHBOARD_TESTPLUGIN_DIR")
	for _, p := range []struct {
		dir *string
		src string
		bin string
	}{
		{&webhookDir, "../../plugins/connectors/webhook", "switchboard-connector-webhook"},
		{&testPluginDir, "../pluginhost/testdata/plugins/connectors/testconn", "switchboard-connector-testconn"},
	} {
		if *p.dir != "" {
			continue
		}
		tmp, err := os.MkdirTemp("", "switchboard-plugins")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		defer os.RemoveAll(tmp)
		if out, err := exec.Command("go", "build", "-o", filepath.Join(tmp, p.bin), p.src).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", p.src, err, out)
			return 2
		}
		*p.dir = tmp
	}
	return m.Run()
}

// replySink is the shop system behind the webhook connector's send_url. It
// accepts every reply, or answers status with header when status is set.
type replySink struct {
	srv    *httptest.Server
	now    func() time.Time // the hub's clock, to note when a request came
	mu     sync.Mutex
	got    []sinkRequest
	status int
	header http.Header
	hold   chan struct{} // while open, replies wait for an answer
}

type sinkRequest struct {
	Key       string
	At        time.Time
	Thread    string `json:"thread"`
	Text      string `json:"text"`
	InReplyTo string `json:"in_reply_to"`
}

func newReplySink(t *testing.T) *replySink {
	s := &replySink{now: time.Now}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req sinkRequest
		_ = json.NewDecoder(r.Body).Decode(&req)
		req.Key = r.Header.Get("Idempotency-Key")
		s.mu.Lock()
		req.At = s.now()
		s.got = append(s.got, req)
		hold := s.hold
		s.mu.Unlock()
		if hold != nil {
			<-hold
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.status != 0 {
			for k, v := range s.header {
				w.Header()[k] = v
			}
			http.Error(w, "not now", s.status)
			return
		}
		fmt.Fprintf(w, `{"id":"sink-%d"}`, len(s.got))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// refuse makes the sink answer status with header, and note the times of
// requests on now.
func (s *replySink) refuse(now func() time.Time, status int, header http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now, s.status, s.header = now, status, header
}

// holdReplies keeps the replies that come waiting for an answer until
// release is called.
func (s *replySink) holdReplies() (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	hold := make(chan struct{})
	s.hold = hold
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			close(hold)
			s.hold = nil
		})
	}
}

func (s *replySink) requests() []sinkRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// withKey returns the requests that carried the idempotency key.
func (s *replySink) withKey(key string) []sinkRequest {
	var out []sinkRequest
	for _, r := range s.requests() {
		if r.Key == key {
			out = append(out, r)
		}
	}
	return out
}

// loadConfig writes files into a new configuration directory and loads it.
func loadConfig(t *testing.T, pluginDir string, files map[string]string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, diags := config.Load(dir, config.Options{PluginDir: pluginDir})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return cfg
}

// openStore opens a SQLite store in a new directory and returns it with
// the database file.
func openStore(t *testing.T, opts store.Options) (store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "switchboard.db")
	st, err := store.Open(context.Background(), "sqlite://"+path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

// readDB opens the database file of a hub's SQLite store for reading;
// close it when done.
func readDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// stepState reads a step's state and reason from the database file: the
// Store shows steps only as dead letters.
func stepState(t *testing.T, path, key string) (state, reason string) {
	t.Helper()
	db := readDB(t, path)
	defer db.Close()
	if err := db.QueryRow("SELECT state, reason FROM steps WHERE key = ?", key).Scan(&state, &reason); err != nil {
		t.Fatalf("step %s: %v", key, err)
	}
	return state, reason
}

// onlyStep reads the key and state of the one step stored; ok is false
// while there is not exactly one.
func onlyStep(t *testing.T, path string) (key, state string, ok bool) {
	t.Helper()
	db := readDB(t, path)
	defer db.Close()
	n := 0
	if err := db.QueryRow("SELECT COUNT(*), COALESCE(MIN(key), ''), COALESCE(MIN(state), '') FROM steps").Scan(&n, &key, &state); err != nil {
		t.Fatalf("steps: %v", err)
	}
	return key, state, n == 1
}

// attemptedAt reads when a step was last begun or renewed.
func attemptedAt(t *testing.T, path, key string) time.Time {
	t.Helper()
	db := readDB(t, path)
	defer db.Close()
	var at sql.NullInt64
	if err := db.QueryRow("SELECT attempted_at FROM steps WHERE key = ?", key).Scan(&at); err != nil {
		t.Fatalf("step %s: %v", key, err)
	}
	return time.Unix(0, at.Int64)
}

// openQueue opens an embedded queue in a new directory; close it before the
// test ends to lose what it holds.
func openQueue(t *testing.T) *queue.Queue {
	t.Helper()
	q, err := queue.Open(context.Background(), queue.Options{DataDir: t.TempDir(), Subjects: []string{store.SubjectMessages, store.SubjectSteps}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

// testHub is one hub of a test, with its own metrics and log.
type testHub struct {
	*Hub
	reg  *prometheus.Registry
	logs *lockedLog
	stop func() // ends Run and waits for it; idempotent
}

type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newTestHub starts the plugins of cfg; run starts the hub's loops.
func newTestHub(t *testing.T, cfg *config.Config, opts Options) *testHub {
	t.Helper()
	th := &testHub{reg: prometheus.NewRegistry(), logs: &lockedLog{}, stop: func() {}}
	opts.Registry = th.reg
	if opts.Logger == nil {
		opts.Logger = hclog.New(&hclog.LoggerOptions{Name: "hub " + opts.Node, Level: hclog.Debug, Output: th.logs})
	}
	h, err := New(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	th.Hub = h
	t.Cleanup(func() {
		th.stop()
		if t.Failed() {
			t.Logf("log of hub %s:\n%s", opts.Node, th.logs.String())
		}
	})
	return th
}

// run starts Run; stop ends it. A hub that never ran closes its plugins
// at cleanup.
func (th *testHub) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- th.Run(ctx) }()
	var once sync.Once
	th.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
}

// deliver posts a buyer message to the hub's webhook ingress.
func (th *testHub) deliver(t *testing.T, account, id, thread, text string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"id": id, "thread": thread, "text": text, "from": map[string]string{"id": "buyer-" + thread}})
	rec := httptest.NewRecorder()
	th.Webhooks().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/hooks/webhook/"+account, bytes.NewReader(body)))
	return rec.Code
}

// hook posts body to the test connector's webhook of account acct, as a
// vendor would, on ctx.
func (th *testHub) hook(ctx context.Context, body string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	th.Webhooks().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/hooks/testconn/acct", strings.NewReader(body)).WithContext(ctx))
	return rec
}

// testconnConfig is the test connector's account acct, with more
// configuration after it.
func testconnConfig(t *testing.T, more string) *config.Config {
	t.Helper()
	return loadConfig(t, testPluginDir, map[string]string{"hub.hcl": "connector \"testconn\" \"acct\" {}\n" + more})
}

// metric reads a counter or gauge of the hub's registry: the sum over the
// series that carry the labels given.
func (th *testHub) metric(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := th.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					found = found || lp.GetName() == labels[i] && lp.GetValue() == labels[i+1]
				}
				if !found {
					continue series
				}
			}
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// eventually waits for the hub's goroutines to reach a state, polling it.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// drive moves the fake clock on a step at a time until ok holds, giving
// the hubs a moment after each step to do what fell due.
func drive(t *testing.T, clk *clock.Fake, step time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out driving the clock (now %s) until %s", clk.Now().Format(time.RFC3339), what)
		}
		clk.Advance(step)
		for settle := time.Now().Add(200 * time.Millisecond); !ok() && time.Now().Before(settle); {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func webhookConnector(sinkURL, extra string) string {
	return fmt.Sprintf("connector \"webhook\" \"shop\" {\n  send_url = %q\n%s}\n", sinkURL+"/replies", extra)
}

// ackConfig is a webhook connector sending to sink and a workflow "ack"
// that replies to every message at once.
func ackConfig(t *testing.T, sink *replySink) *config.Config {
	t.Helper()
	return loadConfig(t, webhookDir, map[string]string{"hub.hcl": webhookConnector(sink.srv.URL, ""), "wf.hcl": replyWorkflow("ack", "Thanks")})
}

func replyWorkflow(name, text string) string {
	return fmt.Sprintf(`workflow %q {
  description = "Reply to every message"
  trigger {}
  step "reply" "reply" {
    text = "%s ${message.external_id}"
  }
}
`, name, text)
}

func TestReloadSwapsTheConfigurationAndKeepsItWhenAPluginRejectsTheNext(t *testing.T) {
	t.Parallel()
	sink := newReplySink(t)
	clk := clock.NewFake(testStart)
	first := loadConfig(t, webhookDir, map[string]string{
		"hub.hcl": webhookConnector(sink.srv.URL, ""), "wf.hcl": replyWorkflow("hello", "v1"),
	})
	st, _ := openStore(t, store.Options{})
	h := newTestHub(t, first, Options{Store: st, Queue: JetStream(openQueue(t)), PluginDir: webhookDir, Clock: clk, Node: "reload"})
	h.run(t)
	answered := func(thread, text string) {
		t.Helper()
		eventually(t, "the reply "+text, func() bool {
			for _, r := range sink.requests() {
				if r.Thread == thread {
					if r.Text != text {
						t.Fatalf("thread %s was answered %q, want %q", thread, r.Text, text)
					}
					return true
				}
			}
			return false
		})
	}
	if code := h.deliver(t, "shop", "m1", "t1", "hello"); code != http.StatusOK {
		t.Fatalf("deliver: %d", code)
	}
	answered("t1", "v1 m1")

	// A new configuration: another workflow, and a second account whose
	// webhook address exists from the swap on.
	second := loadConfig(t, webhookDir, map[string]string{
		"hub.hcl": webhookConnector(sink.srv.URL, "") + strings.Replace(webhookConnector(sink.srv.URL, ""), `"shop"`, `"outlet"`, 1),
		"wf.hcl":  replyWorkflow("welcome", "v2"),
	})
	if code := h.deliver(t, "outlet", "m0", "t0", "hello"); code != http.StatusNotFound {
		t.Errorf("an account that is not configured yet: %d", code)
	}
	if err := h.Reload(context.Background(), second); err != nil {
		t.Fatal(err)
	}
	if h.Config() != second {
		t.Fatal("Config() is not the reloaded configuration")
	}
	ws, err := h.Workflows(context.Background())
	if err != nil || len(ws) != 1 || ws[0].Name != "welcome" {
		t.Errorf("workflows after the reload: %+v %v", ws, err)
	}
	if code := h.deliver(t, "shop", "m2", "t2", "hello"); code != http.StatusOK {
		t.Fatalf("deliver after the reload: %d", code)
	}
	answered("t2", "v2 m2")
	if code := h.deliver(t, "outlet", "m3", "t3", "hello"); code != http.StatusOK {
		t.Fatalf("deliver to the new account: %d", code)
	}
	answered("t3", "v2 m3")

	// The webhook plugin rejects an empty secret in Configure, which
	// config.Load cannot know: the reload fails and the running
	// configuration stays, plugins included.
	rejected := loadConfig(t, webhookDir, map[string]string{
		"hub.hcl": webhookConnector(sink.srv.URL, "  secret = \"\"\n"),
		"wf.hcl":  replyWorkflow("broken", "v3"),
	})
	err = h.Reload(context.Background(), rejected)
	if err == nil || !strings.Contains(err.Error(), "connector webhook.shop rejects its configuration") ||
		!strings.Contains(err.Error(), "hub.hcl:3,12-14: secret is empty") {
		t.Fatalf("reload with a configuration the plugin rejects: %v; want the plugin's error at the user's file and line", err)
	}
	if h.Config() != second {
		t.Fatal("a rejected reload replaced the configuration")
	}
	if ws, _ := h.Workflows(context.Background()); len(ws) != 1 || ws[0].Name != "welcome" {
		t.Errorf("workflows after a rejected reload: %+v", ws)
	}
	// Unsigned, as the running connector (without secret) accepts.
	if code := h.deliver(t, "shop", "m4", "t4", "hello"); code != http.StatusOK {
		t.Fatalf("deliver after a rejected reload: %d", code)
	}
	answered("t4", "v2 m4")
	if code := h.deliver(t, "outlet", "m5", "t5", "hello"); code != http.StatusOK {
		t.Fatalf("the account the rejected configuration drops: %d", code)
	}
	answered("t5", "v2 m5")
	if n := len(sink.requests()); n != 5 {
		t.Errorf("the sink got %d replies, want 5: %+v", n, sink.requests())
	}
}

// Every connector is checked when the hub starts and after each reload. One
// whose vendor refuses it is reported at its block and shows as failing; the
// hub runs on. A connector a reload removed leaves the gauge.
func TestConnectorsAreCheckedAtStartAndAfterReload(t *testing.T) {
	t.Parallel()
	account := func(name, label string) string {
		return fmt.Sprintf("connector \"testconn\" %q {\n  label = %q\n  token = \"s3cret-token\"\n}\n", name, label)
	}
	st, _ := openStore(t, store.Options{})
	cfg := loadConfig(t, testPluginDir, map[string]string{"hub.hcl": account("acct", "check fails")})
	h := newTestHub(t, cfg, Options{Store: st, Queue: JetStream(openQueue(t)), PluginDir: testPluginDir, Clock: clock.NewFake(testStart), Node: "check"})
	h.run(t)
	checks := func() map[string]float64 {
		mfs, err := h.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, mf := range mfs {
			if mf.GetName() != "switchboard_connector_check_ok" {
				continue
			}
			for _, m := range mf.GetMetric() {
				var labels []string
				for _, lp := range m.GetLabel() {
					labels = append(labels, lp.GetValue())
				}
				out[strings.Join(labels, "/")] = m.GetGauge().GetValue()
			}
		}
		return out
	}
	eventually(t, "the check at start", func() bool { return len(checks()) > 0 })
	if got := checks(); !maps.Equal(got, map[string]float64{"acct/testconn": 0}) {
		t.Errorf("checks at start: %v; want acct failing", got)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "connector check failed") || !strings.Contains(logs, "hub.hcl:3,") || !strings.Contains(logs, "The vendor refused the token") {
		t.Errorf("the failed check is not logged at the token's line:\n%s", logs)
	}
	if strings.Contains(logs, "s3cret-token") {
		t.Error("the sensitive token was logged")
	}

	if err := h.Reload(context.Background(), loadConfig(t, testPluginDir, map[string]string{"hub.hcl": account("other", "fine")})); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the check after the reload", func() bool { return maps.Equal(checks(), map[string]float64{"other/testconn": 1}) })
	if !strings.Contains(h.logs.String(), "connector check passed") {
		t.Errorf("the passed check is not logged:\n%s", h.logs.String())
	}
}

// A workflow turned off or on while the connectors are checked makes a new
// generation with the same plugins: the check still reports them.
func TestAConnectorCheckOutlivesAnOverride(t *testing.T) {
	t.Parallel()
	hold := filepath.Join(t.TempDir(), "hold-check")
	if err := os.WriteFile(hold, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	st, _ := openStore(t, store.Options{})
	cfg := loadConfig(t, testPluginDir, map[string]string{
		"hub.hcl": fmt.Sprintf("plugin \"connector\" \"testconn\" {\n  env = { TESTCONN_HOLD_CHECK = %q }\n}\nconnector \"testconn\" \"acct\" {}\n", hold),
		"wf.hcl":  replyWorkflow("hello", "Hi"),
	})
	h := newTestHub(t, cfg, Options{Store: st, Queue: JetStream(openQueue(t)), PluginDir: testPluginDir, Clock: clock.NewFake(testStart), Node: "check"})
	h.run(t)
	eventually(t, "the check to begin", func() bool {
		_, err := os.Stat(hold + ".begun")
		return err == nil
	})
	if err := h.SetWorkflowEnabled(context.Background(), "hello", false); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(hold); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the check's report", func() bool {
		return h.metric(t, "switchboard_connector_check_ok", "connector", "testconn", "account", "acct") == 1
	})
}

func TestPollLeaseLetsOneHubPollAtATime(t *testing.T) {
	t.Parallel()
	const (
		interval = 10 * time.Second
		ttl      = time.Minute // max(3 × interval, 1m), as poll takes it
		lease    = "poll/testconn/acct"
	)
	clk := clock.NewFake(testStart)
	st, _ := openStore(t, store.Options{})
	q := openQueue(t)
	cfg := testconnConfig(t, "")

	// A node that died holding the lease: nobody polls until it expires.
	if ok, err := st.AcquireLease(context.Background(), lease, "dead-node", testStart, ttl); err != nil || !ok {
		t.Fatalf("lease for the dead node: %v %v", ok, err)
	}
	hubs := map[string]*testHub{}
	for _, node := range []string{"node-a", "node-b"} {
		// One database, one queue, two nodes.
		hubs[node] = newTestHub(t, cfg, Options{Store: st, Queue: JetStream(q), PluginDir: testPluginDir, Clock: clk, Node: node, PollInterval: interval})
		hubs[node].run(t)
	}
	polled := func(node string) int {
		return int(hubs[node].metric(t, "switchboard_messages_in_total", "connector", "testconn", "account", "acct"))
	}
	total := func() int { return polled("node-a") + polled("node-b") }
	// pollTimes reads when each polled message (one thread each) arrived.
	pollTimes := func() map[string]time.Time {
		ts, err := st.Threads(context.Background(), store.ThreadFilter{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]time.Time{}
		for _, th := range ts {
			out[th.ExternalID] = th.FirstInboundAt
		}
		return out
	}
	polls := func() string {
		b, _, err := st.PluginState(sdk.KindConnector, "testconn", "acct").Get(context.Background(), "polls")
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	drive(t, clk, interval, "a hub polls", func() bool { return total() > 0 })
	if at := pollTimes()["poll-1"]; at.Before(testStart.Add(ttl)) {
		t.Errorf("the first poll was at %s, before the dead node's lease ran out at %s", at, testStart.Add(ttl))
	}
	winner, loser := "node-a", "node-b"
	if polled(winner) == 0 {
		winner, loser = loser, winner
	}
	drive(t, clk, interval, "five polls", func() bool { return polled(winner) >= 5 })
	if n := polled(loser); n != 0 {
		t.Errorf("%s polled %d times while %s held the lease", loser, n, winner)
	}
	if got, want := polls(), fmt.Sprint(polled(winner)); got != want {
		t.Errorf("the connector was polled %s times, %s stored new messages %s times", got, winner, want)
	}

	// The winner stops and gives the lease up: the other node takes over at
	// its next poll, without waiting for the lease to run out.
	hubs[winner].stop()
	stopped, before := clk.Now(), polled(winner)
	drive(t, clk, interval, loser+" polls", func() bool { return polled(loser) >= 2 })
	first := fmt.Sprintf("poll-%d", before+1)
	if at, ok := pollTimes()[first]; !ok || at.Sub(stopped) >= ttl {
		t.Errorf("%s polled first at %s (%v), %s after %s stopped; want well within the lease of %s", loser, at, ok, at.Sub(stopped), winner, ttl)
	}
	if polled(winner) != before {
		t.Errorf("%s polled after it stopped", winner)
	}
	if got, want := polls(), fmt.Sprint(total()); got != want {
		t.Errorf("the connector was polled %s times, new messages were stored %s times", got, want)
	}
	if held, err := st.AcquireLease(context.Background(), lease, "probe", clk.Now(), ttl); err != nil || held {
		t.Errorf("the lease is free while %s polls: %v %v", loser, held, err)
	}
}

func TestWorkTheQueueLostIsRequeued(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sink := newReplySink(t)
	clk := clock.NewFake(testStart)
	st, _ := openStore(t, store.Options{})
	cfg := ackConfig(t, sink)

	// The first node stores two messages and plans the second one's reply
	// a moment ahead, as a delayed step; its scheduler releases the reply
	// when it falls due, and its outbox hands all that to its queue: two
	// messages to evaluate and a step to execute. Then the node dies before
	// any of it is consumed, and its queue with it.
	lost := openQueue(t)
	a := newTestHub(t, cfg, Options{Store: st, Queue: JetStream(lost), PluginDir: webhookDir, Clock: clk, Node: "node-a"})
	defer a.gen.Load().plugins.close()
	for i, id := range []string{"m1", "m2"} {
		n, err := a.Ingest(ctx, "webhook", "shop", []sdk.Message{{ExternalID: id, Thread: "t" + id, Channel: "webhook", Text: "hello"}}, nil)
		if err != nil || n != 1 {
			t.Fatalf("ingest %d: %d %v", i, n, err)
		}
	}
	rows, err := st.Outbox(ctx, 10)
	if err != nil || len(rows) != 2 {
		t.Fatalf("outbox: %v %v", rows, err)
	}
	m1, m2 := string(rows[0].Payload), string(rows[1].Payload)
	in, err := a.load(ctx, m2)
	if err != nil {
		t.Fatal(err)
	}
	if begun, err := st.Plan(ctx, m2, a.gen.Load().engine.Evaluate(in), clk.Now().Add(-time.Second)); err != nil || len(begun) != 0 {
		t.Fatalf("plan ahead: %d steps begun, %v", len(begun), err)
	}
	if n, err := st.ReleaseDue(ctx, clk.Now(), 10); err != nil || n != 1 {
		t.Fatalf("release: %d %v", n, err)
	}
	outbox, cancel := context.WithCancel(ctx)
	published := make(chan struct{})
	go func() { defer close(published); a.publishOutbox(outbox) }()
	eventually(t, "the outbox to reach the queue", func() bool {
		s, err := st.Stats(ctx)
		msgs, _ := lost.Depth(ctx, store.SubjectMessages)
		steps, _ := lost.Depth(ctx, store.SubjectSteps)
		return err == nil && s.Outbox == 0 && s.QueuedSteps == 1 && msgs == 2 && steps == 1
	})
	cancel()
	<-published
	lost.Close()

	// The second node has a new, empty queue. What the store holds as
	// unevaluated or queued is handed to it once RequeueAfter has passed.
	b := newTestHub(t, cfg, Options{Store: st, Queue: JetStream(openQueue(t)), PluginDir: webhookDir, Clock: clk, Node: "node-b"})
	b.run(t)
	keys := []string{m1 + ".ack.reply", m2 + ".ack.reply"}
	// A minute before RequeueAfter the scheduler looks for lost work and
	// finds none yet; a new message meanwhile goes through.
	clk.Advance(RequeueAfter - time.Minute)
	if code := b.deliver(t, "shop", "m3", "tm3", "hello"); code != http.StatusOK {
		t.Fatalf("deliver: %d", code)
	}
	eventually(t, "the reply to m3", func() bool { return len(sink.requests()) > 0 })
	if got := sink.requests(); len(got) != 1 || got[0].Thread != "tm3" {
		t.Fatalf("replies before the lost work was due to be requeued: %+v", got)
	}
	drive(t, clk, time.Minute, "both replies", func() bool {
		return len(sink.withKey(keys[0])) > 0 && len(sink.withKey(keys[1])) > 0
	})
	if now := clk.Now(); now.Before(testStart.Add(RequeueAfter)) {
		t.Errorf("the lost work was requeued at %s, before RequeueAfter", now)
	}
	eventually(t, "the replies to be recorded", func() bool {
		s, err := st.Stats(ctx)
		return err == nil && s.QueuedSteps == 0 && s.Outbox == 0 && b.metric(t, "switchboard_messages_out_total") == 3
	})
	for _, key := range keys {
		if got := sink.withKey(key); len(got) != 1 {
			t.Errorf("reply %s reached the sink %d times", key, len(got))
		}
	}
	if !strings.Contains(b.logs.String(), "requeued work the queue did not deliver: items=2") {
		t.Errorf("the requeue was not logged as two items:\n%s", b.logs.String())
	}
}

// storeMessage stores message m1 in thread t1, as the webhook would, and
// returns its id (from the outbox row that would hand it to the queue).
func storeMessage(t *testing.T, h *testHub, st store.Store) string {
	t.Helper()
	ctx := context.Background()
	if n, err := h.Ingest(ctx, "webhook", "shop", []sdk.Message{{ExternalID: "m1", Thread: "t1", Channel: "webhook", Text: "hello"}}, nil); err != nil || n != 1 {
		t.Fatalf("ingest: %d %v", n, err)
	}
	rows, err := st.Outbox(ctx, 10)
	if err != nil || len(rows) != 1 {
		t.Fatalf("outbox: %v %v", rows, err)
	}
	return string(rows[0].Payload)
}

// beginReply stores message m1 in thread t1 and plans it as a worker would,
// which begins its reply due at once, without running it (the worker dies,
// or still runs it); it returns the reply's step key.
func beginReply(t *testing.T, h *testHub, st store.Store, now time.Time) string {
	t.Helper()
	ctx := context.Background()
	msgID := storeMessage(t, h, st)
	in, err := h.load(ctx, msgID)
	if err != nil {
		t.Fatal(err)
	}
	begun, err := st.Plan(ctx, msgID, h.gen.Load().engine.Evaluate(in), now)
	if err != nil || len(begun) != 1 {
		t.Fatalf("plan: %d steps begun, %v", len(begun), err)
	}
	return begun[0].Key
}

// webhookOnlyHub is a hub that does not run, whose webhook connector's
// shop cannot be reached: for tests of what comes in. webhookMemory is
// Options.WebhookMemory. Its plugins stop when the test ends.
func webhookOnlyHub(t *testing.T, webhookMemory int64) *testHub {
	t.Helper()
	st, _ := openStore(t, store.Options{})
	cfg := loadConfig(t, webhookDir, map[string]string{"hub.hcl": webhookConnector("http://127.0.0.1:1", "")})
	h := newTestHub(t, cfg, Options{Store: st, Queue: JetStream(openQueue(t)), PluginDir: webhookDir, Clock: clock.NewFake(testStart), Node: "node", WebhookMemory: webhookMemory})
	t.Cleanup(h.gen.Load().plugins.close)
	return h
}

// idleHub is a hub on ackConfig's configuration that does not run: the
// test drives its workers by hand. Its plugins stop when the test ends.
func idleHub(t *testing.T, clk clock.Clock) (h *testHub, sink *replySink, st store.Store, path string) {
	t.Helper()
	sink = newReplySink(t)
	st, path = openStore(t, store.Options{})
	h = newTestHub(t, ackConfig(t, sink), Options{Store: st, Queue: JetStream(openQueue(t)), PluginDir: webhookDir, Clock: clk, Node: "node"})
	t.Cleanup(h.gen.Load().plugins.close)
	return h, sink, st, path
}

// A message the queue carries but the store does not hold (a database
// restored from an older backup) is dropped, not redelivered for ever
// into the queue's window of unacknowledged work.
func TestAQueuedMessageTheStoreDoesNotHoldIsDropped(t *testing.T) {
	t.Parallel()
	h, _, _, _ := idleHub(t, clock.NewFake(testStart))
	if err := h.evaluate(context.Background(), "01JD3X6A2C4E6G8J0K2M4P6R8T"); err != nil {
		t.Errorf("evaluating a message the store does not hold: %v; want it acknowledged", err)
	}
	if !strings.Contains(h.logs.String(), "the queue carried a message the store does not hold") {
		t.Errorf("the dropped message was not logged:\n%s", h.logs.String())
	}
}

// So is a step: one message_retention pruned after it finished, delivered
// again, is acknowledged rather than retried into a dead letter.
func TestAQueuedStepTheStoreDoesNotHoldIsDropped(t *testing.T) {
	t.Parallel()
	h, _, _, _ := idleHub(t, clock.NewFake(testStart))
	if err := h.execute(context.Background(), "01JD3X6A2C4E6G8J0K2M4P6R8T.ack.reply"); err != nil {
		t.Errorf("executing a step the store does not hold: %v; want it acknowledged", err)
	}
	if !strings.Contains(h.logs.String(), "the queue carried a step the store does not hold") {
		t.Errorf("the dropped step was not logged:\n%s", h.logs.String())
	}
}

// A message the queue delivers again (its worker died before the
// acknowledgement) keeps its first plan: no second reply, and its workflows
// are counted once.
func TestARedeliveredMessageKeepsItsFirstPlan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h, sink, st, _ := idleHub(t, clock.NewFake(testStart))
	msgID := storeMessage(t, h, st)
	for range 2 {
		if err := h.evaluate(ctx, msgID); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(sink.requests()); got != 1 {
		t.Errorf("%d replies, want 1", got)
	}
	if got := h.metric(t, "switchboard_workflow_fires_total", "workflow", "ack"); got != 1 {
		t.Errorf("fires counted: %v, want 1", got)
	}
}

// The queue gives up on a step after too many deliveries without an
// outcome; the step is dead-lettered, unless a live worker, of this hub or
// another, still runs it: one whose lease is fresh.
func TestAStepTheQueueGaveUpOnIsDeadLetteredUnlessRunning(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := clock.NewFake(testStart)
	h, _, st, path := idleHub(t, clk)
	key := beginReply(t, h, st, clk.Now()) // begun by a worker, here or elsewhere
	giveUp := func(which string, want store.StepState, dead float64) {
		t.Helper()
		if err := h.deadLetterDelivery(ctx, []byte(key)); err != nil {
			t.Fatal(err)
		}
		if state, _ := stepState(t, path, key); state != string(want) {
			t.Errorf("%s is %s after the queue gave up on it, want %s", which, state, want)
		}
		if got := h.metric(t, "switchboard_dead_letters_total"); got != dead {
			t.Errorf("%s: dead letters counted: %v, want %v", which, got, dead)
		}
	}
	clk.Advance(st.AttemptLease() - time.Second)
	giveUp("a step within its lease", store.StepAttempted, 0)
	clk.Advance(time.Second) // the lease runs out
	h.attempts.hold(key, 1)  // yet a worker of this hub still runs it: its renewals failed
	giveUp("a step this hub runs", store.StepAttempted, 0)
	h.attempts.release(key, 1) // its worker died with it
	giveUp("a step whose worker died", store.StepDead, 1)
}

// A skip is counted once the store has recorded it: one the store failed
// to record is run again, and counted then.
func TestASkipIsCountedOnceRecorded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := clock.NewFake(testStart)
	h, _, st, _ := idleHub(t, clk)
	key := beginReply(t, h, st, clk.Now())
	skip := store.Result{Kind: store.ResultSkipped, At: clk.Now(), Reason: "unless_answered: a person answered"}
	// Not the attempt the store holds: the store refuses its outcome.
	if err := h.finish(ctx, &store.Step{Planned: workflow.Planned{Key: key, Workflow: "ack"}, Attempts: 2}, skip); err == nil {
		t.Fatal("the store recorded the outcome of an attempt it does not hold")
	}
	if got := h.metric(t, "switchboard_workflow_skips_total", "workflow", "ack"); got != 0 {
		t.Errorf("a skip the store did not record was counted: %v", got)
	}
	if err := h.finish(ctx, &store.Step{Planned: workflow.Planned{Key: key, Workflow: "ack"}, Attempts: 1}, skip); err != nil {
		t.Fatal(err)
	}
	if got := h.metric(t, "switchboard_workflow_skips_total", "workflow", "ack", "reason", "unless_answered"); got != 1 {
		t.Errorf("skips counted: %v, want 1", got)
	}
}

func TestSendBegunByAWorkerThatDiedIsLookedUp(t *testing.T) {
	t.Parallel()
	const lease = time.Minute
	for _, tc := range []struct {
		name     string
		claimed  bool // the dead worker's claim to the reply was granted
		delivery sdk.Delivery
		sent     int // replies that reach the sink
	}{
		// The dead worker was granted the reply and may have sent it. The
		// webhook connector cannot tell whether its request arrived; its
		// channel is at-least-once, so the reply is sent again with the
		// same idempotency key.
		{"claimed, at least once", true, sdk.AtLeastOnce, 1},
		// On an at-most-once channel the step is given up instead.
		{"claimed, at most once", true, sdk.AtMostOnce, 0},
		// A worker that died before its claim sent nothing: the reply
		// goes out, on either kind of channel.
		{"unclaimed, at least once", false, sdk.AtLeastOnce, 1},
		{"unclaimed, at most once", false, sdk.AtMostOnce, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			sink := newReplySink(t)
			clk := clock.NewFake(testStart)
			st, path := openStore(t, store.Options{AttemptLease: lease})
			cfg := ackConfig(t, sink)
			cfg.Channels["webhook.webhook"].Capabilities.UnverifiableSend = tc.delivery
			h := newTestHub(t, cfg, Options{Store: st, Queue: JetStream(openQueue(t)), PluginDir: webhookDir, Clock: clk, Node: "node"})

			// A worker evaluates the message, which begins the reply due at
			// once, and dies before it records the outcome: before or after
			// its claim to the reply.
			key := beginReply(t, h, st, clk.Now())
			threadID := threadOf(t, st, "t1")
			if tc.claimed {
				v, err := st.ClaimReply(ctx, workflow.ReplyClaim{ThreadID: threadID, Workflow: "ack", Key: key, At: clk.Now(), Window: time.Hour})
				if err != nil || !v.OK {
					t.Fatalf("claim: %+v, %v", v, err)
				}
			}
			// Within its lease the step is the dead worker's.
			clk.Advance(lease - time.Second)
			if err := h.execute(ctx, key); !errors.Is(err, store.ErrStepHeld) {
				t.Fatalf("execute within the lease: %v, want ErrStepHeld", err)
			}
			if got := sink.requests(); len(got) != 0 {
				t.Fatalf("sent within the lease: %+v", got)
			}
			// After it, the scheduler hands the step to the queue, and the
			// worker that takes it over asks the connector first if the
			// reply may have gone out.
			clk.Advance(time.Second)
			h.run(t)
			var state, reason string
			eventually(t, "the step to be settled", func() bool {
				state, reason = stepState(t, path, key)
				return state != string(store.StepAttempted) && state != string(store.StepQueued)
			})
			th, _, err := st.Thread(ctx, threadID)
			if err != nil {
				t.Fatal(err)
			}
			if tc.sent == 1 {
				if state != string(store.StepDone) || th.AutoReplies != 1 {
					t.Errorf("step %s (%q), thread with %d automatic replies; want done and 1", state, reason, th.AutoReplies)
				}
			} else if state != string(store.StepSkipped) || !strings.Contains(reason, "at-most-once") || th.AutoReplies != 0 {
				t.Errorf("step %s (%q), thread with %d automatic replies; want skipped as at-most-once, and none", state, reason, th.AutoReplies)
			}
			if got := sink.withKey(key); len(got) != tc.sent || len(sink.requests()) != tc.sent {
				t.Errorf("the sink got %+v, want %d reply with key %s", sink.requests(), tc.sent, key)
			}
			s, err := st.Stats(ctx)
			if err != nil || s.QueuedSteps != 0 || s.RunningSteps != 0 || s.PendingSteps != 0 || s.DeadLetters != 0 {
				t.Errorf("stats after the takeover: %+v %v", s, err)
			}
		})
	}
}

// heldSend is a running hub whose reply to message m1 waits at the shop.
type heldSend struct {
	h       *testHub
	sink    *replySink
	st      store.Store
	path    string // the store's file
	clk     *clock.Fake
	key     string // the reply's step key
	release func() // lets the shop answer; once only
}

// holdASend runs a hub on ackConfig's configuration, with a patient
// connector (changed by edit when given), and a store with the attempt
// lease given (0: the default),
// delivers m1 and returns once its reply has reached the shop, which keeps
// it waiting until release.
func holdASend(t *testing.T, lease time.Duration, edit func(*config.Config)) *heldSend {
	t.Helper()
	hs := &heldSend{sink: newReplySink(t), clk: clock.NewFake(testStart)}
	hs.release = hs.sink.holdReplies()
	hs.st, hs.path = openStore(t, store.Options{AttemptLease: lease})
	// The connector waits for the shop longer than any test holds it, on
	// the real clock, however slowly a loaded machine runs the test.
	cfg := loadConfig(t, webhookDir, map[string]string{
		"hub.hcl": webhookConnector(hs.sink.srv.URL, "  timeout = \"10m\"\n"), "wf.hcl": replyWorkflow("ack", "Thanks"),
	})
	if edit != nil {
		edit(cfg)
	}
	hs.h = newTestHub(t, cfg, Options{Store: hs.st, Queue: JetStream(openQueue(t)), PluginDir: webhookDir, Clock: hs.clk, Node: "node"})
	hs.h.run(t)
	t.Cleanup(hs.release) // before the hub stops, which waits for the send, should the test fail
	if code := hs.h.deliver(t, "shop", "m1", "t1", "hello"); code != http.StatusOK {
		t.Fatalf("deliver: %d", code)
	}
	eventually(t, "the reply to reach the shop", func() bool { return len(hs.sink.requests()) == 1 })
	hs.key = hs.sink.requests()[0].Key
	return hs
}

// A workflow turned off through one node's API stops on every node sharing
// its store, within OverridesEvery on their clocks.
func TestAWorkflowTurnedOffOnOneNodeStopsOnAll(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sink := newReplySink(t)
	clk := clock.NewFake(testStart)
	cfg := ackConfig(t, sink)
	st, _ := openStore(t, store.Options{})
	q := openQueue(t)
	a := newTestHub(t, cfg, Options{Store: st, Queue: JetStream(q), PluginDir: webhookDir, Clock: clk, Node: "a"})
	t.Cleanup(a.gen.Load().plugins.close)
	b := newTestHub(t, cfg, Options{Store: st, Queue: JetStream(q), PluginDir: webhookDir, Clock: clk, Node: "b"})
	b.run(t) // b alone takes work
	if err := a.SetWorkflowEnabled(ctx, "ack", false); err != nil {
		t.Fatal(err)
	}
	drive(t, clk, OverridesEvery, "node b to follow the override", func() bool {
		on, ok := b.gen.Load().overrides["ack"]
		return ok && !on
	})
	if code := b.deliver(t, "shop", "m1", "t1", "hello"); code != http.StatusOK {
		t.Fatalf("deliver: %d", code)
	}
	_, msgs, err := st.Thread(ctx, threadOf(t, st, "t1"))
	if err != nil || len(msgs) != 1 {
		t.Fatalf("thread t1: %v, %v", msgs, err)
	}
	var x *workflow.Explanation
	eventually(t, "the message to be evaluated", func() bool {
		x, err = st.Explanation(ctx, msgs[0].ID)
		return err == nil
	})
	if len(x.Workflows) != 1 || x.Workflows[0].Fired || x.Workflows[0].Reason != "disabled" {
		t.Errorf("node b evaluated m1 with ack turned off on node a: %+v", x.Workflows)
	}
	if got := sink.requests(); len(got) != 0 {
		t.Errorf("node b answered with ack turned off on node a: %+v", got)
	}
	// Turned on again, it answers the next message.
	if err := a.SetWorkflowEnabled(ctx, "ack", true); err != nil {
		t.Fatal(err)
	}
	drive(t, clk, OverridesEvery, "node b to follow the override", func() bool { return b.gen.Load().overrides["ack"] })
	b.deliver(t, "shop", "m2", "t2", "hello")
	eventually(t, "the reply to m2", func() bool { return len(sink.requests()) == 1 })
}

// A hub does not take over a step it runs itself, even when the step looks
// abandoned: a wall clock that stepped forward can make its lease look run
// out to the requeue before the renewal comes. The delivery waits, and the
// reply goes out once.
func TestAHubDoesNotTakeOverAStepItRuns(t *testing.T) {
	t.Parallel()
	hs := holdASend(t, time.Minute, nil)
	// The step's lease looks run out, as after a jump of the clock.
	db, err := sql.Open("sqlite", "file:"+hs.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("UPDATE steps SET attempted_at = ? WHERE key = ?", testStart.Add(-time.Hour).UnixNano(), hs.key); err != nil {
		t.Fatal(err)
	}
	if err := hs.h.execute(context.Background(), hs.key); !errors.Is(err, store.ErrStepHeld) {
		t.Errorf("executing a step this hub runs: %v, want ErrStepHeld", err)
	}
	hs.release()
	eventually(t, "the step to be done", func() bool {
		state, _ := stepState(t, hs.path, hs.key)
		return state == string(store.StepDone)
	})
	if got := hs.sink.withKey(hs.key); len(got) != 1 {
		t.Errorf("the reply reached the shop %d times, want once", len(got))
	}
}

// A connector plugin that dies during a send may have sent the reply.
// Where a lookup can decide (the connector can tell, or the channel is
// at-most-once), the step stays attempted, as after a crash of the hub, and
// is looked up once its lease runs out; an at-most-once channel then gives
// it up rather than send it twice. Elsewhere it is retried with the same
// key.
func TestASendCutShortByAPluginCrash(t *testing.T) {
	t.Parallel()
	const lease = time.Minute
	for _, tc := range []struct {
		name     string
		lookup   bool // the channel declares LookupSend
		delivery sdk.Delivery
		after    store.StepState // the state the failed send leaves
		sent     int
		state    store.StepState
	}{
		{"at least once", false, sdk.AtLeastOnce, store.StepRetrying, 2, store.StepDone},
		{"at least once, with lookups", true, sdk.AtLeastOnce, store.StepAttempted, 2, store.StepDone},
		{"at most once", false, sdk.AtMostOnce, store.StepAttempted, 1, store.StepSkipped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hs := holdASend(t, lease, func(cfg *config.Config) {
				cfg.Channels["webhook.webhook"].Capabilities.UnverifiableSend = tc.delivery
				cfg.Channels["webhook.webhook"].Capabilities.LookupSend = tc.lookup
			})
			h, sink, path, clk, key, release := hs.h, hs.sink, hs.path, hs.clk, hs.key, hs.release
			conn, _ := h.gen.Load().plugins.connector("webhook", "shop")
			if err := syscall.Kill(conn.Pid(), syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the send to fail", func() bool { return !h.attempts.holds(key) })
			release()
			if state, reason := stepState(t, path, key); state != string(tc.after) {
				t.Errorf("after the plugin died: step %s (%q), want %s", state, reason, tc.after)
			}
			inDoubt := tc.after == store.StepAttempted
			if got := h.metric(t, "switchboard_sends_in_doubt_total", "workflow", "ack"); got != map[bool]float64{true: 1}[inDoubt] {
				t.Errorf("switchboard_sends_in_doubt_total = %v, in doubt: %t", got, inDoubt)
			}
			var state, reason string
			drive(t, clk, 5*time.Second, "the step to be settled", func() bool {
				state, reason = stepState(t, path, key)
				return state == string(store.StepDone) || state == string(store.StepSkipped)
			})
			if state != string(tc.state) || tc.state == store.StepSkipped && !strings.Contains(reason, "at-most-once") {
				t.Errorf("step %s (%q), want %s", state, reason, tc.state)
			}
			if got := sink.withKey(key); len(got) != tc.sent || len(sink.requests()) != tc.sent {
				t.Errorf("the sink got %+v, want %d requests with key %s", sink.requests(), tc.sent, key)
			}
		})
	}
}

// A reply retried after a send that failed is looked up first where the
// connector can tell: a vendor may have taken a send whose answer never
// came. So is a dead letter retried by an operator. A retry the connector
// cannot tell about is sent again, even at most once: the connector said
// it failed.
func TestARetriedSendIsLookedUpFirst(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, text string
		failed     store.StepState // after the first send
		delivery   sdk.Delivery
	}{
		// The vendor took it; its answer timed out, and a retry is due.
		{"retry", "vendor-timeout", store.StepRetrying, sdk.AtLeastOnce},
		// The vendor took it; its answer was a fault, and an operator
		// retries the dead letter.
		{"dead letter retried", "vendor-fault", store.StepDead, sdk.AtLeastOnce},
		// The send failed; the connector cannot tell about it.
		{"retry the connector cannot tell about", "fail-once", store.StepRetrying, sdk.AtMostOnce},
		// The send failed, and the retry's lookup fails once: the retry
		// backs off and asks again, rather than being left in doubt as
		// after a crash.
		{"retry whose lookup fails", "fail-once-lookup-fails", store.StepRetrying, sdk.AtMostOnce},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st, path := openStore(t, store.Options{})
			clk := clock.NewFake(testStart)
			cfg := testconnConfig(t, `workflow "ack" {
  description = "Reply to the message posted, not to those polled"
  trigger {}
  condition   = message.external_id == "hook-hello"
  step "reply" "ack" { text = "`+tc.text+`" }
}
`)
			cfg.Channels["testconn.test"].Capabilities.LookupSend = true
			cfg.Channels["testconn.test"].Capabilities.UnverifiableSend = tc.delivery
			h := newTestHub(t, cfg, Options{Store: st, Queue: JetStream(openQueue(t)), PluginDir: testPluginDir, Clock: clk, Node: "node"})
			h.run(t)
			if rec := h.hook(ctx, "hello"); rec.Code != http.StatusOK {
				t.Fatalf("webhook: %d %s", rec.Code, rec.Body)
			}
			var key string
			eventually(t, "the send to fail", func() bool {
				k, state, ok := onlyStep(t, path)
				key = k
				return ok && state == string(tc.failed)
			})
			if tc.failed == store.StepDead {
				if err := h.RetryDead(ctx, key); err != nil {
					t.Fatal(err)
				}
			}
			var state, reason string
			drive(t, clk, 5*time.Second, "the step to be settled", func() bool {
				state, reason = stepState(t, path, key)
				return state == string(store.StepDone) || state == string(store.StepDead) || state == string(store.StepSkipped)
			})
			if state != string(store.StepDone) {
				t.Fatalf("step %s (%q); want done", state, reason)
			}
			_, msgs, err := st.Thread(ctx, threadOf(t, st, "hook-hello"))
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != 2 || msgs[1].ExternalID != "sent-"+key {
				t.Errorf("thread's messages %+v; want the reply with the vendor's id sent-%s", msgs, key)
			}
		})
	}
}

// A send left in doubt stays attempted for a later lookup, until its
// attempts run out: then it is dead-lettered, never sent again blindly.
func TestASendInDoubtIsDeadLetteredAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h, sink, st, path := idleHub(t, clock.NewFake(testStart))
	key := beginReply(t, h, st, testStart)
	cause := &pluginhost.CallError{Plugin: "webhook", Method: "send", Err: errors.New("plugin process exited")}
	// Each attempt is left in doubt, and the next takes the step over once
	// its lease has run out.
	now := testStart
	for attempt := 2; attempt <= MaxAttempts; attempt++ {
		now = now.Add(st.AttemptLease())
		step, err := st.BeginAttempt(ctx, key, now)
		if err != nil || step.Attempts != attempt {
			t.Fatalf("attempt %d: %+v, %v", attempt, step, err)
		}
		if attempt < MaxAttempts-1 {
			continue
		}
		want := store.StepAttempted
		if attempt == MaxAttempts {
			want = store.StepDead
		}
		if err := h.leaveInDoubt(ctx, step, cause); err != nil {
			t.Fatal(err)
		}
		if state, reason := stepState(t, path, key); state != string(want) {
			t.Errorf("in doubt after %d attempts: step %s (%q), want %s", attempt, state, reason, want)
		}
	}
	if got := sink.requests(); len(got) != 0 {
		t.Errorf("sent: %+v", got)
	}
}

// A connector may answer a webhook without a status; the host answers 200
// then, and so must have stored the messages first.
func TestAWebhookAnsweredWithoutAStatusStoresItsMessages(t *testing.T) {
	t.Parallel()
	st, _ := openStore(t, store.Options{})
	h := newTestHub(t, testconnConfig(t, ""), Options{Store: st, Queue: JetStream(openQueue(t)), PluginDir: testPluginDir, Clock: clock.NewFake(testStart), Node: "node"})
	defer h.gen.Load().plugins.close()
	if rec := h.hook(context.Background(), "hello"); rec.Code != http.StatusOK {
		t.Fatalf("webhook: %d %s", rec.Code, rec.Body)
	}
	threads, err := st.Threads(context.Background(), store.ThreadFilter{})
	if err != nil || len(threads) != 1 || threads[0].ExternalID != "hook-hello" {
		t.Fatalf("threads after a webhook answered 200: %+v, %v; want the message's", threads, err)
	}
}

// Webhook bodies held at once are bounded: a request that would take them
// past the bound is answered 503 with Retry-After and stores nothing, the
// requests within it go on, and a body's bytes count again once its
// request is answered.
func TestWebhookBodiesHeldAtOnceAreBounded(t *testing.T) {
	t.Parallel()
	const bound = 4096
	h := webhookOnlyHub(t, bound)
	body := func(id string, size int) []byte {
		b, _ := json.Marshal(map[string]any{"id": id, "thread": "t-" + id, "text": strings.Repeat("x", size)})
		return b
	}
	post := func(r io.Reader) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.Webhooks().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/hooks/webhook/shop", r))
		return rec
	}
	// A slow vendor: 3,000 bytes of its body come, then the rest waits.
	slow := body("slow", 3200)
	rest := make(chan struct{})
	counted := make(chan struct{})
	slowDone := make(chan *httptest.ResponseRecorder)
	go func() {
		slowDone <- post(&stallingReader{head: slow[:3000], tail: slow[3000:], counted: counted, rest: rest})
	}()
	<-counted
	busy := post(bytes.NewReader(body("quick", 1500)))
	if busy.Code != http.StatusServiceUnavailable || busy.Header().Get("Retry-After") == "" {
		t.Fatalf("a body past the bound: %d, Retry-After %q; want 503 with Retry-After", busy.Code, busy.Header().Get("Retry-After"))
	}
	if small := post(bytes.NewReader(body("small", 200))); small.Code != http.StatusOK {
		t.Errorf("a body within the bound while the slow one is read: %d %s", small.Code, small.Body)
	}
	close(rest)
	if rec := <-slowDone; rec.Code != http.StatusOK {
		t.Fatalf("the slow body: %d %s", rec.Code, rec.Body)
	}
	// Every byte is given back: the refused body now fits, and so does one
	// nearly as large as the bound.
	if again := post(bytes.NewReader(body("quick", 1500))); again.Code != http.StatusOK {
		t.Errorf("the refused body, sent again: %d %s", again.Code, again.Body)
	}
	if large := post(bytes.NewReader(body("large", bound-100))); large.Code != http.StatusOK {
		t.Errorf("a body nearly as large as the bound: %d %s", large.Code, large.Body)
	}
	threads, err := h.store.Threads(context.Background(), store.ThreadFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, th := range threads {
		got = append(got, th.ExternalID)
	}
	sort.Strings(got)
	if want := []string{"t-large", "t-quick", "t-slow", "t-small"}; !slices.Equal(got, want) {
		t.Errorf("threads stored: %v, want %v", got, want)
	}
}

// A connector that hangs on a webhook whose sender has hung up is still
// caught by the call deadline and restarted, and the next webhook is
// stored: the sender's going away does not leave the plugin hanging.
func TestAWebhookHungInItsConnectorIsCaughtAfterTheSenderLeaves(t *testing.T) {
	t.Parallel()
	st, _ := openStore(t, store.Options{})
	h := newTestHub(t, testconnConfig(t, ""), Options{Store: st, Queue: JetStream(openQueue(t)), PluginDir: testPluginDir, Clock: clock.NewFake(testStart), Node: "node",
		Plugins: pluginhost.Options{CallTimeout: time.Second}})
	defer h.gen.Load().plugins.close()
	ctx, cancel := context.WithCancel(context.Background())
	hung := make(chan *httptest.ResponseRecorder)
	go func() { hung <- h.hook(ctx, "hang") }()
	cancel() // the vendor gives up
	if rec := <-hung; rec.Code != http.StatusServiceUnavailable {
		t.Errorf("the hung webhook: %d %s, want 503", rec.Code, rec.Body)
	}
	if next := h.hook(context.Background(), "hello"); next.Code != http.StatusOK {
		t.Errorf("the next webhook: %d %s", next.Code, next.Body)
	}
	if got := h.metric(t, "switchboard_plugin_restarts_total"); got != 1 {
		t.Errorf("plugin restarts: %v, want 1: the hung connector was left running", got)
	}
}

// A plugin's warnings about its configuration are logged, at its block:
// the webhook connector's, without a secret, that anyone may post to it.
func TestPluginConfigurationWarningsAreLogged(t *testing.T) {
	t.Parallel()
	h := webhookOnlyHub(t, 0)
	logs := h.logs.String()
	if !strings.Contains(logs, "plugin configuration warning") || !strings.Contains(logs, "inbound requests are not authenticated") || !strings.Contains(logs, "hub.hcl:1") {
		t.Errorf("the webhook connector's warning was not logged at its block:\n%s", logs)
	}
}

// A message the store can never take (an id over store.MaxIDBytes, which
// PostgreSQL could not index) is left out, logged and counted, and the rest
// of its batch is stored: a webhook's valid messages are not refused with
// it, and a poll's account does not stall behind it.
func TestAMessageTheStoreCannotTake(t *testing.T) {
	t.Parallel()
	h := webhookOnlyHub(t, 0)
	long := strings.Repeat("t", store.MaxIDBytes+1)
	body, _ := json.Marshal(map[string]any{"messages": []map[string]any{
		{"id": "ok-1", "thread": "t1", "text": "hello"},
		{"id": "long-1", "thread": long, "text": "hello"},
	}})
	rec := httptest.NewRecorder()
	h.Webhooks().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/hooks/webhook/shop", bytes.NewReader(body)))
	if rec.Code != http.StatusOK {
		t.Errorf("a webhook with one thread id over the bound: %d %s; want 200", rec.Code, rec.Body)
	}
	threads, err := h.store.Threads(context.Background(), store.ThreadFilter{})
	if err != nil || len(threads) != 1 || threads[0].ExternalID != "t1" {
		t.Errorf("threads stored from the webhook: %+v, %v; want t1 alone", threads, err)
	}
	// As a poll brings them: only p1 and p4 can be stored.
	n, err := h.Ingest(context.Background(), "webhook", "shop", []sdk.Message{
		{ExternalID: "p1", Thread: "t1"}, {ExternalID: "p2", Thread: long}, {ExternalID: long}, {ExternalID: "p3", Sender: sdk.Party{ID: long}}, {ExternalID: "p4"},
	}, []byte("cursor-2"))
	if err != nil || n != 2 {
		t.Errorf("a poll's page: %d stored, %v; want p1 and p4", n, err)
	}
	if c, err := h.store.Cursor(context.Background(), "webhook", "shop"); err != nil || string(c) != "cursor-2" {
		t.Errorf("cursor after the page: %q, %v; want it moved", c, err)
	}
	if got := h.metric(t, "switchboard_messages_refused_total", "connector", "webhook", "account", "shop"); got != 4 {
		t.Errorf("switchboard_messages_refused_total = %v, want 4", got)
	}
	if !strings.Contains(h.logs.String(), "a message cannot be stored, and is left out") || !strings.Contains(h.logs.String(), "its thread is 1025 bytes long") {
		t.Errorf("the left-out messages were not logged with why:\n%s", h.logs.String())
	}
}

// stallingReader gives its head, then closes counted once that is read
// (the next Read comes only after the head is counted) and waits for rest
// before it gives its tail.
type stallingReader struct {
	head, tail []byte
	counted    chan struct{}
	rest       chan struct{}
	waited     bool
}

func (r *stallingReader) Read(p []byte) (int, error) {
	if len(r.head) > 0 {
		n := copy(p, r.head)
		r.head = r.head[n:]
		return n, nil
	}
	if !r.waited {
		r.waited = true
		close(r.counted)
		<-r.rest
	}
	if len(r.tail) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.tail)
	r.tail = r.tail[n:]
	return n, nil
}

// A worker whose reply waits for the shop longer than the attempt lease
// renews its hold on the step: no one takes it over and sends it again.
func TestAStepWaitingPastItsLeaseIsNotTakenOver(t *testing.T) {
	t.Parallel()
	// The hub renews every quarter of the store's lease: 30 s of the
	// default, 5 s of a short one (shorter than the scheduler's minute).
	for _, lease := range []time.Duration{store.DefaultAttemptLease, 20 * time.Second} {
		t.Run(lease.String(), func(t *testing.T) {
			t.Parallel()
			hs := holdASend(t, lease, nil)
			h, sink, st, path, clk, key, release := hs.h, hs.sink, hs.st, hs.path, hs.clk, hs.key, hs.release
			// Three leases, and at least three of the scheduler's looks for
			// abandoned steps (every minute), pass on the hub's clock while
			// the shop keeps the reply waiting, 7 s at a time: out of step
			// with both. After each step the lease must have been renewed
			// within half of it (a renewal at a fixed 30 s would leave a
			// 20 s lease to run out).
			for end := clk.Now().Add(max(3*lease, 3*time.Minute)); clk.Now().Before(end); {
				clk.Advance(7 * time.Second)
				eventually(t, "the lease to be renewed", func() bool {
					return clk.Now().Sub(attemptedAt(t, path, key)) <= lease/2
				})
				time.Sleep(10 * time.Millisecond) // lets the scheduler look for abandoned steps
			}
			release()
			eventually(t, "the step to be done, and nothing else to be at work", func() bool {
				state, _ := stepState(t, path, key)
				s, err := st.Stats(context.Background())
				return state == string(store.StepDone) && err == nil && s.RunningSteps == 0 && s.QueuedSteps == 0 && s.Outbox == 0
			})
			if got := sink.withKey(key); len(got) != 1 {
				t.Errorf("the reply reached the shop %d times, want once", len(got))
			}
			if strings.Contains(h.logs.String(), "requeued work") {
				t.Errorf("the step was requeued while its worker waited:\n%s", h.logs.String())
			}
		})
	}
}

// A hub told to stop lets the send in flight finish, and keeps its step's
// lease meanwhile, so that no other node takes it over and sends it again.
func TestAStoppingHubKeepsTheLeasesOfSendsInFlight(t *testing.T) {
	t.Parallel()
	const lease = 20 * time.Second
	hs := holdASend(t, lease, nil)
	h, sink, path, clk, key, release := hs.h, hs.sink, hs.path, hs.clk, hs.key, hs.release
	stopped := make(chan struct{})
	go func() { h.stop(); close(stopped) }()
	for end := clk.Now().Add(3 * lease); clk.Now().Before(end); {
		clk.Advance(7 * time.Second)
		eventually(t, "the lease to be renewed while the hub stops", func() bool {
			return clk.Now().Sub(attemptedAt(t, path, key)) <= lease/2
		})
	}
	select {
	case <-stopped:
		t.Fatal("the hub stopped with a send in flight")
	default:
	}
	release()
	<-stopped
	if state, reason := stepState(t, path, key); state != string(store.StepDone) {
		t.Errorf("step %s (%q) after the stop, want done", state, reason)
	}
	if got := sink.withKey(key); len(got) != 1 {
		t.Errorf("the reply reached the shop %d times, want once", len(got))
	}
}

// A reload while a send waits for the shop lets the send finish in the
// plugin that began it, which stops only then: the reply goes out once, and
// is not left in doubt.
func TestAReloadLetsSendsInFlightFinish(t *testing.T) {
	t.Parallel()
	hs := holdASend(t, 0, nil)
	h, sink, path, key, release := hs.h, hs.sink, hs.path, hs.key, hs.release
	old := h.gen.Load().plugins
	if err := h.Reload(context.Background(), ackConfig(t, sink)); err != nil {
		t.Fatal(err)
	}
	release()
	eventually(t, "the step to be done", func() bool {
		state, _ := stepState(t, path, key)
		return state == string(store.StepDone)
	})
	if got := sink.withKey(key); len(got) != 1 {
		t.Errorf("the reply reached the shop %d times, want once", len(got))
	}
	conn, _ := old.connector("webhook", "shop")
	eventually(t, "the replaced plugin to stop", func() bool { return conn.Pid() == 0 })
}

// A stopping hub stops its plugins only once the calls in them have ended:
// a manual reply being sent when it is told to stop goes out.
// manualReplyHub is a hub without workflows, not running, with a thread of
// one buyer message (t1) for people to answer.
func manualReplyHub(t *testing.T) (h *testHub, sink *replySink, threadID string) {
	t.Helper()
	sink = newReplySink(t)
	st, _ := openStore(t, store.Options{})
	cfg := loadConfig(t, webhookDir, map[string]string{"hub.hcl": webhookConnector(sink.srv.URL, "")})
	h = newTestHub(t, cfg, Options{Store: st, Queue: JetStream(openQueue(t)), PluginDir: webhookDir, Clock: clock.NewFake(testStart), Node: "node"})
	storeMessage(t, h, st)
	return h, sink, threadOf(t, st, "t1")
}

type replyResult struct {
	ext string
	err error
}

// replyHeld starts a manual reply with key, and returns once the shop,
// which holds replies, has it; the reply's result comes on the channel.
func replyHeld(t *testing.T, h *testHub, sink *replySink, threadID, key string) <-chan replyResult {
	t.Helper()
	replied := make(chan replyResult, 1)
	go func() {
		ext, err := h.Reply(context.Background(), threadID, "On its way", key)
		replied <- replyResult{ext, err}
	}()
	eventually(t, "the reply to reach the shop", func() bool { return len(sink.requests()) == 1 })
	return replied
}

// repliedOnce checks that a request repeating manual reply k1 gets the
// first one's result, ext, and that the shop got that reply once.
func repliedOnce(t *testing.T, h *testHub, sink *replySink, threadID, ext string) {
	t.Helper()
	if got, err := h.Reply(context.Background(), threadID, "On its way", "k1"); err != nil || got != ext {
		t.Errorf("a request repeating the reply: %q, %v; want the first one's result %q", got, err, ext)
	}
	if got := sink.requests(); len(got) != 1 {
		t.Errorf("the shop got %d requests, want 1", len(got))
	}
}

// A manual reply is sent once per key, whoever asks: a request that comes
// while the first is being sent is told to ask again, and one that comes
// after gets the first one's result.
func TestAManualReplyWithOneKeyIsSentOnce(t *testing.T) {
	t.Parallel()
	h, sink, threadID := manualReplyHub(t)
	t.Cleanup(h.gen.Load().plugins.close)
	release := sink.holdReplies()
	t.Cleanup(release)
	replied := replyHeld(t, h, sink, threadID, "k1")
	if ext, err := h.Reply(context.Background(), threadID, "On its way", "k1"); !errors.Is(err, ErrReplyInProgress) {
		t.Fatalf("a second request while the first is sent: %q, %v; want ErrReplyInProgress", ext, err)
	}
	release()
	first := <-replied
	if first.err != nil || first.ext == "" {
		t.Fatalf("first reply: %q, %v", first.ext, first.err)
	}
	repliedOnce(t, h, sink, threadID, first.ext)
}

// A manual reply whose caller goes away while the shop holds it is still
// sent and recorded: the thread counts as answered, and the caller's retry
// with the same key gets the reply's result without sending it again.
func TestAManualReplyOutlivesItsCaller(t *testing.T) {
	t.Parallel()
	h, sink, threadID := manualReplyHub(t)
	t.Cleanup(h.gen.Load().plugins.close)
	release := sink.holdReplies()
	t.Cleanup(release)
	ctx, cancel := context.WithCancel(context.Background())
	replied := make(chan replyResult, 1)
	go func() {
		ext, err := h.Reply(ctx, threadID, "On its way", "k1")
		replied <- replyResult{ext, err}
	}()
	eventually(t, "the reply to reach the shop", func() bool { return len(sink.requests()) == 1 })
	cancel() // the client hung up, or its proxy timed out
	release()
	first := <-replied
	if first.err != nil || first.ext == "" {
		t.Fatalf("the reply whose caller went away: %q, %v; want it sent", first.ext, first.err)
	}
	th, _, err := h.store.Thread(context.Background(), threadID)
	if err != nil || th.LastHumanReplyAt.IsZero() {
		t.Errorf("thread after the reply: %+v, %v; want it answered by a person", th, err)
	}
	repliedOnce(t, h, sink, threadID, first.ext)
}

// A manual reply is looked up before it is sent where the connector can
// tell: an earlier request with its key may have sent it (the vendor took
// it, its answer was lost). One that a crash of the plugin left in doubt
// keeps its key held: a retry is told to wait, not sent at once.
func TestAManualReplyWhoseOutcomeIsUnknown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		text string
		want func(t *testing.T, ext string, err error)
	}{
		{"vendor-timeout", func(t *testing.T, ext string, err error) {
			if err != nil || !strings.HasPrefix(ext, "sent-manual/") {
				t.Errorf("the retry: %q, %v; want the vendor's id of the first send, found by the lookup", ext, err)
			}
		}},
		{"exit", func(t *testing.T, ext string, err error) {
			if !errors.Is(err, ErrReplyInProgress) {
				t.Errorf("the retry: %q, %v; want ErrReplyInProgress while the key's lease runs", ext, err)
			}
		}},
	} {
		t.Run(tc.text, func(t *testing.T) {
			t.Parallel()
			st, _ := openStore(t, store.Options{})
			cfg := testconnConfig(t, "")
			cfg.Channels["testconn.test"].Capabilities.LookupSend = true
			h := newTestHub(t, cfg, Options{Store: st, Queue: JetStream(openQueue(t)), PluginDir: testPluginDir, Clock: clock.NewFake(testStart), Node: "node"})
			t.Cleanup(h.gen.Load().plugins.close)
			if rec := h.hook(ctx, "hello"); rec.Code != http.StatusOK {
				t.Fatalf("webhook: %d %s", rec.Code, rec.Body)
			}
			threadID := threadOf(t, st, "hook-hello")
			if ext, err := h.Reply(ctx, threadID, tc.text, "k1"); err == nil {
				t.Fatalf("the first request: %q; want the send's error", ext)
			}
			ext, err := h.Reply(ctx, threadID, tc.text, "k1")
			tc.want(t, ext, err)
		})
	}
}

// A manual reply answers the buyer's latest message, not a bounce or an
// out-of-office notice that came after it, nor the seller's own message;
// and only the buyer's side counts in switchboard_messages_in_total.
func TestAManualReplyAnswersTheBuyer(t *testing.T) {
	t.Parallel()
	h, sink, threadID := manualReplyHub(t) // m1, from the buyer
	t.Cleanup(h.gen.Load().plugins.close)
	ctx := context.Background()
	for _, m := range []sdk.Message{
		{ExternalID: "bounce-1", Thread: "t1", Channel: "webhook", Text: "Undeliverable", Sender: sdk.Party{ID: "mailer-daemon"}, AutoGenerated: true},
		{ExternalID: "seller-1", Thread: "t1", Channel: "webhook", Text: "From the vendor's panel", Direction: sdk.Outbound},
	} {
		if _, err := h.Ingest(ctx, "webhook", "shop", []sdk.Message{m}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.metric(t, "switchboard_messages_in_total", "connector", "webhook", "account", "shop"); got != 2 {
		t.Errorf("switchboard_messages_in_total = %v, want 2: the buyer's message and the bounce, not the seller's", got)
	}
	if _, err := h.Reply(ctx, threadID, "On its way", "k1"); err != nil {
		t.Fatal(err)
	}
	if got := sink.requests(); len(got) != 1 || got[0].InReplyTo != "m1" {
		t.Errorf("the manual reply: %+v; want it in reply to the buyer's m1", got)
	}
	// A thread of automatic messages alone is answered at its latest.
	msgs := []sdk.Message{{ExternalID: "a1", Direction: sdk.Inbound, AutoGenerated: true}, {ExternalID: "a2", Direction: sdk.Inbound, AutoGenerated: true}}
	if m := latestFromBuyer(msgs); m == nil || m.ExternalID != "a2" {
		t.Errorf("latest of automatic messages alone: %+v, want a2", m)
	}
	if m := latestFromBuyer(nil); m != nil {
		t.Errorf("latest of no messages: %+v", m)
	}
}

func TestAStoppingHubLetsAManualReplyFinish(t *testing.T) {
	t.Parallel()
	h, sink, threadID := manualReplyHub(t)
	h.run(t)
	release := sink.holdReplies()
	t.Cleanup(release)
	replied := replyHeld(t, h, sink, threadID, "k1")
	stopped := make(chan struct{})
	go func() { h.stop(); close(stopped) }()
	eventually(t, "the hub to retire its plugins", func() bool { return h.gen.Load().plugins.holds.Load()&retiredBit != 0 })
	select {
	case <-stopped:
		t.Fatal("the hub stopped with a reply in flight")
	default:
	}
	release()
	if r := <-replied; r.err != nil || r.ext == "" {
		t.Errorf("reply: %q, %v; want it sent", r.ext, r.err)
	}
	<-stopped
	if got := sink.requests(); len(got) != 1 {
		t.Errorf("the shop got %d requests, want 1", len(got))
	}
}

func TestFailedSendsBackOffOnTheHubClockAndDeadLetterAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		header http.Header
		wait   func(attempts int) time.Duration // from a failed attempt to the next
	}{
		{"unavailable", http.StatusServiceUnavailable, nil, backoff},
		// The vendor's Retry-After wins while it is longer than the backoff.
		{"throttled", http.StatusTooManyRequests, http.Header{"Retry-After": {"120"}},
			func(attempts int) time.Duration { return max(2*time.Minute, backoff(attempts)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clk := clock.NewFake(testStart)
			sink := newReplySink(t)
			sink.refuse(clk.Now, tc.status, tc.header)
			st, _ := openStore(t, store.Options{})
			cfg := ackConfig(t, sink)
			h := newTestHub(t, cfg, Options{Store: st, Queue: JetStream(openQueue(t)), PluginDir: webhookDir, Clock: clk, Node: "node"})
			h.run(t)
			if code := h.deliver(t, "shop", "m1", "t1", "hello"); code != http.StatusOK {
				t.Fatalf("deliver: %d", code)
			}
			// Each failed attempt schedules the next on the hub's clock; the
			// clock is moved to it, and not a moment earlier.
			for n := 1; n < MaxAttempts; n++ {
				eventually(t, fmt.Sprintf("attempt %d", n), func() bool { return len(sink.requests()) == n })
				failed := sink.requests()[n-1].At
				var next time.Time
				eventually(t, fmt.Sprintf("the retry after attempt %d", n), func() bool {
					var err error
					next, err = st.NextDue(ctx)
					return err == nil && !next.IsZero()
				})
				if got := next.Sub(failed); got != tc.wait(n) {
					t.Errorf("attempt %d failed at %s; the next is due %s later, want %s", n, failed.Format(time.RFC3339), got, tc.wait(n))
				}
				clk.Set(next)
			}
			var dead []store.Step
			eventually(t, "the step to be dead-lettered", func() bool {
				var err error
				dead, err = st.DeadLetters(ctx, 10)
				return err == nil && len(dead) == 1
			})
			if d := dead[0]; d.Attempts != MaxAttempts || !strings.HasPrefix(d.LastError, fmt.Sprintf("gave up after %d attempts: ", MaxAttempts)) {
				t.Errorf("dead letter: %d attempts, %q", d.Attempts, d.LastError)
			}
			reqs := sink.requests()
			if len(reqs) != MaxAttempts {
				t.Errorf("the sink was asked %d times, want %d", len(reqs), MaxAttempts)
			}
			for _, r := range reqs {
				if r.Key != dead[0].Key {
					t.Errorf("an attempt with key %q, want the step's key %q every time", r.Key, dead[0].Key)
				}
			}
			if next, err := st.NextDue(ctx); err != nil || !next.IsZero() {
				t.Errorf("a dead letter is still due at %s (%v)", next, err)
			}
			if v := h.metric(t, "switchboard_dead_letters_total", "workflow", "ack"); v != 1 {
				t.Errorf("switchboard_dead_letters_total = %v", v)
			}
		})
	}
}

// threadOf finds a thread's hub id by the channel's id for it.
func threadOf(t *testing.T, st store.Store, external string) string {
	t.Helper()
	ts, err := st.Threads(context.Background(), store.ThreadFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range ts {
		if th.ExternalID == external {
			return th.ID
		}
	}
	t.Fatalf("no thread %s", external)
	return ""
}

func TestRetryPolicy(t *testing.T) {
	t.Parallel()
	for attempts, want := range map[int]time.Duration{
		0: RetryBase, 1: RetryBase, 2: 2 * RetryBase, 3: 4 * RetryBase, 9: 256 * RetryBase,
		10: RetryMax, 30: RetryMax, 1000: RetryMax,
	} {
		if got := backoff(attempts); got != want {
			t.Errorf("backoff(%d) = %s, want %s", attempts, got, want)
		}
	}
	for attempt, want := range map[int]time.Duration{
		1: 100 * time.Millisecond, 2: 400 * time.Millisecond, 10: 10 * time.Second, 25: time.Minute, 1000: time.Minute,
	} {
		if got := redeliverAfter(attempt); got != want {
			t.Errorf("redeliverAfter(%d) = %s, want %s", attempt, got, want)
		}
	}
	for reason, want := range map[string]string{
		"unless_answered: a person answered the thread at 2026-11-20T19:00:00Z": "unless_answered",
		"condition is false": "condition",
		"disabled":           "disabled",
		"":                   "",
	} {
		if got := reasonLabel(reason); got != want {
			t.Errorf("reasonLabel(%q) = %q, want %q", reason, got, want)
		}
	}
}
