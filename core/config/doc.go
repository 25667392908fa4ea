// Package config reads a Switchboard configuration directory: every *.hcl
// file in it (except *.test.hcl, which are tests) is parsed and the blocks
// merged. Decoding runs in phases — locals and hub settings, plugins,
// schedules and templates, connector and action bodies with specs built from
// each plugin's schema, then workflows — and reports every problem at once
// as HCL diagnostics with file:line:col, never stopping at the first.
//
// Expressions that depend on a message (conditions, templates, step
// arguments) are kept as compiled HCL expressions and type-checked here
// against unknown values of the runtime types, so a misspelled
// `message.txt` is reported at validate time with a suggestion, and the
// engine evaluates them later without parsing anything again.
package config
