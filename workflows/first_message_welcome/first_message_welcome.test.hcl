# Tests for the first-message welcome. Run with: switchboard test .
#
# Channels are declared here because no plugin lock file is present; with
# switchboard.lock.json the plugins' schemas count, and these declarations
# must agree with them (or be removed).
channel "allegro.message_center" {}
channel "allegro.discussions" {}
channel "ebay.messages" {}
channel "email.inbox" {}

test "the first message of a thread is welcomed after 2 minutes" {
  start = "2026-11-17T09:15:00+01:00"
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "t1"
    from      = "kasia_k"
    name      = "Kasia"
    language  = "pl"
    text      = "Dzień dobry, czy wysyłacie za granicę?"
  }
  expect_not_sent {
    thread  = "t1"
    between = ["0s", "1m59s"]
  }
  expect_sent {
    thread   = "t1"
    at       = "2m"
    contains = "Dzień dobry, Kasia!"
  }
  expect_sent {
    thread   = "t1"
    at       = "2m"
    contains = "Dziękujemy za wiadomość i za zainteresowanie naszym sklepem."
  }
}

test "follow-ups in the same thread are not welcomed again, even days later" {
  start = "2026-11-17T09:15:00+01:00"
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "t1"
    from      = "kasia_k"
    language  = "pl"
    text      = "Dzień dobry, czy wysyłacie za granicę?"
  }
  receive {
    at        = "20m"
    connector = "allegro"
    channel   = "message_center"
    thread    = "t1"
    from      = "kasia_k"
    language  = "pl"
    text      = "Chodzi mi o wysyłkę do Niemiec."
  }
  receive {
    at        = "3d"
    connector = "allegro"
    channel   = "message_center"
    thread    = "t1"
    from      = "kasia_k"
    language  = "pl"
    text      = "Czy jest już jakaś odpowiedź?"
  }
  expect_sent {
    thread = "t1"
    at     = "2m"
  }
  expect_sent {
    thread = "t1"
    count  = 1
  }
}

test "a new thread from the same buyer is welcomed again" {
  start = "2026-11-17T09:15:00+01:00"
  receive {
    connector = "allegro"
    channel   = "message_center"
    thread    = "t1"
    from      = "kasia_k"
    language  = "pl"
    text      = "Pytanie o rozmiar."
  }
  receive {
    at        = "1h"
    connector = "allegro"
    channel   = "message_center"
    thread    = "t2"
    from      = "kasia_k"
    language  = "pl"
    text      = "Osobne pytanie o inne zamówienie."
  }
  expect_sent {
    thread = "t1"
    at     = "2m"
  }
  expect_sent {
    thread = "t2"
    at     = "1h2m"
  }
}

test "an English e-mail gets the English welcome" {
  start = "2026-11-17T16:40:00+01:00"
  receive {
    connector = "email"
    channel   = "inbox"
    thread    = "mail-1"
    from      = "emma@example.com"
    name      = "Emma"
    subject   = "Question about sizes"
    language  = "en"
    text      = "Hello, do your shoes run true to size?"
  }
  expect_sent {
    thread   = "mail-1"
    at       = "2m"
    contains = "Hi Emma,"
  }
  expect_sent {
    thread   = "mail-1"
    at       = "2m"
    contains = "Thank you for getting in touch, and welcome!"
  }
}

test "no welcome when a person answers first" {
  start = "2026-11-17T09:15:00+01:00"
  receive {
    connector = "ebay"
    channel   = "messages"
    thread    = "e1"
    from      = "ebay-buyer"
    language  = "en"
    text      = "Can you combine shipping for two items?"
  }
  agent_reply {
    at     = "1m"
    thread = "e1"
  }
  expect_not_sent { thread = "e1" }
}

test "automatic messages are never welcomed" {
  start = "2026-11-17T09:15:00+01:00"
  receive {
    connector = "email"
    channel   = "inbox"
    thread    = "bounce"
    from      = "MAILER-DAEMON@mail.example.com"
    subject   = "Undelivered Mail Returned to Sender"
    language  = "en"
    text      = "This is the mail system. Your message could not be delivered."
  }
  receive {
    connector = "email"
    channel   = "inbox"
    thread    = "ooo"
    from      = "office@example.com"
    subject   = "Out of office"
    language  = "en"
    text      = "I am out of the office until Monday."
    headers   = { "Auto-Submitted" = "auto-replied" }
  }
  expect_not_sent { thread = "bounce" }
  expect_not_sent { thread = "ooo" }
}

test "disputes and other channels are not welcomed" {
  start = "2026-11-17T09:15:00+01:00"
  receive {
    connector = "allegro"
    channel   = "discussions"
    thread    = "dispute-1"
    from      = "kasia_k"
    language  = "pl"
    text      = "Paczka przyszła uszkodzona."
  }
  expect_not_sent { thread = "dispute-1" }
}
