package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// signaturePrefix names the algorithm in the header value, as GitHub's
// X-Hub-Signature-256 does, so a stronger one can be added without breaking
// senders that check the prefix.
const signaturePrefix = "sha256="

// sign returns the signature header value of body: "sha256=" and the hex
// HMAC-SHA256 of the raw bytes under key.
func sign(key, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return signaturePrefix + hex.EncodeToString(mac.Sum(nil))
}

// verifySignature checks a signature header value against body. Its errors
// are safe to return to the sender: they never reveal the expected value.
func verifySignature(key, body []byte, header, value string) error {
	value = strings.TrimSpace(value)
	if value == "" {
		return fmt.Errorf("the %s header is missing; sign the raw body with HMAC-SHA256 and send %s<hex digest>", header, signaturePrefix)
	}
	// The prefix is compared case-insensitively because some senders write
	// "SHA256="; the digest itself is compared as bytes.
	if len(value) < len(signaturePrefix) || !strings.EqualFold(value[:len(signaturePrefix)], signaturePrefix) {
		return fmt.Errorf("the %s header must start with %q followed by the hex HMAC-SHA256 of the body", header, signaturePrefix)
	}
	got, err := hex.DecodeString(value[len(signaturePrefix):])
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("the %s header must carry %d hexadecimal digits after %q", header, 2*sha256.Size, signaturePrefix)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	// hmac.Equal takes the same time wherever the first difference is, so
	// the digest cannot be guessed byte by byte from response times.
	if !hmac.Equal(got, mac.Sum(nil)) {
		return errors.New("the signature does not match the body; sign the exact bytes sent with the shared secret")
	}
	return nil
}
