# Tests for the weekend notice. Run with: switchboard test .
#
# Channels are declared here because no plugin lock file is present; with
# switchboard.lock.json the plugins' schemas count, and these declarations
# must agree with them (or be removed).
channel "allegro.message_center" {}
channel "allegro.discussions" {}
channel "email.inbox" {}

test "a Saturday message gets the notice after 5 minutes, naming Monday" {
  start = "2026-10-24T12:00:00+02:00" # Saturday
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "sat-1"
    from      = "marta_w"
    name      = "Marta"
    language  = "pl"
    text      = "Dzień dobry, czy zdążycie wysłać przed świętami?"
  }
  expect_not_sent {
    thread  = "sat-1"
    between = ["0s", "4m59s"]
  }
  expect_sent {
    thread   = "sat-1"
    at       = "5m"
    contains = "Dzień dobry, Marta!"
  }
  expect_sent {
    thread   = "sat-1"
    at       = "5m"
    contains = "przeczytamy ją w poniedziałek (26.10) od rana"
  }
}

# Clocks go back on Sunday 2026-10-25 (03:00 CEST becomes 02:00 CET), so
# that Sunday has 25 hours: Monday begins 37 hours after Saturday noon, not
# 36. Offsets below are real elapsed time.
test "the weekend ends at Monday midnight Warsaw time across the DST change" {
  start = "2026-10-24T12:00:00+02:00" # Saturday noon, CEST
  receive {
    at        = "36h30m" # Sunday 2026-10-25 23:30 CET
    connector = "allegro"
    channel   = "message_center"
    thread    = "sun-late"
    from      = "b1"
    language  = "pl"
    text      = "Jeszcze jedno pytanie o zamówienie."
  }
  receive {
    at        = "36h58m" # Sunday 23:58 CET; the reply goes out on Monday 00:03
    connector = "email"
    channel   = "inbox"
    thread    = "sun-midnight"
    from      = "tom@example.com"
    language  = "en"
    text      = "Hello, is the blue one back in stock?"
  }
  receive {
    at        = "37h30m" # Monday 2026-10-26 00:30 CET
    connector = "allegro"
    channel   = "message_center"
    thread    = "mon-early"
    from      = "b2"
    language  = "pl"
    text      = "Dzień dobry, kiedy wysyłka?"
  }
  expect_sent {
    thread   = "sun-late"
    at       = "36h35m"
    contains = "w poniedziałek (26.10)"
  }
  expect_sent {
    thread   = "sun-midnight"
    at       = "37h3m"
    contains = "we will read it on Monday morning (26 October)"
  }
  expect_not_sent { thread = "mon-early" }
}

test "no notice on Friday evening or during the week" {
  start = "2026-10-23T20:00:00+02:00" # Friday evening
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "fri"
    from      = "b1"
    language  = "pl"
    text      = "Dzień dobry, czy produkt jest na stanie?"
  }
  receive {
    at        = "4d" # Tuesday 2026-10-27 19:00 CET
    connector = "allegro"
    channel   = "message_center"
    thread    = "tue"
    from      = "b2"
    language  = "pl"
    text      = "Pytanie o fakturę."
  }
  expect_not_sent { thread = "fri" }
  expect_not_sent { thread = "tue" }
}

# Easter 2027 falls on the weekend the clocks go forward (2027-03-28), and
# Easter Monday is a public holiday in Poland: the notice says Tuesday.
test "on the Easter weekend the notice names Tuesday" {
  start = "2027-03-27T11:00:00+01:00" # Saturday, CET
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "easter-sat"
    from      = "b1"
    name      = "Piotr"
    language  = "pl"
    text      = "Dzień dobry, czy paczka wyjdzie jeszcze przed świętami?"
  }
  receive {
    at        = "32h" # Sunday 2027-03-28 20:00 CEST
    connector = "email"
    channel   = "inbox"
    thread    = "easter-sun"
    from      = "grace@example.com"
    name      = "Grace"
    language  = "en"
    text      = "Hi, can I still change my delivery address?"
  }
  expect_sent {
    thread   = "easter-sat"
    at       = "5m"
    contains = "przeczytamy ją we wtorek (30.03) od rana"
  }
  expect_sent {
    thread   = "easter-sun"
    at       = "32h5m"
    contains = "Hi Grace,"
  }
  expect_sent {
    thread   = "easter-sun"
    at       = "32h5m"
    contains = "we will read it on Tuesday morning (30 March)"
  }
}

test "one notice per thread per weekend" {
  start = "2026-11-21T10:00:00+01:00" # Saturday
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "w"
    from      = "b1"
    language  = "pl"
    text      = "Dzień dobry, pytanie o rozmiar."
  }
  receive {
    at        = "26h" # Sunday noon: more than 24 hours later, same weekend
    connector = "allegro"
    channel   = "message_center"
    thread    = "w"
    from      = "b1"
    language  = "pl"
    text      = "Czy ktoś odpisze?"
  }
  receive {
    at        = "7d" # the next Saturday
    connector = "allegro"
    channel   = "message_center"
    thread    = "w"
    from      = "b1"
    language  = "pl"
    text      = "Ponawiam pytanie."
  }
  expect_sent {
    thread = "w"
    at     = "5m"
  }
  expect_not_sent {
    thread  = "w"
    between = ["6m", "7d"]
  }
  expect_sent {
    thread = "w"
    at     = "168h5m" # 7 days and 5 minutes
  }
}

test "no notice when someone on weekend duty answers first" {
  start = "2026-11-21T10:00:00+01:00" # Saturday
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "duty"
    from      = "b1"
    language  = "pl"
    text      = "Pilne: zły adres w zamówieniu!"
  }
  agent_reply {
    at     = "3m"
    thread = "duty"
  }
  expect_not_sent { thread = "duty" }
}

test "automatic messages and other channels get nothing" {
  start = "2026-11-21T10:00:00+01:00" # Saturday
  receive {
    connector = "email"
    channel   = "inbox"
    thread    = "ooo"
    from      = "buyer@example.com"
    language  = "en"
    text      = "I am away until Monday."
    headers   = { "Auto-Submitted" = "auto-replied" }
  }
  receive {
    connector = "email"
    channel   = "inbox"
    thread    = "list"
    from      = "newsletter@example.com"
    language  = "en"
    text      = "Our weekly deals."
    headers   = { "Precedence" = "bulk" }
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
  expect_not_sent { thread = "list" }
  expect_not_sent { thread = "dispute" }
}
