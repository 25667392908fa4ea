package hub

import (
	"context"
	"maps"
	"sync"
	"time"
)

// attempts are the steps this hub's workers are executing, by key with the
// attempt count they began them at. A send waits for the batches ahead of
// it (two in flight per connector, each up to the plugin call's deadline),
// which can outlast the lease; renewed, a step is not taken over and sent a
// second time by a worker that thinks this one died.
type attempts struct {
	mu   sync.Mutex
	held map[string]int
}

func (a *attempts) hold(key string, count int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.held == nil {
		a.held = map[string]int{}
	}
	a.held[key] = count
}

// holds reports whether a run of this hub holds the step.
func (a *attempts) holds(key string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.held[key]
	return ok
}

// release forgets a step once its run is over, unless another run of this
// hub holds it by now (it took the step over at a later count).
func (a *attempts) release(key string, count int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.held[key] == count {
		delete(a.held, key)
	}
}

func (a *attempts) snapshot() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.held)
}

// renewAttempts extends the lease of the held steps every quarter of the
// store's attempt lease (30 s of the default two minutes; at least a
// second) on the hub's clock, until ctx ends: a renewal that fails, or is
// late, leaves three more chances before the lease runs out. A hub that
// dies renews nothing, and its steps are taken over once their lease has
// run out. Each round is due a period after the last one began, not after
// it ended: a renewal that took long (or a clock that jumped meanwhile)
// makes the next one come at once rather than a whole period late.
func (h *Hub) renewAttempts(ctx context.Context) {
	every := max(h.store.AttemptLease()/4, time.Second)
	next := h.clock.Now().Add(every)
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.clock.Until(next):
		}
		next = h.clock.Now().Add(every)
		held := h.attempts.snapshot()
		if len(held) == 0 {
			continue
		}
		if err := h.store.RenewAttempts(ctx, held, h.clock.Now()); err != nil && ctx.Err() == nil {
			h.log.Warn("renewing the leases of steps in progress failed; another worker may take them over when they run out", "steps", len(held), "error", err)
		}
	}
}
