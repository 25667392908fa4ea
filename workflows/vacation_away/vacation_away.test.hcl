# Tests for the vacation away message (away 2026-12-23 to 2027-01-06, back
# 2027-01-07). Run with: switchboard test .
#
# Channels are declared here because no plugin lock file is present; with
# switchboard.lock.json the plugins' schemas count, and these declarations
# must agree with them (or be removed).
channel "allegro.message_center" {}
channel "email.inbox" {}
channel "whatsapp.chat" {
  service_window = "24h"
}

test "during the holiday every channel gets the return date" {
  start = "2026-12-28T11:00:00+01:00"
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "allegro-1"
    from      = "zofia_k"
    name      = "Zofia"
    language  = "pl"
    text      = "Dzień dobry, kiedy wyślecie moje zamówienie?"
  }
  receive {
    connector = "email"
    channel   = "inbox"
    thread    = "mail-1"
    from      = "noah@example.com"
    name      = "Noah"
    subject   = "Order 1042"
    language  = "en"
    text      = "Hi, I ordered a lamp last week. Any update?"
  }
  receive {
    at        = "1h"
    connector = "whatsapp"
    channel   = "chat"
    thread    = "wa-1"
    from      = "+48600100200"
    language  = "pl"
    text      = "Hej, czy jesteście otwarci?"
  }
  expect_not_sent {
    thread  = "allegro-1"
    between = ["0s", "4m59s"]
  }
  expect_sent {
    thread   = "allegro-1"
    at       = "5m"
    contains = "Dzień dobry, Zofia!"
  }
  expect_sent {
    thread   = "allegro-1"
    at       = "5m"
    contains = "wracamy w czwartek, 7 stycznia"
  }
  expect_sent {
    thread   = "mail-1"
    at       = "5m"
    contains = "Hi Noah,"
  }
  expect_sent {
    thread   = "mail-1"
    at       = "5m"
    contains = "will be back on Thursday, 7 January"
  }
  expect_sent {
    thread   = "wa-1"
    at       = "1h5m"
    contains = "Dzień dobry, Szanowni Państwo!"
  }
}

test "the away message starts at midnight of the first day away, Warsaw time" {
  start = "2026-12-22T23:50:00+01:00"
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "before"
    from      = "b1"
    language  = "pl"
    text      = "Ostatnie pytanie przed świętami."
  }
  receive {
    at        = "15m" # 2026-12-23 00:05 CET
    connector = "allegro"
    channel   = "message_center"
    thread    = "first-night"
    from      = "b2"
    language  = "pl"
    text      = "Czy zdążycie z wysyłką?"
  }
  expect_not_sent { thread = "before" }
  expect_sent {
    thread   = "first-night"
    at       = "20m"
    contains = "wracamy w czwartek, 7 stycznia"
  }
}

# Midnight of 7 January in Warsaw is 23:00 UTC on the 6th: a message at
# 00:05 local time must not get the away message although in UTC it is
# still 6 January.
test "the away message stops at midnight of the return day, Warsaw time" {
  start = "2027-01-06T23:50:00+01:00"
  receive {
    connector = "email"
    channel   = "inbox"
    thread    = "last-night"
    from      = "ava@example.com"
    language  = "en"
    text      = "Hello, are you back tomorrow?"
  }
  receive {
    at        = "15m" # 2027-01-07 00:05 CET = 2027-01-06 23:05 UTC
    connector = "email"
    channel   = "inbox"
    thread    = "back"
    from      = "ben@example.com"
    language  = "en"
    text      = "Hello, is the sale still on?"
  }
  expect_sent {
    thread   = "last-night"
    at       = "5m"
    contains = "will be back on Thursday, 7 January"
  }
  expect_not_sent { thread = "back" }
}

test "one away message per thread a week" {
  start = "2026-12-24T09:00:00+01:00"
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "t"
    from      = "b1"
    language  = "pl"
    text      = "Dzień dobry, gdzie moja paczka?"
  }
  receive {
    at        = "1d"
    connector = "allegro"
    channel   = "message_center"
    thread    = "t"
    from      = "b1"
    language  = "pl"
    text      = "Halo?"
  }
  receive {
    at        = "3d"
    connector = "allegro"
    channel   = "message_center"
    thread    = "t"
    from      = "b1"
    language  = "pl"
    text      = "Nadal czekam."
  }
  expect_sent {
    thread = "t"
    at     = "5m"
  }
  expect_sent {
    thread = "t"
    count  = 1
  }
}

test "no away message when someone on duty answers" {
  start = "2026-12-29T10:00:00+01:00"
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "duty"
    from      = "b1"
    language  = "pl"
    text      = "Pilne: zamówiłem zły rozmiar."
  }
  agent_reply {
    at     = "4m"
    thread = "duty"
  }
  expect_not_sent { thread = "duty" }
}

test "automatic messages are never answered" {
  start = "2026-12-29T10:00:00+01:00"
  receive {
    connector = "email"
    channel   = "inbox"
    thread    = "ooo"
    from      = "buyer@example.com"
    language  = "en"
    text      = "I am on holiday too until January."
    headers   = { "Auto-Submitted" = "auto-replied" }
  }
  receive {
    connector = "email"
    channel   = "inbox"
    thread    = "noreply"
    from      = "no-reply@shipping.example.com"
    language  = "en"
    text      = "Your shipment has been delivered."
  }
  expect_not_sent { thread = "ooo" }
  expect_not_sent { thread = "noreply" }
}
