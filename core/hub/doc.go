// Package hub runs the service: it starts the configured plugins, takes
// messages in (polls and webhooks), stores them, and moves work between
// stored facts through the queue — messages to evaluate, steps that fell
// due later to execute — with the engine deciding and the plugins sending.
// Steps due at once run on the worker that planned them: the store begins
// them in the plan's transaction.
//
// Every hand-off follows the delivery invariants: the store first, then the
// queue through the outbox; consumers are idempotent; a send is recorded as
// attempted before the connector is called and done after; a step found
// attempted after a crash (the scheduler requeues it once its lease has run
// out) is looked up before it is sent again.
package hub
