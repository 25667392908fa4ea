# Tests for the after-hours notice. Run with: switchboard test .
#
# Channels are declared here because no plugin lock file is present; with
# switchboard.lock.json the plugins' schemas count, and these declarations
# must agree with them (or be removed).
channel "allegro.message_center" {}
channel "allegro.discussions" {}
channel "ebay.messages" {}
channel "email.inbox" {}

# 2026-11-11 (Wednesday) is Independence Day, a public holiday in Poland.
test "a Tuesday evening message before a holiday names Thursday 10:00" {
  start = "2026-11-10T19:00:00+01:00" # Tuesday
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "t1"
    from      = "ewa_m"
    name      = "Ewa"
    language  = "pl"
    text      = "Dzień dobry, czy mogę dopłacić do szybszej wysyłki?"
  }
  expect_not_sent {
    thread  = "t1"
    between = ["0s", "4m59s"]
  }
  expect_sent {
    thread   = "t1"
    at       = "5m"
    contains = "Dzień dobry, Ewa!"
  }
  expect_sent {
    thread   = "t1"
    at       = "5m"
    contains = "zajmiemy się nią w czwartek (12.11) od 10:00"
  }
}

test "nothing during office hours; the notice starts at 18:00 sharp" {
  start = "2026-11-17T12:00:00+01:00" # Tuesday noon
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "noon"
    from      = "b1"
    language  = "pl"
    text      = "Pytanie o gwarancję."
  }
  receive {
    at        = "5h59m" # 17:59, still open
    connector = "allegro"
    channel   = "message_center"
    thread    = "1759"
    from      = "b2"
    language  = "pl"
    text      = "Czy wysyłka jest dziś?"
  }
  receive {
    at        = "6h" # 18:00, closed
    connector = "allegro"
    channel   = "message_center"
    thread    = "1800"
    from      = "b3"
    language  = "pl"
    text      = "Czy wysyłka jest dziś?"
  }
  expect_not_sent { thread = "noon" }
  expect_not_sent { thread = "1759" }
  expect_sent {
    thread   = "1800"
    at       = "6h5m"
    contains = "w środę (18.11) od 10:00"
  }
}

test "early in the morning the notice names the same day, and stops at 10:00" {
  start = "2026-11-18T09:30:00+01:00" # Wednesday
  receive {
    connector = "email"
    channel   = "inbox"
    thread    = "early"
    from      = "liam@example.com"
    name      = "Liam"
    subject   = "Invoice"
    language  = "en"
    text      = "Hello, could you send me an invoice for my order?"
  }
  receive {
    at        = "30m" # 10:00, open
    connector = "email"
    channel   = "inbox"
    thread    = "ten"
    from      = "mia@example.com"
    language  = "en"
    text      = "Hello, is this still in stock?"
  }
  expect_sent {
    thread   = "early"
    at       = "5m"
    contains = "Hi Liam,"
  }
  expect_sent {
    thread   = "early"
    at       = "5m"
    contains = "we will pick it up on Wednesday, 18 November from 10:00 (Warsaw time)"
  }
  expect_not_sent { thread = "ten" }
}

# Clocks go back on Sunday 2026-10-25 (03:00 CEST becomes 02:00 CET). The
# offsets below are real elapsed time from Friday 18:30 CEST (16:30 UTC):
# Monday 10:00 CET is 09:00 UTC, 64h30m later (not 63h30m).
test "over the weekend of the DST change the office opens Monday 10:00 CET" {
  start = "2026-10-23T18:30:00+02:00" # Friday, CEST
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "fri"
    from      = "b1"
    language  = "pl"
    text      = "Dzień dobry, czy zamówienie wyjdzie w poniedziałek?"
  }
  receive {
    at        = "33h" # Sunday 02:30 CET, the second pass of the repeated hour
    connector = "ebay"
    channel   = "messages"
    thread    = "night"
    from      = "night-owl"
    language  = "en"
    text      = "Can't sleep, ordering stuff. Do you ship to Ireland?"
  }
  receive {
    at        = "64h15m" # Monday 09:45 CET: still closed
    connector = "allegro"
    channel   = "message_center"
    thread    = "mon-0945"
    from      = "b2"
    language  = "pl"
    text      = "Dzień dobry, pytanie o rabat."
  }
  receive {
    at        = "64h30m" # Monday 10:00 CET: open
    connector = "allegro"
    channel   = "message_center"
    thread    = "mon-1000"
    from      = "b3"
    language  = "pl"
    text      = "Dzień dobry, pytanie o rabat."
  }
  expect_sent {
    thread   = "fri"
    at       = "5m"
    contains = "w poniedziałek (26.10) od 10:00"
  }
  expect_sent {
    thread   = "night"
    at       = "33h5m"
    contains = "on Monday, 26 October from 10:00"
  }
  expect_sent {
    thread   = "mon-0945"
    at       = "64h20m"
    contains = "w poniedziałek (26.10) od 10:00"
  }
  expect_not_sent { thread = "mon-1000" }
}

# From 2025 Christmas Eve is a public holiday in Poland too: 24, 25 and 26
# December 2026 are closed (the 26th is a Saturday), then comes Sunday.
test "on the eve of Christmas Eve the office reopens on Monday 28 December" {
  start = "2026-12-23T18:15:00+01:00" # Wednesday
  receive {
    connector = "email"
    channel   = "inbox"
    thread    = "xmas-en"
    from      = "olivia@example.com"
    name      = "Olivia"
    language  = "en"
    text      = "Will my gift still arrive before Christmas?"
  }
  receive {
    at        = "1d" # Christmas Eve, during what would be office hours
    connector = "allegro"
    channel   = "message_center"
    thread    = "xmas-pl"
    from      = "b2"
    language  = "pl"
    text      = "Dzień dobry, czy paczka dojdzie przed świętami?"
  }
  expect_sent {
    thread   = "xmas-en"
    at       = "5m"
    contains = "on Monday, 28 December from 10:00"
  }
  expect_sent {
    thread   = "xmas-pl"
    at       = "24h5m"
    contains = "w poniedziałek (28.12) od 10:00"
  }
}

test "no notice when someone answers in the evening" {
  start = "2026-11-17T19:00:00+01:00" # Tuesday
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "late-shift"
    from      = "b1"
    language  = "pl"
    text      = "Czy mogę jeszcze anulować zamówienie?"
  }
  agent_reply {
    at     = "2m"
    thread = "late-shift"
  }
  expect_not_sent { thread = "late-shift" }
}

test "one notice per thread even if the buyer writes again the same night" {
  start = "2026-11-17T19:00:00+01:00" # Tuesday
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "t"
    from      = "b1"
    language  = "pl"
    text      = "Czy mogę jeszcze anulować zamówienie?"
  }
  receive {
    at        = "3h"
    connector = "allegro"
    channel   = "message_center"
    thread    = "t"
    from      = "b1"
    language  = "pl"
    text      = "Bardzo proszę o szybką odpowiedź."
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

test "automatic messages and other channels get nothing" {
  start = "2026-11-17T19:00:00+01:00" # Tuesday evening
  receive {
    connector = "email"
    channel   = "inbox"
    thread    = "ooo"
    from      = "buyer@example.com"
    language  = "en"
    text      = "Thank you for your email. I am out of the office."
    headers   = { "Auto-Submitted" = "auto-replied" }
  }
  receive {
    connector = "email"
    channel   = "inbox"
    thread    = "x-autoreply"
    from      = "buyer2@example.com"
    language  = "en"
    text      = "Automatic reply: I am on holiday."
    headers   = { "X-Autoreply" = "yes" }
  }
  receive {
    connector = "allegro"
    channel   = "discussions"
    thread    = "dispute"
    from      = "b3"
    language  = "pl"
    text      = "Towar niezgodny z opisem."
  }
  expect_not_sent { thread = "ooo" }
  expect_not_sent { thread = "x-autoreply" }
  expect_not_sent { thread = "dispute" }
}

test "a message just before opening names the opening it came before" {
  start = "2026-11-23T09:57:00+01:00" # Monday
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "edge"
    from      = "jan"
    language  = "en"
    text      = "Hello, is my order shipped yet?"
  }
  expect_sent {
    thread   = "edge"
    at       = "5m"
    contains = "we will pick it up on Monday, 23 November from 10:00"
  }
}
