package loopguard

import (
	"testing"

	"github.com/switchboard-hub/switchboard/sdk"
)

// Automatic runs on every inbound message before any workflow, so the
// benchmarks cover the common verdict (a human buyer's e-mail with a
// typical header set), a marketplace message with no headers, and the
// positive paths, which build a reason.
func BenchmarkAutomatic(b *testing.B) {
	received := human()
	received["ARC-Seal"] = "i=1; a=rsa-sha256; t=1700000000; cv=none; d=google.com; s=arc-20160816; b=xyz"
	received["ARC-Message-Signature"] = "i=1; a=rsa-sha256; c=relaxed/relaxed; d=google.com; s=arc-20160816"
	received["ARC-Authentication-Results"] = "i=1; mx.google.com; dkim=pass"
	received["Authentication-Results"] = "mx.shop.pl; dkim=pass; spf=pass; dmarc=pass"
	received["In-Reply-To"] = "<abc@shop.pl>"
	received["References"] = "<abc@shop.pl>"
	received["Content-Transfer-Encoding"] = "quoted-printable"
	received["X-Received"] = "by 2002:a05:6000:1:b0:1:2:3 with SMTP id abc"

	cases := []struct {
		name string
		m    *sdk.Message
	}{
		{"human-email-20-headers", &sdk.Message{Headers: received, Sender: sdk.Party{Name: "Jan Kowalski", Email: "jan.kowalski@example.pl"}}},
		{"marketplace-no-headers", &sdk.Message{Connector: "allegro", Sender: sdk.Party{ID: "123", Handle: "jan_k"}}},
		{"auto-submitted", &sdk.Message{Headers: with("Auto-Submitted", "auto-replied"), Sender: sdk.Party{Email: "jan.kowalski@example.pl"}}},
		{"mailer-daemon", &sdk.Message{Headers: human(), Sender: sdk.Party{Email: "MAILER-DAEMON@example.com"}}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Automatic(c.m)
			}
		})
	}
}
