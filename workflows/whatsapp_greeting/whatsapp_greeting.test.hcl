# Tests for the WhatsApp greeting. Run with: switchboard test .
#
# The WhatsApp channel is declared here so that the tests run without the
# plugin: free-form replies only within 24 hours of the buyer's last message.
# Once switchboard.lock.json holds the real plugin, its schema counts and
# this declaration must agree with it (or be removed).
channel "whatsapp.chat" {
  service_window = "24h"
}
channel "allegro.message_center" {}

test "a contact's first message is greeted after a minute" {
  start = "2026-11-17T15:00:00+01:00"
  receive {
    connector = "whatsapp"
    account   = "shop_whatsapp"
    channel   = "chat"
    thread    = "wa-karolina"
    from      = "+48601200300"
    name      = "Karolina"
    language  = "pl"
    text      = "Dzień dobry! Czy ten fotel jest dostępny w kolorze zielonym?"
  }
  expect_not_sent {
    thread  = "wa-karolina"
    between = ["0s", "59s"]
  }
  expect_sent {
    thread   = "wa-karolina"
    at       = "1m"
    contains = "Dzień dobry, Karolina! 👋"
  }
  expect_sent {
    thread   = "wa-karolina"
    at       = "1m"
    contains = "Dziękujemy za wiadomość i za kontakt przez WhatsAppa."
  }
}

test "English speakers get the English greeting; without a name it falls back" {
  start = "2026-11-17T15:00:00+01:00"
  receive {
    connector = "whatsapp"
    channel   = "chat"
    thread    = "wa-en"
    from      = "+447700900123"
    language  = "en"
    text      = "Hi, do you deliver to the UK?"
  }
  expect_sent {
    thread   = "wa-en"
    at       = "1m"
    contains = "Hi there! 👋"
  }
  expect_sent {
    thread   = "wa-en"
    at       = "1m"
    contains = "One of our team will reply right here as soon as possible."
  }
}

test "further messages of the conversation are not greeted again" {
  start = "2026-11-17T15:00:00+01:00"
  receive {
    connector = "whatsapp"
    channel   = "chat"
    thread    = "wa-1"
    from      = "+48601200300"
    language  = "pl"
    text      = "Dzień dobry!"
  }
  receive {
    at        = "2m"
    connector = "whatsapp"
    channel   = "chat"
    thread    = "wa-1"
    from      = "+48601200300"
    language  = "pl"
    text      = "Mam pytanie o rozmiar."
  }
  receive {
    at        = "3d"
    connector = "whatsapp"
    channel   = "chat"
    thread    = "wa-1"
    from      = "+48601200300"
    language  = "pl"
    text      = "Jeszcze jedno pytanie."
  }
  expect_sent {
    thread = "wa-1"
    at     = "1m"
  }
  expect_sent {
    thread = "wa-1"
    count  = 1
  }
}

# Each message restarts the 14 days: after a message on day 10, the
# contact must stay quiet until day 24 to be greeted again.
test "the greeting comes back only after 14 quiet days" {
  start   = "2026-11-02T10:00:00+01:00"
  horizon = "40d" # the default is 30 days
  receive {
    connector = "whatsapp"
    channel   = "chat"
    thread    = "wa-2"
    from      = "+48601200400"
    language  = "pl"
    text      = "Dzień dobry, pytanie o dostawę."
  }
  receive {
    at        = "10d"
    connector = "whatsapp"
    channel   = "chat"
    thread    = "wa-2"
    from      = "+48601200400"
    language  = "pl"
    text      = "Dziękuję, paczka doszła."
  }
  receive {
    at        = "20d"
    connector = "whatsapp"
    channel   = "chat"
    thread    = "wa-2"
    from      = "+48601200400"
    language  = "pl"
    text      = "Chciałabym zamówić jeszcze raz."
  }
  receive {
    at        = "35d"
    connector = "whatsapp"
    channel   = "chat"
    thread    = "wa-2"
    from      = "+48601200400"
    language  = "pl"
    text      = "Dzień dobry, to znowu ja!"
  }
  expect_sent {
    thread = "wa-2"
    at     = "1m"
  }
  expect_not_sent {
    thread  = "wa-2"
    between = ["2m", "35d"]
  }
  expect_sent {
    thread = "wa-2"
    at     = "840h1m" # 35 days and 1 minute
  }
}

test "no greeting when a person answers first" {
  start = "2026-11-17T15:00:00+01:00"
  receive {
    connector = "whatsapp"
    channel   = "chat"
    thread    = "wa-3"
    from      = "+48601200500"
    language  = "pl"
    text      = "Dzień dobry, czy jesteście dziś otwarci?"
  }
  agent_reply {
    at     = "30s"
    thread = "wa-3"
  }
  expect_not_sent { thread = "wa-3" }
}

test "different contacts are greeted separately" {
  start = "2026-11-17T15:00:00+01:00"
  receive {
    connector = "whatsapp"
    channel   = "chat"
    thread    = "wa-a"
    from      = "+48601000001"
    language  = "pl"
    text      = "Dzień dobry!"
  }
  receive {
    at        = "5m"
    connector = "whatsapp"
    channel   = "chat"
    thread    = "wa-b"
    from      = "+48601000002"
    language  = "pl"
    text      = "Dzień dobry, mam pytanie."
  }
  expect_sent {
    thread = "wa-a"
    at     = "1m"
  }
  expect_sent {
    thread = "wa-b"
    at     = "6m"
  }
}

test "automatic messages and other channels are not greeted" {
  start = "2026-11-17T15:00:00+01:00"
  receive {
    connector      = "whatsapp"
    channel        = "chat"
    thread         = "wa-bot"
    from           = "+48601999999"
    language       = "pl"
    text           = "Dziękujemy za wiadomość. To jest automatyczna odpowiedź."
    auto_generated = true
  }
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "allegro-1"
    from      = "allegro-buyer"
    language  = "pl"
    text      = "Dzień dobry, pierwsza wiadomość."
  }
  expect_not_sent { thread = "wa-bot" }
  expect_not_sent { thread = "allegro-1" }
}
