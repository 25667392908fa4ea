# Allegro autoresponder: acknowledges every buyer message on Allegro
# (Discussions and the Message Center) ten minutes after it arrives, unless
# someone from the team has answered in the meantime.
#
# The hub sends at most one automatic reply per thread every 24 hours (hub
# reply_window), so a buyer who writes three times in a row gets one
# acknowledgement, not three. Automatic messages (auto-replies, bounces,
# Allegro's own notifications flagged by the connector) are never answered.

template "allegro_ack" {
  default_language = "pl"
  text = {
    pl = <<-EOT
      Dzień dobry, ${default(contact.name, "Szanowni Państwo")}!

      Dziękujemy za wiadomość — dotarła do nas i odpowiemy na nią najszybciej, jak to możliwe, zwykle w ciągu kilku godzin w dni robocze. Jeśli sprawa dotyczy konkretnego zamówienia, prosimy o dopisanie jego numeru, a sprawdzimy wszystko od razu.

      Pozdrawiamy serdecznie
      Zespół obsługi klienta
    EOT
    en = <<-EOT
      Hi ${default(contact.name, "there")},

      Thank you for your message — it has reached us, and we will get back to you as soon as we can, usually within a few hours on working days. If it is about a particular order, just add the order number and we will look into it straight away.

      Kind regards,
      The customer service team
    EOT
  }
}

workflow "allegro_autoresponder" {
  description = "Acknowledge every Allegro message after 10 minutes unless someone answered"
  trigger {
    event   = "message_received"
    sources = ["allegro.discussions", "allegro.message_center"]
    mode    = "every_message"
  }
  step "reply" "ack" {
    template        = template.allegro_ack
    delay           = "10m"
    unless_answered = true
  }
}
