// Package workflowtest runs the *.test.hcl files beside a configuration:
// conversations played against its workflows with a virtual clock, and
// expectations about what was sent, when, and what was not.
//
//	test "after hours reply" {
//	  start = "2026-11-20T19:00:00+01:00"
//	  receive {
//	    connector = "allegro"
//	    channel   = "discussions"
//	    thread    = "t1"
//	    from      = "buyer-1"
//	    text      = "Where is my parcel?"
//	  }
//	  expect_sent {
//	    thread   = "t1"
//	    at       = "10m"
//	    contains = "Dziękujemy"
//	  }
//	}
//
// A test runs the same engine as `switchboard serve`, with in-memory state:
// messages and agent replies happen at offsets from start, planned steps
// fall due in virtual time, and the test ends when every step has resolved
// or the horizon (30 days by default) has passed. Ids are deterministic.
package workflowtest
