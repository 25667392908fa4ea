package pluginhost

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/core/clock"
	"github.com/switchboard-hub/switchboard/sdk"
)

// Paths of the test plugins: testconn misbehaves on request, testaction
// counts characters. `make test` builds them once into
// SWITCHBOARD_TESTPLUGIN_DIR; a bare `go test` builds them here.
var testconn, testaction string

func TestMain(m *testing.M) {
	if path := os.Getenv("PLUGINHOST_TEST_HOST"); path != "" {
		hostHelper(path)
		return
	}
	if sock := os.Getenv("PLUGINHOST_BENCH_BARE"); sock != "" {
		bareServer(sock)
		return
	}
	dir := os.Getenv("SWITCHBOARD_TESTPLUGIN_DIR")
	if dir == "" {
		tmp, err := os.MkdirTemp("", "pluginhost-test")
		if err != nil {
			panic(err)
		}
		defer os.RemoveAll(tmp)
		for _, p := range []string{"connectors/testconn", "actions/testaction"} {
			kind, name := strings.TrimSuffix(filepath.Dir(p), "s"), filepath.Base(p)
			out, err := exec.Command("go", "build", "-o", filepath.Join(tmp, "switchboard-"+kind+"-"+name), "./testdata/plugins/"+p).CombinedOutput()
			if err != nil {
				fmt.Fprintf(os.Stderr, "build test plugin %s: %v\n%s", p, err, out)
				os.Exit(2)
			}
		}
		dir = tmp
	}
	testconn = filepath.Join(dir, "switchboard-connector-testconn")
	testaction = filepath.Join(dir, "switchboard-action-testaction")
	os.Exit(m.Run())
}

// hostHelper is a host process for TestNoOrphansAfterHostKill: it starts the
// plugin, prints the plugin's pid and waits to be killed.
func hostHelper(path string) {
	c, err := StartConnector(Spec{Name: "testconn", Path: path}, Options{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println(c.Pid())
	select {}
}

// memState is a State that tells when the plugin is inside a slow call.
type memState struct {
	mu     sync.Mutex
	m      map[string][]byte
	locked map[string]bool
	inCall chan string // "in-call" values put, and locks taken and freed
}

func newMemState() *memState {
	return &memState{m: map[string][]byte{}, inCall: make(chan string, 16)}
}

func (s *memState) Get(_ context.Context, k string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	return v, ok, nil
}

func (s *memState) Put(_ context.Context, k string, v []byte) error {
	s.mu.Lock()
	s.m[k] = v
	s.mu.Unlock()
	if k == "in-call" {
		s.inCall <- string(v)
	}
	return nil
}

func (s *memState) Delete(_ context.Context, k string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, k)
	return nil
}

// Lock takes a key that is free, and tells inCall when it is taken and
// when freed (the hub's tests wait for and expire locks; these need only
// see them taken and freed).
func (s *memState) Lock(_ context.Context, key string, _ time.Duration) (func(context.Context) error, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locked[key] {
		return nil, sdk.Retryable(fmt.Errorf("%s is locked", key))
	}
	if s.locked == nil {
		s.locked = map[string]bool{}
	}
	s.locked[key] = true
	s.inCall <- "lock " + key
	return func(context.Context) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.locked, key)
		s.inCall <- "unlock " + key
		return nil
	}, nil
}

func start(t *testing.T, spec Spec, opts Options) (*Connector, *memState) {
	t.Helper()
	if spec.Path == "" {
		spec.Path = testconn
	}
	spec.Name = "testconn"
	c, err := StartConnector(spec, opts)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(c.Close)
	st := newMemState()
	cfg := cty.ObjectVal(map[string]cty.Value{
		"label": cty.StringVal("configured-label"),
		"token": cty.StringVal("s3cr3t-t0ken").Mark(sdk.Sensitive),
	})
	diags, err := c.Configure(context.Background(), sdk.ConfigureRequest{Instance: "shop", Config: cfg, State: st})
	if err != nil || diags.HasErrors() {
		t.Fatalf("configure: %v %v", err, diags.Err())
	}
	return c, st
}

func sendText(c *Connector, text string) (sdk.SendResult, error) {
	res, err := c.Send(context.Background(), []sdk.SendItem{{IdempotencyKey: "k-" + text, Message: sdk.OutboundMessage{Channel: "test", Text: text}}})
	if err != nil {
		return sdk.SendResult{}, err
	}
	return res[0], nil
}

func checkSummaries(t *testing.T, c *Connector) []string {
	t.Helper()
	diags, err := c.Check(context.Background())
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	var out []string
	for _, d := range diags {
		out = append(out, d.Summary)
	}
	return out
}

func TestKilledDuringCallIsRestarted(t *testing.T) {
	c, st := start(t, Spec{}, Options{})
	first := c.Pid()
	errc := make(chan error, 1)
	go func() {
		_, err := sendText(c, "slow")
		errc <- err
	}()
	<-st.inCall // the plugin is inside Send
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := <-errc
	var ce *CallError
	if !errors.As(err, &ce) || ce.Method != "send" || !ce.Reached() {
		t.Fatalf("in-flight send error = %v, want a *CallError for send that reached the plugin", err)
	}
	res, err := sendText(c, "hello")
	if err != nil || res.Err != nil || res.ExternalID != "sent-k-hello" {
		t.Fatalf("send after the kill = %+v, %v; want success", res, err)
	}
	if c.Pid() == first || c.Pid() == 0 {
		t.Errorf("pid after restart = %d, was %d", c.Pid(), first)
	}
	if c.Restarts() != 1 {
		t.Errorf("restarts = %d, want 1", c.Restarts())
	}
	if got := checkSummaries(t, c); got[0] != "label=configured-label" {
		t.Errorf("restarted plugin was not configured again: %v", got[0])
	}
}

func TestHungPluginHitsDeadline(t *testing.T) {
	c, _ := start(t, Spec{}, Options{CallTimeout: 300 * time.Millisecond})
	first := c.Pid()
	_, err := sendText(c, "hang")
	var ce *CallError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "hung plugin") {
		t.Fatalf("hung send error = %v, want a *CallError naming the hang", err)
	}
	if _, err := sendText(c, "after"); err != nil {
		t.Fatalf("send after the hang: %v", err)
	}
	if c.Pid() == first {
		t.Error("the hung plugin was not replaced")
	}
}

// A process started again after a crash that hangs in the replayed
// Configure is given up at the call deadline: the call fails, and the
// plugin can still be asked its pid and closed.
func TestAConfigureHungAfterARestartEndsAtTheDeadline(t *testing.T) {
	t.Parallel()
	marker := filepath.Join(t.TempDir(), "hang")
	c, _ := start(t, Spec{Env: map[string]string{"TESTCONN_HANG_CONFIGURE": marker}}, Options{CallTimeout: time.Second})
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sendText(c, "exit"); err == nil {
		t.Fatal("a send that crashes the plugin: no error")
	}
	done := make(chan error, 1)
	go func() { _, err := c.Check(context.Background()); done <- err }()
	var ce *CallError
	select {
	case err := <-done:
		if !errors.As(err, &ce) || ce.Reached() {
			t.Errorf("a call whose restart hung in Configure: %v; want a CallError of the start", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a call whose restart hangs in Configure did not end at the deadline")
	}
	pid := make(chan int, 1)
	go func() { pid <- c.Pid() }()
	select {
	case <-pid:
	case <-time.After(10 * time.Second):
		t.Fatal("Pid blocked after a hung restart")
	}
}

// A restart whose replayed Configure the plugin refuses, even as permanent,
// fails the call as retryable: the work is to be redelivered, not
// dead-lettered for a reason that is not the work's.
func TestARefusedConfigureAfterARestartIsRetryable(t *testing.T) {
	t.Parallel()
	marker := filepath.Join(t.TempDir(), "refuse")
	c, _ := start(t, Spec{Env: map[string]string{"TESTCONN_REFUSE_CONFIGURE": marker}}, Options{})
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sendText(c, "exit"); err == nil {
		t.Fatal("a send that crashes the plugin: no error")
	}
	_, err := c.Check(context.Background())
	var ce *CallError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "the vendor refused the token") {
		t.Fatalf("a call whose restart was refused: %v; want a CallError naming the refusal", err)
	}
	if k := sdk.KindOf(err); k != sdk.KindRetryable {
		t.Errorf("its kind: %s, want retryable", k)
	}
}

func TestRestartBackoff(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	c, _ := start(t, Spec{}, Options{Clock: clk, MinBackoff: time.Second})
	for i := range 2 { // the first restart is immediate, so two crashes in a row
		if _, err := sendText(c, "exit"); err == nil {
			t.Fatalf("crash %d: send succeeded", i+1)
		}
	}
	_, err := sendText(c, "hello")
	var ce *CallError
	if !errors.As(err, &ce) || ce.RetryAfter != time.Second || ce.Reached() {
		t.Fatalf("send during backoff = %v, want a *CallError with RetryAfter 1s that reached no plugin", err)
	}
	clk.Advance(time.Second)
	if res, err := sendText(c, "hello"); err != nil || res.Err != nil {
		t.Fatalf("send after backoff: %v %v", err, res.Err)
	}
	if c.Restarts() != 2 {
		t.Errorf("restarts = %d, want 2", c.Restarts())
	}
}

func TestChecksumPin(t *testing.T) {
	sum, err := SHA256File(testconn)
	if err != nil {
		t.Fatal(err)
	}
	wrong := strings.Repeat("ab", 32)
	_, err = StartConnector(Spec{Name: "testconn", Path: testconn, SHA256: wrong}, Options{})
	var ce *ChecksumError
	if !errors.As(err, &ce) {
		t.Fatalf("start with a wrong pin = %v, want *ChecksumError", err)
	}
	for _, want := range []string{sum, wrong, testconn} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("checksum error %q does not name %s", err, want)
		}
	}
	c, err := StartConnector(Spec{Name: "testconn", Path: testconn, SHA256: strings.ToUpper(sum)}, Options{})
	if err != nil {
		t.Fatalf("start with the right pin: %v", err)
	}
	c.Close()
}

func TestStdoutBeforeHandshake(t *testing.T) {
	_, err := StartConnector(Spec{Name: "testconn", Path: testconn, Env: map[string]string{"TESTCONN_STDOUT": "1"}},
		Options{StartTimeout: 10 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "wrote to stdout before the plugin handshake") {
		t.Fatalf("start of a plugin printing to stdout = %v, want an error saying so", err)
	}
}

func TestPluginDoesNotSeeHostEnvironment(t *testing.T) {
	t.Setenv("SWITCHBOARD_HOST_ONLY", "host-secret")
	c, _ := start(t, Spec{Env: map[string]string{"GIVEN_BY_CONFIG": "yes"}}, Options{})
	got := strings.Join(checkSummaries(t, c), "\n")
	if strings.Contains(got, "SWITCHBOARD_HOST_ONLY") || strings.Contains(got, "host-secret") {
		t.Errorf("plugin sees the host's environment:\n%s", got)
	}
	if !strings.Contains(got, "env GIVEN_BY_CONFIG=yes") {
		t.Errorf("plugin misses the environment its config gives:\n%s", got)
	}
}

// A plugin is told the host's log level, over any its configuration
// gives, so that it does not write the lines the host would drop.
func TestPluginLogsAtTheHostsLevel(t *testing.T) {
	for _, level := range []hclog.Level{hclog.Warn, hclog.Debug, hclog.Off} {
		logger := hclog.NewNullLogger() // what a host without a logger uses
		if level != hclog.Off {
			logger = hclog.New(&hclog.LoggerOptions{Level: level, Output: io.Discard})
		}
		c, _ := start(t, Spec{Env: map[string]string{sdk.LogLevelEnv: "trace"}}, Options{Logger: logger})
		got := strings.Join(checkSummaries(t, c), "\n")
		if want := "env " + sdk.LogLevelEnv + "=" + level.String(); !strings.Contains(got, want) {
			t.Errorf("host at %s: plugin environment lacks %s:\n%s", level, want, got)
		}
	}
}

func TestNoOrphansAfterHostKill(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PLUGINHOST_TEST_HOST="+testconn)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("host helper: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("host helper said %q", line)
	}
	if !alive(pid) {
		t.Fatalf("plugin %d is not running under the host", pid)
	}
	_ = cmd.Process.Kill() // SIGKILL: the host gets no chance to clean up
	_ = cmd.Wait()
	deadline := time.Now().Add(2 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("plugin %d still runs 2s after its host was killed", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive reports whether pid runs and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}

func TestErrorKindsCrossTheWire(t *testing.T) {
	c, _ := start(t, Spec{}, Options{})
	res, err := sendText(c, "permanent")
	if err != nil || sdk.KindOf(res.Err) != sdk.KindPermanent || !strings.Contains(res.Err.Error(), "recipient does not exist") {
		t.Errorf("permanent: %v %v", err, res.Err)
	}
	res, err = sendText(c, "ratelimit")
	if err != nil || sdk.KindOf(res.Err) != sdk.KindRateLimited || sdk.RetryAfter(res.Err) != 7*time.Second {
		t.Errorf("rate limited: %v %v", err, res.Err)
	}
	_, err = c.HandleWebhook(context.Background(), &sdk.WebhookRequest{Method: "POST"})
	if sdk.KindOf(err) != sdk.KindPermanent {
		t.Errorf("call error kind = %s (%v), want permanent", sdk.KindOf(err), err)
	}
	if c.Restarts() != 0 {
		t.Error("a plugin's own error restarted it")
	}
}

// TestStateSurvivesRestarts keeps a plugin's State with the host (here in
// memory; the hub keeps it in its store, tested there) and restarts first
// the plugin (SIGKILL) and then the host's side of it.
func TestStateSurvivesRestarts(t *testing.T) {
	st := newMemState()
	startWithState := func() *Connector {
		c, err := StartConnector(Spec{Name: "testconn", Instance: "shop", Path: testconn}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		if _, err := c.Configure(context.Background(), sdk.ConfigureRequest{Instance: "shop", Config: cty.EmptyObjectVal, State: st}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	// testconn counts its polls in State and names each message after the count.
	poll := func(c *Connector) (string, error) {
		res, err := c.Poll(context.Background(), sdk.PollRequest{})
		if err != nil {
			return "", err
		}
		return res.Messages[0].ExternalID, nil
	}
	c := startWithState()
	if got, err := poll(c); err != nil || got != "poll-1" {
		t.Fatalf("first poll = %s, %v", got, err)
	}
	if err := syscall.Kill(c.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	got, err := poll(c)
	if err != nil { // the call reached the dead process; the next one restarts it
		got, err = poll(c)
	}
	if err != nil || got != "poll-2" {
		t.Fatalf("poll after the plugin's restart = %s, %v; want poll-2", got, err)
	}
	c.Close()
	if got, err := poll(startWithState()); err != nil || got != "poll-3" {
		t.Fatalf("poll after the host's restart = %s, %v; want poll-3", got, err)
	}
}

// A plugin killed while it holds a State lock (refreshing a token) does not
// keep it until its time is up: the host frees it once the call under way
// finds the process gone, so that the restarted process, or another node,
// can refresh.
func TestALockDiesWithItsPlugin(t *testing.T) {
	refreshing, release := make(chan struct{}, 1), make(chan struct{})
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		refreshing <- struct{}{}
		<-release // a vendor that hangs
	}))
	defer vendor.Close()
	defer close(release)
	c, err := StartConnector(Spec{Name: "testconn", Instance: "shop", Path: testconn}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	st := newMemState()
	cfg := cty.ObjectVal(map[string]cty.Value{"label": cty.StringVal("oauth " + vendor.URL)})
	if _, err := c.Configure(context.Background(), sdk.ConfigureRequest{Instance: "shop", Config: cfg, State: st}); err != nil {
		t.Fatal(err)
	}
	checked := make(chan error, 1)
	go func() {
		_, err := c.Check(context.Background())
		checked <- err
	}()
	if got := <-st.inCall; got != "lock oauth" {
		t.Fatalf("State saw %q, want the plugin to lock oauth", got)
	}
	<-refreshing
	if err := syscall.Kill(c.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := <-checked; err == nil {
		t.Fatal("the check of a killed plugin succeeded")
	}
	select {
	case got := <-st.inCall:
		if got != "unlock oauth" {
			t.Fatalf("State saw %q, want the lock freed", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the killed plugin's lock was not freed")
	}
}

func TestSecretsNeverLogged(t *testing.T) {
	var buf syncBuffer
	logger := hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: &buf})
	c, _ := start(t, Spec{}, Options{Logger: logger})
	_, _ = sendText(c, "exit") // a failure and a restart, replaying the configuration
	_, _ = sendText(c, "hello")
	c.Close()
	if !strings.Contains(buf.String(), "configured") {
		t.Fatalf("plugin logs did not reach the host's logger:\n%s", buf.String())
	}
	if strings.Contains(buf.String(), "s3cr3t-t0ken") {
		t.Errorf("a sensitive value reached the log:\n%s", buf.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestInspect(t *testing.T) {
	dir := filepath.Dir(testconn)
	cands, err := Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	var found *Candidate
	for i := range cands {
		if cands[i].Name == "testconn" {
			found = &cands[i]
		}
	}
	if found == nil || found.Kind != sdk.KindConnector {
		t.Fatalf("Discover(%s) = %+v, want testconn", dir, cands)
	}
	info, err := Inspect(context.Background(), *found, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Protocol != sdk.ProtocolVersion || info.Schema.Name != "testconn" || len(info.SHA256) != 64 {
		t.Errorf("inspect = protocol %d, schema %q, sha256 %q", info.Protocol, info.Schema.Name, info.SHA256)
	}
}

func TestActionExecute(t *testing.T) {
	a, err := StartAction(Spec{Name: "testaction", Path: testaction}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	if diags, err := a.Configure(context.Background(), sdk.ConfigureRequest{Instance: "count", Config: cty.EmptyObjectVal}); err != nil || diags.HasErrors() {
		t.Fatalf("configure: %v %v", err, diags.Err())
	}
	res, err := a.Execute(context.Background(), []sdk.ExecuteItem{
		{IdempotencyKey: "a", Arguments: cty.ObjectVal(map[string]cty.Value{"text": cty.StringVal("hello")})},
		{IdempotencyKey: "b", Arguments: cty.ObjectVal(map[string]cty.Value{"wrong": cty.True})},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := res[0].Outputs.GetAttr("length"); res[0].Err != nil || !got.RawEquals(cty.NumberIntVal(5)) {
		t.Errorf("item 0: outputs %#v, error %v; want length 5", res[0].Outputs, res[0].Err)
	}
	if sdk.KindOf(res[1].Err) != sdk.KindPermanent {
		t.Errorf("item 1: error %v, want a permanent one for bad arguments", res[1].Err)
	}
}
