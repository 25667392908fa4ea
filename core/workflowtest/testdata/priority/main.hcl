workflow "vip" {
  description = "VIP accounts get a personal note and nothing else"
  priority    = 10
  stop        = true
  trigger {
    accounts = ["vip_shop"]
  }
  step "reply" "note" { text = "A personal advisor will answer you shortly." }
}

workflow "faq_returns" {
  description = "Answer questions about returns"
  priority    = 5
  stop        = true
  trigger {}
  condition = has_keyword(message.text, ["zwrot", "return", "refund"])
  step "reply" "returns" { text = "You can return goods within 14 days." }
  step "tag" "tag" { tags = ["returns"] }
}

workflow "default_ack" {
  description = "Everything else"
  trigger {
    not_accounts = ["blocked"]
  }
  step "reply" "ack" { text = "Thanks, we will answer soon." }
}
