package language

import (
	"strings"
	"testing"
)

// BenchmarkDetect measures a warm detector (models loaded by the first
// call, outside the timer) on what buyers send: a one-line question, a
// paragraph, a long e-mail that is cut at maxBytes, and "ok", which never
// reaches the models.
func BenchmarkDetect(b *testing.B) {
	d := New()
	d.Detect("Dzień dobry, kiedy wyślecie moją paczkę?")
	email := strings.Repeat("Dzień dobry, zamówienie jeszcze nie dotarło, a minął już tydzień. Proszę o numer przesyłki i informację, kiedy paczka zostanie wysłana. ", 30)
	cases := []struct{ name, text string }{
		{"question-40B", "Dzień dobry, kiedy wyślecie moją paczkę?"},
		{"paragraph-260B", "Hallo, mein Paket ist noch nicht angekommen. Können Sie mir die Sendungsnummer schicken? Ich habe vor einer Woche bezahlt und der Status hat sich seitdem nicht geändert. Vielen Dank im Voraus für Ihre Hilfe."},
		{"email-4KB", email},
		{"ok", "ok"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d.Detect(c.text)
			}
		})
	}
}
