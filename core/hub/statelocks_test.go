package hub

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hub/switchboard/core/clock"
	"github.com/switchboard-hub/switchboard/core/store"
	"github.com/switchboard-hub/switchboard/sdk"
)

// rotatingVendor is an OAuth token endpoint that rotates refresh tokens:
// each works once, and a refresh with one already used is refused and
// recorded. It holds each good refresh until another arrives, or for a
// second, so that a second process refreshing at the same time, which only
// the State lock keeps out, is caught using the same token.
type rotatingVendor struct {
	mu      sync.Mutex
	current string // the one refresh token that works
	issued  int
	reused  []string
	holding bool          // a good refresh is held
	arrived chan struct{} // another request came meanwhile
}

func (v *rotatingVendor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token := r.FormValue("refresh_token")
	v.mu.Lock()
	if v.holding { // another arrived while one is held
		select {
		case v.arrived <- struct{}{}:
		default:
		}
	}
	if token != v.current {
		v.reused = append(v.reused, token)
		v.mu.Unlock()
		http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
		return
	}
	v.current = "" // used: a second refresh with it fails while this one is held
	v.issued++
	next := "r" + strconv.Itoa(v.issued)
	v.holding = true
	v.mu.Unlock()
	select {
	case <-v.arrived:
	case <-time.After(time.Second):
	}
	v.mu.Lock()
	v.current, v.holding = next, false
	v.mu.Unlock()
	fmt.Fprint(w, next)
}

func (v *rotatingVendor) state() (issued int, reused []string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.issued, append([]string(nil), v.reused...)
}

// Two hubs on one database each run a process of the same connector
// instance, and both refresh its rotating OAuth token when they start
// (the connector's check): the State lock makes the second wait for the
// first and read the token the first saved, so neither uses a dead one.
func TestAStateLockSerializesProcessesOfOneInstanceAcrossHubs(t *testing.T) {
	t.Parallel()
	vendor := &rotatingVendor{current: "r0", arrived: make(chan struct{}, 1)}
	srv := httptest.NewServer(vendor)
	t.Cleanup(srv.Close)
	st, _ := openStore(t, store.Options{})
	src := fmt.Sprintf("connector \"testconn\" \"acct\" {\n  label = %q\n}\n", "oauth "+srv.URL)
	for _, node := range []string{"one", "two"} {
		cfg := loadConfig(t, testPluginDir, map[string]string{"hub.hcl": src})
		h := newTestHub(t, cfg, Options{Store: st, Queue: JetStream(openQueue(t)), PluginDir: testPluginDir, Clock: clock.NewFake(testStart), Node: node})
		h.run(t)
	}
	eventually(t, "both refreshes", func() bool {
		issued, reused := vendor.state()
		return issued == 2 || len(reused) > 0
	})
	if _, reused := vendor.state(); len(reused) > 0 {
		t.Fatalf("a process refreshed with a token the other had used: %v", reused)
	}
	eventually(t, "the second token saved", func() bool {
		b, _, err := st.PluginState(sdk.KindConnector, "testconn", "acct").Get(context.Background(), "refresh_token")
		return err == nil && string(b) == "r2"
	})
}

// A lock waits for its holder on the same hub, is taken once its time is
// up on the hub's clock when the holder never frees it (a plugin killed
// holding it), and gives up with a retryable error when the caller's
// context ends first. Unlocking a lock taken over since does nothing.
func TestStateLocksWaitExpireAndGiveUp(t *testing.T) {
	t.Parallel()
	st, _ := openStore(t, store.Options{})
	fake := clock.NewFake(testStart)
	h := &Hub{store: st, locks: newStateLocks(st, fake, "node")}
	a := h.pluginState(sdk.KindConnector, "allegro", "shop")
	other := h.pluginState(sdk.KindConnector, "allegro", "other")
	ctx := context.Background()

	unlock, err := a.Lock(ctx, "oauth", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// Another instance's lock, and a value of the same key, are apart.
	if u, err := other.Lock(ctx, "oauth", time.Minute); err != nil {
		t.Fatalf("another instance's lock: %v", err)
	} else if err := u(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Put(ctx, "oauth", []byte("value")); err != nil {
		t.Fatalf("a value named as a held lock: %v", err)
	}

	got := make(chan func(context.Context) error)
	go func() {
		u, err := a.Lock(ctx, "oauth", time.Minute)
		if err != nil {
			t.Errorf("the waiting lock: %v", err)
		}
		got <- u
	}()
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := a.Lock(short, "oauth", time.Minute); sdk.KindOf(err) != sdk.KindRetryable {
		t.Errorf("a lock whose context ended while held elsewhere: %v, want a retryable error", err)
	}
	select {
	case <-got:
		t.Fatal("a lock was taken while another held it")
	default:
	}
	if err := unlock(ctx); err != nil {
		t.Fatal(err)
	}
	second := <-got

	// Never freed: a minute later on the hub's clock, it is taken over.
	fake.Advance(time.Minute)
	third, err := a.Lock(ctx, "oauth", time.Minute)
	if err != nil {
		t.Fatalf("a lock whose time is up: %v", err)
	}
	if err := second(ctx); err != nil {
		t.Fatalf("unlocking a lock taken over: %v", err)
	}
	const lease = "state/connector/allegro/shop/oauth"
	if free, err := st.AcquireLease(ctx, lease, "probe", fake.Now(), time.Minute); err != nil || free {
		t.Fatalf("the late unlock of a lock taken over freed it (%v)", err)
	}
	if err := third(ctx); err != nil {
		t.Fatal(err)
	}
	if free, err := st.AcquireLease(ctx, lease, "probe", fake.Now(), time.Minute); err != nil || !free {
		t.Fatalf("unlocked, the lock is still held (%v)", err)
	}

	for _, ttl := range []time.Duration{0, sdk.MaxLockTTL + time.Second} {
		if _, err := a.Lock(ctx, "oauth", ttl); sdk.KindOf(err) != sdk.KindPermanent {
			t.Errorf("a lock for %s: %v, want a permanent error", ttl, err)
		}
	}
}
