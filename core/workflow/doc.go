// Package workflow is the engine that runs workflows over messages. It does
// no I/O and reads time only from its arguments, in two halves that
// `switchboard test` and `switchboard serve` share:
//
//  1. Evaluate, when a message arrives: (message, thread, contact, clock) →
//     the steps to run with their due times, and an explanation that says
//     for every workflow whether it fired and, if not, the first thing that
//     stopped it.
//  2. Resolve, when a step falls due: (step, thread now, clock) → send, act,
//     skip with a reason, or wait. Every send-time recheck lives here, once:
//     unless_answered, the loop guard, the channel's minimum delay and
//     customer-service window, and — through Claims, which a store makes
//     atomic — the per-thread reply window and the circuit breaker.
//
// Configuration is compiled once by package config; evaluation never
// parses.
package workflow
