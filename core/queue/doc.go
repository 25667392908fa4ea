// Package queue carries work between stored facts over NATS JetStream.
//
// The SQL store is the source of truth; the queue only carries work: the id
// of a stored message to evaluate, the key of a planned step to execute. What
// goes on the queue is written to the store's outbox first, in the same
// transaction as the fact that caused it, and published until the queue has
// acknowledged it (Publish and PublishBatch return only after JetStream's
// ack). Losing a queue would therefore lose no fact, only delay work until
// the outbox publishes it again.
//
// By default (Options.URL empty) an embedded nats-server runs in-process with
// file storage under DataDir/jetstream, no port opened and an in-process
// connection; with a URL the same code talks to an external NATS server or
// cluster. The stream is created or updated at Open, so configuration changes
// apply on the next start.
//
// # De-duplication
//
// Each publish carries a de-duplication id (Nats-Msg-Id), for example
// connector/account/external_id. JetStream drops a second publish of the same
// id within Options.DuplicateWindow (minutes): this absorbs bursts such as an
// outbox republishing after a crash between publish and marking published.
// It is not the lasting de-duplication: a channel may deliver the same
// message again hours later, and only the store's unique key on
// (connector, account, external id) rejects it for good. Consumers must be
// idempotent anyway, because delivery is at least once.
//
// # Delivery
//
// Consumers are durable pull consumers with explicit acks. The stream uses
// work-queue retention: a message is removed once acknowledged (or
// terminated), so the stream holds exactly the work still to do and Depth is
// a meaningful backlog, and nothing is dropped by age or size limits before a
// worker took it. Work-queue retention allows one consumer per subject; every
// worker on every node consumes through that one durable consumer, which is
// how work is shared across a cluster.
//
// A handler settles each Delivery with Ack, Nak (redeliver after a delay, for
// backoff) or Term (poison: never again); a handler that returns without
// settling is Nak'd with Options.Backoff. A delivery that is never settled
// (a hung or killed worker) is redelivered after Options.AckWait, unless
// the consumer keeps its running handlers in progress (KeepInProgress):
// then only a worker that died loses its deliveries. After
// Options.MaxDeliver attempts the queue stops redelivering: a handler sees
// Delivery.Attempt and Delivery.Final to dead-letter in the store before Term,
// and a consumer with an OnExhausted hook hands every delivery past MaxDeliver
// to the hook, whatever happened to the attempts before, so that no message
// is silently dropped.
package queue
