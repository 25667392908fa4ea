package queue

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Delivery is one delivery of a message to a handler. The handler settles it
// with Ack, Nak or Term; until then JetStream redelivers it after AckWait.
type Delivery struct {
	Subject    string    // logical subject, as published
	Consumer   string    // durable consumer name
	DedupID    string    // the publish's de-duplication id
	Data       []byte    // the payload; the handler may keep it
	Attempt    int       // 1 on first delivery, counted by JetStream across workers and restarts
	MaxDeliver int       // Options.MaxDeliver
	Sequence   uint64    // stream sequence: the message's identity within the stream
	Published  time.Time // when the stream stored the message

	msg   jetstream.Msg
	state *deliveryState
}

type deliveryState struct {
	settled atomic.Bool
	quiet   func() // stops keeping the delivery in progress (KeepInProgress)
}

// settle marks the delivery settled, and keeps it in progress no more.
func (s *deliveryState) settle() {
	s.settled.Store(true)
	if s.quiet != nil {
		s.quiet()
	}
}

var errNoMessage = errors.New("queue: delivery has no message; only deliveries made by Consume can be settled")

// Final reports whether this is the last attempt a handler will see: a
// handler that cannot succeed now should dead-letter in the store and Term.
func (d Delivery) Final() bool { return d.Attempt >= d.MaxDeliver }

// Ack marks the message done, removing it from the stream. It waits for the
// server to confirm, so that a nil error means no redelivery.
func (d Delivery) Ack() error {
	if d.msg == nil {
		return errNoMessage
	}
	d.state.settle()
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	return d.msg.DoubleAck(ctx)
}

// Nak asks for redelivery after delay (zero: as soon as possible). Use a
// growing delay (Options.Backoff) for retries.
func (d Delivery) Nak(delay time.Duration) error {
	if d.msg == nil {
		return errNoMessage
	}
	d.state.settle()
	if delay <= 0 {
		return d.msg.Nak()
	}
	return d.msg.NakWithDelay(delay)
}

// Term gives up on the message for good: it is never delivered again and
// leaves the stream. Dead-letter it in the store first.
func (d Delivery) Term() error {
	if d.msg == nil {
		return errNoMessage
	}
	d.state.settle()
	return d.msg.Term()
}

// InProgress tells the server the handler is still working, restarting the
// AckWait timer. Call it periodically from handlers that may run long.
func (d Delivery) InProgress() error {
	if d.msg == nil {
		return errNoMessage
	}
	return d.msg.InProgress()
}

func (d Delivery) settled() bool { return d.state != nil && d.state.settled.Load() }
