template "thanks" {
  default_language = "en"
  text = {
    en = "Hi ${default(contact.name, "there")}, thanks for your message! We read every message and will answer within the hour."
    pl = "Dzień dobry${contact.name == "" ? "" : ", ${contact.name}"}! Dziękujemy za wiadomość, odpowiemy w ciągu godziny."
  }
}

workflow "acknowledge" {
  description = "Acknowledge every buyer message at once, once per thread a day"
  trigger {
    sources = ["webhook"]
  }
  step "reply" "thanks" {
    template = template.thanks
  }
  step "tag" "seen" {
    tags = ["acknowledged"]
  }
}
