# WhatsApp greeting: the first time a contact writes to us on WhatsApp —
# and again when they come back after 14 days of silence — greet them and
# say what happens next, the way WhatsApp Business's greeting message does.
#
# WhatsApp allows free-form replies only within 24 hours of the buyer's last
# message (the channel's service window); a greeting one minute later is
# well inside it.

template "whatsapp_greeting" {
  default_language = "pl"
  text = {
    pl = <<-EOT
      Dzień dobry, ${default(contact.name, "Szanowni Państwo")}! 👋

      Dziękujemy za wiadomość i za kontakt przez WhatsAppa. Konsultant odpowie tutaj najszybciej, jak to możliwe. Jeśli sprawa dotyczy zamówienia, prosimy o podanie jego numeru — to przyspieszy odpowiedź.
    EOT
    en = <<-EOT
      Hi ${default(contact.name, "there")}! 👋

      Thanks for reaching out to us on WhatsApp. One of our team will reply right here as soon as possible. If it is about an order, please send the order number too — it helps us answer faster.
    EOT
  }
}

workflow "whatsapp_greeting" {
  description = "Greet a contact's first WhatsApp message, and again after 14 quiet days"
  trigger {
    event   = "message_received"
    sources = ["whatsapp.chat"]
    mode    = "first_contact_message"
    idle    = "14d"
  }
  step "reply" "greeting" {
    template        = template.whatsapp_greeting
    delay           = "1m"
    unless_answered = true
  }
}
