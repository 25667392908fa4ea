channel "mail.inbox" {}

test "an out-of-office notice that starts a thread is nobody's first message" {
  start = "2026-11-20T12:00:00Z"
  receive {
    connector = "mail"
    channel   = "inbox"
    thread    = "t1"
    from      = "anna@example.com"
    text      = "I am out of office until Monday"
    headers   = { "Auto-Submitted" = "auto-replied" }
  }
  receive {
    at        = "1m"
    connector = "mail"
    channel   = "inbox"
    thread    = "t1"
    from      = "anna@example.com"
    text      = "I am out of office until Monday"
    headers   = { "Auto-Submitted" = "auto-replied" }
  }
  expect_tags {
    thread   = "t1"
    not_tags = ["new-thread", "first-contact"]
  }
  expect_status {
    thread = "t1"
    status = ""
  }
  expect_sent { thread = "nothing" }
}
