package loopguard

import (
	"strings"
	"testing"

	"github.com/switchboard-hub/switchboard/sdk"
)

// human is the header set of an ordinary message a buyer typed in a mail
// client; every case starts from it so that a rule is tested against the
// noise of a real message, not an empty map.
func human() map[string]string {
	return map[string]string{
		"Return-Path":    "<jan.kowalski@example.pl>",
		"Received":       "from mx.example.pl (mx.example.pl [192.0.2.1]) by mail.shop.pl",
		"DKIM-Signature": "v=1; a=rsa-sha256; d=example.pl; s=s1; b=abc",
		"Message-ID":     "<CAB1234@mail.example.pl>",
		"Date":           "Mon, 2 Mar 2026 10:00:00 +0100",
		"From":           "Jan Kowalski <jan.kowalski@example.pl>",
		"To":             "sklep@shop.pl",
		"Subject":        "Re: Zamówienie 123456",
		"MIME-Version":   "1.0",
		"Content-Type":   "text/plain; charset=UTF-8",
		"X-Mailer":       "Thunderbird 128.0",
		"Feedback-ID":    "1.eu-west-1.abc:AmazonSES",
	}
}

// with returns the human headers plus the given ones, which replace any
// header of the same name in whatever case it was written.
func with(kv ...string) map[string]string {
	h := human()
	for i := 0; i+1 < len(kv); i += 2 {
		for k := range h {
			if strings.EqualFold(k, kv[i]) {
				delete(h, k)
			}
		}
		h[kv[i]] = kv[i+1]
	}
	return h
}

func TestAutomaticHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		headers map[string]string
		want    string // the reason; "" means human
	}{
		{"ordinary message", human(), ""},
		{"no headers at all", nil, ""},

		// Auto-Submitted, RFC 3834 section 5.
		{"auto-replied", with("Auto-Submitted", "auto-replied"), "Auto-Submitted: auto-replied"},
		{"auto-generated", with("Auto-Submitted", "auto-generated"), "Auto-Submitted: auto-generated"},
		{"auto-notified", with("Auto-Submitted", "auto-notified"), "Auto-Submitted: auto-notified"},
		{"value in upper case", with("Auto-Submitted", "AUTO-REPLIED"), "Auto-Submitted: auto-replied"},
		{"parameters", with("Auto-Submitted", "auto-replied; owner-email=\"owner@example.com\""), "Auto-Submitted: auto-replied"},
		{"leading comment", with("Auto-Submitted", "(sent by cron (nightly)) auto-generated"), "Auto-Submitted: auto-generated"},
		{"folded value", with("Auto-Submitted", "\r\n auto-replied"), "Auto-Submitted: auto-replied"},
		{"unknown keyword", with("Auto-Submitted", "auto-something-new"), "Auto-Submitted: auto-something-new"},
		{"name in lower case", with("auto-submitted", "auto-replied"), "Auto-Submitted: auto-replied"},
		{"name in upper case", with("AUTO-SUBMITTED", "auto-replied"), "Auto-Submitted: auto-replied"},
		{"no is human", with("Auto-Submitted", "no"), ""},
		{"No is human", with("Auto-Submitted", " No "), ""},
		{"no with a comment is human", with("Auto-Submitted", "no (typed by a person)"), ""},
		{"empty value carries no signal", with("Auto-Submitted", ""), ""},
		{"only a comment carries no signal", with("Auto-Submitted", "(nothing)"), ""},

		// The pre-RFC 3834 autoresponder headers.
		{"X-Autoreply yes", with("X-Autoreply", "yes"), "X-Autoreply header"},
		{"X-Autoreply any value", with("x-autoreply", "Mailer Vacation 2.1"), "X-Autoreply header"},
		{"X-Autorespond", with("X-Autorespond", "true"), "X-Autorespond header"},
		{"X-Autoresponder", with("X-AUTORESPONDER", "1"), "X-Autoresponder header"},
		{"X-Autoreply no", with("X-Autoreply", "no"), ""},
		{"X-Autoreply false", with("X-Autoreply", "False"), ""},
		{"X-Autoreply off", with("X-Autoreply", "off"), ""},
		{"X-Autoreply 0", with("X-Autoreply", "0"), ""},
		{"X-Autoreply empty", with("X-Autoreply", "  "), ""},

		// Precedence.
		{"bulk", with("Precedence", "bulk"), "Precedence: bulk"},
		{"junk", with("Precedence", "junk"), "Precedence: junk"},
		{"list", with("precedence", "list"), "Precedence: list"},
		{"auto_reply", with("Precedence", "auto_reply"), "Precedence: auto_reply"},
		{"Bulk, trimmed", with("Precedence", "  Bulk \r\n"), "Precedence: bulk"},
		{"first-class is human", with("Precedence", "first-class"), ""},
		{"normal is human", with("Precedence", "normal"), ""},
		{"urgent is human", with("Precedence", "urgent"), ""},
		{"bulky is human", with("Precedence", "bulky"), ""},
		{"empty precedence", with("Precedence", ""), ""},

		// Exchange asks not to be auto-replied to.
		{"suppress All", with("X-Auto-Response-Suppress", "All"), "X-Auto-Response-Suppress: All"},
		{"suppress OOF in a list", with("X-Auto-Response-Suppress", "DR, OOF, AutoReply"), "X-Auto-Response-Suppress: OOF"},
		{"suppress AutoReply", with("x-auto-response-suppress", "autoreply"), "X-Auto-Response-Suppress: AutoReply"},
		{"suppress receipts only", with("X-Auto-Response-Suppress", "DR, NDR, RN, NRN"), ""},
		{"suppress None", with("X-Auto-Response-Suppress", "None"), ""},

		// Mailing lists.
		{"List-Id", with("List-Id", "<buyers.example.com>"), "List-Id header"},
		{"List-Unsubscribe", with("list-unsubscribe", "<mailto:leave@example.com>"), "List-Unsubscribe header"},
		{"List-Post", with("List-Post", "<mailto:buyers@example.com>"), "List-Post header"},
		{"List-Unsubscribe-Post", with("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"), "List-Unsubscribe-Post header"},
		{"two list headers give a stable reason", with("List-Unsubscribe", "<mailto:x@example.com>", "List-Id", "<l.example.com>"), "List-Id header"},
		{"bare List- is no list header", with("List-", "x"), ""},
		{"empty List-Id", with("List-Id", ""), ""},
		{"Listing is no list header", with("Listing", "123"), ""},

		// The null return path.
		{"Return-Path <>", with("Return-Path", "<>"), "null return path"},
		{"Return-Path empty", with("Return-Path", ""), "null return path"},
		{"Return-Path < >", with("return-path", " < > "), "null return path"},
		{"Return-Path address", with("Return-Path", "<a@example.com>"), ""},
		{"no Return-Path", func() map[string]string { h := human(); delete(h, "Return-Path"); return h }(), ""},

		// X-Loop.
		{"X-Loop", with("X-Loop", "helpdesk@shop.example"), "X-Loop header"},
		{"X-Loop empty", with("X-Loop", ""), ""},

		// Reports.
		{"delivery status notification", with("Content-Type", "multipart/report; report-type=delivery-status; boundary=\"b\""), "multipart/report content (a delivery or read report)"},
		{"read receipt", with("content-type", "Multipart/Report; report-type=disposition-notification"), "multipart/report content (a delivery or read report)"},
		{"multipart/mixed is human", with("Content-Type", "multipart/mixed; boundary=\"b\""), ""},

		// Not rules.
		{"Feedback-ID alone is human", with("Feedback-ID", "123:campaign:esp"), ""},
		{"X-Mailer alone is human", with("X-Mailer", "Microsoft Outlook 16.0"), ""},

		// Order of reasons.
		{"Auto-Submitted wins over Precedence", with("Precedence", "bulk", "Auto-Submitted", "auto-generated", "List-Id", "<x>"), "Auto-Submitted: auto-generated"},
		{"Precedence wins over List-Id", with("List-Id", "<x>", "Precedence", "list"), "Precedence: list"},
		{"a human Auto-Submitted does not hide a list", with("Auto-Submitted", "no", "List-Id", "<x>"), "List-Id header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := &sdk.Message{Headers: tt.headers, Sender: sdk.Party{Email: "jan.kowalski@example.pl"}}
			auto, reason := Automatic(m)
			if auto != (tt.want != "") || reason != tt.want {
				t.Errorf("Automatic(%v) = %v, %q; want %v, %q", tt.headers, auto, reason, tt.want != "", tt.want)
			}
		})
	}
}

func TestAutomaticSender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		sender sdk.Party
		want   string
	}{
		{"person", sdk.Party{Email: "jan.kowalski@example.pl", Name: "Jan Kowalski"}, ""},
		{"no sender", sdk.Party{}, ""},

		{"MAILER-DAEMON", sdk.Party{Email: "MAILER-DAEMON@example.com"}, `sender "MAILER-DAEMON@example.com" is a mailer daemon`},
		{"mailer-daemon lower case", sdk.Party{Email: "mailer-daemon@mx.example.com"}, `sender "mailer-daemon@mx.example.com" is a mailer daemon`},
		{"postmaster", sdk.Party{Email: "Postmaster@example.com"}, `sender "Postmaster@example.com" is a postmaster address`},
		{"noreply", sdk.Party{Email: "noreply@allegro.pl"}, `sender "noreply@allegro.pl" is a no-reply address`},
		{"no-reply", sdk.Party{Email: "no-reply@amazon.de"}, `sender "no-reply@amazon.de" is a no-reply address`},
		{"no_reply", sdk.Party{Email: "No_Reply@example.com"}, `sender "No_Reply@example.com" is a no-reply address`},
		{"no.reply", sdk.Party{Email: "no.reply@example.com"}, `sender "no.reply@example.com" is a no-reply address`},
		{"donotreply", sdk.Party{Email: "DoNotReply@example.com"}, `sender "DoNotReply@example.com" is a no-reply address`},
		{"do-not-reply", sdk.Party{Email: "do-not-reply@example.com"}, `sender "do-not-reply@example.com" is a no-reply address`},
		{"dont-reply", sdk.Party{Email: "dont-reply@example.com"}, `sender "dont-reply@example.com" is a no-reply address`},
		{"noreply with a tag", sdk.Party{Email: "noreply+orders-42@example.com"}, `sender "noreply+orders-42@example.com" is a no-reply address`},
		{"bounce", sdk.Party{Email: "bounce@example.com"}, `sender "bounce@example.com" is a bounce address`},
		{"bounces with VERP tag", sdk.Party{Email: "bounces+1234-abcd=example.com@esp.example.net"}, `sender "bounces+1234-abcd=example.com@esp.example.net" is a bounce address`},
		{"autoreply", sdk.Party{Email: "autoreply@example.com"}, `sender "autoreply@example.com" is an autoresponder`},
		{"LISTSERV", sdk.Party{Email: "LISTSERV@lists.example.edu"}, `sender "LISTSERV@lists.example.edu" is a mailing list manager`},
		{"owner-", sdk.Party{Email: "owner-buyers@example.com"}, `sender "owner-buyers@example.com" is a mailing list manager`},
		{"-request", sdk.Party{Email: "buyers-request@example.com"}, `sender "buyers-request@example.com" is a mailing list manager`},
		{"angle brackets", sdk.Party{Email: "Mail Delivery System <MAILER-DAEMON@example.com>"}, `sender "Mail Delivery System <MAILER-DAEMON@example.com>" is a mailer daemon`},
		{"handle that is an address", sdk.Party{Handle: "noreply@example.com"}, `sender "noreply@example.com" is a no-reply address`},

		// Exact local parts only.
		{"noreply prefix is human", sdk.Party{Email: "noreply-support-team@example.com"}, ""},
		{"noreply suffix is human", sdk.Party{Email: "shop-noreply@example.com"}, ""},
		{"bouncer is human", sdk.Party{Email: "bouncer@example.com"}, ""},
		{"postmaster's domain is human", sdk.Party{Email: "jan@postmaster.example.com"}, ""},
		{"bare owner- is human", sdk.Party{Email: "owner-@example.com"}, ""},
		{"request without the hyphen is human", sdk.Party{Email: "request@example.com"}, ""},
		{"noreply without a domain is no address", sdk.Party{Email: "noreply"}, ""},
		{"noreply@ is no address", sdk.Party{Email: "noreply@"}, ""},
		{"marketplace login handle", sdk.Party{Handle: "noreply"}, ""},
		{"phone handle", sdk.Party{Handle: "+48600100200", Phone: "+48600100200"}, ""},
		{"anonymised marketplace relay", sdk.Party{Email: "x7kq2m9wz1@marketplace.amazon.de"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := &sdk.Message{Headers: human(), Sender: tt.sender}
			auto, reason := Automatic(m)
			if auto != (tt.want != "") || reason != tt.want {
				t.Errorf("Automatic(sender %+v) = %v, %q; want %v, %q", tt.sender, auto, reason, tt.want != "", tt.want)
			}
		})
	}
}

func TestAutomaticConnectorFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		m    *sdk.Message
		want string
	}{
		{"nil message", nil, ""},
		{"empty message", &sdk.Message{}, ""},
		{"flag on a marketplace message", &sdk.Message{Connector: "allegro", AutoGenerated: true, Sender: sdk.Party{Handle: "allegro-system"}}, "connector marked it auto-generated"},
		{"headers win over the flag", &sdk.Message{AutoGenerated: true, Headers: map[string]string{"Auto-Submitted": "auto-replied"}}, "Auto-Submitted: auto-replied"},
		{"sender wins over the flag", &sdk.Message{AutoGenerated: true, Sender: sdk.Party{Email: "noreply@example.com"}}, `sender "noreply@example.com" is a no-reply address`},
		{"whatsapp text", &sdk.Message{Connector: "whatsapp", Sender: sdk.Party{Phone: "+48600100200"}, Text: "Dzień dobry"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			auto, reason := Automatic(tt.m)
			if auto != (tt.want != "") || reason != tt.want {
				t.Errorf("Automatic() = %v, %q; want %v, %q", auto, reason, tt.want != "", tt.want)
			}
		})
	}
}

// The reason must not depend on the order in which the map is iterated.
func TestAutomaticReasonIsStable(t *testing.T) {
	t.Parallel()
	h := with(
		"list-id", "<a>", "List-Id", "<b>", "LIST-UNSUBSCRIBE", "<c>",
		"X-Autorespond", "yes", "x-autoreply", "yes", "X-Loop", "x",
	)
	m := &sdk.Message{Headers: h}
	_, first := Automatic(m)
	for range 200 {
		if _, r := Automatic(m); r != first {
			t.Fatalf("reason changed between calls: %q then %q", first, r)
		}
	}
	if first != "X-Autoreply header" {
		t.Errorf("reason = %q, want the X-Autoreply header (same rank as X-Autorespond, smaller key)", first)
	}
}

func TestHumanMessageDoesNotAllocate(t *testing.T) {
	m := &sdk.Message{Headers: human(), Sender: sdk.Party{Email: "Jan Kowalski <jan.kowalski@example.pl>", Handle: "jan.kowalski@example.pl"}}
	if n := testing.AllocsPerRun(100, func() { Automatic(m) }); n != 0 {
		t.Errorf("Automatic allocated %v times for a human message, want 0", n)
	}
}

func TestFirstToken(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"":                          "",
		"   ":                       "",
		"auto-replied":              "auto-replied",
		" auto-replied ; a=b":       "auto-replied",
		"(c) no":                    "no",
		"(a (nested) comment) bulk": "bulk",
		`(escaped \) paren) junk`:   "junk",
		"(unclosed comment no":      "",
		"multipart/report;x=y":      "multipart/report",
		"list,bulk":                 "list",
		"bulk(comment)":             "bulk",
	}
	for in, want := range tests {
		if got := firstToken(in); got != want {
			t.Errorf("firstToken(%q) = %q, want %q", in, got, want)
		}
	}
}
