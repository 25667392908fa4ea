schedule "office" {
  timezone = "Europe/Warsaw"
  hours    = { mon_fri = "09:00-17:00" }
}

template "later" {
  default_language = "en"
  text = {
    en = "We will be back at ${formatdate("hh:mm", next_open(schedule.office))}."
    de = "Wir sind um ${formatdate("hh:mm", next_open(schedule.office))} zurück."
  }
}

workflow "triage" {
  description = "Tag, assign, wait, then nudge if nobody answered"
  trigger {}
  condition = !open_now(schedule.office)
  step "tag" "tag" { tags = ["after-hours", "triage"] }
  step "status" "status" { status = "waiting" }
  step "assign" "assign" { to = "night-shift" }
  step "wait" "pause" { duration = "1h" }
  step "reply" "nudge" { template = template.later }
}
