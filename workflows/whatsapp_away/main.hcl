# WhatsApp away message: outside WhatsApp support hours (and on Polish
# public holidays) tell the contact when we will answer, the way WhatsApp
# Business's away message does, but with the exact next opening time.
#
# Mind WhatsApp's 24-hour service window: free-form replies are allowed
# only within 24 hours of the buyer's last message. When the next opening
# is further away than that (Saturday afternoon until Monday morning, or a
# long holiday weekend), the agent who picks the conversation up will need
# an approved message template to write first.

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

schedule "whatsapp_support" {
  timezone        = "Europe/Warsaw"
  hours           = { mon_fri = "09:00-20:00", sat = "10:00-14:00" }
  public_holidays = ["PL"]
}

template "whatsapp_away" {
  default_language = "pl"
  text = {
    pl = <<-EOT
      Dzień dobry, ${default(contact.name, "Szanowni Państwo")}!

      Dziękujemy za wiadomość. Teraz jesteśmy poza godzinami pracy, ale wiadomość na pewno nie zginie — odpiszemy tutaj ${lookup(local.pl_on_day, formatdate("EEEE", next_open(schedule.whatsapp_support, message.received_at)), "")} (${formatdate("DD.MM", next_open(schedule.whatsapp_support, message.received_at))}) od ${formatdate("hh:mm", next_open(schedule.whatsapp_support, message.received_at))}.
    EOT
    en = <<-EOT
      Hi ${default(contact.name, "there")},

      Thanks for your message. We are outside our working hours right now, but your message is safe with us: we will reply right here on ${formatdate("EEEE, D MMMM", next_open(schedule.whatsapp_support, message.received_at))} from ${formatdate("hh:mm", next_open(schedule.whatsapp_support, message.received_at))} (Warsaw time).
    EOT
  }
}

workflow "whatsapp_away" {
  description = "Outside WhatsApp support hours, tell contacts when we will answer"
  trigger {
    event   = "message_received"
    sources = ["whatsapp.chat"]
  }
  condition = !open_now(schedule.whatsapp_support)
  step "reply" "away" {
    template        = template.whatsapp_away
    delay           = "1m"
    unless_answered = true
  }
}
