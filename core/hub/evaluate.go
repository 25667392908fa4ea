package hub

import (
	"context"
	"fmt"
)

// evaluate runs the engine's first half on a stored message, records its
// plan, and executes the steps due at once: the store begins them for this
// worker, so they need no trip through the queue. Redelivery is harmless:
// the plan's steps are keyed, and the store inserts (and begins) each once.
func (h *Hub) evaluate(ctx context.Context, messageID string) error {
	in, err := h.load(ctx, messageID)
	if err != nil {
		return err
	}
	g := h.gen.Load()
	d := g.engine.Evaluate(in)
	now := h.clock.Now()
	begun, err := h.store.Plan(ctx, messageID, d, now)
	if err != nil {
		return fmt.Errorf("plan message %s: %w", messageID, err)
	}
	for _, r := range d.Explanation.Workflows {
		if r.Fired {
			h.metrics.fires.WithLabelValues(r.Workflow).Inc()
		} else {
			h.metrics.skips.WithLabelValues(r.Workflow, reasonLabel(r.Why(&d.Explanation))).Inc()
		}
	}
	for _, st := range d.Steps {
		if st.DueAt.After(now) {
			h.wakeScheduler() // to sleep until the earliest
			break
		}
	}
	for _, st := range begun {
		st.Inbound = in
		if err := h.run(ctx, st); err != nil {
			// The message is planned; redelivering it would change nothing.
			// The step stays attempted, and the scheduler hands it to the
			// queue once its lease has run out.
			h.log.Warn("step failed to run; it is retried when its lease ends", "step", st.Key, "workflow", st.Workflow, "error", err)
		}
	}
	return nil
}
