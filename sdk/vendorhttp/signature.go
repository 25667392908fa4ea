package vendorhttp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// SignaturePrefix names the algorithm in a signature, as GitHub's
// X-Hub-Signature-256 and Meta's webhooks do, so that a stronger one can be
// added without breaking receivers that check the prefix.
const SignaturePrefix = "sha256="

// Sign returns the signature of body under key: "sha256=" and the lower-case
// hex HMAC-SHA256 of the exact bytes. Send it in a header and send those
// bytes unchanged; serialising again after signing breaks the signature.
func Sign(key, body []byte) string {
	return SignaturePrefix + hex.EncodeToString(mac(key, body))
}

// Verify checks that header name of h carries Sign(key, body). The prefix
// may be in any case, the digest in upper or lower case, and spaces around
// the value are ignored. The comparison takes the same time wherever the
// first difference is, so a signature cannot be guessed byte by byte from
// response times.
//
// It returns nil for a valid signature, or an error that says what is wrong
// in words safe to send back to the sender: it never reveals the expected
// value.
func Verify(key, body []byte, h http.Header, name string) error {
	value := strings.TrimSpace(h.Get(name))
	if value == "" {
		return fmt.Errorf("the %s header is missing; sign the raw body with HMAC-SHA256 and send %s<hex digest>", name, SignaturePrefix)
	}
	if len(value) < len(SignaturePrefix) || !strings.EqualFold(value[:len(SignaturePrefix)], SignaturePrefix) {
		return fmt.Errorf("the %s header must start with %q followed by the hex HMAC-SHA256 of the body", name, SignaturePrefix)
	}
	got, err := hex.DecodeString(value[len(SignaturePrefix):])
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("the %s header must carry %d hexadecimal digits after %q", name, 2*sha256.Size, SignaturePrefix)
	}
	if !hmac.Equal(got, mac(key, body)) {
		return errors.New("the signature does not match the body; sign the exact bytes sent with the shared secret")
	}
	return nil
}

func mac(key, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return m.Sum(nil)
}
