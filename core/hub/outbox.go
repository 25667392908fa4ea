package hub

import (
	"context"
	"time"
)

// outboxBatch bounds one publish.
const outboxBatch = 1000

// publishOutbox hands stored work to the queue: rows are published, then
// deleted. A crash between the two publishes them again, which the queue's
// de-duplication and the idempotent consumers absorb.
func (h *Hub) publishOutbox(ctx context.Context) {
	failures := 0
	for ctx.Err() == nil {
		n, err := h.publishPass(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			h.log.Warn("outbox: publishing failed; will retry", "error", err, "failures", failures)
			h.sleep(ctx, min(time.Duration(failures)*100*time.Millisecond, 5*time.Second))
			continue
		}
		failures = 0
		if n == outboxBatch {
			continue // more are waiting
		}
		select {
		case <-ctx.Done():
			return
		case <-h.outboxKick:
		case <-h.clock.After(time.Second): // rows written by other nodes
		}
	}
}

// publishPass publishes up to outboxBatch rows of the outbox, and deletes
// them; it returns how many it found.
func (h *Hub) publishPass(ctx context.Context) (int, error) {
	rows, err := h.store.Outbox(ctx, outboxBatch)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	items := make([]Work, len(rows))
	ids := make([]int64, len(rows))
	for i, r := range rows {
		items[i] = Work{Subject: r.Subject, DedupID: r.DedupID, Payload: r.Payload}
		ids[i] = r.ID
	}
	if err := h.queue.Publish(ctx, items); err != nil {
		return 0, err
	}
	return len(rows), h.store.Published(ctx, ids)
}

// RequeueAfter is how long queued work may go untouched before the
// scheduler hands it to the queue again, in case the queue lost it.
const RequeueAfter = 10 * time.Minute

// schedule releases due steps to the queue, sleeping until the next one
// falls due on the hub's clock, or until a new plan or retry wakes it. Once
// a minute it also requeues work the queue may have lost.
func (h *Hub) schedule(ctx context.Context) {
	var lastRequeue time.Time
	for ctx.Err() == nil {
		if now := h.clock.Now(); now.Sub(lastRequeue) >= time.Minute {
			lastRequeue = now
			if n, err := h.store.Requeue(ctx, now, RequeueAfter, outboxBatch); err != nil {
				h.log.Warn("scheduler: requeueing lost work failed", "error", err)
			} else if n > 0 {
				h.log.Warn("scheduler: requeued work the queue did not deliver", "items", n)
				h.wakeOutbox()
			}
		}
		n, err := h.store.ReleaseDue(ctx, h.clock.Now(), outboxBatch)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("scheduler: releasing due steps failed; will retry", "error", err)
				h.sleep(ctx, time.Second)
			}
			continue
		}
		if n > 0 {
			h.wakeOutbox()
			continue
		}
		// The next step due, or in 5 seconds steps other nodes planned. A
		// time, not a wait: the clock may move before the wait begins.
		wake := h.clock.Now().Add(5 * time.Second)
		if next, err := h.store.NextDue(ctx); err == nil && !next.IsZero() && next.Before(wake) {
			wake = next
		}
		select {
		case <-ctx.Done():
			return
		case <-h.schedKick:
		case <-h.clock.Until(wake):
		}
	}
}

// sleep waits on the real clock: backoff after infrastructure failures is
// not virtual time.
func (h *Hub) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
