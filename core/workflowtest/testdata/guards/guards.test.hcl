channel "shop.mail" {}
channel "amazon.buyer_messages" {
  min_reply_delay = "10m"
}
channel "whatsapp.chat" {
  service_window = "24h"
}

test "never to a robot" {
  start = "2026-11-20T12:00:00Z"
  receive {
    connector = "shop"
    channel   = "mail"
    thread    = "ooo"
    from      = "buyer@example.com"
    text      = "I am out of office."
    headers   = { "Auto-Submitted" = "auto-replied" }
  }
  receive {
    connector      = "shop"
    channel        = "mail"
    thread         = "flagged"
    from           = "x@example.com"
    text           = "Automatic notice"
    auto_generated = true
  }
  receive {
    connector = "shop"
    channel   = "mail"
    thread    = "daemon"
    from      = "MAILER-DAEMON@example.com"
    text      = "Undeliverable"
  }
  expect_not_sent { thread = "ooo" }
  expect_not_sent { thread = "flagged" }
  expect_not_sent { thread = "daemon" }
}

test "one reply per thread per window" {
  start = "2026-11-20T12:00:00Z"
  receive {
    connector = "shop"
    channel   = "mail"
    thread    = "t1"
    from      = "b1"
    text      = "Question"
  }
  receive {
    at        = "1h"
    connector = "shop"
    channel   = "mail"
    thread    = "t1"
    from      = "b1"
    text      = "Follow-up"
  }
  receive {
    at        = "25h"
    connector = "shop"
    channel   = "mail"
    thread    = "t1"
    from      = "b1"
    text      = "Next day"
  }
  expect_sent {
    thread = "t1"
    count  = 2
  }
  expect_not_sent {
    thread  = "t1"
    between = ["1h", "2h"]
  }
}

test "circuit breaker holds a runaway workflow" {
  start = "2026-11-20T12:00:00Z"
  receive {
    connector = "shop"
    channel   = "mail"
    thread    = "a"
    from      = "b1"
    text      = "1"
  }
  receive {
    at        = "1m"
    connector = "shop"
    channel   = "mail"
    thread    = "b"
    from      = "b2"
    text      = "2"
  }
  receive {
    at        = "2m"
    connector = "shop"
    channel   = "mail"
    thread    = "c"
    from      = "b3"
    text      = "3"
  }
  expect_sent { thread = "a" }
  expect_sent { thread = "b" }
  expect_not_sent { thread = "c" }
}

test "amazon replies wait for the channel's minimum delay" {
  start = "2026-11-20T12:00:00Z"
  receive {
    connector = "amazon"
    channel   = "buyer_messages"
    thread    = "az"
    from      = "b1"
    text      = "Where is it?"
  }
  expect_sent {
    thread = "az"
    at     = "10m"
  }
}
