// Package hub runs the service: it starts the configured plugins, takes
// messages in (polls and webhooks), stores them, and moves work between
// stored facts through the queue — messages to evaluate, steps to execute —
// with the engine deciding and the plugins sending.
//
// Every hand-off follows the delivery invariants: the store first, then the
// queue through the outbox; consumers are idempotent; a send is recorded as
// attempted before the connector is called and done after; a step found
// attempted after a crash is looked up before it is sent again.
package hub
