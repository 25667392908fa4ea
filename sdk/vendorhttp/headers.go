package vendorhttp

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
)

// ExtraHeaders reads the attribute name of r, a map of strings, as headers
// to add to every request, such as an Authorization token that the user's
// receiver expects (the "headers" attribute of a generic HTTP plugin). Each
// entry must be a header one can send: its name an HTTP token and its value
// on one line. reserved guards the headers the plugin sets itself (the
// content type, the idempotency key, a signature), which the user must not
// override: it gets an entry's canonical name and returns "" to allow it, or
// the detail that says why not and what to do instead.
//
// Every problem is an error at the entry's key, such as headers["X Shop"],
// and leaves the entry out of the map returned; an absent attribute gives
// nil.
func ExtraHeaders(r *sdk.Attrs, name string, reserved func(canonical string) string) map[string]string {
	all, ok := r.StringMap(name)
	if !ok {
		return nil
	}
	headers := make(map[string]string, len(all))
	for _, key := range slices.Sorted(maps.Keys(all)) {
		path := cty.GetAttrPath(name).Index(cty.StringVal(key))
		canonical := http.CanonicalHeaderKey(key)
		switch {
		case !ValidHeaderName(key):
			r.AddErrorAt(path, "header name is not valid",
				fmt.Sprintf("%q has characters an HTTP header name cannot have; use letters, digits and dashes.", key))
		case reserved != nil && reserved(canonical) != "":
			r.AddErrorAt(path, "header is set by the plugin", reserved(canonical))
		case strings.ContainsAny(all[key], "\r\n"):
			r.AddErrorAt(path, "header value has a line break", "HTTP header values are one line; remove the line breaks.")
		default:
			headers[key] = all[key]
		}
	}
	return headers
}

// ValidHeaderName reports whether s can be an HTTP header name: a token of
// RFC 9110, section 5.1 (letters, digits and !#$%&'*+-.^_`|~).
func ValidHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c >= 0x80 || c <= ' ' || strings.IndexByte("\"(),/:;<=>?@[\\]{}\x7f", c) >= 0 {
			return false
		}
	}
	return true
}
