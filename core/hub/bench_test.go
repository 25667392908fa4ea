package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-hub/switchboard/core/config"
	"github.com/switchboard-hub/switchboard/core/queue"
	"github.com/switchboard-hub/switchboard/core/store"
	"github.com/switchboard-hub/switchboard/sdk"
)

// The pipeline benchmarks measure the whole path with the embedded
// defaults: a webhook through the connector plugin → SQLite → JetStream →
// the workflow → a reply through the connector plugin to a shop system →
// stored as sent. They need the built plugins (make bench sets
// SWITCHBOARD_PLUGIN_DIR).

type pipeline struct {
	hub     *Hub
	hooks   http.Handler
	mu      sync.Mutex
	replied map[string]time.Time // external message id → when its reply arrived
	arrived chan struct{}
}

func newPipeline(b *testing.B) *pipeline {
	dir := os.Getenv("SWITCHBOARD_PLUGIN_DIR")
	if dir == "" {
		b.Fatal("SWITCHBOARD_PLUGIN_DIR must name the built plugins (make bench sets it)")
	}
	p := &pipeline{replied: map[string]time.Time{}, arrived: make(chan struct{}, 1<<20)}
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var reply struct{ Text string }
		_ = json.NewDecoder(r.Body).Decode(&reply)
		id := reply.Text[strings.LastIndexByte(reply.Text, ' ')+1:]
		p.mu.Lock()
		p.replied[id] = time.Now()
		p.mu.Unlock()
		p.arrived <- struct{}{}
		fmt.Fprint(w, `{}`)
	}))
	b.Cleanup(shop.Close)
	cfgDir, data := b.TempDir(), b.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(cfgDir, name), []byte(src), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	write("main.hcl", fmt.Sprintf(`hub {
  breaker {
    limit = 1000000
    per   = "1m"
  }
}
connector "webhook" "shop" {
  send_url = %q
}
workflow "ack" {
  description = "Acknowledge every message"
  trigger { sources = ["webhook"] }
  step "reply" "ack" { text = "Thanks for ${message.external_id}" }
}
`, shop.URL))
	cfg, diags := config.Load(cfgDir, config.Options{PluginDir: dir})
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	ctx, cancel := context.WithCancel(context.Background())
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(data, "switchboard.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	q, err := queue.Open(ctx, queue.Options{DataDir: data, Subjects: []string{store.SubjectMessages, store.SubjectSteps}})
	if err != nil {
		b.Fatal(err)
	}
	h, err := New(ctx, cfg, Options{Store: st, Queue: JetStream(q), PluginDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = h.Run(ctx); close(done) }()
	b.Cleanup(func() {
		cancel()
		<-done
		q.Close()
		st.Close()
	})
	p.hub, p.hooks = h, h.Webhooks()
	return p
}

// deliver posts a batch of messages to the webhook, as a vendor would.
func (p *pipeline) deliver(b *testing.B, ids []string) {
	type msg struct {
		ID     string `json:"id"`
		Thread string `json:"thread"`
		Text   string `json:"text"`
	}
	batch := struct {
		Messages []msg `json:"messages"`
	}{}
	for _, id := range ids {
		batch.Messages = append(batch.Messages, msg{ID: id, Thread: "t-" + id, Text: "Where is my order?"})
	}
	body, _ := json.Marshal(batch)
	rec := httptest.NewRecorder()
	p.hooks.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/hooks/webhook/shop", bytes.NewReader(body)))
	if rec.Code != http.StatusOK {
		b.Fatalf("webhook: %d %s", rec.Code, rec.Body)
	}
}

func (p *pipeline) wait(b *testing.B, n int) {
	deadline := time.After(5 * time.Minute)
	for range n {
		select {
		case <-p.arrived:
		case <-deadline:
			b.Fatalf("only some of %d replies arrived", n)
		}
	}
}

// BenchmarkPipelineThroughput pushes 2,000 messages an iteration, in
// webhook batches of 100, and reports messages per second from the first
// webhook to the last reply; the SQL rows written, and the statements run
// by write transactions, per message; the floor those rows allow, measured
// in the same run: the store's batched write rate (rows per second of
// 100-message Ingest transactions on a SQLite file of its own) divided by
// the rows a message costs; the CPU time a message costs this process
// (the hub, with the benchmark's webhook sender and shop) and the plugins;
// and the ceiling those allow: the rate the machine's cores would reach if
// the hub did nothing but write its rows at the floor's rate while the
// plugins did their part — no hub, however lean, is faster on this
// machine than its ceiling.
func BenchmarkPipelineThroughput(b *testing.B) {
	rowsPerSecond := storeWriteRate(b)
	p := newPipeline(b)
	rows0, stmts0 := p.written(b)
	const perRun, batch = 2000, 100
	n := 0
	host0, plugins0 := cpuTimes(b)
	for b.Loop() {
		for range perRun / batch {
			ids := make([]string, batch)
			for i := range ids {
				ids[i] = "b" + strconv.Itoa(n)
				n++
			}
			p.deliver(b, ids)
		}
		p.wait(b, perRun)
	}
	rate := float64(n) / b.Elapsed().Seconds()
	host, plugins := cpuTimes(b)
	// Replies are finished (stored as sent) just after the shop has them.
	p.settle(b)
	rows, stmts := p.written(b)
	rowsPerMsg := float64(rows-rows0) / float64(n)
	floor := rowsPerSecond / rowsPerMsg
	b.ReportMetric(rate, "msgs/s")
	b.ReportMetric(rowsPerMsg, "rows/msg")
	b.ReportMetric(float64(stmts-stmts0)/float64(n), "write-statements/msg")
	b.ReportMetric(rowsPerSecond, "store-rows/s")
	b.ReportMetric(floor, "floor-msgs/s")
	b.ReportMetric(floor/rate, "floor/rate")
	b.ReportMetric(float64((host-host0).Microseconds())/float64(n), "host-cpu-µs/msg")
	pluginCPU := (plugins - plugins0).Seconds() / float64(n)
	b.ReportMetric(pluginCPU*1e6, "plugin-cpu-µs/msg")
	// The floor's store writes on one core: a row costs a core 1/rowsPerSecond.
	b.ReportMetric(float64(runtime.NumCPU())/(pluginCPU+rowsPerMsg/rowsPerSecond), "ceiling-msgs/s")
	b.ReportMetric(0, "ns/op")
}

// cpuTimes returns the CPU time (user and system) this process has used
// — the hub, and the benchmark's own webhook sender and shop — and that
// its child processes (the plugins) use now. Per message, they tell where
// the machine's cores go even when other work shares the machine.
func cpuTimes(b *testing.B) (self, children time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// After the command name in parentheses: state, parent's pid, …,
		// user and system time in clock ticks (fields 14 and 15 of proc(5)).
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) < 13 || f[1] != strconv.Itoa(os.Getpid()) {
			continue
		}
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		children += time.Duration(utime+stime) * (time.Second / clockTicks)
	}
	return self, children
}

// clockTicks is the kernel's USER_HZ, the unit of /proc's CPU times: 100 on
// Linux everywhere.
const clockTicks = 100

// written returns the rows the store has written and the statements its
// write transactions have run.
func (p *pipeline) written(b *testing.B) (rows, statements int64) {
	st, err := p.hub.store.Stats(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return st.RowsWritten, st.WriteStatements
}

// settle waits until the store has every reply finished: steps executed
// reach done after the shop answered, and their rows count for the
// message.
func (p *pipeline) settle(b *testing.B) {
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := p.hub.store.Stats(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if st.QueuedSteps == 0 && st.RunningSteps == 0 && st.PendingSteps == 0 && st.Outbox == 0 {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("the store did not settle: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// storeWriteRate measures how many rows per second the store writes in
// batched transactions: 100-message Ingests into a SQLite file of its own
// (each message stored with its thread, contact, outbox row and pending
// evaluation), for about a second.
func storeWriteRate(b *testing.B) float64 {
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(b.TempDir(), "floor.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	for i := 0; time.Since(start) < time.Second; i++ {
		msgs := make([]sdk.Message, 100)
		for j := range msgs {
			id := fmt.Sprintf("f%d-%d", i, j)
			msgs[j] = sdk.Message{ExternalID: id, Thread: "t-" + id, Channel: "webhook", Direction: sdk.Inbound, Text: "Where is my order?",
				Sender: sdk.Party{ID: "buyer-" + id, Name: "Buyer"}, SentAt: start}
		}
		if _, err := st.Ingest(ctx, store.IngestBatch{Connector: "webhook", Account: "shop", Messages: msgs, ReceivedAt: start}); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	stats, err := st.Stats(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return float64(stats.RowsWritten) / elapsed.Seconds()
}

// BenchmarkPipelineLatency sends 3,000 messages an iteration at a steady
// 1,000 messages/s, one per webhook, and reports p50 and p99 from webhook
// to reply.
func BenchmarkPipelineLatency(b *testing.B) {
	p := newPipeline(b)
	const rate, perRun = 1000, 3000
	sent := map[string]time.Time{}
	tick := time.NewTicker(time.Second / rate)
	defer tick.Stop()
	i := 0
	for b.Loop() {
		for range perRun {
			<-tick.C
			id := "l" + strconv.Itoa(i)
			i++
			sent[id] = time.Now()
			p.deliver(b, []string{id})
		}
		p.wait(b, perRun)
	}
	var lat []time.Duration
	p.mu.Lock()
	for id, at := range sent {
		lat = append(lat, p.replied[id].Sub(at))
	}
	p.mu.Unlock()
	sort.Slice(lat, func(a, c int) bool { return lat[a] < lat[c] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op")
}
