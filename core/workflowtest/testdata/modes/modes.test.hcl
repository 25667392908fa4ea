channel "whatsapp.chat" {
  service_window = "24h"
}
channel "allegro.discussions" {}

test "first message of a thread only" {
  start = "2026-11-20T12:00:00Z"
  receive {
    connector = "allegro"
    channel   = "discussions"
    thread    = "t1"
    from      = "b1"
    text      = "Hello"
  }
  receive {
    at        = "1h"
    connector = "allegro"
    channel   = "discussions"
    thread    = "t1"
    from      = "b1"
    text      = "Hello again"
  }
  receive {
    at        = "2h"
    connector = "allegro"
    channel   = "discussions"
    thread    = "t2"
    from      = "b1"
    text      = "Another thread"
  }
  expect_sent {
    thread = "t1"
    at     = "0s"
  }
  expect_not_sent {
    thread  = "t1"
    between = ["1m", "30d"]
  }
  expect_sent {
    thread = "t2"
    at     = "2h"
  }
}

test "first contact message, and again after the idle period" {
  start = "2026-11-20T12:00:00Z"
  receive {
    connector = "whatsapp"
    channel   = "chat"
    thread    = "w1"
    from      = "+48600000001"
    name      = "Ola"
    text      = "Hi"
  }
  receive {
    at        = "3d"
    connector = "whatsapp"
    channel   = "chat"
    thread    = "w2"
    from      = "+48600000001"
    text      = "Me again"
  }
  receive {
    at        = "20d"
    connector = "whatsapp"
    channel   = "chat"
    thread    = "w3"
    from      = "+48600000001"
    text      = "Long time no see"
  }
  expect_sent {
    thread = "w1"
    equals = "Hello Ola!"
  }
  expect_not_sent { thread = "w2" }
  expect_sent { thread = "w3" }
}
