package queue

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// The test binary doubles as a helper process that opens the embedded queue
// and is then killed, or measures the embedded server in a fresh process.
const (
	helperEnv = "SWITCHBOARD_QUEUE_HELPER"
	dirEnv    = "SWITCHBOARD_QUEUE_HELPER_DIR"
	streamEnv = "SWITCHBOARD_QUEUE_HELPER_STREAM"
	countEnv  = "SWITCHBOARD_QUEUE_HELPER_N"
)

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "publish":
		helperPublish()
	case "consume":
		helperConsume()
	case "footprint":
		helperFootprint()
	default:
		fmt.Fprintf(os.Stderr, "unknown %s=%q\n", helperEnv, os.Getenv(helperEnv))
		os.Exit(2)
	}
}

func helperOptions() Options {
	return Options{
		DataDir:  os.Getenv(dirEnv),
		Stream:   os.Getenv(streamEnv),
		Subjects: []string{"messages", "steps"},
		Logger:   hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: os.Stderr}),
	}
}

func helperFail(format string, v ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", v...)
	os.Exit(3)
}

// helperPublish publishes N messages, each acked by JetStream, says
// "published", then keeps publishing, printing each acked id, until it is
// killed.
func helperPublish() {
	n, _ := strconv.Atoi(os.Getenv(countEnv))
	ctx := context.Background()
	q, err := Open(ctx, helperOptions())
	if err != nil {
		helperFail("open: %v", err)
	}
	for i := range n {
		if err := q.Publish(ctx, "messages", fmt.Sprint("m-", i), fmt.Append(nil, i)); err != nil {
			helperFail("publish %d: %v", i, err)
		}
	}
	fmt.Println("published")
	for i := 0; ; i++ {
		id := fmt.Sprint("extra-", i)
		if err := q.Publish(ctx, "messages", id, nil); err != nil {
			helperFail("publish %s: %v", id, err)
		}
		fmt.Println("acked", id)
	}
}

// helperConsume acks messages with confirmed acks, printing each, until it
// is killed.
func helperConsume() {
	ctx := context.Background()
	q, err := Open(ctx, helperOptions())
	if err != nil {
		helperFail("open: %v", err)
	}
	var mu sync.Mutex
	_, err = q.Consume(ctx, "messages", "evaluate", func(ctx context.Context, d Delivery) {
		if err := d.Ack(); err != nil {
			return
		}
		mu.Lock()
		fmt.Println("acked", d.DedupID)
		mu.Unlock()
	}, WithConcurrency(4))
	if err != nil {
		helperFail("consume: %v", err)
	}
	<-ctx.Done()
}

// footprint is what helperFootprint measures in a fresh process.
type footprint struct {
	ReadyMillis     float64 // Open until Ready, embedded server included
	RSSBeforeKB     int
	RSSOpenKB       int // after Open
	RSSLoadedKB     int // after publishing and consuming 10,000 messages
	RSSSettledKB    int // then after a GC returned free memory to the OS
	CloseMillis     float64
	GoroutinesAfter int
}

func helperFootprint() {
	ctx := context.Background()
	runtime.GC()
	var f footprint
	f.RSSBeforeKB = rssKB()
	start := time.Now()
	q, err := Open(ctx, helperOptions())
	if err != nil {
		helperFail("open: %v", err)
	}
	if !q.Ready() {
		helperFail("not ready after Open")
	}
	f.ReadyMillis = float64(time.Since(start).Microseconds()) / 1000
	f.RSSOpenKB = rssKB()

	const n = 10000
	batch := make([]Message, n)
	for i := range batch {
		batch[i] = Message{Subject: "messages", DedupID: fmt.Sprint(i), Data: make([]byte, 64)}
	}
	if err := q.PublishBatch(ctx, batch); err != nil {
		helperFail("publish: %v", err)
	}
	done := make(chan struct{})
	var count int
	var mu sync.Mutex
	stop, err := q.Consume(ctx, "messages", "evaluate", func(ctx context.Context, d Delivery) {
		_ = d.Ack()
		mu.Lock()
		defer mu.Unlock()
		if count++; count == n {
			close(done)
		}
	})
	if err != nil {
		helperFail("consume: %v", err)
	}
	<-done
	stop()
	f.RSSLoadedKB = rssKB()
	debug.FreeOSMemory()
	f.RSSSettledKB = rssKB()
	start = time.Now()
	if err := q.Close(); err != nil {
		helperFail("close: %v", err)
	}
	f.CloseMillis = float64(time.Since(start).Microseconds()) / 1000
	f.GoroutinesAfter = runtime.NumGoroutine()
	if err := json.NewEncoder(os.Stdout).Encode(f); err != nil {
		helperFail("encode: %v", err)
	}
	os.Exit(0)
}

func rssKB() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return -1
}

// helper starts the test binary as a helper process.
func helper(t *testing.T, mode, dir, stream string, n int) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, dirEnv+"="+dir, streamEnv+"="+stream, countEnv+"="+strconv.Itoa(n))
	cmd.Stderr = testWriter{t}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd, bufio.NewScanner(out)
}

// kill sends SIGKILL, waits for the process to be gone and returns the
// lines it printed that were not read yet.
func kill(t *testing.T, cmd *exec.Cmd, out *bufio.Scanner) []string {
	t.Helper()
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	var rest []string
	for out.Scan() { // until EOF: the pipe closes with the process
		rest = append(rest, out.Text())
	}
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("helper ended with %v; want killed", err)
	}
	return rest
}

func TestSurvivesRestart(t *testing.T) {
	t.Parallel()
	o := backends[0].options(t)
	q, err := Open(testContext(t), o)
	if err != nil {
		t.Fatal(err)
	}
	publishN(t, q, "messages", 5)
	publishN(t, q, "steps", 2)
	if err := q.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(o.DataDir + "/jetstream"); err != nil {
		t.Fatalf("store directory: %v", err)
	}

	q = open(t, o)
	if m, s := depth(t, q, "messages"), depth(t, q, "steps"); m != 5 || s != 2 {
		t.Fatalf("after restart Depth messages %d steps %d; want 5 and 2", m, s)
	}
	ctx := testContext(t)
	got := make(chan string, 5)
	consume(t, q, "messages", "evaluate", func(ctx context.Context, d Delivery) {
		_ = d.Ack()
		got <- d.DedupID
	})
	ids := map[string]bool{}
	for range 5 {
		ids[receive(t, ctx, got, "a message published before the restart")] = true
	}
	for i := range 5 {
		if !ids[fmt.Sprint("messages-", i)] {
			t.Errorf("messages-%d not delivered after restart; got %v", i, ids)
		}
	}
	// De-duplication state survives the restart too.
	if err := q.Publish(ctx, "steps", "steps-0", nil); err != nil {
		t.Fatal(err)
	}
	if s := depth(t, q, "steps"); s != 2 {
		t.Errorf("Depth(steps) after republishing steps-0 = %d; want 2", s)
	}
}

// A publisher killed with SIGKILL loses nothing that JetStream acked.
func TestKilledPublisherLosesNothingAcked(t *testing.T) {
	t.Parallel()
	const n = 200
	o := backends[0].options(t)
	cmd, out := helper(t, "publish", o.DataDir, o.Stream, n)
	acked := map[string]bool{}
	for i := range n {
		acked[fmt.Sprint("m-", i)] = true
	}
	ready := false
	for out.Scan() {
		line := out.Text()
		if line == "published" {
			ready = true
			continue
		}
		if id, ok := strings.CutPrefix(line, "acked "); ok && ready {
			acked[id] = true
			if len(acked) == n+50 {
				break // kill while it goes on publishing
			}
		}
	}
	if !ready {
		t.Fatalf("helper ended before publishing: %v", out.Err())
	}
	for _, line := range kill(t, cmd, out) {
		if id, ok := strings.CutPrefix(line, "acked "); ok {
			acked[id] = true
		}
	}

	q := open(t, o)
	if d := depth(t, q, "messages"); d < len(acked) {
		t.Fatalf("after the kill Depth = %d; want at least the %d acked", d, len(acked))
	}
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	var mu sync.Mutex
	missing := map[string]bool{}
	for id := range acked {
		missing[id] = true
	}
	all := make(chan struct{})
	consume(t, q, "messages", "evaluate", func(_ context.Context, d Delivery) {
		_ = d.Ack()
		mu.Lock()
		defer mu.Unlock()
		if missing[d.DedupID] {
			delete(missing, d.DedupID)
			if len(missing) == 0 {
				close(all)
			}
		}
	})
	select {
	case <-all:
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("%d acked messages never delivered after the kill, e.g. %v", len(missing), firstKeys(missing, 5))
	}
}

// A consumer killed with SIGKILL gets back nothing it acked.
func TestKilledConsumerRedeliversNothingAcked(t *testing.T) {
	t.Parallel()
	const n = 300
	o := backends[0].options(t)
	q, err := Open(testContext(t), o)
	if err != nil {
		t.Fatal(err)
	}
	publishN(t, q, "messages", n)
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}

	cmd, out := helper(t, "consume", o.DataDir, o.Stream, 0)
	acked := 0
	for acked < n/2 && out.Scan() {
		if strings.HasPrefix(out.Text(), "acked ") {
			acked++
		}
	}
	if acked < n/2 {
		t.Fatalf("helper acked %d before ending: %v", acked, out.Err())
	}
	for _, line := range kill(t, cmd, out) {
		if strings.HasPrefix(line, "acked ") {
			acked++
		}
	}

	q = open(t, o)
	// Confirmed acks stick: at most n-acked remain. Acks on their way when
	// the process died (at most one per handler) may have landed too.
	if d := depth(t, q, "messages"); d > n-acked || d < n-acked-4 {
		t.Errorf("after the kill Depth = %d; want %d (less up to 4 acks in flight)", d, n-acked)
	}
}

func firstKeys(m map[string]bool, k int) []string {
	var out []string
	for id := range m {
		if len(out) == k {
			break
		}
		out = append(out, id)
	}
	return out
}

// TestEmbeddedFootprint measures the embedded server in a fresh process:
// time to Ready and resident memory.
func TestEmbeddedFootprint(t *testing.T) {
	t.Parallel()
	o := backends[0].options(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=footprint", dirEnv+"="+o.DataDir, streamEnv+"="+o.Stream)
	cmd.Stderr = testWriter{t}
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("footprint helper: %v", err)
	}
	var f footprint
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("footprint helper printed %q: %v", b, err)
	}
	t.Logf("embedded server: ready in %.1f ms, RSS %d kB before, +%d kB after Open, +%d kB after 10k messages (+%d kB after a GC); closed in %.1f ms, %d goroutines left",
		f.ReadyMillis, f.RSSBeforeKB, f.RSSOpenKB-f.RSSBeforeKB, f.RSSLoadedKB-f.RSSBeforeKB, f.RSSSettledKB-f.RSSBeforeKB, f.CloseMillis, f.GoroutinesAfter)
	// Loose bounds: the targets (well under 200 ms, a few MB) hold without
	// -race on a quiet machine; these catch regressions by an order of
	// magnitude without flaking under load.
	if f.ReadyMillis > 2000 {
		t.Errorf("embedded server took %.0f ms to be ready; want well under 200", f.ReadyMillis)
	}
	if delta := f.RSSOpenKB - f.RSSBeforeKB; delta > 100<<10 {
		t.Errorf("embedded server added %d kB RSS at Open; want a few MB", delta)
	}
}
