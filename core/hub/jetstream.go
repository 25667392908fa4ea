package hub

import (
	"context"

	"github.com/switchboard-hub/switchboard/core/queue"
)

// concurrency is how many deliveries of each subject a hub handles at
// once. Handlers mostly wait (on the store's group commit, on a plugin):
// evaluating a message and running the steps due at once takes four
// commits and a send. The more of them wait together, the more work each
// commit and each plugin call carries; with 64 the whole path was bound by
// handlers waiting (about 1,300 msgs/s on 2 cores with the CPU a third
// idle), with 512 by the CPU.
const concurrency = 512

// JetStream is the hub's Queue over NATS JetStream (core/queue).
func JetStream(q *queue.Queue) Queue { return jetStream{q} }

type jetStream struct{ q *queue.Queue }

func (j jetStream) Publish(ctx context.Context, items []Work) error {
	msgs := make([]queue.Message, len(items))
	for i, it := range items {
		msgs[i] = queue.Message{Subject: it.Subject, DedupID: it.DedupID, Data: it.Payload}
	}
	return j.q.PublishBatch(ctx, msgs)
}

// Consume keeps running handlers in progress: every wait in them has a
// deadline of its own (plugin calls, the store), and a message whose
// replies wait for a slow vendor must not come back meanwhile. A queued
// step that did would be found held by its live worker, again and again,
// until the queue gave up on it and it was dead-lettered while being sent.
func (j jetStream) Consume(ctx context.Context, subject string, handle, exhausted func(context.Context, []byte) error) (func(), error) {
	return j.q.Consume(ctx, subject, "hub-"+subject, func(ctx context.Context, d queue.Delivery) {
		if err := handle(ctx, d.Data); err != nil {
			_ = d.Nak(redeliverAfter(d.Attempt))
			return
		}
		_ = d.Ack()
	}, queue.WithConcurrency(concurrency), queue.KeepInProgress(), queue.OnExhausted(func(ctx context.Context, d queue.Delivery) error {
		return exhausted(ctx, d.Data)
	}))
}
