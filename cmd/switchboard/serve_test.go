package main

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-hub/switchboard/core/pluginhost"
	"github.com/switchboard-hub/switchboard/core/store/storetest"
)

// These tests run `switchboard serve` as a real process (this test binary,
// re-executed) with its real plugins, and kill processes with SIGKILL.

const (
	hookSecret = "test-webhook-secret-0123456789"
	apiToken   = "test-api-token-0123456789abcdef"
	clockStart = "2026-11-20T19:00:00Z"
)

// serveEnv re-executes the test binary as the CLI.
const serveEnv = "SWITCHBOARD_TEST_CLI_ARGS"

func init() {
	if args := os.Getenv(serveEnv); args != "" {
		var argv []string
		if err := json.Unmarshal([]byte(args), &argv); err != nil {
			panic(err)
		}
		os.Exit(run(argv, os.Stdout, os.Stderr))
	}
}

// sink is the shop system behind the webhook connector: it records every
// reply with its idempotency key.
type sink struct {
	srv   *httptest.Server
	mu    sync.Mutex
	keys  map[string]int
	texts map[string]string
	delay time.Duration
	// hold, while open, keeps every reply waiting for an answer.
	hold chan struct{}
	// answering counts the requests not yet answered.
	answering int
}

func newSink(t *testing.T) *sink {
	s := &sink{keys: map[string]int{}, texts: map[string]string{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var reply struct {
			Thread string `json:"thread"`
			Text   string `json:"text"`
		}
		_ = json.Unmarshal(body, &reply)
		s.mu.Lock()
		key := r.Header.Get("Idempotency-Key")
		s.keys[key]++
		s.texts[reply.Thread] = reply.Text
		delay, hold := s.delay, s.hold
		s.answering++
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.answering--
			s.mu.Unlock()
		}()
		if delay > 0 {
			time.Sleep(delay) // a slow shop system, so that sends are in flight
		}
		if hold != nil {
			<-hold
		}
		fmt.Fprintf(w, `{"id":%q}`, "ext-"+key)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) distinct() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}

// idle reports whether every request that reached the shop is answered.
func (s *sink) idle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.answering == 0
}

// requireEachOnce fails the test for every idempotency key the shop
// received more than once.
func (s *sink) requireEachOnce(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, c := range s.keys {
		if c != 1 {
			t.Errorf("reply %s reached the shop %d times", key, c)
		}
	}
}

func writeConfig(t *testing.T, dir, sinkURL, delay string) {
	t.Helper()
	writeHub(t, dir, sinkURL, `api_tokens = [env("TEST_API_TOKEN")]`)
	write(t, dir, "workflow.hcl", fmt.Sprintf(`workflow "ack" {
  description = "Acknowledge every message after a delay"
  trigger { sources = ["webhook"] }
  step "reply" "ack" {
    text  = "Thanks for message ${message.external_id}"
    delay = %q
  }
}
`, delay))
}

// writeHub writes hub.hcl: a hub block with settings (HCL lines) and the
// webhook connector "shop" sending to the sink.
func writeHub(t *testing.T, dir, sinkURL, settings string) {
	t.Helper()
	write(t, dir, "hub.hcl", fmt.Sprintf(`hub {
  %s
}

connector "webhook" "shop" {
  secret   = env("TEST_HOOK_SECRET")
  send_url = %q
}
`, settings, sinkURL+"/replies"))
}

// writeSharedHub writes hub.hcl for a hub on PostgreSQL (dsn, schema) and
// an external NATS server (natsURL, stream): the setting of many nodes.
func writeSharedHub(t *testing.T, dir, sinkURL, dsn, schema, natsURL, stream string) {
	t.Helper()
	writeHub(t, dir, sinkURL, fmt.Sprintf(`api_tokens      = [env("TEST_API_TOKEN")]
  database        = %q
  database_schema = %q
  nats_url        = %q
  nats_stream     = %q`, dsn, schema, natsURL, stream))
}

// hubProc is a running `switchboard serve`.
type hubProc struct {
	cmd  *exec.Cmd
	url  string
	logs *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var servingLine = regexp.MustCompile(`serving on (http://\S+)`)

func startHub(t *testing.T, configDir, dataDir string) *hubProc {
	t.Helper()
	args, _ := json.Marshal([]string{"serve", "-config", configDir, "-data", dataDir, "-listen", "127.0.0.1:0", "-plugin-dir", pluginDir, "-log-level", "debug"})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveEnv+"="+string(args), "SWITCHBOARD_TEST_CLOCK="+clockStart,
		"TEST_HOOK_SECRET="+hookSecret, "TEST_API_TOKEN="+apiToken)
	logs := &lockedBuffer{}
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &hubProc{cmd: cmd, logs: logs}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("hub log:\n%s", logs.String())
		}
	})
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if m := servingLine.FindStringSubmatch(lines.Text()); m != nil {
			h.url = m[1]
			go func() {
				for lines.Scan() {
				}
			}()
			return h
		}
	}
	t.Fatalf("the hub did not start:\n%s", logs.String())
	return nil
}

func (h *hubProc) kill(t *testing.T) {
	t.Helper()
	if err := h.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = h.cmd.Wait()
}

func (h *hubProc) post(t *testing.T, path string, body []byte, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.url+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (h *hubProc) get(t *testing.T, path string) (int, string) {
	t.Helper()
	return h.getWith(t, path, apiToken)
}

// getWith sends a GET with a bearer token.
func (h *hubProc) getWith(t *testing.T, path, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// deliver posts a signed webhook with one buyer message.
func (h *hubProc) deliver(t *testing.T, id, thread, text string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"id": id, "thread": thread, "text": text, "from": map[string]string{"id": "buyer-" + thread}})
	mac := hmac.New(sha256.New, []byte(hookSecret))
	mac.Write(body)
	code, _ := h.post(t, "/hooks/webhook/shop", body, map[string]string{"X-Switchboard-Signature": "sha256=" + hex.EncodeToString(mac.Sum(nil))})
	return code
}

func (h *hubProc) advance(t *testing.T, d string) {
	t.Helper()
	if code, body := h.post(t, "/debug/clock", []byte(`{"advance":"`+d+`"}`), nil); code != http.StatusOK {
		t.Fatalf("advance clock: %d %s", code, body)
	}
}

// setClock moves the test clock to at, such as the moment a killed hub
// stopped: a restarted hub's clock starts at clockStart again.
func (h *hubProc) setClock(t *testing.T, at time.Time) {
	t.Helper()
	if code, body := h.post(t, "/debug/clock", []byte(`{"set":"`+at.Format(time.RFC3339)+`"}`), nil); code != http.StatusOK {
		t.Fatalf("set clock: %d %s", code, body)
	}
}

// metric reads one series' value from /metrics (0 when absent).
func (h *hubProc) metric(t *testing.T, series string) float64 {
	t.Helper()
	_, body := h.get(t, "/metrics")
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, series+" ") {
			v, _ := strconv.ParseFloat(strings.TrimPrefix(line, series+" "), 64)
			return v
		}
	}
	return 0
}

// eventually waits for an external process to reach a state; it polls,
// because the state lives in another process, and gives up after limit.
func eventually(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestHubKilledWithPendingRepliesSendsEachOnce(t *testing.T) {
	const n = 100
	s := newSink(t)
	cfg, data := t.TempDir(), t.TempDir()
	writeConfig(t, cfg, s.srv.URL, "10m")
	h := startHub(t, cfg, data)
	for i := range n {
		if code := h.deliver(t, fmt.Sprintf("m%d", i), fmt.Sprintf("t%d", i), "hello"); code != http.StatusOK {
			t.Fatalf("deliver %d: status %d", i, code)
		}
	}
	eventually(t, 30*time.Second, "every message to be planned", func() bool {
		return h.metric(t, `switchboard_workflow_fires_total{workflow="ack"}`) == n
	})
	h.kill(t)
	if got := s.distinct(); got != 0 {
		t.Fatalf("%d replies went out before their due time", got)
	}

	h = startHub(t, cfg, data) // the same data directory; the clock starts at 19:00 again
	h.advance(t, "9m")
	h.advance(t, "59s")
	if got := s.distinct(); got != 0 {
		t.Fatalf("%d replies went out a second before their due time", got)
	}
	h.advance(t, "1s")
	eventually(t, 60*time.Second, "every reply to reach the shop", func() bool { return s.distinct() == n })
	s.requireEachOnce(t)
}

// A hub killed while it sends replies due at once — begun by the workers
// that planned them, never queued — sends each after its restart, once the
// attempts' lease has run out: again, with the same idempotency key, where
// the send had reached the shop (the webhook connector cannot tell whether
// it arrived, and its channel is at least once), and once where it had not.
func TestHubKilledDuringImmediateSendsLosesNothing(t *testing.T) {
	const n = 20
	s := newSink(t)
	s.hold = make(chan struct{}) // the shop answers no reply until the hub is dead
	cfg, data := t.TempDir(), t.TempDir()
	writeConfig(t, cfg, s.srv.URL, "0s")
	h := startHub(t, cfg, data)
	deliver := func(i int) {
		t.Helper()
		if code := h.deliver(t, fmt.Sprintf("i%d", i), fmt.Sprintf("t%d", i), "hello"); code != http.StatusOK {
			t.Fatalf("deliver %d: status %d", i, code)
		}
	}
	// The first two replies, one at a time, take the two batches the hub
	// sends a connector at once; the others wait behind them.
	for i := range 2 {
		deliver(i)
		eventually(t, 30*time.Second, fmt.Sprintf("reply %d to reach the shop", i), func() bool { return s.distinct() == i+1 })
	}
	for i := 2; i < n; i++ {
		deliver(i)
	}
	eventually(t, 30*time.Second, "every reply to be begun", func() bool {
		return h.metric(t, `switchboard_workflow_fires_total{workflow="ack"}`) == n && h.metric(t, "switchboard_steps_running") == n
	})
	h.kill(t)
	s.mu.Lock()
	reached := maps.Clone(s.keys) // sent before the kill, never answered
	close(s.hold)
	s.hold = nil
	s.mu.Unlock()
	if len(reached) == 0 || len(reached) == n {
		t.Fatalf("%d of %d replies reached the shop before the kill; the test needs some sent and some waiting", len(reached), n)
	}

	h = startHub(t, cfg, data) // the clock starts at 19:00 again, when the steps were begun
	if got := h.metric(t, "switchboard_steps_running"); got != n {
		t.Fatalf("steps running after the restart = %v, want %d (begun, never finished)", got, n)
	}
	// Once the lease has run out, the scheduler hands them to the queue.
	// The clock moves on a little at a time: a scheduler busy when it
	// jumps would sleep past it.
	h.advance(t, "2m")
	finished := func() bool {
		return h.metric(t, "switchboard_steps_running") == 0 && h.metric(t, `switchboard_messages_out_total{account="shop",connector="webhook"}`) == n
	}
	for i := 0; !finished() && i < 100; i++ {
		h.advance(t, "10s")
		time.Sleep(50 * time.Millisecond)
	}
	eventually(t, 60*time.Second, "every step to be finished", finished)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.keys) != n {
		t.Errorf("the shop got %d keys, want %d", len(s.keys), n)
	}
	for key, c := range s.keys {
		want := 1
		if reached[key] > 0 {
			want = 2
		}
		if c != want {
			t.Errorf("reply %s reached the shop %d times (%d before the kill), want %d", key, c, reached[key], want)
		}
	}
}

func TestSameMessageTwiceGivesOneReply(t *testing.T) {
	s := newSink(t)
	cfg, data := t.TempDir(), t.TempDir()
	writeConfig(t, cfg, s.srv.URL, "0s")
	h := startHub(t, cfg, data)
	if code := h.deliver(t, "dup-1", "t1", "hello"); code != http.StatusOK {
		t.Fatalf("first delivery: %d", code)
	}
	eventually(t, 30*time.Second, "the reply", func() bool { return s.distinct() == 1 })
	h.advance(t, "3h") // the vendor redelivers hours later
	if code := h.deliver(t, "dup-1", "t1", "hello"); code != http.StatusOK {
		t.Fatalf("second delivery: %d", code)
	}
	if code := h.deliver(t, "other", "t2", "hello"); code != http.StatusOK {
		t.Fatalf("another message: %d", code)
	}
	eventually(t, 30*time.Second, "the other message's reply", func() bool { return s.distinct() == 2 })
	_, body := h.get(t, "/v1/threads")
	if strings.Count(body, `"external_id":"t1"`) != 1 || !strings.Contains(body, `"messages":1`) {
		t.Errorf("threads after a redelivery:\n%s", body)
	}
	s.requireEachOnce(t)
}

func TestBadWebhooksAreRefusedAndTheHubStaysHealthy(t *testing.T) {
	s := newSink(t)
	cfg, data := t.TempDir(), t.TempDir()
	writeConfig(t, cfg, s.srv.URL, "0s")
	h := startHub(t, cfg, data)
	for name, req := range map[string]struct {
		body   string
		header map[string]string
	}{
		"malformed body": {`{"id": `, map[string]string{"X-Switchboard-Signature": "sha256=" + sign(`{"id": `)}},
		"bad signature":  {`{"id":"x","text":"hi"}`, map[string]string{"X-Switchboard-Signature": "sha256=00"}},
		"no signature":   {`{"id":"x","text":"hi"}`, nil},
	} {
		if code, body := h.post(t, "/hooks/webhook/shop", []byte(req.body), req.header); code < 400 || code > 499 {
			t.Errorf("%s: status %d %s, want 4xx", name, code, body)
		}
	}
	if code, _ := h.post(t, "/hooks/webhook/nope", []byte(`{}`), nil); code != http.StatusNotFound {
		t.Errorf("unknown connector: status %d", code)
	}
	if code, _ := h.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("healthz: %d", code)
	}
	if _, body := h.get(t, "/v1/threads"); !strings.Contains(body, `"threads":[]`) {
		t.Errorf("something was stored: %s", body)
	}
	if code := h.deliver(t, "good", "t1", "hello"); code != http.StatusOK {
		t.Errorf("a good delivery after bad ones: %d", code)
	}
	eventually(t, 30*time.Second, "the reply", func() bool { return s.distinct() == 1 })
}

func sign(body string) string {
	mac := hmac.New(sha256.New, []byte(hookSecret))
	mac.Write([]byte(body))
	return hex.EncodeToString(mac.Sum(nil))
}

func TestInvalidReloadKeepsTheRunningConfiguration(t *testing.T) {
	s := newSink(t)
	cfg, data := t.TempDir(), t.TempDir()
	writeConfig(t, cfg, s.srv.URL, "0s")
	h := startHub(t, cfg, data)
	write(t, cfg, "broken.hcl", `workflow "broken" { description = "" }`)
	if code, out, errOut := runCLI(t, "reload", "-data", data); code != 0 {
		t.Fatalf("reload: %d %s %s", code, out, errOut)
	}
	eventually(t, 30*time.Second, "the hub to refuse the reload", func() bool {
		return strings.Contains(h.logs.String(), "reload refused")
	})
	if code := h.deliver(t, "after-reload", "t1", "hello"); code != http.StatusOK {
		t.Fatalf("deliver: %d", code)
	}
	eventually(t, 30*time.Second, "the old configuration to answer", func() bool { return s.distinct() == 1 })
	os.Remove(filepath.Join(cfg, "broken.hcl"))
}

func TestPluginKilledDuringSendsLosesNothing(t *testing.T) {
	const n = 40
	s := newSink(t)
	s.delay = 20 * time.Millisecond
	cfg, data := t.TempDir(), t.TempDir()
	writeConfig(t, cfg, s.srv.URL, "1m")
	h := startHub(t, cfg, data)
	for i := range n {
		if code := h.deliver(t, fmt.Sprintf("k%d", i), fmt.Sprintf("t%d", i), "hello"); code != http.StatusOK {
			t.Fatalf("deliver %d: %d", i, code)
		}
	}
	eventually(t, 30*time.Second, "every message to be planned", func() bool {
		return h.metric(t, `switchboard_workflow_fires_total{workflow="ack"}`) == n
	})
	h.advance(t, "1m")
	eventually(t, 30*time.Second, "the first sends", func() bool { return s.distinct() > 0 })
	pid := childPlugin(t, h.cmd.Process.Pid, "switchboard-connector-webhook")
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Failed sends retry after a backoff on the hub's clock.
	for i := 0; s.distinct() < n && i < 40; i++ {
		h.advance(t, "1m")
		time.Sleep(50 * time.Millisecond)
	}
	eventually(t, 60*time.Second, "every reply to reach the shop", func() bool { return s.distinct() == n })
	if got := h.metric(t, `switchboard_plugin_restarts_total{plugin="connector webhook.shop"}`); got < 1 {
		t.Errorf("plugin restarts = %v, want at least 1", got)
	}
}

// childPlugin finds the pid of a plugin process started by the hub.
func childPlugin(t *testing.T, hubPid int, name string) int {
	t.Helper()
	for pid, bin := range childProcesses(hubPid) {
		if bin == name {
			return pid
		}
	}
	t.Fatalf("no %s process under the hub (pid %d)", name, hubPid)
	return 0
}

// childProcesses returns the pids of the processes whose parent is pid,
// with the base name of the program each runs. It scans /proc because a
// Go process starts its children from any of its threads, and
// /proc/<pid>/task/<tid>/children lists only one thread's.
func childProcesses(pid int) map[int]string {
	children := map[int]string{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child))
		if err != nil {
			continue
		}
		// The command name in parentheses may hold spaces; the fields after
		// it are state, then the parent's pid.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 2 || fields[1] != strconv.Itoa(pid) {
			continue
		}
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", child))
		argv0, _, _ := bytes.Cut(cmdline, []byte{0})
		children[child] = filepath.Base(string(argv0))
	}
	return children
}

func TestSecondHubOnTheSameDataIsRefused(t *testing.T) {
	s := newSink(t)
	cfg, data := t.TempDir(), t.TempDir()
	writeConfig(t, cfg, s.srv.URL, "0s")
	startHub(t, cfg, data)
	t.Setenv("TEST_HOOK_SECRET", hookSecret)
	t.Setenv("TEST_API_TOKEN", apiToken)
	code, _, stderr := runCLI(t, "serve", "-config", cfg, "-data", data, "-listen", "127.0.0.1:0", "-plugin-dir", pluginDir)
	if code != 1 || !strings.Contains(stderr, "another hub") {
		t.Errorf("second hub: exit %d\n%s", code, stderr)
	}
}

// TestHubOnPostgresAndNATSKilledWithPendingRepliesSendsEachOnce runs the
// hub on PostgreSQL (a schema of its own) and an external JetStream server
// (a stream of its own), the settings operators use to run several hubs on
// one database and one cluster: a message gets its reply once; then the
// hub is killed with replies planned, restarted on the same schema and
// stream, and sends each of them once, when it is due.
func TestHubOnPostgresAndNATSKilledWithPendingRepliesSendsEachOnce(t *testing.T) {
	const n = 20
	dsn, admin := storetest.Postgres(t)
	js := testJetStream(t)
	schema, stream := storetest.Schema(t, admin, "servetest"), testStream(t, js)
	s := newSink(t)
	cfg, data := t.TempDir(), t.TempDir()
	writeSharedHub(t, cfg, s.srv.URL, dsn, schema, testNATSURL(), stream)
	// Pings are answered at once: a reply that comes back shows the hub has
	// been working at the time the clock shows.
	write(t, cfg, "workflow.hcl", `workflow "ack" {
  description = "Acknowledge every message after ten minutes"
  trigger { sources = ["webhook"] }
  condition = message.text != "ping"
  step "reply" "ack" {
    text  = "Thanks for message ${message.external_id}"
    delay = "10m"
  }
}

workflow "pong" {
  description = "Answer pings at once"
  trigger { sources = ["webhook"] }
  condition = message.text == "ping"
  step "reply" "pong" { text = "pong" }
}
`)
	start, _ := time.Parse(time.RFC3339, clockStart)

	h := startHub(t, cfg, data)
	var tables int
	if err := admin.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = $1`, schema).Scan(&tables); err != nil || tables == 0 {
		t.Fatalf("the hub's tables are not in schema %s: %d tables, %v", schema, tables, err)
	}
	if _, err := js.Stream(t.Context(), stream); err != nil {
		t.Fatalf("the hub's stream %s: %v", stream, err)
	}
	var files []string
	entries, _ := os.ReadDir(data)
	for _, e := range entries {
		files = append(files, e.Name())
	}
	if !slices.Equal(files, []string{"switchboard.lock", "switchboard.pid"}) {
		t.Errorf("the data directory holds %v; with database and nats_url set, only the lock and PID files belong there", files)
	}

	// One message in, one reply out, when it is due.
	if code := h.deliver(t, "first", "t-first", "hello"); code != http.StatusOK {
		t.Fatalf("deliver: status %d", code)
	}
	eventually(t, 30*time.Second, "the message to be planned", func() bool {
		return h.metric(t, `switchboard_workflow_fires_total{workflow="ack"}`) == 1
	})
	if got := s.distinct(); got != 0 {
		t.Fatalf("%d replies went out before their due time", got)
	}
	h.advance(t, "10m")
	eventually(t, 30*time.Second, "the reply to reach the shop", func() bool { return s.distinct() == 1 })

	// Replies planned for 19:20, then SIGKILL at 19:10.
	for i := range n {
		if code := h.deliver(t, fmt.Sprintf("m%d", i), fmt.Sprintf("t%d", i), "hello"); code != http.StatusOK {
			t.Fatalf("deliver %d: status %d", i, code)
		}
	}
	eventually(t, 30*time.Second, "every message to be planned", func() bool {
		return h.metric(t, `switchboard_workflow_fires_total{workflow="ack"}`) == n+1
	})
	h.kill(t)
	if got := s.distinct(); got != 1 {
		t.Fatalf("%d replies reached the shop before the kill, want 1", got)
	}

	h = startHub(t, cfg, data) // the same schema and stream
	h.setClock(t, start.Add(10*time.Minute))
	h.advance(t, "9m59s")
	if code := h.deliver(t, "ping", "t-ping", "ping"); code != http.StatusOK {
		t.Fatalf("deliver the ping: status %d", code)
	}
	eventually(t, 30*time.Second, "the pong", func() bool { return s.distinct() == 2 })
	if got := s.distinct(); got != 2 {
		t.Fatalf("%d replies went out a second before their due time", got-2)
	}
	h.advance(t, "1s")
	eventually(t, 60*time.Second, "every reply to reach the shop", func() bool { return s.distinct() == n+2 })
	s.requireEachOnce(t)
}

// TestReloadRotatesTokensAndNamesRestartOnlySettings reloads a hub whose
// configuration swapped its API token and changed settings that need a
// restart: the new token works at once, the old one is refused, and the log
// names each setting that waits for a restart.
func TestReloadRotatesTokensAndNamesRestartOnlySettings(t *testing.T) {
	const newToken = "rotated-api-token-0123456789abcdef"
	s := newSink(t)
	cfg, data := t.TempDir(), t.TempDir()
	writeConfig(t, cfg, s.srv.URL, "0s")
	h := startHub(t, cfg, data)
	if code, _ := h.getWith(t, "/v1/threads", newToken); code != http.StatusUnauthorized {
		t.Fatalf("a token not configured yet: %d", code)
	}

	writeHub(t, cfg, s.srv.URL, fmt.Sprintf(`api_tokens    = [env("TEST_API_TOKEN"), %q]
  nats_stream   = "SWITCHBOARD_NEXT"
  poll_interval = "45s"
  listen        = "127.0.0.1:1"`, newToken))
	reload := func(wantLogs int) {
		t.Helper()
		if code, out, errOut := runCLI(t, "reload", "-data", data); code != 0 {
			t.Fatalf("reload: %d %s %s", code, out, errOut)
		}
		eventually(t, 30*time.Second, "the hub to reload", func() bool {
			return strings.Count(h.logs.String(), "nats_stream changed; restart to apply") == wantLogs
		})
	}
	reload(1)
	for tok, want := range map[string]int{apiToken: http.StatusOK, newToken: http.StatusOK} {
		if code, body := h.getWith(t, "/v1/threads", tok); code != want {
			t.Errorf("after adding a token: %s answered %d %s, want %d", tok, code, body, want)
		}
	}
	logs := h.logs.String()
	for _, want := range []string{
		`nats_stream changed; restart to apply: running=SWITCHBOARD configured=SWITCHBOARD_NEXT`,
		`poll_interval changed; restart to apply: running="" configured=45s`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "listen changed") {
		t.Errorf("a listen the -listen flag overrides was reported as waiting for a restart:\n%s", logs)
	}

	writeHub(t, cfg, s.srv.URL, fmt.Sprintf(`api_tokens  = [%q]
  nats_stream = "SWITCHBOARD_NEXT"`, newToken))
	reload(2) // the stream still differs from the running one
	if code, _ := h.getWith(t, "/v1/threads", apiToken); code != http.StatusUnauthorized {
		t.Errorf("a removed token answered %d, want 401", code)
	}
	if code, _ := h.getWith(t, "/v1/threads", newToken); code != http.StatusOK {
		t.Errorf("the remaining token answered %d, want 200", code)
	}
	if code := h.deliver(t, "after-reload", "t1", "hello"); code != http.StatusOK {
		t.Fatalf("deliver: %d", code)
	}
	eventually(t, 30*time.Second, "a reply through the running queue", func() bool { return s.distinct() == 1 })
}

// A database_schema on SQLite stops serve before it opens anything, with
// the place in the file.
func TestServeRefusesSchemaWithSQLite(t *testing.T) {
	s := newSink(t)
	cfg, data := t.TempDir(), t.TempDir()
	writeConfig(t, cfg, s.srv.URL, "0s")
	writeHub(t, cfg, s.srv.URL, `api_tokens      = [env("TEST_API_TOKEN")]
  database_schema = "shop_2"`)
	t.Setenv("TEST_HOOK_SECRET", hookSecret)
	t.Setenv("TEST_API_TOKEN", apiToken)
	code, _, stderr := runCLI(t, "serve", "-config", cfg, "-data", data, "-listen", "127.0.0.1:0", "-plugin-dir", pluginDir)
	for _, want := range []string{"hub.hcl:3:21: error: Database schema without PostgreSQL", "Set database to a postgres:// URL, or remove database_schema", "1 error(s) in the configuration"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if entries, _ := os.ReadDir(data); len(entries) != 0 {
		t.Errorf("serve left %d files in the data directory", len(entries))
	}
}

// A plugin executable that differs from the one the lock file recorded is
// refused: serve does not start with it.
func TestServeRefusesAPluginTheLockFileDoesNotKnow(t *testing.T) {
	s := newSink(t)
	cfg, data := t.TempDir(), t.TempDir()
	writeConfig(t, cfg, s.srv.URL, "0s")
	t.Setenv("TEST_HOOK_SECRET", hookSecret)
	t.Setenv("TEST_API_TOKEN", apiToken)
	lock := filepath.Join(cfg, "switchboard.lock.json")
	if code, _, stderr := runCLI(t, "plugins", "lock", "-dir", pluginDir, "-o", lock); code != 0 {
		t.Fatalf("plugins lock: %s", stderr)
	}
	sum, err := pluginhost.SHA256File(filepath.Join(pluginDir, "switchboard-connector-webhook"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(lock)
	if err != nil || !bytes.Contains(b, []byte(sum)) {
		t.Fatalf("the lock file lacks the webhook plugin's sha256 %s: %v", sum, err)
	}
	other := strings.Repeat("0", len(sum))
	if err := os.WriteFile(lock, bytes.ReplaceAll(b, []byte(sum), []byte(other)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "serve", "-config", cfg, "-data", data, "-listen", "127.0.0.1:0", "-plugin-dir", pluginDir)
	if code != 1 || !strings.Contains(stderr, other) || !strings.Contains(stderr, sum) {
		t.Errorf("exit %d, want 1 with an error naming both sums; stderr:\n%s", code, stderr)
	}
}

// A listen or database that serve cannot use stops it before it opens
// anything, with the place in the file; so does a -listen flag, as a wrong
// command line.
func TestServeRefusesListenAndDatabaseBeforeStarting(t *testing.T) {
	s := newSink(t)
	t.Setenv("TEST_HOOK_SECRET", hookSecret)
	t.Setenv("TEST_API_TOKEN", apiToken)
	for _, tc := range []struct {
		settings string
		flags    []string
		code     int
		want     string
	}{
		{settings: `listen = "8080"`, code: 1, want: `hub.hcl:3:12: error: Invalid listen address`},
		{settings: `database = "mysql://hub@db/hub"`, code: 1, want: `hub.hcl:3:14: error: Unsupported database`},
		{flags: []string{"-listen", "127.0.0.1"}, code: 2, want: `-listen "127.0.0.1" is not host:port`},
	} {
		cfg, data := t.TempDir(), t.TempDir()
		writeConfig(t, cfg, s.srv.URL, "0s")
		writeHub(t, cfg, s.srv.URL, `api_tokens = [env("TEST_API_TOKEN")]
  `+tc.settings)
		args := append([]string{"serve", "-config", cfg, "-data", data, "-plugin-dir", pluginDir}, tc.flags...)
		code, _, stderr := runCLI(t, args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s%v: exit %d, want %d with %q:\n%s", tc.settings, tc.flags, code, tc.code, tc.want, stderr)
		}
		if entries, _ := os.ReadDir(data); len(entries) != 0 {
			t.Errorf("%s%v: serve left %d files in the data directory", tc.settings, tc.flags, len(entries))
		}
	}
}

// reload signals only a hub that holds the data directory's lock: a PID
// file left by a killed hub may name a process id the system has given to
// another program since.
func TestReloadSignalsOnlyALiveHub(t *testing.T) {
	// other stands for that program: SIGHUP would end it.
	start := func(t *testing.T) (pid int, signalled func() bool) {
		t.Helper()
		cmd := exec.Command("sleep", "60")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
		return cmd.Process.Pid, func() bool {
			select {
			case <-done:
				return true
			case <-time.After(300 * time.Millisecond):
				return false
			}
		}
	}
	for _, tc := range []struct {
		name string
		lock func(t *testing.T, data string) // leaves the lock file as a hub would
	}{
		{"no lock file", func(*testing.T, string) {}},
		{"a lock file nobody holds", func(t *testing.T, data string) {
			unlock, err := lockDataDir(data)
			if err != nil {
				t.Fatal(err)
			}
			unlock() // the hub died
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := t.TempDir()
			tc.lock(t, data)
			pid, signalled := start(t)
			write(t, data, "switchboard.pid", strconv.Itoa(pid)+"\n")
			code, stdout, stderr := runCLI(t, "reload", "-data", data)
			want := fmt.Sprintf("no hub is serving from %s: %s names process %d, but no hub holds %s, so the PID file is stale",
				data, filepath.Join(data, "switchboard.pid"), pid, filepath.Join(data, "switchboard.lock"))
			if code != 1 || !strings.Contains(stderr, want) || stdout != "" {
				t.Errorf("exit %d, want 1 with %q; stdout %q, stderr:\n%s", code, want, stdout, stderr)
			}
			if signalled() {
				t.Errorf("reload signalled process %d, which is not a hub", pid)
			}
			// reload let go of the lock it tried: a hub can start.
			unlock, err := lockDataDir(data)
			if err != nil {
				t.Fatalf("after reload: %v", err)
			}
			unlock()
		})
	}
	t.Run("a held lock", func(t *testing.T) {
		data := t.TempDir()
		unlock, err := lockDataDir(data) // as serve holds it
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		pid, signalled := start(t)
		write(t, data, "switchboard.pid", strconv.Itoa(pid)+"\n")
		if code, stdout, stderr := runCLI(t, "reload", "-data", data); code != 0 || !strings.Contains(stdout, fmt.Sprintf("asked hub process %d to reload", pid)) {
			t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		if !signalled() {
			t.Errorf("process %d got no SIGHUP", pid)
		}
		// A PID file that names no process (0 would be reload's own
		// process group, -1 every process it may signal) is refused.
		for _, bad := range []string{"", "0", "-1", "12ab"} {
			write(t, data, "switchboard.pid", bad+"\n")
			if code, _, stderr := runCLI(t, "reload", "-data", data); code != 1 || !strings.Contains(stderr, "not a process id") {
				t.Errorf("PID file %q: exit %d, stderr %q; want 1 and not a process id", bad, code, stderr)
			}
		}
	})
}

// A SIGHUP while the hub starts (systemctl reload right after systemctl
// start) does not end it: it is applied, once, when the hub runs.
func TestSIGHUPDuringStartIsAppliedOnce(t *testing.T) {
	s := newSink(t)
	cfg, data := t.TempDir(), t.TempDir()
	writeConfig(t, cfg, s.srv.URL, "0s")
	// The PID file is written as soon as the hub holds the data directory,
	// before the store, the queue and the plugins start.
	sent := make(chan error, 1)
	go func() {
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			// Never signal a pid that is not the hub's: 0 is this test's
			// own process group.
			if b, err := os.ReadFile(filepath.Join(data, "switchboard.pid")); err == nil {
				if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
					sent <- syscall.Kill(pid, syscall.SIGHUP)
					return
				}
			}
			time.Sleep(time.Millisecond)
		}
		sent <- fmt.Errorf("no PID file in %s", data)
	}()
	h := startHub(t, cfg, data)
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the reload", func() bool { return strings.Contains(h.logs.String(), "configuration reloaded") })
	if code := h.deliver(t, "after-hup", "t1", "hello"); code != http.StatusOK {
		t.Fatalf("deliver: %d", code)
	}
	eventually(t, 30*time.Second, "the reply", func() bool { return s.distinct() == 1 })
	if n := strings.Count(h.logs.String(), "configuration reloaded"); n != 1 {
		t.Errorf("%d reloads after one SIGHUP:\n%s", n, h.logs.String())
	}
}

// A starting hub replaces the PID file a killed one left as soon as it
// holds the data directory, so that a reload during its start reaches it,
// and not the process the stale file names; the SIGHUP does not end it.
// The hub is kept starting by a NATS server that accepts connections and
// never answers, until the client gives up (after 2s) and serve fails.
func TestReloadDuringStartReachesTheStartingHub(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	s := newSink(t)
	cfg, data := t.TempDir(), t.TempDir()
	writeConfig(t, cfg, s.srv.URL, "0s")
	writeHub(t, cfg, s.srv.URL, fmt.Sprintf(`api_tokens = [env("TEST_API_TOKEN")]
  nats_url   = "nats://%s"`, silent.Addr()))
	other := exec.Command("sleep", "60") // has the id a killed hub had
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	otherDone := make(chan struct{})
	go func() { _ = other.Wait(); close(otherDone) }()
	defer func() { _ = other.Process.Kill(); <-otherDone }()
	write(t, data, "switchboard.pid", strconv.Itoa(other.Process.Pid)+"\n")

	args, _ := json.Marshal([]string{"serve", "-config", cfg, "-data", data, "-listen", "127.0.0.1:0", "-plugin-dir", pluginDir})
	hub := exec.Command(os.Args[0], "-test.run=^$")
	hub.Env = append(os.Environ(), serveEnv+"="+string(args), "TEST_HOOK_SECRET="+hookSecret, "TEST_API_TOKEN="+apiToken)
	var logs lockedBuffer
	hub.Stderr = &logs
	if err := hub.Start(); err != nil {
		t.Fatal(err)
	}
	hubDone := make(chan error, 1)
	go func() { hubDone <- hub.Wait() }()
	defer func() {
		_ = hub.Process.Kill()
		if t.Failed() {
			t.Logf("hub log:\n%s", logs.String())
		}
	}()
	pidFile := filepath.Join(data, "switchboard.pid")
	eventually(t, 10*time.Second, "the starting hub's PID file", func() bool {
		b, _ := os.ReadFile(pidFile)
		return strings.TrimSpace(string(b)) == strconv.Itoa(hub.Process.Pid)
	})
	code, stdout, stderr := runCLI(t, "reload", "-data", data)
	if want := fmt.Sprintf("asked hub process %d to reload", hub.Process.Pid); code != 0 || !strings.Contains(stdout, want) {
		t.Errorf("reload: exit %d, want 0 with %q; stdout %q, stderr %q", code, want, stdout, stderr)
	}
	select {
	case <-otherDone:
		t.Errorf("reload signalled process %d, named by the stale PID file", other.Process.Pid)
	case err := <-hubDone:
		t.Fatalf("the hub ended while it started: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	select {
	case err := <-hubDone:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(logs.String(), "connecting to NATS") {
			t.Errorf("the hub ended with %v, want exit status 1 for want of NATS", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the hub did not give up on the silent NATS server")
	}
	if _, err := os.Stat(pidFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the PID file is left after a failed start: %v", err)
	}
}
