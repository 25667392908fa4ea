# First-message welcome: greets the buyer once per conversation, on the
# first message of each thread, and says what happens next. Follow-up
# messages in the same thread get nothing automatic — a person is on it.
#
# Disputes (allegro.discussions) are left out on purpose: they deserve the
# empathetic acknowledgement of dispute_escalation, not a cheerful welcome.

template "welcome" {
  default_language = "pl"
  text = {
    pl = <<-EOT
      Dzień dobry, ${default(contact.name, "Szanowni Państwo")}!

      Dziękujemy za wiadomość i za zainteresowanie naszym sklepem. Przeczytamy ją uważnie i odpowiemy osobiście — zwykle jeszcze tego samego dnia roboczego. Jeśli sprawa dotyczy zamówienia, prosimy o podanie jego numeru; dzięki temu odpowiedź będzie szybsza.

      Pozdrawiamy serdecznie
      Zespół obsługi klienta
    EOT
    en = <<-EOT
      Hi ${default(contact.name, "there")},

      Thank you for getting in touch, and welcome! We will read your message carefully and reply personally, usually on the same working day. If it is about an order, please include the order number so we can help you faster.

      Kind regards,
      The customer service team
    EOT
  }
}

workflow "first_message_welcome" {
  description = "Welcome the first buyer message of every thread"
  trigger {
    event   = "message_received"
    sources = ["allegro.message_center", "ebay.messages", "email.inbox"]
    mode    = "first_message"
  }
  step "reply" "welcome" {
    template        = template.welcome
    delay           = "2m"
    unless_answered = true
  }
}
