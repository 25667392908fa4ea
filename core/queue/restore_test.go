package queue

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A stream deleted under running consumers is created again, once it has
// been gone for restoreAfter, and the consumers, created again too, deliver
// what comes after.
func TestStreamDeletedIsRestored(t *testing.T) {
	t.Parallel()
	q := open(t, backends[0].options(t))
	ctx := testContext(t)
	got := make(chan string, 10)
	handler := func(ctx context.Context, d Delivery) {
		if err := d.Ack(); err != nil {
			t.Errorf("Ack %s: %v", d.DedupID, err)
		}
		got <- d.DedupID
	}
	consume(t, q, "steps", "execute", handler)
	consume(t, q, "messages", "evaluate", handler)
	if err := q.Publish(ctx, "steps", "before", nil); err != nil {
		t.Fatal(err)
	}
	if id := receive(t, ctx, got, "the message published before"); id != "before" {
		t.Fatalf("got %q; want before", id)
	}

	if err := q.js.DeleteStream(ctx, q.opts.Stream); err != nil {
		t.Fatal(err)
	}
	deleted := time.Now()
	publishUntilTaken(t, ctx, func() error { return q.Publish(ctx, "steps", "after", nil) })
	if since := time.Since(deleted); since < restoreAfter {
		t.Errorf("the stream was created again %s after its deletion; want %s at least, or the server's removal of the old one's files may break it", since, restoreAfter)
	}
	if err := q.PublishBatch(ctx, []Message{{Subject: "messages", DedupID: "batched"}}); err != nil {
		t.Fatalf("PublishBatch after the stream was restored: %v", err)
	}
	seen := map[string]bool{}
	for range 2 {
		seen[receive(t, ctx, got, "the messages published after the stream was deleted")] = true
	}
	if !seen["after"] || !seen["batched"] {
		t.Errorf("delivered %v; want after and batched", seen)
	}
	if n := depth(t, q, "steps"); n != 0 {
		t.Errorf("Depth = %d; want 0", n)
	}
}

// A batch published when the stream is gone fails, naming its messages,
// and the stream is there for a publish again that the error asks for.
func TestPublishBatchRestoresStream(t *testing.T) {
	t.Parallel()
	q, ctx := withoutStream(t)
	batch := []Message{{Subject: "steps", DedupID: "a"}, {Subject: "steps", DedupID: "b"}}
	err := q.PublishBatch(ctx, batch)
	if err == nil {
		t.Fatal("PublishBatch to a deleted stream succeeded")
	}
	publishUntilTaken(t, ctx, func() error { return q.PublishBatch(ctx, batch) })
	if n := depth(t, q, "steps"); n != 2 {
		t.Errorf("Depth = %d; want 2", n)
	}
}

// With no consumer to notice, a publish finds the stream gone, creates it
// again, and publishes.
func TestPublishRestoresStream(t *testing.T) {
	t.Parallel()
	q, ctx := withoutStream(t)
	publishUntilTaken(t, ctx, func() error { return q.Publish(ctx, "steps", "after", nil) })
	if n := depth(t, q, "steps"); n != 1 {
		t.Errorf("Depth = %d; want 1", n)
	}
}

// A consumer deleted under its running workers is created again, and
// delivers what comes after.
func TestConsumerDeletedIsRestored(t *testing.T) {
	t.Parallel()
	q := open(t, backends[0].options(t))
	ctx := testContext(t)
	got := make(chan string, 10)
	consume(t, q, "steps", "execute", func(ctx context.Context, d Delivery) {
		_ = d.Ack()
		got <- d.DedupID
	})
	if err := q.js.DeleteConsumer(ctx, q.opts.Stream, "execute"); err != nil {
		t.Fatal(err)
	}
	if err := q.Publish(ctx, "steps", "after", nil); err != nil {
		t.Fatal(err)
	}
	if id := receive(t, ctx, got, "the message published after the consumer was deleted"); id != "after" {
		t.Errorf("got %q; want after", id)
	}
}

// An external server that comes back without its store (a wiped disk, a
// cluster on memory storage) has neither the stream nor the consumer: the
// queue creates them again and work flows as before.
func TestServerLostStoreIsRestored(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	srv := startServer(t, port)
	o := backends[0].options(t)
	o.DataDir = ""
	o.URL = srv.ClientURL()
	o.ConnectOptions = []nats.Option{nats.ReconnectWait(20 * time.Millisecond)}
	q := open(t, o)
	ctx := testContext(t)
	got := make(chan string, 10)
	consume(t, q, "steps", "execute", func(ctx context.Context, d Delivery) {
		_ = d.Ack()
		got <- d.DedupID
	})
	if err := q.Publish(ctx, "steps", "before", nil); err != nil {
		t.Fatal(err)
	}
	receive(t, ctx, got, "the message published before")

	reconnects := q.nc.Stats().Reconnects
	srv.Shutdown()
	srv.WaitForShutdown()
	// A store directory of its own: empty. On the same port, which another
	// process could take meanwhile only by a rare chance.
	startServer(t, port)
	for q.nc.Stats().Reconnects == reconnects || !q.nc.IsConnected() {
		select {
		case <-ctx.Done():
			t.Fatal("the queue did not reconnect")
		case <-time.After(10 * time.Millisecond):
		}
	}
	if _, err := q.js.Stream(ctx, o.Stream); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Fatalf("the new server's stream: %v; want none", err)
	}
	publishUntilTaken(t, ctx, func() error { return q.Publish(ctx, "steps", "after", nil) })
	if id := receive(t, ctx, got, "the message published after the server lost its store"); id != "after" {
		t.Errorf("got %q; want after", id)
	}
}

// startServer runs a nats-server with JetStream on port, with a store of
// its own, until the test ends.
func startServer(t *testing.T, port int) *server.Server {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: t.TempDir(), NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	return ns
}

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// withoutStream opens a queue on the embedded server and deletes its
// stream, as an operator, or a server that lost its store, would.
func withoutStream(t *testing.T) (*Queue, context.Context) {
	t.Helper()
	q := open(t, backends[0].options(t))
	ctx := testContext(t)
	if err := q.js.DeleteStream(ctx, q.opts.Stream); err != nil {
		t.Fatal(err)
	}
	return q, ctx
}

// publishUntilTaken publishes again, as the outbox does, until the queue
// takes it: the stream is created again once it has been gone a while.
func publishUntilTaken(t *testing.T, ctx context.Context, publish func() error) {
	t.Helper()
	for {
		err := publish()
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("publishing once the stream was gone: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
