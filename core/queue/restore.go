package queue

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// A server may lose the stream or a consumer while the hub runs: an
// operator deleted it, or an external server came back without its store
// (a wiped disk, memory storage). Open and Consume created them; until they
// exist again, every publish finds no stream to answer it and every pull
// finds no consumer, so the queue creates them again as it finds them gone.
// What the lost stream held is not lost: the store has it, and hands it to
// the queue again once it has waited too long.

// restoreStream creates the stream again, with the configuration Open gave
// it, when the server no longer has it. Nodes that find it gone at the same
// time all create it; the server keeps one.
func (q *Queue) restoreStream(ctx context.Context) error {
	ctx, cancel := withAPITimeout(ctx)
	defer cancel()
	_, err := q.js.Stream(ctx, q.opts.Stream)
	if !errors.Is(err, jetstream.ErrStreamNotFound) {
		return err // there, or the server could not say
	}
	q.log.Warn("the stream is gone from the server (deleted, or the server lost its store); creating it again: the store hands its lost work to the queue again",
		"stream", q.opts.Stream)
	if _, err := q.js.CreateOrUpdateStream(ctx, q.streamConfig); err != nil {
		return fmt.Errorf("queue: creating stream %q again: %w", q.opts.Stream, err)
	}
	return nil
}

// restore creates the consumer again, and its stream first, when the
// server no longer has them. It is called after a failed pull, whatever
// the error said: a pull for a consumer that is gone fails as one to a
// server that is gone does, and asking the server tells them apart.
func (c *consumer) restore() error {
	ctx, cancel := withAPITimeout(c.ctx)
	defer cancel()
	_, err := c.jc.Info(ctx)
	if !errors.Is(err, jetstream.ErrConsumerNotFound) && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return err // there, or the server could not say
	}
	if err := c.q.restoreStream(ctx); err != nil {
		return err
	}
	c.log.Warn("the consumer is gone from the server; creating it again")
	jc, err := c.q.js.CreateOrUpdateConsumer(ctx, c.q.opts.Stream, c.config)
	if err != nil {
		return fmt.Errorf("queue: creating consumer %q on %q again: %w", c.name, c.subject, err)
	}
	c.jc = jc
	return nil
}

// withAPITimeout bounds a JetStream API call by apiTimeout when ctx has no
// deadline of its own.
func withAPITimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, apiTimeout)
}
