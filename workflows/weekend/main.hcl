# Weekend notice: on Saturdays and Sundays (Warsaw time) tells the buyer
# that nobody reads messages over the weekend and when we will. The day is
# not hard-coded: it is the next opening of the office schedule, so on the
# Easter weekend (Easter Monday is a public holiday in Poland) the text says
# Tuesday.
#
# One notice per thread per weekend: reply_window = "3d" keeps a buyer who
# writes on Saturday and again on Sunday from getting the notice twice.

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
}

template "weekend" {
  default_language = "pl"
  text = {
    pl = <<-EOT
      Dzień dobry, ${default(contact.name, "Szanowni Państwo")}!

      Dziękujemy za wiadomość. W weekend nasz zespół odpoczywa, ale wiadomość na pewno nie zginie — przeczytamy ją ${lookup(local.pl_on_day, formatdate("EEEE", next_open(schedule.office, message.received_at)), "")} (${formatdate("DD.MM", next_open(schedule.office, message.received_at))}) od rana i odpowiemy tak szybko, jak to możliwe.

      Miłego weekendu!
      Zespół obsługi klienta
    EOT
    en = <<-EOT
      Hi ${default(contact.name, "there")},

      Thank you for your message. Our team is off for the weekend, but your message is safe with us: we will read it on ${formatdate("EEEE", next_open(schedule.office, message.received_at))} morning (${formatdate("D MMMM", next_open(schedule.office, message.received_at))}) and reply as soon as we can.

      Have a lovely weekend,
      The customer service team
    EOT
  }
}

workflow "weekend" {
  description  = "Tell buyers who write on Saturday or Sunday that we will read it on Monday"
  reply_window = "3d"
  trigger {
    event   = "message_received"
    sources = ["allegro.message_center", "email.inbox"]
  }
  condition = contains(["sat", "sun"], weekday("Europe/Warsaw"))
  step "reply" "weekend_notice" {
    template        = template.weekend
    delay           = "5m"
    unless_answered = true
  }
}
