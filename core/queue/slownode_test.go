package queue

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Two nodes share a consumer, and every handler of the first waits on a
// vendor that hangs, with its prefetch full: the second still takes new
// work at once, rather than sit idle until the first's calls end.
func TestASlowNodeLeavesRoomForTheOthers(t *testing.T) {
	t.Parallel()
	o := backend{}.options(t)
	a, b := open(t, o), open(t, o)
	ctx := testContext(t)
	release := make(chan struct{})
	defer close(release)
	const handlers = 512 // the hub's
	consume(t, a, "steps", "execute", func(ctx context.Context, d Delivery) {
		<-release // a vendor that hangs
		_ = d.Ack()
	}, WithConcurrency(handlers), KeepInProgress())
	msgs := make([]Message, 4*handlers)
	for i := range msgs {
		msgs[i] = Message{Subject: "steps", DedupID: fmt.Sprint("slow-", i), Data: []byte("slow")}
	}
	if err := a.PublishBatch(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	// Node a holds all it may: its handlers, and as many more waiting.
	for deadline := time.Now().Add(time.Minute); consumerInfo(t, a, "execute").NumAckPending < 2*handlers; {
		if time.Now().After(deadline) {
			t.Fatal("node a did not fill its prefetch")
		}
		time.Sleep(10 * time.Millisecond)
	}
	done := make(chan struct{}, 1)
	consume(t, b, "steps", "execute", func(ctx context.Context, d Delivery) {
		if string(d.Data) == "fast" {
			done <- struct{}{}
		}
		_ = d.Ack()
	}, WithConcurrency(handlers), KeepInProgress())
	if err := b.Publish(ctx, "steps", "fast", []byte("fast")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		ci := consumerInfo(t, b, "execute")
		t.Fatalf("node b took nothing while node a's handlers hung: %d unacknowledged (limit %d), %d waiting", ci.NumAckPending, ci.Config.MaxAckPending, ci.NumPending)
	}
}
