package vendorhttp_test

import (
	"net/url"
	"testing"

	"github.com/switchboard-hub/switchboard/sdk/vendorhttp"
)

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://api.example.com/v1/messages":                "https://api.example.com/v1/messages",
		"https://user:pass@api.example.com/v1?token=t#frag":  "https://api.example.com/v1",
		"http://127.0.0.1:8080/hook?sig=abc&x=1":             "http://127.0.0.1:8080/hook",
		"https://example.com":                                "https://example.com",
		"https://example.com/a%2Fb?q":                        "https://example.com/a%2Fb",
		"https://example.com/caf%C3%A9/men%C3%BC?access=abc": "https://example.com/caf%C3%A9/men%C3%BC",
	} {
		if got := vendorhttp.RedactURL(mustParse(t, in)); got != want {
			t.Errorf("RedactURL(%s) = %s, want %s", in, got, want)
		}
	}
	if got := vendorhttp.RedactURL(nil); got != "" {
		t.Errorf("RedactURL(nil) = %q", got)
	}
}
