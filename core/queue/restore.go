package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A server may lose the stream or a consumer while the hub runs: an
// operator deleted it, or an external server came back without its store
// (a wiped disk, memory storage). Open and Consume created them; until they
// exist again, every publish finds no stream to answer it and every pull
// finds no consumer, so the queue creates them again as it finds them gone.
// What the lost stream held is not lost: the store has it, and hands it to
// the queue again once it has waited too long.
//
// It only creates: a stream or consumer that exists, whatever its
// configuration, is left as it is, so that nodes that find one gone at the
// same time do not overwrite each other's, and an operator's changes stand.

// restoreTimeout bounds the API calls of one restore.
const restoreTimeout = 5 * time.Second

// restoreAfter is how long the stream must have been gone before it is
// created again. The server removes a deleted stream's files after it has
// answered the deletion; a stream of the same name created meanwhile has
// its files removed under it, fails every write ("error opening msg block
// file") and leaves publishes unanswered. Seen on nats-server 2.9 and 2.15.
const restoreAfter = 3 * time.Second

// errNotYet: the stream has not been gone for restoreAfter yet.
var errNotYet = errors.New("the stream has been gone for less than " + restoreAfter.String() + "; it is created again after that")

// restoreStream creates the stream again, with the configuration Open gave
// it, when the server has not had it for restoreAfter.
func (q *Queue) restoreStream(ctx context.Context) error {
	_, err := q.js.Stream(ctx, q.opts.Stream)
	if !errors.Is(err, jetstream.ErrStreamNotFound) {
		if err != nil {
			return fmt.Errorf("queue: asking for stream %q: %w", q.opts.Stream, err)
		}
		q.streamGone.Store(nil)
		return nil
	}
	now := time.Now()
	q.streamGone.CompareAndSwap(nil, &now)
	if since := q.streamGone.Load(); since != nil && time.Since(*since) < restoreAfter {
		return fmt.Errorf("queue: stream %q: %w", q.opts.Stream, errNotYet)
	}
	q.log.Warn("the stream is gone from the server (deleted, or the server lost its store); creating it again: the store hands its lost work to the queue again",
		"stream", q.opts.Stream)
	_, err = q.js.CreateStream(ctx, q.streamConfig)
	if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) { // another node was first
		return fmt.Errorf("queue: creating stream %q again: %w", q.opts.Stream, err)
	}
	q.streamGone.Store(nil)
	return nil
}

// restoreLost creates the stream again when a publish found none to answer
// it and the server no longer has it. It reports whether the stream is
// there now, to publish again.
func (q *Queue) restoreLost(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, restoreTimeout)
	defer cancel()
	if err := q.restoreStream(ctx); err != nil {
		if !errors.Is(err, errNotYet) {
			q.log.Warn("restoring the stream after a publish had no answer failed", "error", err)
		}
		return false
	}
	return true
}

// consumerGone tells the errors of a pull for a consumer the server does
// not have: no consumer answers its requests, or it was deleted during
// the pull.
func consumerGone(err error) bool {
	return errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrConsumerDeleted)
}

// restore creates the consumer again, and its stream first, when the
// server no longer has them. It stops early when the consumer stops.
func (c *consumer) restore() {
	ctx, cancel := context.WithTimeout(c.ctx, restoreTimeout)
	defer cancel()
	go func() {
		select {
		case <-c.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	_, err := c.jc.Info(ctx)
	if !errors.Is(err, jetstream.ErrConsumerNotFound) && !errors.Is(err, jetstream.ErrStreamNotFound) {
		if err != nil {
			c.log.Debug("could not ask the server whether the consumer is still there", "error", err)
		}
		return
	}
	if err := c.q.restoreStream(ctx); err != nil {
		if !errors.Is(err, errNotYet) {
			c.log.Warn("restoring the stream failed", "error", err)
		}
		return
	}
	c.log.Warn("the consumer is gone from the server; creating it again")
	jc, err := c.q.js.CreateConsumer(ctx, c.q.opts.Stream, c.config)
	if errors.Is(err, jetstream.ErrConsumerExists) { // another node was first
		jc, err = c.q.js.Consumer(ctx, c.q.opts.Stream, c.name)
	}
	if err != nil {
		c.log.Warn("creating the consumer again failed", "error", err)
		return
	}
	c.jc = jc
}
