# After-hours notice: outside office hours — weekday evenings and nights
# from 18:00 to 10:00, weekends and Polish public holidays — tells the buyer
# when the office opens again. The time comes from next_open(), so it is
# always right: "Thursday 10:00" on the eve of a holiday, "Monday 10:00" on
# Christmas Eve, correct across daylight saving changes. It is asked about
# the message's arrival, not the reply's delayed sending: a message at 09:57
# hears "from 10:00" at 10:02, not "from 10:02".
#
# The schedule describes when the office is OPEN; the workflow fires when it
# is not (!open_now). The weekday hours 10:00-18:00 leave the overnight
# 18:00-10:00 closed.

locals {
  # "on <weekday>" in Polish, by formatdate's English day name.
  pl_on_day = {
    Monday    = "w poniedziałek"
    Tuesday   = "we wtorek"
    Wednesday = "w środę"
    Thursday  = "w czwartek"
    Friday    = "w piątek"
    Saturday  = "w sobotę"
    Sunday    = "w niedzielę"
  }
}

schedule "office" {
  timezone        = "Europe/Warsaw"
  hours           = { mon_fri = "10:00-18:00" }
  public_holidays = ["PL"]
  # Company days off on top of the public holidays, for example:
  # holidays = ["2026-12-31", "2027-08-02..2027-08-13"]
}

template "after_hours" {
  default_language = "pl"
  text = {
    pl = <<-EOT
      Dzień dobry, ${default(contact.name, "Szanowni Państwo")}!

      Dziękujemy za wiadomość. W tej chwili nasze biuro jest zamknięte, ale wiadomość na pewno nie zginie — zajmiemy się nią ${lookup(local.pl_on_day, formatdate("EEEE", next_open(schedule.office, message.received_at)), "")} (${formatdate("DD.MM", next_open(schedule.office, message.received_at))}) od ${formatdate("hh:mm", next_open(schedule.office, message.received_at))} i odpowiemy najszybciej, jak to możliwe.

      Pozdrawiamy serdecznie
      Zespół obsługi klienta
    EOT
    en = <<-EOT
      Hi ${default(contact.name, "there")},

      Thank you for your message. Our office is closed right now, but your message is safe with us: we will pick it up on ${formatdate("EEEE, D MMMM", next_open(schedule.office, message.received_at))} from ${formatdate("hh:mm", next_open(schedule.office, message.received_at))} (Warsaw time) and reply as soon as we can.

      Kind regards,
      The customer service team
    EOT
  }
}

workflow "after_hours" {
  description = "Outside office hours, tell buyers when we open again"
  trigger {
    event   = "message_received"
    sources = ["allegro.message_center", "ebay.messages", "email.inbox"]
  }
  condition = !open_now(schedule.office)
  step "reply" "after_hours_notice" {
    template        = template.after_hours
    delay           = "5m"
    unless_answered = true
  }
}
