# Vacation away message: while the shop is closed for a holiday, answer
# every buyer message on every channel with the date we are back. Set the
# dates below before you leave; the workflow switches itself on at the
# start of away_from and off at the start of back_on, so it can stay in the
# configuration all year (or set enabled = false between holidays).
#
# How the dates are compared: today("Europe/Warsaw") is the shop's local
# date ("2027-01-06"); written as a number (20270106) it compares with the
# dates below, so daylight saving needs no thought.

locals {
  away_from = "2026-12-23" # first day away (local date)
  back_on   = "2027-01-07" # first day back at work (local date)

  # The dates as numbers such as 20270107.
  away_from_day = tonumber(replace(local.away_from, "-", ""))
  back_on_day   = tonumber(replace(local.back_on, "-", ""))

  # The return date for the texts: "w czwartek, 7 stycznia" and "Thursday, 7 January".
  back_on_ts = "${local.back_on}T00:00:00Z"
  pl_on_day = {
    Monday    = "w poniedziałek"
    Tuesday   = "we wtorek"
    Wednesday = "w środę"
    Thursday  = "w czwartek"
    Friday    = "w piątek"
    Saturday  = "w sobotę"
    Sunday    = "w niedzielę"
  }
  pl_months  = ["stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września", "października", "listopada", "grudnia"]
  back_on_pl = "${local.pl_on_day[formatdate("EEEE", local.back_on_ts)]}, ${formatdate("D", local.back_on_ts)} ${local.pl_months[tonumber(formatdate("M", local.back_on_ts)) - 1]}"
  back_on_en = formatdate("EEEE, D MMMM", local.back_on_ts)
}

template "away" {
  default_language = "pl"
  text = {
    pl = <<-EOT
      Dzień dobry, ${default(contact.name, "Szanowni Państwo")}!

      Dziękujemy za wiadomość. Jesteśmy teraz na krótkim urlopie i wracamy ${local.back_on_pl}. Wtedy zajmiemy się wszystkimi wiadomościami po kolei i odpowiemy osobiście. Zamówienia złożone w tym czasie wyślemy zaraz po powrocie.

      Dziękujemy za cierpliwość i pozdrawiamy serdecznie
      Zespół obsługi klienta
    EOT
    en = <<-EOT
      Hi ${default(contact.name, "there")},

      Thank you for your message. We are on a short holiday and will be back on ${local.back_on_en}. We will then go through all messages in order and reply to you personally. Orders placed in the meantime will be shipped as soon as we are back.

      Thank you for your patience, and warm regards,
      The customer service team
    EOT
  }
}

workflow "vacation_away" {
  description  = "While we are on holiday, tell buyers on every channel when we are back"
  reply_window = "7d" # one away message per thread a week, like Sieve vacation's :days
  trigger {
    event = "message_received" # no sources: every channel
  }
  condition = (
    tonumber(replace(today("Europe/Warsaw"), "-", "")) >= local.away_from_day &&
    tonumber(replace(today("Europe/Warsaw"), "-", "")) < local.back_on_day
  )
  step "reply" "away" {
    template        = template.away
    delay           = "5m"
    unless_answered = true
  }
}
