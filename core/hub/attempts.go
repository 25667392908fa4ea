package hub

import (
	"context"
	"sync"
	"time"
)

// renewEvery is how often a hub renews the attempts its workers hold. It
// must be well within the store's attempt lease (two minutes by default).
const renewEvery = 30 * time.Second

// attempts are the steps this hub's workers are executing, by key with the
// attempt count they began them at. A step waits for its connector as long
// as the connector keeps others waiting (two batches in flight, each up to
// its deadline), which can outlast the lease; renewed, it is not taken
// over and sent a second time by a worker that thinks this one died.
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

func (a *attempts) release(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.held, key)
}

func (a *attempts) snapshot() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]int, len(a.held))
	for k, v := range a.held {
		out[k] = v
	}
	return out
}

// renewAttempts extends the lease of the held steps every renewEvery on
// the hub's clock, until ctx ends. A hub that dies renews nothing, and its
// steps are taken over once their lease has run out.
func (h *Hub) renewAttempts(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.clock.After(renewEvery):
		}
		held := h.attempts.snapshot()
		if len(held) == 0 {
			continue
		}
		if err := h.store.RenewAttempts(ctx, held, h.clock.Now()); err != nil && ctx.Err() == nil {
			h.log.Warn("renewing the leases of steps in progress failed; another worker may take them over when they run out", "steps", len(held), "error", err)
		}
	}
}
