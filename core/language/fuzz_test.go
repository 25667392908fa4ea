package language

import (
	"testing"
	"unicode/utf8"
)

// FuzzPrepare checks the text clean-up on arbitrary input: no panic, never
// more than maxBytes, and valid UTF-8 in gives valid UTF-8 out.
func FuzzPrepare(f *testing.F) {
	for _, s := range []string{
		"", "ok", "Dzień dobry, kiedy wyślecie moją paczkę?", "> quoted\n-- \nsig",
		"\xff\xfe", "a@b c/d 123", "\r\n-- \r\n", "ż",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		out, letters, _ := prepare(text)
		if len(out) > maxBytes {
			t.Fatalf("prepare returned %d bytes, more than %d", len(out), maxBytes)
		}
		if letters > utf8.RuneCountInString(out) {
			t.Fatalf("prepare(%q) counted %d letters in %q", text, letters, out)
		}
		if utf8.ValidString(text) && !utf8.ValidString(out) {
			t.Fatalf("prepare(%q) = %q: invalid UTF-8 from valid input", text, out)
		}
	})
}
