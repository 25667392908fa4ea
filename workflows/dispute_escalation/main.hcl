# Dispute escalation: a message in Allegro Discussions (where buyers open
# disputes) goes straight to the disputes team — tagged "dispute", status
# "escalated", assigned — and the buyer gets a short, empathetic
# acknowledgement unless someone from the team answers within 5 minutes.
#
# Two workflows, on purpose: the loop guard keeps a workflow that replies
# from firing at all on an automatic message, and with it every other step.
# Allegro's own notices in a discussion must still reach the team, so the
# triage (tag, status, assign) has no reply step and runs on every message,
# automatic ones included; the acknowledgement is a workflow of its own.
#
# Notifying the team elsewhere (chat, CRM) needs an action plugin, such as
# the first-party `http` action; see workflows/README.md for how to add it.
# It is left out here because action steps are checked against the plugin's
# schema from switchboard.lock.json, which this folder does not ship.

template "dispute_ack" {
  default_language = "pl"
  text = {
    pl = <<-EOT
      Dzień dobry, ${default(contact.name, "Szanowni Państwo")}!

      Bardzo nam przykro, że coś poszło nie tak — rozumiemy, jakie to frustrujące. Sprawą zajmuje się już osobiście nasz zespół i odezwiemy się najpóźniej w ciągu jednego dnia roboczego, a zwykle dużo szybciej. Jeśli to możliwe, prosimy dołączyć zdjęcia lub krótki opis problemu — pomoże nam to szybciej znaleźć dobre rozwiązanie.

      Przepraszamy za kłopot i dziękujemy za cierpliwość
      Zespół obsługi klienta
    EOT
    en = <<-EOT
      Hi ${default(contact.name, "there")},

      We are really sorry that something went wrong, and we understand how frustrating this is. Our team has already taken up your case personally and will get back to you within one working day at the latest — usually much sooner. If you can, please add photos or a short description of the problem; it will help us find a good solution faster.

      With apologies for the trouble, and thank you for your patience,
      The customer service team
    EOT
  }
}

workflow "dispute_triage" {
  description = "Tag, escalate and assign every Allegro discussion message to the disputes team"
  trigger {
    event   = "message_received"
    sources = ["allegro.discussions"]
  }
  step "tag" "mark" { tags = ["dispute"] }
  step "status" "escalate" { status = "escalated" }
  step "assign" "team" { to = "disputes" }
}

workflow "dispute_acknowledge" {
  description  = "Acknowledge a buyer's dispute message with empathy unless the team answers first"
  reply_window = "7d" # one acknowledgement per dispute a week; after that the team talks
  trigger {
    event   = "message_received"
    sources = ["allegro.discussions"]
  }
  step "reply" "acknowledge" {
    template        = template.dispute_ack
    delay           = "5m"
    unless_answered = true
  }
}
