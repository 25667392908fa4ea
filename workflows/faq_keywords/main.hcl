# FAQ quick answers: three workflows answer the three most common questions
# — returns, order status and delivery — when a buyer's message mentions
# them, in Polish or English, and tag the thread so the team sees the topic
# at a glance.
#
# Priorities decide which answer a message gets when it mentions several
# topics: returns (30) before order status (20) before delivery (10), and
# stop = true ends the search at the first workflow that matches. "Where is
# my parcel? I chose courier delivery" gets the order-status answer only.
#
# Keywords are matched as whole words, ignoring case (has_keyword): "zwrot"
# matches "Zwrot towaru?" but not "zwrotnica". Polish needs its inflected
# forms listed. Only one automatic answer goes to a thread per 24 hours (the
# hub's reply_window): a second question the same day is for a person, but
# its tag is still added.
#
# The answers contain example policies (14-day returns, same-day dispatch
# until 14:00): change them to your shop's before use.

locals {
  returns_keywords = [
    "zwrot", "zwrotu", "zwrotem", "zwroty", "zwrócić", "zwrócę", "oddać", "odesłać", "odeślę",
    "odstąpić", "odstąpienie", "odstąpienia", "wymiana", "wymianę", "wymienić",
    "return", "returns", "refund", "refunds", "send back", "send it back", "money back", "exchange",
  ]
  order_status_keywords = [
    "status zamówienia", "statusu zamówienia", "gdzie jest", "gdzie moja", "gdzie moje", "gdzie mój",
    "kiedy dojdzie", "kiedy przyjdzie", "kiedy dotrze", "numer przesyłki", "numer nadania",
    "śledzenie", "nie doszła", "nie dotarła", "nie przyszła", "czy zostało wysłane", "czy już wysłane",
    "order status", "where is my order", "where is my parcel", "where is my package", "tracking",
    "tracking number", "has my order shipped", "has it shipped", "not arrived", "hasn't arrived",
    "not received",
  ]
  delivery_keywords = [
    "dostawa", "dostawy", "dostawę", "dostawie", "wysyłka", "wysyłki", "wysyłkę", "wysyłce",
    "kurier", "kuriera", "kurierem", "paczkomat", "paczkomatu", "paczkomatem", "inpost", "za granicę",
    "delivery", "deliver", "shipping", "ship", "courier", "parcel locker", "abroad",
  ]
}

template "faq_returns" {
  default_language = "pl"
  text = {
    pl = <<-EOT
      Dzień dobry, ${default(contact.name, "Szanowni Państwo")}!

      Dziękujemy za pytanie o zwrot. W skrócie: na odstąpienie od umowy jest 14 dni od otrzymania przesyłki, bez podawania przyczyny. Wystarczy odesłać towar w nienaruszonym stanie, najlepiej z numerem zamówienia w środku, a pieniądze zwrócimy niezwłocznie, najpóźniej w ciągu 14 dni, tą samą metodą płatności. Przy zakupie na Allegro zwrot najwygodniej zgłosić w zakładce „Moje zakupy”; adres do zwrotu i wszystkie szczegóły są w regulaminie sklepu.

      Jeśli chodzi o wymianę albo coś innego, prosimy o krótką odpowiedź — konsultant zajmie się tym osobiście.

      Pozdrawiamy serdecznie
      Zespół obsługi klienta
    EOT
    en = <<-EOT
      Hi ${default(contact.name, "there")},

      Thanks for asking about returns. In short: you can return your purchase within 14 days of receiving it, no reason needed. Just send the item back undamaged, ideally with your order number inside, and we will refund you promptly — within 14 days at the latest — using your original payment method. The return address and all the details are in our terms of sale.

      If you would like an exchange or need something else, just reply and a member of our team will take care of it personally.

      Kind regards,
      The customer service team
    EOT
  }
}

template "faq_order_status" {
  default_language = "pl"
  text = {
    pl = <<-EOT
      Dzień dobry, ${default(contact.name, "Szanowni Państwo")}!

      Dziękujemy za wiadomość. Status zamówienia i numer przesyłki są zawsze widoczne w szczegółach zamówienia — na Allegro w zakładce „Moje zakupy”, a przy zakupach w naszym sklepie w e-mailu z potwierdzeniem wysyłki, razem z linkiem do śledzenia paczki. Jeśli przesyłka nie dotarła w zapowiedzianym terminie, prosimy o odpowiedź z numerem zamówienia: sprawdzimy ją u przewoźnika i wrócimy z konkretną informacją.

      Pozdrawiamy serdecznie
      Zespół obsługi klienta
    EOT
    en = <<-EOT
      Hi ${default(contact.name, "there")},

      Thanks for your message. You can always see your order's status and tracking number in the order details — on Allegro under "My purchases", and for orders from our shop in the shipping confirmation e-mail, which also has the tracking link. If your parcel has not arrived when expected, just reply with your order number: we will check with the carrier and get back to you with a clear answer.

      Kind regards,
      The customer service team
    EOT
  }
}

template "faq_delivery" {
  default_language = "pl"
  text = {
    pl = <<-EOT
      Dzień dobry, ${default(contact.name, "Szanowni Państwo")}!

      Dziękujemy za pytanie o dostawę. Zamówienia opłacone w dni robocze do 14:00 wysyłamy jeszcze tego samego dnia, późniejsze — następnego dnia roboczego. Przesyłka kurierem lub do paczkomatu dociera zwykle w 1–2 dni robocze, a koszt i wszystkie dostępne formy dostawy widać przed zapłatą.

      Jeśli pytanie dotyczy czegoś więcej, konsultant odpowie osobiście.

      Pozdrawiamy serdecznie
      Zespół obsługi klienta
    EOT
    en = <<-EOT
      Hi ${default(contact.name, "there")},

      Thanks for asking about delivery. Orders paid on a working day by 14:00 (Polish time) leave us the same day; later ones go out on the next working day. Courier and parcel-locker deliveries usually take 1–2 working days within Poland, and you will see the cost and every delivery option before you pay.

      If there is anything else you would like to know, a member of our team will reply personally.

      Kind regards,
      The customer service team
    EOT
  }
}

workflow "faq_returns" {
  description = "Answer questions about returns and refunds"
  priority    = 30
  stop        = true
  trigger {
    event   = "message_received"
    sources = ["allegro.message_center", "email.inbox"]
  }
  condition = has_keyword(message.text, local.returns_keywords)
  step "tag" "topic" { tags = ["faq", "faq-returns"] }
  step "reply" "answer" {
    template        = template.faq_returns
    delay           = "2m"
    unless_answered = true
  }
}

workflow "faq_order_status" {
  description = "Answer questions about where an order is"
  priority    = 20
  stop        = true
  trigger {
    event   = "message_received"
    sources = ["allegro.message_center", "email.inbox"]
  }
  condition = has_keyword(message.text, local.order_status_keywords)
  step "tag" "topic" { tags = ["faq", "faq-order-status"] }
  step "reply" "answer" {
    template        = template.faq_order_status
    delay           = "2m"
    unless_answered = true
  }
}

workflow "faq_delivery" {
  description = "Answer questions about delivery times, options and costs"
  priority    = 10
  stop        = true
  trigger {
    event   = "message_received"
    sources = ["allegro.message_center", "email.inbox"]
  }
  condition = has_keyword(message.text, local.delivery_keywords)
  step "tag" "topic" { tags = ["faq", "faq-delivery"] }
  step "reply" "answer" {
    template        = template.faq_delivery
    delay           = "2m"
    unless_answered = true
  }
}
