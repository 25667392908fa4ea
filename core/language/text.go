package language

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// prepare keeps the part of a message that carries its language and says
// whether there is enough of it to judge. It drops what every language
// shares and what would mislead a character n-gram model: order and
// tracking numbers, prices, dates, URLs and e-mail addresses (any word with
// a digit, '@' or '/'), quoted lines of an e-mail reply, and the signature
// after a "-- " line. It reads at most maxBytes of text. It also returns
// the number of letters kept, which decides how sure Detect must be.
func prepare(text string) (clean string, letters int, enough bool) {
	if len(text) > maxBytes {
		cut := maxBytes
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	var b strings.Builder
	words := 0
	rest := text
	for rest != "" {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		trimmed := strings.TrimSpace(line)
		if strings.TrimRight(line, "\r") == "-- " {
			break
		}
		if strings.HasPrefix(trimmed, ">") {
			continue
		}
		for _, field := range strings.Fields(trimmed) {
			if strings.ContainsAny(field, "0123456789@/") {
				continue
			}
			w, l := countLetters(field)
			if l == 0 {
				continue
			}
			words += w
			letters += l
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(field)
		}
	}
	return b.String(), letters, words >= minWords && letters >= minLetters
}

// countLetters counts the runs of letters in a field ("n'est" is two
// words, "e-mail" two) and the letters in them.
func countLetters(field string) (words, letters int) {
	inWord := false
	for _, r := range field {
		if unicode.IsLetter(r) {
			letters++
			if !inWord {
				words++
			}
			inWord = true
		} else {
			inWord = false
		}
	}
	return words, letters
}
