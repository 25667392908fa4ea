package vendorhttp

import (
	"net/http"
	"net/url"
)

// RedactURL shows where a request goes without its query, fragment or user
// info, which often carry access tokens and must not reach error messages or
// logs: "https://api.example.com/v1/messages". A nil URL is "".
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}).String()
}

// describe names a request in messages: "POST https://example.com/hook".
func describe(req *http.Request) string {
	if req == nil || req.URL == nil {
		return ""
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	return method + " " + RedactURL(req.URL)
}

// prefixed puts what names the request before msg, when there is one.
func prefixed(what, msg string) string {
	if what == "" {
		return msg
	}
	return what + ": " + msg
}
