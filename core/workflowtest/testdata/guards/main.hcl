hub {
  reply_window = "24h"
  breaker {
    limit = 2
    per   = "1h"
  }
}

workflow "ack" {
  description = "Acknowledge every message"
  trigger {
    sources = ["shop", "amazon", "whatsapp"]
  }
  step "reply" "ack" { text = "Thank you for your message." }
}
