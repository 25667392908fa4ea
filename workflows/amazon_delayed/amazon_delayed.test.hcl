# Tests for the delayed Amazon acknowledgement. Run with: switchboard test .
#
# The Amazon channel is declared here so that the tests run without the
# plugin. min_reply_delay = "15m" stands in for the Amazon plugin's own
# capability: once switchboard.lock.json holds the real plugin, its schema is
# what counts — validate then reports this declaration if it disagrees, and
# it should be changed to match or removed.
channel "amazon.buyer_messages" {
  min_reply_delay = "15m"
}
channel "ebay.messages" {}

test "an unanswered message is acknowledged after 30 minutes, never sooner" {
  start = "2026-11-17T14:00:00+01:00"
  receive {
    connector = "amazon"
    account   = "amazon_de"
    channel   = "buyer_messages"
    thread    = "a1"
    from      = "buyer-a1b2c3@marketplace.amazon.de"
    name      = "Sophie"
    language  = "en"
    text      = "Hi, my order shows as shipped but tracking hasn't updated in three days."
  }
  expect_not_sent {
    thread  = "a1"
    between = ["0s", "29m59s"]
  }
  expect_sent {
    thread   = "a1"
    at       = "30m"
    contains = "Hello Sophie,"
  }
  expect_sent {
    thread   = "a1"
    at       = "30m"
    contains = "a member of our team will reply to you personally within 24 hours"
  }
}

test "a Polish buyer gets the Polish text; without a name the greeting falls back" {
  start = "2026-11-17T14:00:00+01:00"
  receive {
    connector = "amazon"
    account   = "amazon_pl"
    channel   = "buyer_messages"
    thread    = "a-pl"
    from      = "buyer-pl@marketplace.amazon.pl"
    language  = "pl"
    text      = "Dzień dobry, czy mogę zwrócić produkt bez oryginalnego opakowania?"
  }
  receive {
    connector = "amazon"
    account   = "amazon_de"
    channel   = "buyer_messages"
    thread    = "a-de"
    from      = "buyer-de@marketplace.amazon.de"
    language  = "de"
    text      = "Hallo, wann kommt meine Bestellung?"
  }
  expect_sent {
    thread   = "a-pl"
    at       = "30m"
    contains = "Dzień dobry, Szanowni Państwo!"
  }
  expect_sent {
    thread   = "a-pl"
    at       = "30m"
    contains = "odpowie na nią osobiście w ciągu 24 godzin"
  }
  expect_sent {
    thread   = "a-de"
    at       = "30m"
    contains = "Hello there,"
  }
}

test "no acknowledgement when someone answers within 30 minutes" {
  start = "2026-11-17T14:00:00+01:00"
  receive {
    connector = "amazon"
    channel   = "buyer_messages"
    thread    = "a2"
    from      = "buyer-2@marketplace.amazon.de"
    language  = "en"
    text      = "Can I change the delivery address?"
  }
  agent_reply {
    at     = "12m"
    thread = "a2"
  }
  expect_not_sent { thread = "a2" }
}

test "one acknowledgement per thread within 24 hours" {
  start = "2026-11-17T14:00:00+01:00"
  receive {
    connector = "amazon"
    channel   = "buyer_messages"
    thread    = "a3"
    from      = "buyer-3@marketplace.amazon.de"
    language  = "en"
    text      = "Where is my order?"
  }
  receive {
    at        = "2h"
    connector = "amazon"
    channel   = "buyer_messages"
    thread    = "a3"
    from      = "buyer-3@marketplace.amazon.de"
    language  = "en"
    text      = "Any news?"
  }
  expect_sent {
    thread = "a3"
    at     = "30m"
  }
  expect_sent {
    thread = "a3"
    count  = 1
  }
}

test "Amazon's automatic notices are not answered" {
  start = "2026-11-17T14:00:00+01:00"
  receive {
    connector      = "amazon"
    channel        = "buyer_messages"
    thread         = "return-request"
    from           = "donotreply@amazon.de"
    language       = "en"
    text           = "Return authorization request for order 302-1234567-1234567."
    auto_generated = true
  }
  receive {
    connector = "amazon"
    channel   = "buyer_messages"
    thread    = "buyer-ooo"
    from      = "buyer-4@marketplace.amazon.de"
    language  = "en"
    text      = "I am out of office until 1 December."
    headers   = { "Auto-Submitted" = "auto-replied" }
  }
  expect_not_sent { thread = "return-request" }
  expect_not_sent { thread = "buyer-ooo" }
}

test "other channels are left alone" {
  start = "2026-11-17T14:00:00+01:00"
  receive {
    connector = "ebay"
    channel   = "messages"
    thread    = "e1"
    from      = "ebay-buyer"
    language  = "en"
    text      = "Where is my order?"
  }
  expect_not_sent { thread = "e1" }
}
