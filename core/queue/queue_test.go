package queue

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPublishConsumeAck(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		q := open(t, b.options(t))
		if !q.Ready() {
			t.Fatal("Ready() = false after Open")
		}
		ctx := testContext(t)
		publishN(t, q, "messages", 3)

		got := make(chan Delivery, 3)
		consume(t, q, "messages", "evaluate", func(ctx context.Context, d Delivery) {
			if err := d.Ack(); err != nil {
				t.Errorf("Ack: %v", err)
			}
			got <- d
		})
		seen := map[string]string{}
		for range 3 {
			d := receive(t, ctx, got, "a delivery")
			if d.Attempt != 1 || d.Subject != "messages" || d.Consumer != "evaluate" || d.Sequence == 0 || d.Published.IsZero() || d.MaxDeliver != DefaultMaxDeliver {
				t.Errorf("delivery = %+v; want attempt 1 on messages for evaluate with sequence, time and MaxDeliver %d", d, DefaultMaxDeliver)
			}
			seen[d.DedupID] = string(d.Data)
		}
		want := map[string]string{"messages-0": "payload 0", "messages-1": "payload 1", "messages-2": "payload 2"}
		if fmt.Sprint(seen) != fmt.Sprint(want) {
			t.Errorf("deliveries = %v; want %v", seen, want)
		}
		// Acks were confirmed by the server, so the work queue is empty.
		if n := depth(t, q, "messages"); n != 0 {
			t.Errorf("Depth after acks = %d; want 0", n)
		}
		info := consumerInfo(t, q, "evaluate")
		if info.NumAckPending != 0 || info.NumPending != 0 || info.NumRedelivered != 0 {
			t.Errorf("consumer ack pending %d, pending %d, redelivered %d; want all 0", info.NumAckPending, info.NumPending, info.NumRedelivered)
		}
	})
}

func TestDeduplicatesWithinWindow(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		q := open(t, b.options(t))
		ctx := testContext(t)
		for _, p := range []struct{ id, data string }{
			{"allegro/shop_pl/1", "first"},
			{"allegro/shop_pl/1", "again"}, // e.g. the outbox republishing after a crash
			{"allegro/shop_pl/2", "other"},
		} {
			if err := q.Publish(ctx, "messages", p.id, []byte(p.data)); err != nil {
				t.Fatalf("Publish %s: %v", p.id, err)
			}
		}
		err := q.PublishBatch(ctx, []Message{
			{Subject: "messages", DedupID: "allegro/shop_pl/2", Data: []byte("batch again")},
			{Subject: "messages", DedupID: "allegro/shop_pl/3", Data: []byte("third")},
			{Subject: "messages", DedupID: "allegro/shop_pl/3", Data: []byte("third again")},
		})
		if err != nil {
			t.Fatalf("PublishBatch: %v", err)
		}
		if n := depth(t, q, "messages"); n != 3 {
			t.Fatalf("Depth = %d; want 3 (duplicates dropped)", n)
		}
		got := make(chan string, 3)
		consume(t, q, "messages", "evaluate", func(ctx context.Context, d Delivery) {
			_ = d.Ack()
			got <- d.DedupID + "=" + string(d.Data)
		})
		var all []string
		for range 3 {
			all = append(all, receive(t, ctx, got, "a delivery"))
		}
		slices.Sort(all)
		want := []string{"allegro/shop_pl/1=first", "allegro/shop_pl/2=other", "allegro/shop_pl/3=third"}
		if !slices.Equal(all, want) {
			t.Errorf("deliveries = %v; want %v", all, want)
		}
	})
}

func TestNakRedeliversWithAttempt(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		q := open(t, b.options(t))
		ctx := testContext(t)
		publishN(t, q, "steps", 1)
		attempts := make(chan int, 3)
		consume(t, q, "steps", "execute", func(ctx context.Context, d Delivery) {
			if d.Attempt < 3 {
				attempts <- d.Attempt // before the Nak, or the redelivery's handler may report first
				// A short backoff: long enough to be a delay, short
				// enough for a test.
				if err := d.Nak(10 * time.Millisecond); err != nil {
					t.Errorf("Nak: %v", err)
				}
				return
			}
			if err := d.Ack(); err != nil {
				t.Errorf("Ack: %v", err)
			}
			attempts <- d.Attempt // after the Ack, which the depth below counts
		})
		for want := 1; want <= 3; want++ {
			if got := receive(t, ctx, attempts, fmt.Sprintf("attempt %d", want)); got != want {
				t.Fatalf("attempt = %d; want %d", got, want)
			}
		}
		if n := depth(t, q, "steps"); n != 0 {
			t.Errorf("Depth after ack = %d; want 0", n)
		}
	})
}

func TestUnsettledHandlerIsRetried(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		o := b.options(t)
		o.Backoff = func(int) time.Duration { return 0 }
		q := open(t, o)
		ctx := testContext(t)
		publishN(t, q, "steps", 1)
		attempts := make(chan int, 2)
		consume(t, q, "steps", "execute", func(ctx context.Context, d Delivery) {
			attempts <- d.Attempt
			switch d.Attempt {
			case 1:
				return // forgot to settle: retried after Backoff, not AckWait
			case 2:
				panic("handler bug") // recovered, retried
			default:
				_ = d.Ack()
			}
		})
		for want := 1; want <= 2; want++ {
			if got := receive(t, ctx, attempts, "an attempt"); got != want {
				t.Fatalf("attempt = %d; want %d", got, want)
			}
		}
		if got := receive(t, ctx, attempts, "the attempt after the panic"); got != 3 {
			t.Fatalf("attempt = %d; want 3", got)
		}
	})
}

func TestTermStopsRedelivery(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		q := open(t, b.options(t))
		ctx := testContext(t)
		if err := q.Publish(ctx, "steps", "poison", []byte("poison")); err != nil {
			t.Fatal(err)
		}
		termed := make(chan error, 1)
		sentinel := make(chan error, 1)
		consume(t, q, "steps", "execute", func(ctx context.Context, d Delivery) {
			if d.DedupID == "sentinel" {
				sentinel <- d.Ack()
				return
			}
			termed <- d.Term()
		}, WithConcurrency(1))
		if err := receive(t, ctx, termed, "the poison message"); err != nil {
			t.Fatalf("Term: %v", err)
		}
		awaitSentinel(t, q, "steps", sentinel)
		info := consumerInfo(t, q, "execute")
		if info.NumAckPending != 0 || info.NumPending != 0 || info.NumRedelivered != 0 {
			t.Errorf("consumer ack pending %d, pending %d, redelivered %d; want all 0", info.NumAckPending, info.NumPending, info.NumRedelivered)
		}
		if n := depth(t, q, "steps"); n != 0 {
			t.Errorf("Depth after Term = %d; want 0", n)
		}
		select {
		case err := <-termed:
			t.Errorf("terminated message delivered again (Term: %v)", err)
		default:
		}
	})
}

// awaitSentinel publishes a message that the handler acks, with a confirmed
// ack, and waits for that ack. Term and Nak are not confirmed by the server;
// the server handles a consumer's acks in order, so once the sentinel's ack
// is confirmed, the settlements sent before it took effect. The consumer
// must run one handler at a time, so that nothing is sent after the
// sentinel that the test relies on.
func awaitSentinel(t *testing.T, q *Queue, subject string, acked <-chan error) {
	t.Helper()
	ctx := testContext(t)
	if err := q.Publish(ctx, subject, "sentinel", nil); err != nil {
		t.Fatalf("publishing the sentinel: %v", err)
	}
	if err := receive(t, ctx, acked, "the sentinel's ack"); err != nil {
		t.Fatalf("acking the sentinel: %v", err)
	}
}

// The one test that waits for a server timer: a worker that hangs without
// acking loses its message to another worker after AckWait.
func TestUnackedRedeliveredAfterAckWait(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		o := b.options(t)
		o.AckWait = 500 * time.Millisecond
		q := open(t, o)
		ctx := testContext(t)
		publishN(t, q, "steps", 1)

		release := make(chan struct{})
		type seen struct {
			attempt int
			at      time.Time
		}
		attempts := make(chan seen, 2)
		acked := make(chan error, 1)
		consume(t, q, "steps", "execute", func(ctx context.Context, d Delivery) {
			attempts <- seen{d.Attempt, time.Now()}
			if d.Attempt == 1 {
				<-release // hung worker
				return
			}
			acked <- d.Ack()
		}, WithConcurrency(2))
		first := receive(t, ctx, attempts, "first delivery")
		second := receive(t, ctx, attempts, "redelivery after AckWait")
		if err := receive(t, ctx, acked, "ack of the redelivery"); err != nil {
			t.Errorf("Ack: %v", err)
		}
		close(release)
		if first.attempt != 1 || second.attempt != 2 {
			t.Fatalf("attempts %d, %d; want 1, 2", first.attempt, second.attempt)
		}
		// The server times AckWait from its delivery, which comes before the
		// handler starts, late on a busy machine: the gap between the two
		// handlers may be short of AckWait by the first one's lateness. Half
		// of it still tells a redelivery on AckWait from one at once.
		if gap := second.at.Sub(first.at); gap < o.AckWait/2 {
			t.Errorf("redelivered after %s; want no sooner than AckWait %s", gap, o.AckWait)
		}
		if n := depth(t, q, "steps"); n != 0 {
			t.Errorf("Depth after ack = %d; want 0", n)
		}
	})
}

// The other test that waits for a server timer: with KeepInProgress, live
// workers whose handlers run past AckWait (replies waiting for a slow
// vendor) keep their messages, and so do the messages pulled meanwhile that
// wait for a free handler: each is delivered once.
func TestKeepInProgressHoldsSlowHandlersMessages(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		o := b.options(t)
		o.AckWait = time.Second
		q := open(t, o)
		ctx := testContext(t)
		const n = 4 // two slow, two waiting behind them (a pull takes twice the handlers)
		publishN(t, q, "steps", n)
		type seen struct {
			payload string
			attempt int
		}
		attempts := make(chan seen, 2*n)
		acked := make(chan error, 2*n)
		var started atomic.Int32
		consume(t, q, "steps", "execute", func(ctx context.Context, d Delivery) {
			attempts <- seen{string(d.Data), d.Attempt}
			if started.Add(1) <= 2 {
				<-time.After(3 * o.AckWait) // the server's AckWait passes three times
			}
			acked <- d.Ack()
		}, WithConcurrency(2), KeepInProgress())
		got := map[string]int{}
		for range n {
			d := receive(t, ctx, attempts, "a delivery")
			got[d.payload] = d.attempt
			if err := receive(t, ctx, acked, "its ack"); err != nil {
				t.Errorf("Ack: %v", err)
			}
		}
		want := map[string]int{}
		for i := range n {
			want[fmt.Sprintf("payload %d", i)] = 1
		}
		if !maps.Equal(got, want) {
			t.Errorf("deliveries %v, want %v (each once, as its first attempt)", got, want)
		}
		select {
		case a := <-attempts:
			t.Errorf("delivered again (%+v) while its worker had it", a)
		case <-time.After(o.AckWait): // a redelivery would come at once
		}
		if n := depth(t, q, "steps"); n != 0 {
			t.Errorf("Depth after acks = %d; want 0", n)
		}
	})
}

func TestFinalAttemptThenTerm(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		o := b.options(t)
		o.MaxDeliver = 3
		q := open(t, o)
		ctx := testContext(t)
		publishN(t, q, "steps", 1)
		type seen struct {
			attempt int
			final   bool
		}
		got := make(chan seen, 3)
		var deadLetters []string
		sentinel := make(chan error, 1)
		consume(t, q, "steps", "execute", func(ctx context.Context, d Delivery) {
			switch {
			case d.DedupID == "sentinel":
				sentinel <- d.Ack()
				return
			case d.Final():
				deadLetters = append(deadLetters, d.DedupID) // the store's dead letters
				_ = d.Term()
			default:
				_ = d.Nak(0)
			}
			got <- seen{d.Attempt, d.Final()}
		}, WithConcurrency(1))
		for want := 1; want <= 3; want++ {
			s := receive(t, ctx, got, "an attempt")
			if s.attempt != want || s.final != (want == 3) {
				t.Fatalf("attempt %d final %v; want %d final %v", s.attempt, s.final, want, want == 3)
			}
		}
		awaitSentinel(t, q, "steps", sentinel)
		if n := depth(t, q, "steps"); n != 0 {
			t.Errorf("Depth = %d; want 0", n)
		}
		if !slices.Equal(deadLetters, []string{"steps-0"}) {
			t.Errorf("dead letters = %v; want [steps-0]", deadLetters)
		}
	})
}

func TestOnExhaustedDeadLetters(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		o := b.options(t)
		o.MaxDeliver = 2
		o.Backoff = func(int) time.Duration { return 0 }
		q := open(t, o)
		ctx := testContext(t)
		publishN(t, q, "steps", 1)

		attempts := make(chan int, 10)
		hook := make(chan Delivery, 10)
		sentinel := make(chan error, 1)
		var hookCalls atomic.Int32
		consume(t, q, "steps", "execute", func(ctx context.Context, d Delivery) {
			if d.DedupID == "sentinel" {
				sentinel <- d.Ack()
				return
			}
			attempts <- d.Attempt
			_ = d.Nak(0) // keeps failing
		}, WithConcurrency(1), OnExhausted(func(ctx context.Context, d Delivery) error {
			hook <- d
			if hookCalls.Add(1) == 1 {
				return errors.New("store unavailable") // retried, never dropped
			}
			return nil
		}))
		for want := 1; want <= 2; want++ {
			if got := receive(t, ctx, attempts, "an attempt"); got != want {
				t.Fatalf("attempt = %d; want %d", got, want)
			}
		}
		for want := 3; want <= 4; want++ {
			d := receive(t, ctx, hook, "the dead-letter hook")
			if d.Attempt != want || d.DedupID != "steps-0" || string(d.Data) != "payload 0" {
				t.Fatalf("hook got attempt %d id %q data %q; want attempt %d of steps-0", d.Attempt, d.DedupID, d.Data, want)
			}
		}
		// With one handler slot the sentinel starts only after the
		// dead-lettered message was terminated.
		awaitSentinel(t, q, "steps", sentinel)
		if n := depth(t, q, "steps"); n != 0 {
			t.Errorf("Depth after dead-lettering = %d; want 0", n)
		}
		select {
		case a := <-attempts:
			t.Errorf("handler saw attempt %d past MaxDeliver", a)
		default:
		}
	})
}

func TestDepth(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		q := open(t, b.options(t))
		ctx := testContext(t)
		if n := depth(t, q, "messages"); n != 0 {
			t.Errorf("Depth of empty = %d; want 0", n)
		}
		publishN(t, q, "messages", 5)
		publishN(t, q, "steps", 2)
		if n := depth(t, q, "messages"); n != 5 {
			t.Errorf("Depth(messages) = %d; want 5", n)
		}
		if n := depth(t, q, "steps"); n != 2 {
			t.Errorf("Depth(steps) = %d; want 2", n)
		}
		acked := make(chan struct{}, 2)
		consume(t, q, "steps", "execute", func(ctx context.Context, d Delivery) {
			if err := d.Ack(); err != nil {
				t.Errorf("Ack: %v", err)
			}
			acked <- struct{}{}
		})
		receive(t, ctx, acked, "ack")
		receive(t, ctx, acked, "ack")
		if n := depth(t, q, "steps"); n != 0 {
			t.Errorf("Depth(steps) after acks = %d; want 0", n)
		}
		if n := depth(t, q, "messages"); n != 5 {
			t.Errorf("Depth(messages) = %d; want 5, untouched", n)
		}
		if _, err := q.Depth(ctx, "nope"); err == nil || !strings.Contains(err.Error(), `"nope" is not one of`) {
			t.Errorf("Depth of unknown subject: %v; want an error naming it", err)
		}
	})
}

func TestConcurrentHandlers(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		const limit, total = 4, 12
		q := open(t, b.options(t))
		ctx := testContext(t)
		publishN(t, q, "messages", total)

		var inFlight, most atomic.Int32
		allIn := make(chan struct{})
		var once sync.Once
		done := make(chan string, total)
		consume(t, q, "messages", "evaluate", func(ctx context.Context, d Delivery) {
			n := inFlight.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			if n == limit {
				once.Do(func() { close(allIn) })
			}
			// The first handlers wait until the limit is reached: proof
			// that they run at the same time.
			select {
			case <-allIn:
			case <-ctx.Done():
			}
			inFlight.Add(-1)
			_ = d.Ack()
			done <- d.DedupID
		}, WithConcurrency(limit))
		ids := map[string]bool{}
		for range total {
			ids[receive(t, ctx, done, "a handled message")] = true
		}
		if len(ids) != total {
			t.Errorf("handled %d distinct messages; want %d", len(ids), total)
		}
		if m := most.Load(); m != limit {
			t.Errorf("at most %d handlers ran at once; want exactly the limit %d", m, limit)
		}
	})
}

func TestStopWaitsForHandlers(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		q := open(t, b.options(t))
		ctx := testContext(t)
		publishN(t, q, "steps", 1)
		started := make(chan struct{})
		release := make(chan struct{})
		var finished atomic.Bool
		stop := consume(t, q, "steps", "execute", func(ctx context.Context, d Delivery) {
			close(started)
			<-release
			_ = d.Ack()
			finished.Store(true)
		})
		receive(t, ctx, started, "handler start")
		stopped := make(chan bool)
		go func() {
			stop()
			stopped <- finished.Load()
		}()
		close(release)
		if !receive(t, ctx, stopped, "stop") {
			t.Error("stop returned before the running handler finished")
		}
		if n := depth(t, q, "steps"); n != 0 {
			t.Errorf("Depth = %d; want 0: the handler's ack went through", n)
		}
		// A stopped consumer's name can consume again.
		got := make(chan struct{}, 1)
		consume(t, q, "steps", "execute", func(ctx context.Context, d Delivery) {
			_ = d.Ack()
			got <- struct{}{}
		})
		if err := q.Publish(ctx, "steps", "after-restart", nil); err != nil {
			t.Fatal(err)
		}
		receive(t, ctx, got, "delivery to the restarted consumer")
	})
}

func TestContextCancelStopsConsumer(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		q := open(t, b.options(t))
		ctx, cancel := context.WithCancel(testContext(t))
		started := make(chan struct{})
		handlerCtxDone := make(chan struct{})
		stop, err := q.Consume(ctx, "steps", "execute", func(hctx context.Context, d Delivery) {
			close(started)
			<-hctx.Done() // a long handler that honours cancellation
			close(handlerCtxDone)
		})
		if err != nil {
			t.Fatal(err)
		}
		publishN(t, q, "steps", 1)
		receive(t, testContext(t), started, "handler start")
		cancel()
		receive(t, testContext(t), handlerCtxDone, "handler context cancelled")
		stop() // returns: the consumer was already stopped by the cancel
		// The message was not acked: it is still there for the next worker.
		if n := depth(t, q, "steps"); n != 1 {
			t.Errorf("Depth = %d; want 1", n)
		}
	})
}

func TestCloseStopsEverything(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		q, err := Open(testContext(t), b.options(t))
		if err != nil {
			t.Fatal(err)
		}
		consume(t, q, "steps", "execute", func(ctx context.Context, d Delivery) { _ = d.Ack() })
		if err := q.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if q.Ready() {
			t.Error("Ready() = true after Close")
		}
		if err := q.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		ctx := testContext(t)
		if err := q.Publish(ctx, "steps", "x", nil); !errors.Is(err, ErrClosed) {
			t.Errorf("Publish after Close: %v; want ErrClosed", err)
		}
		if _, err := q.Consume(ctx, "steps", "execute", func(context.Context, Delivery) {}); !errors.Is(err, ErrClosed) {
			t.Errorf("Consume after Close: %v; want ErrClosed", err)
		}
		if _, err := q.Depth(ctx, "steps"); !errors.Is(err, ErrClosed) {
			t.Errorf("Depth after Close: %v; want ErrClosed", err)
		}
	})
}

func TestPublishBatch(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		q := open(t, b.options(t))
		ctx := testContext(t)
		const n = 500
		batch := make([]Message, n)
		for i := range batch {
			subject := "messages"
			if i%5 == 0 {
				subject = "steps"
			}
			batch[i] = Message{Subject: subject, DedupID: fmt.Sprint("id-", i), Data: fmt.Append(nil, i)}
		}
		if err := q.PublishBatch(ctx, batch); err != nil {
			t.Fatalf("PublishBatch: %v", err)
		}
		if err := q.PublishBatch(ctx, batch); err != nil { // republished: all duplicates
			t.Fatalf("PublishBatch again: %v", err)
		}
		if m, s := depth(t, q, "messages"), depth(t, q, "steps"); m != n*4/5 || s != n/5 {
			t.Errorf("Depth messages %d steps %d; want %d and %d", m, s, n*4/5, n/5)
		}
		if err := q.PublishBatch(ctx, nil); err != nil {
			t.Errorf("empty PublishBatch: %v", err)
		}
		err := q.PublishBatch(ctx, []Message{{Subject: "steps", DedupID: "ok"}, {Subject: "unknown", DedupID: "bad"}})
		if err == nil || !strings.Contains(err.Error(), "message 1") {
			t.Errorf("PublishBatch with an unknown subject: %v; want an error naming message 1", err)
		}
	})
}

func TestBatchErrorReportsFailures(t *testing.T) {
	t.Parallel()
	q := open(t, backends[0].options(t))
	ctx, cancel := context.WithCancel(testContext(t))
	cancel()
	err := q.PublishBatch(ctx, []Message{{Subject: "steps", DedupID: "a"}, {Subject: "steps", DedupID: "b"}})
	var berr *BatchError
	if !errors.As(err, &berr) || !slices.Equal(berr.Failed, []int{0, 1}) || !errors.Is(err, context.Canceled) {
		t.Fatalf("PublishBatch with a cancelled context: %v; want a BatchError failing 0 and 1 with context.Canceled", err)
	}
}

func TestWorkQueueOneConsumerPerSubject(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		q := open(t, b.options(t))
		ctx := testContext(t)
		consume(t, q, "steps", "execute", func(ctx context.Context, d Delivery) { _ = d.Ack() })
		// Another worker with the same name shares the work.
		consume(t, q, "steps", "execute", func(ctx context.Context, d Delivery) { _ = d.Ack() })
		_, err := q.Consume(ctx, "steps", "other", func(context.Context, Delivery) {})
		if err == nil || !strings.Contains(err.Error(), "give every worker") {
			t.Fatalf("second consumer name on one subject: %v; want an error explaining the work queue", err)
		}
		// A different subject takes its own consumer.
		consume(t, q, "messages", "evaluate", func(ctx context.Context, d Delivery) { _ = d.Ack() })
	})
}

func TestOpenRejectsBadOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"no data dir", Options{Subjects: []string{"a"}}, "DataDir is empty"},
		{"both", Options{URL: "nats://x", DataDir: dir, Subjects: []string{"a"}}, "DataDir is for the embedded server only"},
		{"no subjects", Options{DataDir: dir}, "Subjects is empty"},
		{"wildcard", Options{DataDir: dir, Subjects: []string{"a.>"}}, "wildcard"},
		{"empty token", Options{DataDir: dir, Subjects: []string{"a..b"}}, "empty token"},
		{"duplicate", Options{DataDir: dir, Subjects: []string{"a", "a"}}, "listed twice"},
		{"stream name", Options{DataDir: dir, Stream: "a.b", Subjects: []string{"a"}}, `stream name "a.b" contains '.'`},
		{"replicas", Options{URL: "nats://x", Replicas: 7, Subjects: []string{"a"}}, "Replicas is 7"},
		{"max deliver", Options{DataDir: dir, MaxDeliver: -1, Subjects: []string{"a"}}, "MaxDeliver is -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(t.Context(), tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open: %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestOpenUnreachableServer(t *testing.T) {
	t.Parallel()
	// Port 1 on loopback: nothing listens there.
	_, err := Open(t.Context(), Options{URL: "nats://127.0.0.1:1", Subjects: []string{"a"}})
	if err == nil || !strings.Contains(err.Error(), "nats://127.0.0.1:1") {
		t.Fatalf("Open: %v; want an error naming the URL", err)
	}
}

func TestPublishChecks(t *testing.T) {
	t.Parallel()
	q := open(t, backends[0].options(t))
	ctx := testContext(t)
	if err := q.Publish(ctx, "nope", "id", nil); err == nil || !strings.Contains(err.Error(), `"nope" is not one of`) {
		t.Errorf("Publish on unknown subject: %v", err)
	}
	if err := q.Publish(ctx, "steps", "", nil); err == nil || !strings.Contains(err.Error(), "without a de-duplication id") {
		t.Errorf("Publish without id: %v", err)
	}
	if _, err := q.Consume(ctx, "steps", "bad.name", func(context.Context, Delivery) {}); err == nil || !strings.Contains(err.Error(), `consumer name "bad.name"`) {
		t.Errorf("Consume with a dotted name: %v", err)
	}
	if err := (Delivery{}).Ack(); !errors.Is(err, errNoMessage) {
		t.Errorf("Ack of a zero Delivery: %v", err)
	}
}

func TestDefaultBackoff(t *testing.T) {
	t.Parallel()
	for attempt, want := range map[int]time.Duration{0: time.Second, 1: time.Second, 2: 2 * time.Second, 5: 16 * time.Second, 9: 256 * time.Second, 10: 5 * time.Minute, 1000: 5 * time.Minute} {
		if got := DefaultBackoff(attempt); got != want {
			t.Errorf("DefaultBackoff(%d) = %s; want %s", attempt, got, want)
		}
	}
}

// A backlog drains without pauses: a lost pull request would show as a gap
// of at least two heartbeat intervals (10 s) between deliveries.
func TestBacklogDrainsWithoutStalls(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		const n = 3000
		q := open(t, b.options(t))
		ctx := testContext(t)
		batch := make([]Message, n)
		for i := range batch {
			batch[i] = Message{Subject: "messages", DedupID: fmt.Sprint(i)}
		}
		if err := q.PublishBatch(ctx, batch); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var count int
		var maxGap time.Duration
		last := time.Now()
		done := make(chan struct{})
		consume(t, q, "messages", "evaluate", func(ctx context.Context, d Delivery) {
			_ = d.Ack()
			mu.Lock()
			defer mu.Unlock()
			now := time.Now()
			maxGap = max(maxGap, now.Sub(last))
			last = now
			if count++; count == n {
				close(done)
			}
		})
		receive(t, ctx, done, "all messages")
		mu.Lock()
		defer mu.Unlock()
		if maxGap > 5*time.Second {
			t.Errorf("longest pause between deliveries %s; want no stall", maxGap)
		}
	})
}

// Without OnExhausted the server gives up after MaxDeliver, announces it
// with an advisory, and the message stays in the work queue.
func TestExhaustedWithoutHookStaysInStream(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		o := b.options(t)
		o.MaxDeliver = 2
		q := open(t, o)
		ctx := testContext(t)
		advisories, err := q.nc.SubscribeSync("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + o.Stream + ".execute")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = advisories.Unsubscribe() }()
		publishN(t, q, "steps", 1)
		attempts := make(chan int, 10)
		consume(t, q, "steps", "execute", func(ctx context.Context, d Delivery) {
			attempts <- d.Attempt // before the Nak, or the redelivery's handler may report first
			_ = d.Nak(0)
		})
		if _, err := advisories.NextMsgWithContext(ctx); err != nil {
			t.Fatalf("waiting for the max-deliveries advisory: %v", err)
		}
		if n := depth(t, q, "steps"); n != 1 {
			t.Errorf("Depth = %d; want 1: the given-up message stays", n)
		}
		seen := []int{receive(t, ctx, attempts, "attempt"), receive(t, ctx, attempts, "attempt")}
		if !slices.Equal(seen, []int{1, 2}) {
			t.Errorf("attempts %v; want [1 2]", seen)
		}
		select {
		case a := <-attempts:
			t.Errorf("attempt %d after the server gave up", a)
		default:
		}
	})
}

// Reopening with other options updates the stream and the consumer.
func TestReopenUpdatesConfiguration(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		o := b.options(t)
		q, err := Open(testContext(t), o)
		if err != nil {
			t.Fatal(err)
		}
		stop, err := q.Consume(testContext(t), "steps", "execute", func(ctx context.Context, d Delivery) { _ = d.Ack() })
		if err != nil {
			t.Fatal(err)
		}
		stop()
		if err := q.Close(); err != nil {
			t.Fatal(err)
		}

		o.Subjects = append(o.Subjects, "outbox")
		o.AckWait = 30 * time.Second
		o.DuplicateWindow = time.Minute
		q = open(t, o)
		ctx := testContext(t)
		if err := q.Publish(ctx, "outbox", "x", nil); err != nil {
			t.Fatalf("Publish on the added subject: %v", err)
		}
		info, err := q.stream.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.Config.Duplicates != time.Minute || len(info.Config.Subjects) != 3 {
			t.Errorf("stream duplicates %s subjects %v; want 1m and 3 subjects", info.Config.Duplicates, info.Config.Subjects)
		}
		consume(t, q, "steps", "execute", func(ctx context.Context, d Delivery) { _ = d.Ack() },
			OnExhausted(func(context.Context, Delivery) error { return nil }))
		ci := consumerInfo(t, q, "execute")
		if ci.Config.AckWait != 30*time.Second || ci.Config.MaxDeliver != -1 {
			t.Errorf("consumer AckWait %s MaxDeliver %d; want 30s and -1 (counted by the queue)", ci.Config.AckWait, ci.Config.MaxDeliver)
		}
	})
}
