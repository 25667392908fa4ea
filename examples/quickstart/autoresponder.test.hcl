test "a buyer gets an answer at once, in their language" {
  start = "2026-11-20T19:00:00+01:00"
  receive {
    connector = "webhook"
    account   = "demo"
    channel   = "webhook"
    thread    = "t1"
    from      = "buyer-1"
    name      = "Ola"
    language  = "pl"
    text      = "Dzień dobry, gdzie jest moja paczka?"
  }
  expect_sent {
    thread   = "t1"
    at       = "0s"
    contains = "Dzień dobry, Ola!"
  }
  expect_tags {
    thread = "t1"
    tags   = ["acknowledged"]
  }
}

test "a second message the same day gets no second answer" {
  start = "2026-11-20T19:00:00+01:00"
  receive {
    connector = "webhook"
    account   = "demo"
    channel   = "webhook"
    thread    = "t1"
    from      = "buyer-1"
    text      = "Hello?"
  }
  receive {
    at        = "1h"
    connector = "webhook"
    account   = "demo"
    channel   = "webhook"
    thread    = "t1"
    from      = "buyer-1"
    text      = "Anyone there?"
  }
  expect_sent {
    thread = "t1"
    count  = 1
  }
}
