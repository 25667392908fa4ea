package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrClosed is returned by a Queue after Close.
var ErrClosed = errors.New("queue: closed")

const (
	// asyncMaxPending bounds the publishes PublishBatch keeps in flight.
	asyncMaxPending = 4096
	// apiTimeout bounds a JetStream API call or ack when the caller's
	// context has no deadline.
	apiTimeout = 10 * time.Second
)

// Queue is a JetStream stream with its connection, and the embedded server
// when there is one. It is safe for concurrent use.
type Queue struct {
	opts   Options
	log    hclog.Logger
	prefix string // lower-case stream name, the subjects' first token
	ns     *server.Server
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	// streamConfig is the stream's configuration, to create it again with
	// when the server loses it; streamGone is when it was first found gone.
	streamConfig jetstream.StreamConfig
	streamGone   atomic.Pointer[time.Time]

	mu        sync.Mutex
	closed    bool
	consumers map[*consumer]struct{}
}

// Open connects to the server named by o.URL, or starts the embedded one,
// and creates or updates the stream. The stream's configuration follows o
// on every Open, so a restart applies changed options.
func Open(ctx context.Context, o Options) (*Queue, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	q := &Queue{
		opts:      o,
		log:       o.Logger.Named("queue"),
		prefix:    strings.ToLower(o.Stream),
		consumers: map[*consumer]struct{}{},
	}
	ok := false
	defer func() {
		if !ok {
			q.shutdown()
		}
	}()

	name := nats.Name("switchboard")
	if o.URL == "" {
		ns, err := startEmbedded(o)
		if err != nil {
			return nil, err
		}
		q.ns = ns
		nc, err := nats.Connect("", nats.InProcessServer(ns), name)
		if err != nil {
			return nil, fmt.Errorf("queue: connecting to the embedded nats-server: %w", err)
		}
		q.nc = nc
	} else {
		copts := append([]nats.Option{
			name,
			nats.MaxReconnects(-1), // a hub outlives server restarts
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
				if err != nil {
					q.log.Warn("disconnected from NATS", "error", err)
				}
			}),
			nats.ReconnectHandler(func(nc *nats.Conn) {
				q.log.Info("reconnected to NATS", "url", nc.ConnectedUrlRedacted())
			}),
		}, o.ConnectOptions...)
		nc, err := nats.Connect(o.URL, copts...)
		if err != nil {
			return nil, fmt.Errorf("queue: connecting to NATS at %s: %w; check that the server runs and the URL is right", o.URL, err)
		}
		q.nc = nc
	}

	js, err := jetstream.New(q.nc,
		jetstream.WithPublishAsyncMaxPending(asyncMaxPending),
		jetstream.WithPublishAsyncTimeout(apiTimeout),
		jetstream.WithDefaultTimeout(apiTimeout),
	)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	q.js = js

	subjects := make([]string, len(o.Subjects))
	for i, s := range o.Subjects {
		subjects[i] = q.subject(s)
	}
	cfg := jetstream.StreamConfig{
		Name:        o.Stream,
		Description: "Switchboard work queue: ids of stored facts to process",
		Subjects:    subjects,
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    o.Replicas,
		Duplicates:  o.DuplicateWindow,
		MaxMsgs:     -1,
		MaxBytes:    -1,
		MaxAge:      0, // work leaves the stream when it is done, never by age
		Discard:     jetstream.DiscardOld,
	}
	stream, err := js.CreateOrUpdateStream(ctx, cfg)
	if err != nil {
		if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
			return nil, fmt.Errorf("queue: NATS at %s has no JetStream: %w; start nats-server with -js", o.URL, err)
		}
		return nil, fmt.Errorf("queue: creating or updating stream %q with subjects %v: %w", o.Stream, subjects, err)
	}
	q.stream, q.streamConfig = stream, cfg
	ok = true
	return q, nil
}

// subject maps a logical subject to the stream's NATS subject.
func (q *Queue) subject(logical string) string { return q.prefix + "." + logical }

func (q *Queue) checkLogical(subject string) error {
	if !slices.Contains(q.opts.Subjects, subject) {
		return fmt.Errorf("queue: subject %q is not one of the stream's subjects %v; add it to Options.Subjects", subject, q.opts.Subjects)
	}
	return nil
}

func (q *Queue) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

// Message is one publish of a batch.
type Message struct {
	Subject string // logical subject, one of Options.Subjects
	DedupID string // Nats-Msg-Id: a second publish within DuplicateWindow is dropped
	Data    []byte
}

// Publish stores payload on subject and returns once JetStream has it. A
// publish whose dedupID JetStream saw within DuplicateWindow is accepted and
// dropped. An error means the queue may or may not have it: publish again
// with the same dedupID.
func (q *Queue) Publish(ctx context.Context, subject, dedupID string, payload []byte) error {
	if err := q.checkPublish(subject, dedupID); err != nil {
		return err
	}
	publish := func() error {
		_, err := q.js.Publish(ctx, q.subject(subject), payload,
			jetstream.WithMsgID(dedupID),
			jetstream.WithExpectStream(q.opts.Stream))
		return err
	}
	err := publish()
	if errors.Is(err, jetstream.ErrNoStreamResponse) && q.restoreLost(ctx) {
		err = publish()
	}
	if err != nil {
		return fmt.Errorf("queue: publishing %q on %q: %w", dedupID, subject, err)
	}
	return nil
}

func (q *Queue) checkPublish(subject, dedupID string) error {
	if q.isClosed() {
		return ErrClosed
	}
	if err := q.checkLogical(subject); err != nil {
		return err
	}
	if dedupID == "" {
		return fmt.Errorf("queue: publishing on %q without a de-duplication id; pass the id of the stored fact", subject)
	}
	return nil
}

// BatchError reports which messages of a PublishBatch failed. The others are
// on the queue.
type BatchError struct {
	Failed []int   // indexes into the batch, ascending
	Errs   []error // Errs[i] is why Failed[i] failed
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("queue: %d of the batch's messages failed to publish, first: %v", len(e.Failed), e.Errs[0])
}

func (e *BatchError) Unwrap() []error { return e.Errs }

// PublishBatch publishes msgs pipelined, without waiting for each ack before
// sending the next, and returns once JetStream acked every one of them. On
// failure the error is a *BatchError naming the messages to publish again
// (publishing the whole batch again is also safe: ids de-duplicate).
func (q *Queue) PublishBatch(ctx context.Context, msgs []Message) error {
	for i, m := range msgs {
		if err := q.checkPublish(m.Subject, m.DedupID); err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
	}
	futures := make([]jetstream.PubAckFuture, len(msgs))
	berr := &BatchError{}
	fail := func(i int, err error) {
		berr.Failed = append(berr.Failed, i)
		berr.Errs = append(berr.Errs, fmt.Errorf("publishing %q on %q: %w", msgs[i].DedupID, msgs[i].Subject, err))
	}
	// A batch larger than the window of publishes in flight waits for
	// acks to free it, as long as an ack may take: the window is back
	// pressure, not a failure (nats.go's default wait, 200 ms, failed
	// 10,000-message batches on a slow machine).
	stall := apiTimeout
	if dl, ok := ctx.Deadline(); ok {
		stall = max(min(stall, time.Until(dl)), time.Millisecond)
	}
	for i, m := range msgs {
		if ctx.Err() != nil {
			fail(i, ctx.Err())
			continue
		}
		f, err := q.js.PublishMsgAsync(&nats.Msg{Subject: q.subject(m.Subject), Data: m.Data},
			jetstream.WithMsgID(m.DedupID),
			jetstream.WithExpectStream(q.opts.Stream),
			jetstream.WithStallWait(stall))
		if err != nil {
			fail(i, err)
			continue
		}
		futures[i] = f
	}
	for i, f := range futures {
		if f == nil {
			continue
		}
		select {
		case <-f.Ok():
		case err := <-f.Err():
			fail(i, err)
		case <-ctx.Done():
			fail(i, ctx.Err())
		}
	}
	if len(berr.Failed) == 0 {
		return nil
	}
	for _, err := range berr.Errs {
		if errors.Is(err, jetstream.ErrNoStreamResponse) {
			q.restoreLost(ctx) // for the publish again that the error asks for
			break
		}
	}
	slices.Sort(berr.Failed) // already ascending but for clarity of the contract
	return berr
}

// Depth is the number of messages on subject that are not yet acked or
// terminated: waiting, in flight, and (without OnExhausted) given up after
// MaxDeliver.
func (q *Queue) Depth(ctx context.Context, subject string) (int, error) {
	if q.isClosed() {
		return 0, ErrClosed
	}
	if err := q.checkLogical(subject); err != nil {
		return 0, err
	}
	full := q.subject(subject)
	info, err := q.stream.Info(ctx, jetstream.WithSubjectFilter(full))
	if err != nil {
		return 0, fmt.Errorf("queue: depth of %q: %w", subject, err)
	}
	return int(info.State.Subjects[full]), nil
}

// Ready reports whether the queue is open and connected.
func (q *Queue) Ready() bool {
	if q.isClosed() {
		return false
	}
	if q.ns != nil && !q.ns.Running() {
		return false
	}
	return q.nc.IsConnected()
}

// Close stops every consumer (each waits for its running handlers: cancel
// the contexts given to Consume first to make them give up), closes the
// connection and shuts the embedded server down, flushing its store.
func (q *Queue) Close() error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	cs := make([]*consumer, 0, len(q.consumers))
	for c := range q.consumers {
		cs = append(cs, c)
	}
	q.mu.Unlock()

	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Go(c.stop)
	}
	wg.Wait()
	q.shutdown()
	return nil
}

func (q *Queue) shutdown() {
	if q.nc != nil && q.nc.IsConnected() {
		// Sends whatever acks are still buffered before closing.
		if err := q.nc.FlushTimeout(apiTimeout); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			q.log.Debug("flushing before close", "error", err)
		}
	}
	if q.nc != nil {
		q.nc.Close()
	}
	if q.ns != nil {
		q.ns.Shutdown()
		q.ns.WaitForShutdown()
	}
}
