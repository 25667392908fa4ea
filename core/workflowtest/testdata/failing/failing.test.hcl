# Every expectation here is wrong on purpose: the Go test checks that each
# one fails, so that a broken runner cannot pass tests silently.
channel "shop.mail" {}

test "wrong text" {
  start = "2026-11-20T12:00:00Z"
  receive {
    connector = "shop"
    channel   = "mail"
    thread    = "t1"
    from      = "b1"
    text      = "hi"
  }
  expect_sent {
    thread   = "t1"
    contains = "Thank you"
  }
}

test "wrong time" {
  start = "2026-11-20T12:00:00Z"
  receive {
    connector = "shop"
    channel   = "mail"
    thread    = "t1"
    from      = "b1"
    text      = "hi"
  }
  expect_sent {
    thread = "t1"
    at     = "4m"
  }
}

test "unexpected send" {
  start = "2026-11-20T12:00:00Z"
  receive {
    connector = "shop"
    channel   = "mail"
    thread    = "t1"
    from      = "b1"
    text      = "hi"
  }
  expect_not_sent { thread = "t1" }
}

test "missing tag and wrong status" {
  start = "2026-11-20T12:00:00Z"
  receive {
    connector = "shop"
    channel   = "mail"
    thread    = "t1"
    from      = "b1"
    text      = "hi"
  }
  expect_tags {
    thread = "t1"
    tags   = ["vip"]
  }
  expect_status {
    thread = "t1"
    status = "closed"
  }
}

test "wrong count" {
  start = "2026-11-20T12:00:00Z"
  receive {
    connector = "shop"
    channel   = "mail"
    thread    = "t1"
    from      = "b1"
    text      = "hi"
  }
  expect_sent {
    thread = "t1"
    count  = 2
  }
}
