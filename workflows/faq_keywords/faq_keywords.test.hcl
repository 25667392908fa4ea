# Tests for the FAQ quick answers. Run with: switchboard test .
#
# Channels are declared here because no plugin lock file is present; with
# switchboard.lock.json the plugins' schemas count, and these declarations
# must agree with them (or be removed).
channel "allegro.message_center" {}
channel "allegro.discussions" {}
channel "email.inbox" {}

test "a Polish question about a return gets the returns answer and tags" {
  start = "2026-11-17T11:00:00+01:00"
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "r-pl"
    from      = "ola_b"
    name      = "Ola"
    language  = "pl"
    text      = "Dzień dobry, chciałabym zwrócić sukienkę, jest za mała."
  }
  expect_not_sent {
    thread  = "r-pl"
    between = ["0s", "1m59s"]
  }
  expect_sent {
    thread   = "r-pl"
    at       = "2m"
    contains = "Dzień dobry, Ola!"
  }
  expect_sent {
    thread   = "r-pl"
    at       = "2m"
    contains = "na odstąpienie od umowy jest 14 dni"
  }
  expect_tags {
    thread = "r-pl"
    tags   = ["faq", "faq-returns"]
  }
}

test "an English refund question gets the English returns answer" {
  start = "2026-11-17T11:00:00+01:00"
  receive {
    connector = "email"
    channel   = "inbox"
    thread    = "r-en"
    from      = "jack@example.com"
    name      = "Jack"
    subject   = "Headphones"
    language  = "en"
    text      = "Hi, how do I get a Refund for the headphones I bought last week?"
  }
  expect_sent {
    thread   = "r-en"
    at       = "2m"
    contains = "Hi Jack,"
  }
  expect_sent {
    thread   = "r-en"
    at       = "2m"
    contains = "Thanks for asking about returns."
  }
  expect_tags {
    thread = "r-en"
    tags   = ["faq", "faq-returns"]
  }
}

test "questions about an order's whereabouts get the order-status answer" {
  start = "2026-11-17T11:00:00+01:00"
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "s-pl"
    from      = "b1"
    language  = "pl"
    text      = "Dzień dobry, gdzie jest moje zamówienie? Minął już tydzień."
  }
  receive {
    connector = "email"
    channel   = "inbox"
    thread    = "s-en"
    from      = "lucy@example.com"
    language  = "en"
    text      = "Hello, the tracking number you sent doesn't work."
  }
  expect_sent {
    thread   = "s-pl"
    at       = "2m"
    contains = "Status zamówienia i numer przesyłki są zawsze widoczne"
  }
  expect_sent {
    thread   = "s-en"
    at       = "2m"
    contains = "Hi there,"
  }
  expect_sent {
    thread   = "s-en"
    at       = "2m"
    contains = "order's status and tracking number"
  }
  expect_tags {
    thread = "s-pl"
    tags   = ["faq", "faq-order-status"]
  }
}

test "questions about delivery get the delivery answer" {
  start = "2026-11-17T11:00:00+01:00"
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "d-pl"
    from      = "b1"
    language  = "pl"
    text      = "Ile kosztuje wysyłka do paczkomatu?"
  }
  receive {
    connector = "email"
    channel   = "inbox"
    thread    = "d-en"
    from      = "hans@example.de"
    language  = "en"
    text      = "Do you ship to Germany?"
  }
  expect_sent {
    thread   = "d-pl"
    at       = "2m"
    contains = "Dziękujemy za pytanie o dostawę."
  }
  expect_sent {
    thread   = "d-en"
    at       = "2m"
    contains = "Thanks for asking about delivery."
  }
  expect_tags {
    thread = "d-en"
    tags   = ["faq", "faq-delivery"]
  }
}

test "returns outrank delivery when a message mentions both" {
  start = "2026-11-17T11:00:00+01:00"
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "both"
    from      = "b1"
    language  = "pl"
    text      = "Chcę odesłać buty. Czy kurier może je odebrać ode mnie?"
  }
  expect_sent {
    thread   = "both"
    at       = "2m"
    contains = "Dziękujemy za pytanie o zwrot."
  }
  expect_sent {
    thread = "both"
    count  = 1
  }
  expect_tags {
    thread = "both"
    tags   = ["faq-returns"]
  }
}

test "order status outranks delivery when a message mentions both" {
  start = "2026-11-17T11:00:00+01:00"
  receive {
    connector = "email"
    channel   = "inbox"
    thread    = "where"
    from      = "b1@example.com"
    language  = "en"
    text      = "Where is my parcel? I paid for express delivery."
  }
  expect_sent {
    thread   = "where"
    at       = "2m"
    contains = "order's status and tracking number"
  }
  expect_sent {
    thread = "where"
    count  = 1
  }
}

test "keywords match whole words only, and unrelated questions get nothing" {
  start = "2026-11-17T11:00:00+01:00"
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "model-railway"
    from      = "b1"
    language  = "pl"
    text      = "Czy ta zwrotnica pasuje do makiety w skali H0?"
  }
  receive {
    connector = "email"
    channel   = "inbox"
    thread    = "shipshape"
    from      = "b2@example.com"
    language  = "en"
    text      = "Is the boat model delivered in shipshape condition, fully assembled?"
  }
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "other"
    from      = "b3"
    language  = "pl"
    text      = "Czy ta kurtka jest wodoodporna?"
  }
  expect_not_sent { thread = "model-railway" }
  expect_not_sent { thread = "shipshape" }
  expect_not_sent { thread = "other" }
}

test "when a person answers within 2 minutes the thread is tagged but not answered" {
  start = "2026-11-17T11:00:00+01:00"
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "fast-agent"
    from      = "b1"
    language  = "pl"
    text      = "Jak wygląda zwrot pieniędzy?"
  }
  agent_reply {
    at     = "1m"
    thread = "fast-agent"
  }
  expect_not_sent { thread = "fast-agent" }
  expect_tags {
    thread = "fast-agent"
    tags   = ["faq", "faq-returns"]
  }
}

test "a second question the same day is left to a person but still tagged" {
  start = "2026-11-17T11:00:00+01:00"
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "t"
    from      = "b1"
    language  = "pl"
    text      = "Jaki jest czas dostawy?"
  }
  receive {
    at        = "1h"
    connector = "allegro"
    channel   = "message_center"
    thread    = "t"
    from      = "b1"
    language  = "pl"
    text      = "A gdybym chciała zrobić zwrot?"
  }
  expect_sent {
    thread   = "t"
    at       = "2m"
    contains = "Dziękujemy za pytanie o dostawę."
  }
  expect_sent {
    thread = "t"
    count  = 1
  }
  expect_tags {
    thread = "t"
    tags   = ["faq-delivery", "faq-returns"]
  }
}

test "automatic messages and other channels get no answer" {
  start = "2026-11-17T11:00:00+01:00"
  receive {
    connector = "email"
    channel   = "inbox"
    thread    = "auto"
    from      = "returns-portal@example.com"
    language  = "en"
    text      = "Your return label is ready. Tracking: 123456."
    headers   = { "Auto-Submitted" = "auto-generated" }
  }
  receive {
    connector = "allegro"
    channel   = "discussions"
    thread    = "dispute"
    from      = "b2"
    language  = "pl"
    text      = "Chcę zwrotu pieniędzy, towar jest uszkodzony."
  }
  expect_not_sent { thread = "auto" }
  expect_not_sent { thread = "dispute" }
}
