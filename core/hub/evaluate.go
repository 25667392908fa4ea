package hub

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/switchboard-hub/switchboard/core/store"
)

// evaluate runs the engine's first half on a stored message, records its
// plan, and executes the steps due at once: the store began them for this
// worker in the plan's transaction, so they need no trip through the queue.
// The message's delivery is acknowledged after them (acknowledged before,
// its round trip to the queue would add to every reply's latency) and kept
// in progress meanwhile. Redelivery, after a crash, is harmless: the store
// keeps the first plan (ErrPlanned), and its workflows were counted then;
// a step begun for a worker that died is requeued once its lease runs out.
func (h *Hub) evaluate(ctx context.Context, messageID string) error {
	in, err := h.load(ctx, messageID)
	if errors.Is(err, store.ErrNotFound) {
		// The queue carries a message the store does not hold: a database
		// restored from an older backup, or a database_schema changed, with
		// the queue kept. Kept for ever it would fill the queue's window of
		// unacknowledged work; the store is the source of truth.
		h.log.Warn("the queue carried a message the store does not hold; dropping it", "message", messageID)
		return nil
	}
	if err != nil {
		return err
	}
	g := h.gen.Load()
	d := g.engine.Evaluate(in)
	now := h.clock.Now()
	begun, err := h.store.Plan(ctx, messageID, d, now)
	if errors.Is(err, store.ErrPlanned) {
		return nil // a redelivery: the first delivery's plan, steps and counts stand
	}
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
		h.attempts.hold(st.Key, st.Attempts) // renewed while they wait
	}
	h.runBegun(ctx, begun)
	return nil
}

// runBegun executes the steps Plan began, at once (as the queue would run
// them), and leaves any that failed to run attempted: the scheduler hands
// them to the queue once their lease has run out.
func (h *Hub) runBegun(ctx context.Context, begun []*store.Step) {
	runOne := func(st *store.Step) {
		if err := h.run(ctx, st); err != nil {
			h.log.Warn("step failed to run; it is retried when its lease ends", "step", st.Key, "workflow", st.Workflow, "error", err)
		}
	}
	if len(begun) == 1 {
		runOne(begun[0]) // the usual case, without a goroutine
		return
	}
	var wg sync.WaitGroup
	for _, st := range begun {
		wg.Go(func() { runOne(st) })
	}
	wg.Wait()
}
