workflow "ack" {
  description = "Acknowledge after five minutes"
  trigger {}
  step "reply" "ack" {
    text  = "Thanks!"
    delay = "5m"
  }
  step "tag" "t" { tags = ["seen"] }
}
