channel "shop.mail" {}

test "the higher priority workflow stops the others" {
  start = "2026-11-20T12:00:00Z"
  receive {
    connector = "shop"
    account   = "vip_shop"
    channel   = "mail"
    thread    = "v"
    from      = "b1"
    text      = "I want a refund"
  }
  receive {
    connector = "shop"
    channel   = "mail"
    thread    = "r"
    from      = "b2"
    text      = "How do I return this?"
  }
  receive {
    connector = "shop"
    channel   = "mail"
    thread    = "o"
    from      = "b3"
    text      = "Returning customer here, is it returnable?"
  }
  receive {
    connector = "shop"
    account   = "blocked"
    channel   = "mail"
    thread    = "x"
    from      = "b4"
    text      = "hello"
  }
  expect_sent {
    thread = "v"
    equals = "A personal advisor will answer you shortly."
  }
  expect_sent {
    thread = "r"
    equals = "You can return goods within 14 days."
  }
  expect_tags {
    thread = "r"
    tags   = ["returns"]
  }
  expect_sent {
    thread = "o"
    equals = "Thanks, we will answer soon."
  }
  expect_not_sent { thread = "x" }
}
