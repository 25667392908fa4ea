package loopguard

import (
	"fmt"
	"strings"

	"github.com/switchboard-hub/switchboard/sdk"
)

// robotLocals are the local parts of robots' addresses, lower case and
// without separators: a local part matches when it equals one of them after
// dropping a "+tag" and the separators '.', '-' and '_', ignoring case. The
// match is exact on purpose (see the package comment).
var robotLocals = [...]struct {
	local string
	what  string
}{
	{"mailerdaemon", "a mailer daemon"},
	{"postmaster", "a postmaster address"},
	{"noreply", "a no-reply address"},
	{"donotreply", "a no-reply address"},
	{"dontreply", "a no-reply address"},
	{"bounce", "a bounce address"},
	{"bounces", "a bounce address"},
	{"autoreply", "an autoresponder"},
	{"autoresponder", "an autoresponder"},
	{"listserv", "a mailing list manager"},
	{"majordomo", "a mailing list manager"},
}

// robotSender checks the sender's e-mail address, and its handle when the
// channel's handle is an address (e-mail connectors often put it there).
func robotSender(p sdk.Party) (string, bool) {
	for _, addr := range [...]string{p.Email, p.Handle} {
		local, ok := localPart(addr)
		if !ok {
			continue
		}
		if what, ok := robotLocal(local); ok {
			return fmt.Sprintf("sender %q is %s", strings.TrimSpace(addr), what), true
		}
	}
	return "", false
}

// localPart extracts the local part of an address written bare
// ("a@example.com") or in angle brackets ("Ann <a@example.com>"). It
// reports false for anything that is not shaped like an address, such as
// a marketplace login or a phone number.
func localPart(addr string) (string, bool) {
	a := strings.TrimSpace(addr)
	if lt := strings.LastIndexByte(a, '<'); lt >= 0 {
		if gt := strings.IndexByte(a[lt:], '>'); gt > 0 {
			a = strings.TrimSpace(a[lt+1 : lt+gt])
		}
	}
	at := strings.LastIndexByte(a, '@')
	if at <= 0 || at == len(a)-1 || strings.ContainsAny(a, " \t") {
		return "", false
	}
	return strings.Trim(a[:at], `"`), true
}

// robotLocal matches one local part against the robots' names.
func robotLocal(local string) (string, bool) {
	if plus := strings.IndexByte(local, '+'); plus >= 0 {
		local = local[:plus]
	}
	// RFC 5230's two patterns for list managers' addresses.
	if hasPrefixFold(local, "owner-") || hasSuffixFold(local, "-request") {
		return "a mailing list manager", true
	}
	for _, r := range robotLocals {
		if equalFoldSkipSeparators(local, r.local) {
			return r.what, true
		}
	}
	return "", false
}

// equalFoldSkipSeparators reports whether s equals word (lower-case ASCII)
// once '.', '-' and '_' are dropped from s and ASCII case is ignored.
func equalFoldSkipSeparators(s, word string) bool {
	j := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' || c == '-' || c == '_' {
			continue
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if j >= len(word) || c != word[j] {
			return false
		}
		j++
	}
	return j == len(word)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) > len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) > len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}
