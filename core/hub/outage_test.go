package hub

import (
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hub/switchboard/core/clock"
	"github.com/switchboard-hub/switchboard/core/store"
	"github.com/switchboard-hub/switchboard/core/store/storetest"
)

// A reply the shop took while the database went away (a failover longer
// than the store's own runs again) is recorded once the database is back,
// and not sent again: the hub holds the step and keeps trying to record it.
func TestASentReplyIsRecordedAfterADatabaseOutage(t *testing.T) {
	t.Parallel()
	dsn, admin := storetest.Postgres(t)
	proxy := newDBProxy(t, dsn)
	st, err := store.Open(t.Context(), proxy.dsn, store.Options{Schema: storetest.Schema(t, admin, "hubtest"), ReconnectFor: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sink := newReplySink(t)
	hold := make(chan struct{})
	sink.mu.Lock()
	sink.hold = hold // the shop answers once the database is gone
	sink.mu.Unlock()
	h := newTestHub(t, ackConfig(t, sink), Options{Store: st, Queue: JetStream(openQueue(t)), PluginDir: webhookDir, Clock: clock.NewFake(testStart), Node: "outage"})
	h.run(t)

	if code := h.deliver(t, "shop", "m1", "t1", "hello"); code != 200 {
		t.Fatalf("webhook: %d", code)
	}
	eventually(t, "the reply to reach the shop", func() bool { return len(sink.requests()) == 1 })
	proxy.cut()
	close(hold)
	eventually(t, "the hub to try again to record the reply", func() bool {
		return strings.Contains(h.logs.String(), "the database is unavailable to record what a step did")
	})
	proxy.resume()
	eventually(t, "the reply to be recorded", func() bool {
		stats, err := st.Stats(t.Context())
		return err == nil && stats.RunningSteps == 0 && stats.QueuedSteps == 0 && stats.PendingSteps == 0
	})
	if got := len(sink.requests()); got != 1 {
		t.Errorf("the shop got %d replies, want 1", got)
	}
}

// dbProxy stands between the store and PostgreSQL: cut drops every
// connection and refuses new ones, as a database that went away does, until
// resume.
type dbProxy struct {
	dsn      string // the PostgreSQL URL through the proxy
	upstream string
	ln       net.Listener
	mu       sync.Mutex
	down     bool
	conns    map[net.Conn]struct{}
}

func newDBProxy(t *testing.T, dsn string) *dbProxy {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dbProxy{upstream: u.Host, ln: ln, conns: map[net.Conn]struct{}{}}
	u.Host = ln.Addr().String()
	p.dsn = u.String()
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
	})
	return p
}

func (p *dbProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.upstream)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			_, _ = io.Copy(dst, src)
			dst.Close()
			src.Close()
		}
		go pipe(up, c)
		go pipe(c, up)
	}
}

// cut closes every connection through the proxy and refuses new ones.
func (p *dbProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.conns = map[net.Conn]struct{}{}
}

// resume lets connections through again.
func (p *dbProxy) resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}
