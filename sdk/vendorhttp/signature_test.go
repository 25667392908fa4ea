package vendorhttp_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-hub/switchboard/sdk/vendorhttp"
)

func TestSignMatchesOpenSSL(t *testing.T) {
	t.Parallel()
	// The example in docs/plugins/webhook.md and docs/plugins/http.md:
	//   printf '%s' '{"id":"m-1","text":"Hello"}' | openssl dgst -sha256 -hmac 's3cret'
	const want = "sha256=8ba9d119ac3ea19d7722d785400d07f77df16f982f8fca7cbb159d49037e5445"
	if got := vendorhttp.Sign([]byte("s3cret"), []byte(`{"id":"m-1","text":"Hello"}`)); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	key, body := []byte("k"), []byte(`{"id":"m-1","text":"Hello"}`)
	good := vendorhttp.Sign(key, body)
	digest := strings.TrimPrefix(good, "sha256=")
	tests := []struct {
		name, value string
		msg         string // "" for a valid signature
	}{
		{"valid", good, ""},
		{"upper-case prefix and digest", "SHA256=" + strings.ToUpper(digest), ""},
		{"surrounding spaces", " " + good + " ", ""},
		{"missing", "", "the X-Sig header is missing; sign the raw body with HMAC-SHA256 and send sha256=<hex digest>"},
		{"blank", "   ", "the X-Sig header is missing"},
		{"no prefix", digest, `the X-Sig header must start with "sha256="`},
		{"other algorithm", "sha1=" + digest, `must start with "sha256="`},
		{"prefix only", "sha256=", "must carry 64 hexadecimal digits"},
		{"not hex", "sha256=zz", "must carry 64 hexadecimal digits"},
		{"short digest", good[:20], "must carry 64 hexadecimal digits"},
		{"long digest", good + "00", "must carry 64 hexadecimal digits"},
		{"other key", vendorhttp.Sign([]byte("other"), body), "the signature does not match the body; sign the exact bytes sent with the shared secret"},
		{"other body", vendorhttp.Sign(key, []byte(`{}`)), "does not match the body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			if tt.value != "" {
				h.Set("X-Sig", tt.value)
			}
			err := vendorhttp.Verify(key, body, h, "X-Sig")
			switch {
			case tt.msg == "" && err != nil:
				t.Errorf("valid signature rejected: %v", err)
			case tt.msg != "" && err == nil:
				t.Errorf("signature %q accepted, want an error containing %q", tt.value, tt.msg)
			case tt.msg != "" && !strings.Contains(err.Error(), tt.msg):
				t.Errorf("error = %q, want it to contain %q", err, tt.msg)
			case err != nil && strings.Contains(err.Error(), digest):
				t.Errorf("error %q reveals the expected digest", err)
			}
		})
	}
}

func TestVerifyReadsTheHeaderCaseInsensitively(t *testing.T) {
	t.Parallel()
	key, body := []byte("k"), []byte("b")
	h := http.Header{}
	h.Set("x-shop-signature", vendorhttp.Sign(key, body))
	if err := vendorhttp.Verify(key, body, h, "X-Shop-Signature"); err != nil {
		t.Error(err)
	}
}
