package queue

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/nats-io/nats.go/jetstream"
)

// Pull requests wait up to fetchWait for messages. It bounds how long a
// graceful stop waits for the pull in flight, which it lets finish so that
// no message the server sends is dropped; a second keeps a stopping hub
// quick, for one idle pull a second per consumer. fetchRetry spaces
// attempts after a failed pull (server gone, reconnecting).
const (
	fetchWait  = time.Second
	fetchRetry = time.Second
)

// maxNodes is how many nodes' prefetch a consumer has room for.
const maxNodes = 16

// Handler processes one delivery. It runs concurrently with other handlers
// of the same consumer, and must settle d (Ack, Nak or Term); returning
// without settling Naks d with Options.Backoff. ctx is the one given to
// Consume: when it is cancelled, finish or give up quickly without acking.
type Handler func(ctx context.Context, d Delivery)

// ExhaustedFunc dead-letters a delivery that has used up MaxDeliver
// attempts, typically by recording it in the store. On nil the message is
// terminated; on error it is tried again after Options.Backoff, so a dead
// letter is never dropped. It must be idempotent: a crash between it and
// the termination calls it again.
type ExhaustedFunc func(ctx context.Context, d Delivery) error

// ConsumeOption configures one consumer.
type ConsumeOption func(*consumeConfig)

type consumeConfig struct {
	concurrency    int
	exhausted      ExhaustedFunc
	keepInProgress bool
}

// WithConcurrency sets how many handlers run at once; default
// Options.Concurrency.
func WithConcurrency(n int) ConsumeOption {
	return func(c *consumeConfig) { c.concurrency = n }
}

// OnExhausted hands every delivery past Options.MaxDeliver to f instead of
// the handler. The queue then counts attempts itself and the server never
// gives up on a message, so one whose handler hung or crashed on its last
// attempt reaches f too. Without OnExhausted, the server stops after
// MaxDeliver deliveries and the message stays in the stream (counted by
// Depth) unless the handler terminated it on its Final attempt.
func OnExhausted(f ExhaustedFunc) ConsumeOption {
	return func(c *consumeConfig) { c.exhausted = f }
}

// KeepInProgress tells the server, every third of Options.AckWait while a
// handler runs, that it is still at work (Delivery.InProgress), so that a
// live worker's slow handler keeps its message: only a worker that died, or
// whose connection did, loses it after AckWait. For handlers whose every
// wait has a deadline of its own; a handler that hangs keeps its message
// until its process ends.
func KeepInProgress() ConsumeOption {
	return func(c *consumeConfig) { c.keepInProgress = true }
}

type consumer struct {
	q       *Queue
	jc      jetstream.Consumer
	config  jetstream.ConsumerConfig // to create it again with (restore)
	subject string
	name    string
	handler Handler
	cfg     consumeConfig
	ctx     context.Context // the handlers' context: Consume's
	log     hclog.Logger

	// credits holds a token for every message pulled and not yet handled,
	// or reserved by the pull in flight: twice the concurrency, so the next
	// messages are on hand when a handler finishes. slots holds a token for
	// every running handler.
	credits  chan struct{}
	slots    chan struct{}
	handlers sync.WaitGroup

	stopping chan struct{} // closed to stop pulling after the pull in flight
	pulled   chan struct{} // closed when the pull loop has returned

	once sync.Once
	done chan struct{}
}

// Consume runs handler for the messages on subject through the durable pull
// consumer named consumer, creating or updating it. Every worker, on every
// node, that should share the subject's work uses the same consumer name:
// the stream's work-queue retention allows one consumer per subject.
//
// stop is graceful: it stops pulling once the pull in flight is over (1 s at
// most), lets the handlers finish every message pulled and returns when they
// have. Cancelling ctx stops at once instead: the handlers' context is
// cancelled, messages not yet handled are given back, and any the server
// was sending at that instant come back after AckWait. Close stops every
// consumer gracefully.
func (q *Queue) Consume(ctx context.Context, subject, consumerName string, handler Handler, opts ...ConsumeOption) (stop func(), err error) {
	if q.isClosed() {
		return nil, ErrClosed
	}
	if err := q.checkLogical(subject); err != nil {
		return nil, err
	}
	if err := checkName("consumer", consumerName); err != nil {
		return nil, err
	}
	if handler == nil {
		return nil, fmt.Errorf("queue: consumer %q on %q has a nil handler", consumerName, subject)
	}
	cc := consumeConfig{concurrency: q.opts.Concurrency}
	for _, o := range opts {
		o(&cc)
	}
	if cc.concurrency < 1 {
		return nil, fmt.Errorf("queue: consumer %q on %q: concurrency is %d; it must be at least 1", consumerName, subject, cc.concurrency)
	}

	maxDeliver := q.opts.MaxDeliver
	if cc.exhausted != nil {
		maxDeliver = -1 // counted here, see OnExhausted
	}
	config := jetstream.ConsumerConfig{
		Durable:       consumerName,
		Description:   "Switchboard workers for " + subject,
		FilterSubject: q.subject(subject),
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       q.opts.AckWait,
		MaxDeliver:    maxDeliver,
		// Room for the prefetch (twice the handlers) of many nodes: the
		// limit is the consumer's, shared by every node, and one whose
		// handlers wait on a hung vendor keeps its prefetched messages in
		// progress. With room for one node only, it would leave the others
		// idle until its calls end.
		MaxAckPending: maxNodes * 2 * cc.concurrency,
	}
	jc, err := q.js.CreateOrUpdateConsumer(ctx, q.opts.Stream, config)
	if err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && (apiErr.ErrorCode == 10100 || apiErr.ErrorCode == 10099) {
			return nil, fmt.Errorf("queue: consumer %q on %q: %w; the stream %q is a work queue with one consumer per subject: give every worker of %q the same consumer name", consumerName, subject, err, q.opts.Stream, subject)
		}
		return nil, fmt.Errorf("queue: creating consumer %q on %q: %w", consumerName, subject, err)
	}

	c := &consumer{
		q:        q,
		jc:       jc,
		config:   config,
		subject:  subject,
		name:     consumerName,
		handler:  handler,
		cfg:      cc,
		ctx:      ctx,
		log:      q.log.With("subject", subject, "consumer", consumerName),
		credits:  make(chan struct{}, 2*cc.concurrency),
		slots:    make(chan struct{}, cc.concurrency),
		stopping: make(chan struct{}),
		pulled:   make(chan struct{}),
		done:     make(chan struct{}),
	}
	go c.pull()

	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		c.stop()
		return nil, ErrClosed
	}
	q.consumers[c] = struct{}{}
	q.mu.Unlock()
	unwatch := context.AfterFunc(ctx, c.stop)
	return func() {
		unwatch()
		c.stop()
	}, nil
}

// pull fetches as many messages as there are credits, hands each to a
// handler goroutine and fetches again, until stop or the end of ctx.
//
// It pulls with explicit Fetch requests rather than jetstream's Consume:
// Consume's client-side accounting of outstanding pulls can race with fast
// deliveries and stall until its heartbeat check fires (seen here as 30 s
// pauses under load), while a Fetch loop holds exactly one pull request at
// a time. On stop, and at the end of ctx, the request in flight runs to its
// end (fetchWait, and a second more at most) and what it brings is
// handled: cancelling it would leave the request registered at the server
// until it expires, and whatever the server sent to it meanwhile would wait
// for AckWait.
func (c *consumer) pull() {
	defer close(c.pulled)
	for {
		// Take at least one credit, then every one that is free.
		select {
		case c.credits <- struct{}{}:
		case <-c.stopping:
			return
		case <-c.ctx.Done():
			return
		}
		reserved := 1
	more:
		for reserved < cap(c.credits) {
			select {
			case c.credits <- struct{}{}:
				reserved++
			default:
				break more
			}
		}

		// The request's expiry, not a context: the client then waits for the
		// server's end of the request (or a second past its expiry), so that
		// a message the server sent at the last moment is still taken,
		// however long the way to the server. With a context the client
		// stops listening a tenth before the expiry, and a message sent
		// after that, over a slow link, would be dropped and wait AckWait.
		batch, err := c.jc.Fetch(reserved, jetstream.FetchMaxWait(fetchWait))
		if err == nil {
			for m := range batch.Messages() {
				reserved--
				c.handlers.Add(1)
				go c.run(m)
			}
			err = batch.Error()
		}
		for range reserved {
			<-c.credits
		}
		select {
		case <-c.stopping:
			return
		case <-c.ctx.Done():
			return
		default:
		}
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			continue
		}
		c.log.Warn("pulling messages failed; retrying", "error", err, "retry_in", fetchRetry)
		if consumerGone(err) && c.q.nc.IsConnected() {
			c.restore()
		}
		select {
		case <-time.After(fetchRetry):
		case <-c.stopping:
			return
		case <-c.ctx.Done():
			return
		}
	}
}

// run handles a pulled message once a handler slot is free.
func (c *consumer) run(m jetstream.Msg) {
	defer c.handlers.Done()
	defer func() { <-c.credits }()
	// Kept in progress from the pull on: a message pulled may wait for a
	// free handler as long as the handlers before it run.
	quiet := func() {}
	if c.cfg.keepInProgress {
		quiet = keepInProgress(func() { _ = m.InProgress() }, c.q.opts.AckWait/3)
		defer quiet()
	}
	c.slots <- struct{}{}
	defer func() { <-c.slots }()
	c.handle(m, quiet)
}

// handle hands m to the handler; quiet stops keeping it in progress, and
// is called before it is settled, so that no late "in progress" undoes a
// delayed Nak.
func (c *consumer) handle(m jetstream.Msg, quiet func()) {
	md, err := m.Metadata()
	if err != nil {
		// Not a JetStream delivery: cannot happen on a pull consumer.
		c.log.Error("delivery without metadata, terminating it", "error", err)
		quiet()
		_ = m.Term()
		return
	}
	d := Delivery{
		Subject:    c.subject,
		Consumer:   c.name,
		DedupID:    m.Headers().Get(jetstream.MsgIDHeader),
		Data:       m.Data(),
		Attempt:    int(md.NumDelivered),
		MaxDeliver: c.q.opts.MaxDeliver,
		Sequence:   md.Sequence.Stream,
		Published:  md.Timestamp,
		msg:        m,
		state:      &deliveryState{quiet: quiet},
	}
	if c.ctx.Err() != nil {
		quiet()
		_ = m.Nak()
		return
	}
	if c.cfg.exhausted != nil && d.Attempt > d.MaxDeliver {
		c.deadLetter(d)
		return
	}
	if !c.call(d) {
		return
	}
	if !d.settled() {
		delay := c.q.opts.Backoff(d.Attempt)
		if c.ctx.Err() != nil {
			delay = 0 // interrupted by shutdown, not failed: another worker may take it now
		}
		if err := d.Nak(delay); err != nil {
			c.log.Warn("nak after unsettled handler", "seq", d.Sequence, "error", err)
		}
	}
}

// call calls the handler, turning a panic into a logged retry. It reports
// whether the handler returned normally.
func (c *consumer) call(d Delivery) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("handler panicked; retrying after backoff", "seq", d.Sequence, "attempt", d.Attempt, "panic", r, "stack", string(debug.Stack()))
			if !d.settled() {
				_ = d.Nak(c.q.opts.Backoff(d.Attempt))
			}
		}
	}()
	c.handler(c.ctx, d)
	return true
}

func (c *consumer) deadLetter(d Delivery) {
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("OnExhausted panicked: %v\n%s", r, debug.Stack())
			}
		}()
		return c.cfg.exhausted(c.ctx, d)
	}()
	if err != nil {
		delay := c.q.opts.Backoff(d.Attempt)
		if c.ctx.Err() != nil {
			delay = 0 // interrupted by shutdown, not failed: the next start takes it at once
		}
		c.log.Error("dead-lettering failed; retrying", "seq", d.Sequence, "attempt", d.Attempt, "retry_in", delay, "error", err)
		_ = d.Nak(delay)
		return
	}
	if err := d.Term(); err != nil {
		c.log.Warn("terminating dead-lettered message", "seq", d.Sequence, "error", err)
	}
}

// stop ends pulling once the pull in flight is over and waits for the
// handlers of every message pulled. Safe to call more than once and
// concurrently.
func (c *consumer) stop() {
	c.once.Do(func() {
		defer close(c.done)
		close(c.stopping)
		<-c.pulled
		c.handlers.Wait()
		c.q.mu.Lock()
		delete(c.q.consumers, c)
		c.q.mu.Unlock()
	})
	<-c.done
}

// keepInProgress calls inProgress every interval until stop is called;
// once stop has returned, it calls it no more.
func keepInProgress(inProgress func(), every time.Duration) (stop func()) {
	var (
		mu      sync.Mutex
		stopped bool
		t       *time.Timer
	)
	mu.Lock()
	defer mu.Unlock()
	t = time.AfterFunc(every, func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		inProgress()
		t.Reset(every)
	})
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		t.Stop()
	}
}
