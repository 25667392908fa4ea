package hub

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/switchboard-hub/switchboard/core/clock"
	"github.com/switchboard-hub/switchboard/core/store"
	"github.com/switchboard-hub/switchboard/sdk"
)

// pluginState is one plugin instance's sdk.State: its values in the store,
// and its locks.
type pluginState struct {
	store.PluginValues
	locks  *stateLocks
	prefix string // of its locks' lease names
}

func (h *Hub) pluginState(kind sdk.Kind, name, instance string) sdk.State {
	return &pluginState{PluginValues: h.store.PluginState(kind, name, instance), locks: h.locks,
		prefix: "state/" + kind.String() + "/" + name + "/" + instance + "/"}
}

func (p *pluginState) Lock(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, error) {
	if err := sdk.CheckStateKey(key); err != nil {
		return nil, err
	}
	if err := sdk.CheckLockTTL(ttl); err != nil {
		return nil, err
	}
	return p.locks.lock(ctx, p.prefix+key, ttl)
}

// stateLocks are the locks of plugins' State: leases in the store, so that
// the processes of one instance on every hub that shares the database wait
// for each other, timed by the hub's clock. A lock freed on this hub wakes
// its waiters here at once; one held by another hub is asked for again at
// growing intervals of up to a second, since nothing tells when it is freed
// there.
type stateLocks struct {
	store store.Store
	clock clock.Clock
	node  string

	mu    sync.Mutex
	freed map[string]chan struct{} // by lease name: closed when freed here
}

func newStateLocks(st store.Store, c clock.Clock, node string) *stateLocks {
	return &stateLocks{store: st, clock: c, node: node, freed: map[string]chan struct{}{}}
}

func (l *stateLocks) lock(ctx context.Context, name string, ttl time.Duration) (func(context.Context) error, error) {
	holder := fmt.Sprintf("%s/%016x", l.node, rand.Uint64())
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		freed := l.watch(name)
		won, err := l.store.AcquireLease(ctx, name, holder, l.clock.Now(), ttl)
		if err != nil && ctx.Err() == nil {
			return nil, sdk.Retryable(fmt.Errorf("take the state lock %s: %w", name, err))
		}
		if won {
			return func(ctx context.Context) error { return l.unlock(ctx, name, holder) }, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, sdk.Retryable(fmt.Errorf("wait for the state lock %s: %w", name, ctx.Err()))
		case <-freed:
			wait = 5 * time.Millisecond // doubled: the next wait is the first's
		case <-t.C:
		}
		t.Stop()
	}
}

// unlock frees the lease if holder still has it, and wakes this hub's
// waiters.
func (l *stateLocks) unlock(ctx context.Context, name, holder string) error {
	err := l.store.ReleaseLease(context.WithoutCancel(ctx), name, holder)
	l.mu.Lock()
	if ch := l.freed[name]; ch != nil {
		close(ch)
		delete(l.freed, name)
	}
	l.mu.Unlock()
	if err != nil {
		return sdk.Retryable(fmt.Errorf("free the state lock %s: %w", name, err))
	}
	return nil
}

// watch returns the channel closed when this hub next frees the lock.
func (l *stateLocks) watch(name string) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := l.freed[name]
	if ch == nil {
		ch = make(chan struct{})
		l.freed[name] = ch
	}
	return ch
}
