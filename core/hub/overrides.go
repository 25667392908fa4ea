package hub

import (
	"context"
	"maps"
	"time"
)

// OverridesEvery is how often a hub reads the workflows turned on or off at
// run time, so that one turned off through another node's API stops here
// too.
const OverridesEvery = 10 * time.Second

// followOverrides applies the store's run-time overrides every
// OverridesEvery on the hub's clock, until ctx ends.
func (h *Hub) followOverrides(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.clock.After(OverridesEvery):
		}
		h.reloadMu.Lock()
		err := h.applyOverrides(ctx)
		h.reloadMu.Unlock()
		if err != nil && ctx.Err() == nil {
			h.log.Warn("reading the workflows turned on or off at run time failed; will retry", "error", err)
		}
	}
}

// applyOverrides runs the configuration with the store's run-time
// overrides, when they changed. The caller holds reloadMu.
func (h *Hub) applyOverrides(ctx context.Context) error {
	overrides, err := h.store.WorkflowOverrides(ctx)
	if err != nil {
		return err
	}
	g := h.gen.Load()
	if maps.Equal(overrides, g.overrides) {
		return nil
	}
	h.gen.Store(newGen(g.cfg, g.engine, overrides, g.plugins)) // its compiled conditions kept
	return nil
}
