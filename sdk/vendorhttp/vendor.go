package vendorhttp

// Vendor is the other end of a plugin's HTTP calls, as its error messages
// name it. The zero value is usable: it calls the other end "the server".
type Vendor struct {
	// Name is who answers, as in "Acme answered 503 Service Unavailable".
	// Empty means "the server".
	Name string
	// URLAttribute is the configuration attribute that holds the address,
	// named in the advice of a redirect's error: "set base_url to the final
	// address". Empty means "the URL".
	URLAttribute string
	// TimeoutAttribute is the configuration attribute that bounds a request,
	// named in the advice of a timeout's error: "raise timeout if it is
	// slow". Empty means "the timeout".
	TimeoutAttribute string
}

func (v Vendor) name() string {
	return or(v.Name, "the server")
}

func or(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}
