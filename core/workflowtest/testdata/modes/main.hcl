workflow "welcome" {
  description = "Welcome a contact's first message, again after two weeks of silence"
  trigger {
    sources = ["whatsapp.chat"]
    mode    = "first_contact_message"
    idle    = "14d"
  }
  step "reply" "hello" { text = "Hello ${default(contact.name, "there")}!" }
}

workflow "thread_opener" {
  description = "Acknowledge the first buyer message of each Allegro thread"
  trigger {
    sources = ["allegro"]
    mode    = "first_message"
  }
  step "reply" "ack" { text = "Thanks, we are on it." }
}
