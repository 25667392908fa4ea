# Tests for the Allegro autoresponder. Run with: switchboard test .
#
# Without an Allegro plugin lock file the channels are declared here; when
# switchboard.lock.json has the allegro plugin, its schema is what counts and
# these declarations must agree with it (or be removed).
channel "allegro.discussions" {}
channel "allegro.message_center" {}
channel "ebay.messages" {}

test "a Polish message in the Message Center is acknowledged after exactly 10 minutes" {
  start = "2026-11-17T12:00:00+01:00"
  receive {
    connector = "allegro"
    account   = "shop_pl"
    channel   = "message_center"
    thread    = "mc-1"
    from      = "anna_n"
    name      = "Anna"
    language  = "pl"
    text      = "Dzień dobry, czy ta kurtka jest dostępna w rozmiarze M?"
  }
  expect_not_sent {
    thread  = "mc-1"
    between = ["0s", "9m59s"]
  }
  expect_sent {
    thread   = "mc-1"
    at       = "10m"
    contains = "Dzień dobry, Anna!"
  }
  expect_sent {
    thread   = "mc-1"
    at       = "10m"
    contains = "Dziękujemy za wiadomość — dotarła do nas"
  }
}

test "an English message on Discussions gets the English text" {
  start = "2026-11-17T21:30:00+01:00"
  receive {
    connector = "allegro"
    channel   = "discussions"
    thread    = "d-1"
    from      = "john_s"
    name      = "John"
    language  = "en"
    text      = "Hello, the parcel arrived damaged. What should I do?"
  }
  expect_sent {
    thread   = "d-1"
    at       = "10m"
    contains = "Hi John,"
  }
  expect_sent {
    thread   = "d-1"
    at       = "10m"
    contains = "we will get back to you as soon as we can"
  }
}

test "without a name the greeting falls back politely" {
  start = "2026-11-17T12:00:00+01:00"
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "pl-anon"
    from      = "buyer-123"
    language  = "pl"
    text      = "Kiedy wyślecie zamówienie?"
  }
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "en-anon"
    from      = "buyer-456"
    language  = "en"
    text      = "When will you ship my order?"
  }
  expect_sent {
    thread   = "pl-anon"
    at       = "10m"
    contains = "Dzień dobry, Szanowni Państwo!"
  }
  expect_sent {
    thread   = "en-anon"
    at       = "10m"
    contains = "Hi there,"
  }
}

test "a language without its own text gets the Polish default" {
  start = "2026-11-17T12:00:00+01:00"
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "de-1"
    from      = "klaus"
    name      = "Klaus"
    language  = "de"
    text      = "Guten Tag, wann wird meine Bestellung verschickt?"
  }
  expect_sent {
    thread   = "de-1"
    at       = "10m"
    contains = "Dzień dobry, Klaus!"
  }
}

test "a person who answers within 10 minutes cancels the acknowledgement" {
  start = "2026-11-17T12:00:00+01:00"
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "mc-2"
    from      = "anna_n"
    name      = "Anna"
    language  = "pl"
    text      = "Czy mogę jeszcze zmienić adres dostawy?"
  }
  agent_reply {
    at     = "6m"
    thread = "mc-2"
  }
  expect_not_sent { thread = "mc-2" }
}

test "an answer after the acknowledgement does not undo it" {
  start = "2026-11-17T12:00:00+01:00"
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "mc-3"
    from      = "anna_n"
    language  = "pl"
    text      = "Czy mogę jeszcze zmienić adres dostawy?"
  }
  agent_reply {
    at     = "40m"
    thread = "mc-3"
  }
  expect_sent {
    thread = "mc-3"
    at     = "10m"
  }
}

test "automatic messages are never answered" {
  start = "2026-11-17T12:00:00+01:00"
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "ooo"
    from      = "seller-bot"
    language  = "pl"
    text      = "Dziękuję za wiadomość, jestem na urlopie do poniedziałku."
    headers   = { "Auto-Submitted" = "auto-replied" }
  }
  receive {
    connector      = "allegro"
    channel        = "discussions"
    thread         = "allegro-notice"
    from           = "allegro"
    language       = "pl"
    text           = "Kupujący otworzył dyskusję."
    auto_generated = true
  }
  expect_not_sent { thread = "ooo" }
  expect_not_sent { thread = "allegro-notice" }
}

test "one acknowledgement per thread in 24 hours, another one the next day" {
  start = "2026-11-17T12:00:00+01:00"
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "mc-4"
    from      = "anna_n"
    name      = "Anna"
    language  = "pl"
    text      = "Dzień dobry, gdzie jest moja paczka?"
  }
  receive {
    at        = "30m"
    connector = "allegro"
    channel   = "message_center"
    thread    = "mc-4"
    from      = "anna_n"
    language  = "pl"
    text      = "Halo? Czekam na odpowiedź."
  }
  receive {
    at        = "25h"
    connector = "allegro"
    channel   = "message_center"
    thread    = "mc-4"
    from      = "anna_n"
    language  = "pl"
    text      = "Nadal brak paczki."
  }
  expect_sent {
    thread = "mc-4"
    at     = "10m"
  }
  expect_not_sent {
    thread  = "mc-4"
    between = ["11m", "25h"]
  }
  expect_sent {
    thread = "mc-4"
    at     = "25h10m"
  }
  expect_sent {
    thread = "mc-4"
    count  = 2
  }
}

test "each thread gets its own acknowledgement" {
  start = "2026-11-17T12:00:00+01:00"
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "order-a"
    from      = "anna_n"
    language  = "pl"
    text      = "Pytanie o zamówienie A."
  }
  receive {
    at        = "2m"
    connector = "allegro"
    channel   = "discussions"
    thread    = "order-b"
    from      = "anna_n"
    language  = "pl"
    text      = "Problem z zamówieniem B."
  }
  expect_sent {
    thread = "order-a"
    at     = "10m"
  }
  expect_sent {
    thread = "order-b"
    at     = "12m"
  }
}

test "other channels are left alone" {
  start = "2026-11-17T12:00:00+01:00"
  receive {
    connector = "ebay"
    channel   = "messages"
    thread    = "ebay-1"
    from      = "ebay-buyer"
    language  = "en"
    text      = "Is this item still available?"
  }
  expect_not_sent { thread = "ebay-1" }
}
