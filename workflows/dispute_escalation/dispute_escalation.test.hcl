# Tests for dispute escalation. Run with: switchboard test .
#
# Channels are declared here because no plugin lock file is present; with
# switchboard.lock.json the plugins' schemas count, and these declarations
# must agree with them (or be removed).
channel "allegro.discussions" {}
channel "allegro.message_center" {}

test "a dispute is escalated at once and acknowledged after 5 minutes" {
  start = "2026-11-17T13:00:00+01:00"
  receive {
    connector = "allegro"
    account   = "shop_pl"
    channel   = "discussions"
    thread    = "disp-1"
    from      = "tomasz_r"
    name      = "Tomasz"
    language  = "pl"
    text      = "Paczka przyszła zgnieciona, a ekspres do kawy nie działa. Proszę o pomoc."
  }
  expect_tags {
    thread = "disp-1"
    tags   = ["dispute"]
  }
  expect_status {
    thread = "disp-1"
    status = "escalated"
  }
  expect_not_sent {
    thread  = "disp-1"
    between = ["0s", "4m59s"]
  }
  expect_sent {
    thread   = "disp-1"
    at       = "5m"
    contains = "Dzień dobry, Tomasz!"
  }
  expect_sent {
    thread   = "disp-1"
    at       = "5m"
    contains = "Bardzo nam przykro, że coś poszło nie tak"
  }
}

test "an English dispute gets the English acknowledgement" {
  start = "2026-11-17T13:00:00+01:00"
  receive {
    connector = "allegro"
    channel   = "discussions"
    thread    = "disp-en"
    from      = "sarah_l"
    name      = "Sarah"
    language  = "en"
    text      = "The item is not as described. I want my money back."
  }
  expect_sent {
    thread   = "disp-en"
    at       = "5m"
    contains = "Hi Sarah,"
  }
  expect_sent {
    thread   = "disp-en"
    at       = "5m"
    contains = "We are really sorry that something went wrong"
  }
  expect_tags {
    thread = "disp-en"
    tags   = ["dispute"]
  }
}

test "when the team answers within 5 minutes there is no acknowledgement, but the escalation stands" {
  start = "2026-11-17T13:00:00+01:00"
  receive {
    connector = "allegro"
    channel   = "discussions"
    thread    = "disp-2"
    from      = "b1"
    language  = "pl"
    text      = "Zamówienie nie dotarło, a status pokazuje doręczenie."
  }
  agent_reply {
    at     = "3m"
    thread = "disp-2"
  }
  expect_not_sent { thread = "disp-2" }
  expect_tags {
    thread = "disp-2"
    tags   = ["dispute"]
  }
  expect_status {
    thread = "disp-2"
    status = "escalated"
  }
}

test "Allegro's automatic notice is escalated but never answered" {
  start = "2026-11-17T13:00:00+01:00"
  receive {
    connector      = "allegro"
    channel        = "discussions"
    thread         = "disp-3"
    from           = "allegro"
    language       = "pl"
    text           = "Kupujący rozpoczął dyskusję dotyczącą zamówienia."
    auto_generated = true
  }
  receive {
    at        = "20m"
    connector = "allegro"
    channel   = "discussions"
    thread    = "disp-3"
    from      = "b1"
    name      = "Marek"
    language  = "pl"
    text      = "Dzień dobry, otrzymałem zły kolor bluzy."
  }
  expect_tags {
    thread = "disp-3"
    tags   = ["dispute"]
  }
  expect_status {
    thread = "disp-3"
    status = "escalated"
  }
  expect_not_sent {
    thread  = "disp-3"
    between = ["0s", "24m59s"]
  }
  expect_sent {
    thread   = "disp-3"
    at       = "25m"
    contains = "Dzień dobry, Marek!"
  }
}

test "follow-ups in the same dispute are not acknowledged again for a week" {
  start = "2026-11-17T13:00:00+01:00"
  receive {
    connector = "allegro"
    channel   = "discussions"
    thread    = "disp-4"
    from      = "b1"
    language  = "pl"
    text      = "Towar niezgodny z opisem."
  }
  receive {
    at        = "1h"
    connector = "allegro"
    channel   = "discussions"
    thread    = "disp-4"
    from      = "b1"
    language  = "pl"
    text      = "Dołączam zdjęcia."
  }
  receive {
    at        = "3d"
    connector = "allegro"
    channel   = "discussions"
    thread    = "disp-4"
    from      = "b1"
    language  = "pl"
    text      = "Czy jest już decyzja?"
  }
  expect_sent {
    thread = "disp-4"
    at     = "5m"
  }
  expect_sent {
    thread = "disp-4"
    count  = 1
  }
}

test "Message Center conversations are not disputes" {
  start = "2026-11-17T13:00:00+01:00"
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "mc-1"
    from      = "b1"
    language  = "pl"
    text      = "Czy mogę prosić o fakturę?"
  }
  expect_not_sent { thread = "mc-1" }
  expect_status {
    thread = "mc-1"
    status = ""
  }
}
