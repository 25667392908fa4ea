package main

import (
	"bytes"
	"encoding/json"
	"fmt"
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
)

// BenchmarkServe measures what an operator of the quickstart sees of
// `switchboard serve` with the embedded defaults (SQLite and NATS JetStream
// in a fresh data directory), the figures that size a machine and a
// readiness probe:
//
//   - ready-ms: the median time from starting the process to the first 200
//     from /readyz, exec, plugin start-up and store and stream creation
//     included. Every iteration starts a fresh process on a fresh data
//     directory and stops it with SIGTERM, waiting for it to exit.
//   - host-idle-rss-MB: the resident memory (VmRSS, in MiB) of the serve
//     process alone, a second after it became ready, before any message.
//   - host-rss-MB: the same once it has answered 100 buyer messages through
//     its webhook (every reply reached the shop system) and then idled for a
//     second: the working size, language detection loaded included.
//   - rss-MB:<plugin binary>: the same for each plugin process the hub
//     started, measured at the same moment.
//
// The memory is measured once, on the last iteration. A stop takes seconds
// (the hub lets its queue consumers finish their pulls), so one iteration
// outlasts the default -benchtime and ready-ms is a single start; use
// -benchtime=5x for a median of five.
//
// The benchmark runs the built binary (bin/switchboard), not this test
// binary re-executed as the serve tests do, so that the figures are the
// shipped program's; make bench builds it and sets SWITCHBOARD_PLUGIN_DIR.
func BenchmarkServe(b *testing.B) {
	bin := os.Getenv("SWITCHBOARD_PLUGIN_DIR")
	if bin == "" {
		b.Fatal("SWITCHBOARD_PLUGIN_DIR must name the directory of the built switchboard binary and plugins: run `make build`, then set SWITCHBOARD_PLUGIN_DIR=$PWD/bin (make bench does both)")
	}
	serveBin := filepath.Join(bin, "switchboard")
	for _, exe := range []string{serveBin, filepath.Join(bin, "switchboard-connector-webhook")} {
		if fi, err := os.Stat(exe); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			b.Fatalf("%s is not a built executable (SWITCHBOARD_PLUGIN_DIR=%s): run `make build`, and give SWITCHBOARD_PLUGIN_DIR as an absolute path", exe, bin)
		}
	}
	shop := newBenchSink(b)
	cfg := quickstartConfig(b, shop.srv.URL)

	ready := make([]time.Duration, 0, b.N)
	for i := range b.N {
		h := startBenchHub(b, serveBin, bin, cfg)
		ready = append(ready, h.ready)
		if i == b.N-1 {
			reportMemory(b, h, shop)
		}
		h.stop(b)
	}
	slices.Sort(ready)
	b.ReportMetric(float64(ready[len(ready)/2].Microseconds())/1000, "ready-ms")
	b.ReportMetric(0, "ns/op")
}

// reportMemory has the hub answer 100 messages, lets it idle for a second,
// and reports the resident memory of the hub and of each of its plugins.
func reportMemory(b *testing.B, h *benchHub, shop *benchSink) {
	b.Helper()
	time.Sleep(time.Second) // idle, as a hub waits between messages
	b.ReportMetric(vmRSSMiB(b, h.cmd.Process.Pid), "host-idle-rss-MB")
	const messages = 100
	before := shop.count()
	for i := range messages {
		h.deliverUnsigned(b, i)
	}
	deadline := time.Now().Add(30 * time.Second)
	for shop.count()-before < messages {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d replies reached the shop system in 30s", shop.count()-before, messages)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Second) // idle: what the work left behind can be collected
	b.ReportMetric(vmRSSMiB(b, h.cmd.Process.Pid), "host-rss-MB")
	plugins := map[string]float64{}
	for pid, name := range childProcesses(h.cmd.Process.Pid) {
		plugins[name] += vmRSSMiB(b, pid) // summed when several accounts run one binary
	}
	if len(plugins) == 0 {
		b.Fatalf("no plugin process under the hub (pid %d)", h.cmd.Process.Pid)
	}
	for name, mib := range plugins {
		b.ReportMetric(mib, "rss-MB:"+name)
	}
}

// quickstartConfig copies examples/quickstart into a temporary directory,
// with the connector's replies sent to sinkURL instead of the sink `make
// run` starts on port 9090.
func quickstartConfig(b *testing.B, sinkURL string) string {
	b.Helper()
	src := filepath.Join("..", "..", "examples", "quickstart")
	files, err := filepath.Glob(filepath.Join(src, "*.hcl"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no configuration in %s: %v", src, err)
	}
	sendURL := regexp.MustCompile(`send_url\s*=\s*"[^"]*"`)
	dir, replaced := b.TempDir(), 0
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		replaced += len(sendURL.FindAll(text, -1))
		text = sendURL.ReplaceAllLiteral(text, []byte("send_url = "+strconv.Quote(sinkURL+"/replies")))
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), text, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	if replaced != 1 {
		b.Fatalf("the quickstart in %s has %d send_url settings, want the one of its webhook connector", src, replaced)
	}
	return dir
}

// benchSink is the shop system: it counts the replies that reach it.
type benchSink struct {
	srv *httptest.Server
	mu  sync.Mutex
	n   int
}

func newBenchSink(b *testing.B) *benchSink {
	s := &benchSink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.n++
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q}`, r.Header.Get("Idempotency-Key"))
	}))
	b.Cleanup(s.srv.Close)
	return s
}

func (s *benchSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// benchHub is a running serve process of the built binary.
type benchHub struct {
	cmd    *exec.Cmd
	url    string
	ready  time.Duration // from starting the process to the first 200 from /readyz
	logs   *lockedBuffer
	exited chan struct{} // closed once Wait returned
}

// servingAt is the line serve prints once it listens; it is written in one
// piece, so the address in it is whole.
var servingAt = regexp.MustCompile(`serving on (http://\S+) \(ready in`)

// urlWriter is the hub's standard output: it hands on the address of the
// serving line once.
type urlWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	url  chan string
	sent bool
}

func (w *urlWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if m := servingAt.FindSubmatch(w.buf.Bytes()); m != nil && !w.sent {
		w.sent = true
		w.url <- string(m[1])
	}
	return len(p), nil
}

// startBenchHub starts `switchboard serve` on a fresh data directory and
// returns once /readyz answers 200. If the benchmark fails, the hub and
// its plugins are killed.
func startBenchHub(b *testing.B, serveBin, pluginDir, cfg string) *benchHub {
	b.Helper()
	cmd := exec.Command(serveBin, "serve", "-config", cfg, "-data", b.TempDir(), "-listen", "127.0.0.1:0", "-plugin-dir", pluginDir)
	out := &urlWriter{url: make(chan string, 1)}
	h := &benchHub{cmd: cmd, logs: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = out, h.logs
	began := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() {
		_ = cmd.Wait()
		close(h.exited)
	}()
	b.Cleanup(func() {
		select {
		case <-h.exited:
			return
		default:
		}
		// Plugins are found before the hub dies: then they are no longer
		// its children.
		plugins := childProcesses(cmd.Process.Pid)
		_ = cmd.Process.Kill()
		for pid := range plugins {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		<-h.exited
		if b.Failed() {
			b.Logf("hub log:\n%s", h.logs.String())
		}
	})

	timeout := time.After(20 * time.Second)
	select {
	case h.url = <-out.url:
	case <-h.exited:
		b.Fatalf("the hub exited before serving (%s):\n%s", cmd.ProcessState, h.logs.String())
	case <-timeout:
		b.Fatalf("the hub did not serve within 20s:\n%s", h.logs.String())
	}
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		if resp, err := client.Get(h.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				h.ready = time.Since(began)
				return h
			}
		}
		select {
		case <-h.exited:
			b.Fatalf("the hub exited before it was ready (%s):\n%s", cmd.ProcessState, h.logs.String())
		case <-timeout:
			b.Fatalf("/readyz did not answer 200 within 20s:\n%s", h.logs.String())
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM and waits for the hub to exit, as an orchestrator
// stopping it would.
func (h *benchHub) stop(b *testing.B) {
	b.Helper()
	if err := h.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		b.Fatal(err)
	}
	select {
	case <-h.exited:
	case <-time.After(15 * time.Second):
		b.Fatalf("the hub did not stop within 15s of SIGTERM:\n%s", h.logs.String())
	}
	if !h.cmd.ProcessState.Success() {
		b.Fatalf("the hub stopped with %s:\n%s", h.cmd.ProcessState, h.logs.String())
	}
}

// deliverUnsigned posts the i-th buyer message, each in a thread of its
// own, to the quickstart's webhook, which has no secret.
func (h *benchHub) deliverUnsigned(b *testing.B, i int) {
	b.Helper()
	body, _ := json.Marshal(map[string]any{
		"id": fmt.Sprintf("m%d", i), "thread": fmt.Sprintf("t%d", i), "text": "Hello, where is my parcel?",
		"from": map[string]string{"id": fmt.Sprintf("buyer-%d", i), "name": "Ola"},
	})
	resp, err := http.Post(h.url+"/hooks/webhook/demo", "application/json", bytes.NewReader(body))
	if err != nil {
		b.Fatalf("deliver %d: %v", i, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("deliver %d: status %d", i, resp.StatusCode)
	}
}

// vmRSSMiB reads a process's resident set size from /proc/<pid>/status.
func vmRSSMiB(b *testing.B, pid int) float64 {
	b.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				b.Fatalf("pid %d: VmRSS %q: %v", pid, rest, err)
			}
			return kib / 1024
		}
	}
	b.Fatalf("pid %d: no VmRSS in /proc/%d/status", pid, pid)
	return 0
}
