package hub

import (
	"context"
	"fmt"
)

// evaluate runs the engine's first half on a stored message and records
// its plan. Redelivery is harmless: the plan's steps are keyed, and the
// store inserts each once.
func (h *Hub) evaluate(ctx context.Context, messageID string) error {
	in, err := h.load(ctx, messageID)
	if err != nil {
		return err
	}
	g := h.gen.Load()
	d := g.engine.Evaluate(in)
	now := h.clock.Now()
	if err := h.store.Plan(ctx, messageID, d, now); err != nil {
		return fmt.Errorf("plan message %s: %w", messageID, err)
	}
	for _, r := range d.Explanation.Workflows {
		if r.Fired {
			h.metrics.fires.WithLabelValues(r.Workflow).Inc()
		} else {
			h.metrics.skips.WithLabelValues(r.Workflow, reasonLabel(r.Why(&d.Explanation))).Inc()
		}
	}
	if len(d.Steps) > 0 {
		h.wakeOutbox() // steps due now went to the outbox
	}
	for _, st := range d.Steps {
		if st.DueAt.After(now) {
			h.wakeScheduler() // to sleep until the earliest
			break
		}
	}
	return nil
}
