# Tests for the WhatsApp away message. Run with: switchboard test .
#
# The WhatsApp channel is declared here so that the tests run without the
# plugin: free-form replies only within 24 hours of the buyer's last message.
# Once switchboard.lock.json holds the real plugin, its schema counts and
# this declaration must agree with it (or be removed).
channel "whatsapp.chat" {
  service_window = "24h"
}
channel "allegro.message_center" {}

test "a weekday evening message is told we answer tomorrow at 9:00" {
  start = "2026-11-17T21:00:00+01:00" # Tuesday
  receive {
    connector = "whatsapp"
    account   = "shop_whatsapp"
    channel   = "chat"
    thread    = "wa-1"
    from      = "+48602300400"
    name      = "Julia"
    language  = "pl"
    text      = "Dobry wieczór, czy mogę jeszcze dziś zmienić adres dostawy?"
  }
  expect_not_sent {
    thread  = "wa-1"
    between = ["0s", "59s"]
  }
  expect_sent {
    thread   = "wa-1"
    at       = "1m"
    contains = "Dzień dobry, Julia!"
  }
  expect_sent {
    thread   = "wa-1"
    at       = "1m"
    contains = "odpiszemy tutaj w środę (18.11) od 09:00"
  }
}

test "nothing during support hours; Saturday afternoon points to Monday" {
  start = "2026-11-17T12:00:00+01:00" # Tuesday noon
  receive {
    connector = "whatsapp"
    channel   = "chat"
    thread    = "tue-noon"
    from      = "+48602000001"
    language  = "pl"
    text      = "Dzień dobry, pytanie o produkt."
  }
  receive {
    at        = "97h59m" # Saturday 2026-11-21 13:59, still open
    connector = "whatsapp"
    channel   = "chat"
    thread    = "sat-1359"
    from      = "+48602000002"
    language  = "en"
    text      = "Hi, quick question about sizes."
  }
  receive {
    at        = "98h" # Saturday 14:00, closed until Monday
    connector = "whatsapp"
    channel   = "chat"
    thread    = "sat-1400"
    from      = "+48602000003"
    name      = "Oscar"
    language  = "en"
    text      = "Hi, quick question about sizes."
  }
  expect_not_sent { thread = "tue-noon" }
  expect_not_sent { thread = "sat-1359" }
  expect_sent {
    thread   = "sat-1400"
    at       = "98h1m"
    contains = "Hi Oscar,"
  }
  expect_sent {
    thread   = "sat-1400"
    at       = "98h1m"
    contains = "we will reply right here on Monday, 23 November from 09:00 (Warsaw time)"
  }
}

# Clocks go forward on Sunday 2027-03-28 (02:00 CET becomes 03:00 CEST),
# which is also Easter Sunday; Easter Monday is a public holiday in Poland.
# Offsets are real elapsed time from Saturday 12:00 CET (11:00 UTC):
# Tuesday 09:00 CEST is 07:00 UTC, 68 hours later (not 69).
test "over Easter and the DST change the next opening is Tuesday 09:00 CEST" {
  start = "2027-03-27T12:00:00+01:00" # Saturday, CET, open
  receive {
    connector = "whatsapp"
    channel   = "chat"
    thread    = "sat-open"
    from      = "+48603000001"
    language  = "pl"
    text      = "Dzień dobry, czy wysyłacie przed świętami?"
  }
  receive {
    at        = "2h" # Saturday 14:00 CET, closed
    connector = "whatsapp"
    channel   = "chat"
    thread    = "sat-closed"
    from      = "+48603000002"
    language  = "pl"
    text      = "Dzień dobry, czy wysyłacie przed świętami?"
  }
  receive {
    at        = "14h30m" # Sunday 03:30 CEST, just after the clocks jumped
    connector = "whatsapp"
    channel   = "chat"
    thread    = "sun-night"
    from      = "+48603000003"
    language  = "en"
    text      = "Happy Easter! Is the shop open on Monday?"
  }
  receive {
    at        = "67h50m" # Tuesday 08:50 CEST, still closed
    connector = "whatsapp"
    channel   = "chat"
    thread    = "tue-0850"
    from      = "+48603000004"
    language  = "pl"
    text      = "Dzień dobry, pytanie o zamówienie."
  }
  receive {
    at        = "68h" # Tuesday 09:00 CEST, open
    connector = "whatsapp"
    channel   = "chat"
    thread    = "tue-0900"
    from      = "+48603000005"
    language  = "pl"
    text      = "Dzień dobry, pytanie o zamówienie."
  }
  expect_not_sent { thread = "sat-open" }
  expect_sent {
    thread   = "sat-closed"
    at       = "2h1m"
    contains = "odpiszemy tutaj we wtorek (30.03) od 09:00"
  }
  expect_sent {
    thread   = "sun-night"
    at       = "14h31m"
    contains = "on Tuesday, 30 March from 09:00"
  }
  expect_sent {
    thread   = "tue-0850"
    at       = "67h51m"
    contains = "we wtorek (30.03) od 09:00"
  }
  expect_not_sent { thread = "tue-0900" }
}

test "no away message when someone answers anyway" {
  start = "2026-11-17T21:00:00+01:00" # Tuesday evening
  receive {
    connector = "whatsapp"
    channel   = "chat"
    thread    = "wa-2"
    from      = "+48602300500"
    language  = "pl"
    text      = "Pilne: czy kurier może przyjść jutro?"
  }
  agent_reply {
    at     = "40s"
    thread = "wa-2"
  }
  expect_not_sent { thread = "wa-2" }
}

test "one away message per conversation in 24 hours" {
  start = "2026-11-17T21:00:00+01:00" # Tuesday evening
  receive {
    connector = "whatsapp"
    channel   = "chat"
    thread    = "wa-3"
    from      = "+48602300600"
    language  = "pl"
    text      = "Dobry wieczór!"
  }
  receive {
    at        = "10m"
    connector = "whatsapp"
    channel   = "chat"
    thread    = "wa-3"
    from      = "+48602300600"
    language  = "pl"
    text      = "Chciałam zapytać o zwrot."
  }
  receive {
    at        = "2h"
    connector = "whatsapp"
    channel   = "chat"
    thread    = "wa-3"
    from      = "+48602300600"
    language  = "pl"
    text      = "Halo?"
  }
  expect_sent {
    thread = "wa-3"
    at     = "1m"
  }
  expect_sent {
    thread = "wa-3"
    count  = 1
  }
}

test "automatic messages and other channels get nothing" {
  start = "2026-11-17T21:00:00+01:00" # Tuesday evening
  receive {
    connector      = "whatsapp"
    channel        = "chat"
    thread         = "wa-bot"
    from           = "+48602999999"
    language       = "pl"
    text           = "Dziękujemy za wiadomość, odpowiemy wkrótce."
    auto_generated = true
  }
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "allegro-1"
    from      = "allegro-buyer"
    language  = "pl"
    text      = "Dzień dobry, pytanie wieczorem."
  }
  expect_not_sent { thread = "wa-bot" }
  expect_not_sent { thread = "allegro-1" }
}
