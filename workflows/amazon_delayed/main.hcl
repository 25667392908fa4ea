# Amazon delayed acknowledgement: if nobody has answered an Amazon buyer
# message within 30 minutes, confirm that it arrived and that a person will
# reply within 24 hours (Amazon measures seller response time against 24
# hours). Amazon replies are never sent immediately: the channel has a
# minimum reply delay (see the test file), and this workflow waits longer
# than that anyway.
#
# Keep Amazon texts plain and short: no links, no marketing, nothing but
# what the buyer needs — Amazon's communication guidelines forbid the rest.

template "amazon_ack" {
  default_language = "en"
  text = {
    en = <<-EOT
      Hello ${default(contact.name, "there")},

      Thank you for your message. It has reached us, and a member of our team will reply to you personally within 24 hours — usually much sooner.

      Best regards,
      Customer Service
    EOT
    pl = <<-EOT
      Dzień dobry, ${default(contact.name, "Szanowni Państwo")}!

      Dziękujemy za wiadomość. Dotarła do nas i ktoś z naszego zespołu odpowie na nią osobiście w ciągu 24 godzin — zwykle znacznie szybciej.

      Pozdrawiamy serdecznie
      Obsługa klienta
    EOT
  }
}

workflow "amazon_delayed" {
  description = "Acknowledge Amazon buyer messages nobody answered within 30 minutes"
  trigger {
    event   = "message_received"
    sources = ["amazon.buyer_messages"]
  }
  step "reply" "ack" {
    template        = template.amazon_ack
    delay           = "30m"
    unless_answered = true
  }
}
