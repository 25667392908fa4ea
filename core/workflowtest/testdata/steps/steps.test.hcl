channel "shop.mail" {}

test "steps run in order, the reply after the wait, in the buyer's language" {
  start = "2026-11-20T20:00:00+01:00"
  receive {
    connector = "shop"
    channel   = "mail"
    thread    = "t1"
    from      = "b1"
    language  = "de"
    text      = "Guten Abend, wann kommt meine Bestellung?"
  }
  expect_sent {
    thread = "t1"
    at     = "1h"
    equals = "Wir sind um 09:00 zurück."
  }
  expect_tags {
    thread = "t1"
    tags   = ["after-hours", "triage"]
  }
  expect_status {
    thread = "t1"
    status = "waiting"
  }
}

test "a person answering during the wait cancels the reply" {
  start = "2026-11-20T20:00:00+01:00"
  receive {
    connector = "shop"
    channel   = "mail"
    thread    = "t1"
    from      = "b1"
    language  = "en"
    text      = "Hello"
  }
  agent_reply {
    at     = "30m"
    thread = "t1"
  }
  expect_not_sent { thread = "t1" }
}
