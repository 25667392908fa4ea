package hub

import (
	"context"
	"time"
)

// PruneEvery is how often the hub deletes what its hub block's
// message_retention no longer keeps.
const PruneEvery = time.Hour

// pruneBatch bounds one prune transaction, so that the store's writer is
// never held long.
const pruneBatch = 1000

// prune deletes, at start and then every PruneEvery on the hub's clock,
// finished messages older than message_retention and blanks the contacts
// not heard from since. The retention is read from the running
// configuration each time, so a reload changes it. Every node prunes, each
// taking messages the others are not pruning.
func (h *Hub) prune(ctx context.Context) {
	for ctx.Err() == nil {
		now := h.clock.Now()
		if keep := h.gen.Load().cfg.Hub.MessageRetention; keep > 0 {
			h.pruneBefore(ctx, now.Add(-keep))
		}
		select {
		case <-ctx.Done():
			return
		case <-h.clock.Until(now.Add(PruneEvery)):
		}
	}
}

// pruneBefore prunes in batches until a batch finds less than a full one.
func (h *Hub) pruneBefore(ctx context.Context, before time.Time) {
	var messages, contacts int
	for ctx.Err() == nil {
		p, err := h.store.Prune(ctx, before, pruneBatch)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("retention: pruning failed; will try again within the hour", "error", err, "before", before)
			}
			break
		}
		messages += p.Messages
		contacts += p.Contacts
		h.metrics.pruned.WithLabelValues("messages").Add(float64(p.Messages))
		h.metrics.pruned.WithLabelValues("contacts").Add(float64(p.Contacts))
		if p.Messages < pruneBatch && p.Contacts < pruneBatch {
			break
		}
	}
	if messages > 0 || contacts > 0 {
		h.log.Info("retention: pruned", "messages", messages, "contacts", contacts, "before", before)
	}
}
