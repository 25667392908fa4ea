package main

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/switchboard-hub/switchboard/sdk"
)

const (
	signatureHeader = "X-Switchboard-Signature"
	defaultMethod   = http.MethodPost
	defaultTimeout  = 10 * time.Second
)

// config is a validated configuration, immutable once built so that the
// action can swap it atomically under concurrent Execute calls.
type config struct {
	url     *url.URL
	method  string
	secret  []byte // nil: requests are not signed
	headers map[string]string
	client  *http.Client
	logger  hclog.Logger // never given secrets or bodies
}

// parseConfig checks the configuration object and reports every problem at
// the attribute that causes it, so the host can show the user's file and line.
func parseConfig(v cty.Value) (*config, sdk.Diagnostics) {
	r := newAttrReader(v)
	cfg := &config{method: defaultMethod}
	timeout := defaultTimeout

	before := len(r.diags)
	if s, ok := r.string("url"); ok {
		u, err := parseHTTPURL(s)
		if err != nil {
			r.errorf("url", "url is not an absolute http or https URL", err.Error())
		}
		cfg.url = u
	} else if len(r.diags) == before && r.obj != cty.NilVal {
		r.errorf("url", "url is missing", `Set url to the address to notify, such as "https://crm.example.com/hooks/switchboard".`)
	}
	if s, ok := r.string("method"); ok {
		m := strings.ToUpper(strings.TrimSpace(s))
		switch m {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
			cfg.method = m
		default:
			r.errorf("method", "method is not supported",
				fmt.Sprintf("%q cannot carry the body this action sends; use POST, PUT or PATCH.", s))
		}
	}
	if s, ok := r.string("secret"); ok {
		if s == "" {
			r.errorf("secret", "secret is empty",
				"An empty key signs nothing the receiver could trust. Set it to the key shared with the receiver, or remove the attribute to send unsigned requests.")
		}
		cfg.secret = []byte(s)
	}
	if s, ok := r.string("timeout"); ok {
		d, err := time.ParseDuration(s)
		switch {
		case err != nil:
			r.errorf("timeout", "timeout is not a duration",
				fmt.Sprintf("%q cannot be read as a duration; write it like \"10s\" or \"1m30s\".", s))
		case d <= 0:
			r.errorf("timeout", "timeout must be positive",
				fmt.Sprintf("%q would fail every request at once; use a duration such as \"10s\".", s))
		default:
			timeout = d
		}
	}
	cfg.headers = r.stringMap("headers")
	for _, name := range sortedKeys(cfg.headers) {
		path := cty.GetAttrPath("headers").Index(cty.StringVal(name))
		switch {
		case !validHeaderName(name):
			r.diags = r.diags.AddError(path, "header name is not valid",
				fmt.Sprintf("%q has characters an HTTP header name cannot have; use letters, digits and dashes.", name))
		case reservedHeader(name):
			r.diags = r.diags.AddError(path, "header is set by the action",
				fmt.Sprintf("%s is set on every request by the action; remove it from headers (set a step's content type with its content_type argument).", http.CanonicalHeaderKey(name)))
		case strings.ContainsAny(cfg.headers[name], "\r\n"):
			r.diags = r.diags.AddError(path, "header value has a line break", "HTTP header values are one line; remove the line breaks.")
		}
	}
	if r.diags.HasErrors() {
		return nil, r.diags
	}
	cfg.client = &http.Client{
		Timeout: timeout,
		// A redirected POST would turn into a GET and lose its body; report
		// the redirect instead so the user fixes url.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return cfg, r.diags
}

// reservedHeader tells whether name is one of the headers the action writes
// itself; overriding them would break the signature or de-duplication.
func reservedHeader(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Content-Type", "Idempotency-Key", "Content-Length", "Host", signatureHeader:
		return true
	}
	return false
}

// parseHTTPURL accepts only absolute http and https URLs; its errors say what
// to write instead.
func parseHTTPURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%q cannot be parsed (%v); write a full address such as \"https://crm.example.com/hooks/switchboard\"", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%q must start with http:// or https://, such as \"https://crm.example.com/hooks/switchboard\"", s)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%q has no host; write a full address such as \"https://crm.example.com/hooks/switchboard\"", s)
	}
	return u, nil
}

// validHeaderName tells whether s is an HTTP token (RFC 9110, section 5.1).
func validHeaderName(s string) bool {
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

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// attrReader reads attributes of a configuration or arguments object. The
// host has already checked the object against the schema, but the reader
// still tolerates missing attributes and wrong types, reporting them as
// diagnostics, because a plugin must never panic on its input.
type attrReader struct {
	obj   cty.Value // cty.NilVal when the value itself is unusable
	diags sdk.Diagnostics
}

func newAttrReader(v cty.Value) *attrReader {
	r := &attrReader{}
	if v == cty.NilVal {
		v = cty.NullVal(cty.DynamicPseudoType)
	}
	v, _ = v.UnmarkDeep()
	switch {
	case !v.IsKnown():
		r.diags = r.diags.AddError(nil, "value is not known yet", "Switchboard passed a value it has not computed; this is a bug in the host.")
	case v.IsNull():
		r.obj = cty.EmptyObjectVal
	case !v.Type().IsObjectType():
		r.diags = r.diags.AddError(nil, "value is not an object", fmt.Sprintf("got %s", v.Type().FriendlyName()))
	default:
		r.obj = v
	}
	return r
}

func (r *attrReader) errorf(name, summary, detail string) {
	r.diags = r.diags.AddError(cty.GetAttrPath(name), summary, detail)
}

// get returns the attribute converted to ty, and false when it is absent or
// null (an optional attribute the user left out).
func (r *attrReader) get(name string, ty cty.Type) (cty.Value, bool) {
	if r.obj == cty.NilVal || !r.obj.Type().HasAttribute(name) {
		return cty.NilVal, false
	}
	v := r.obj.GetAttr(name)
	if v.IsNull() {
		return cty.NilVal, false
	}
	if !v.IsWhollyKnown() {
		r.errorf(name, name+" is not known yet", "Switchboard passed a value it has not computed; this is a bug in the host.")
		return cty.NilVal, false
	}
	cv, err := convert.Convert(v, ty)
	if err != nil {
		r.errorf(name, name+" has the wrong type", fmt.Sprintf("want %s: %v", ty.FriendlyName(), err))
		return cty.NilVal, false
	}
	return cv, true
}

func (r *attrReader) string(name string) (string, bool) {
	v, ok := r.get(name, cty.String)
	if !ok {
		return "", false
	}
	return v.AsString(), true
}

func (r *attrReader) stringMap(name string) map[string]string {
	v, ok := r.get(name, cty.Map(cty.String))
	if !ok {
		return nil
	}
	m := make(map[string]string, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if e.IsNull() {
			r.diags = r.diags.AddError(cty.GetAttrPath(name).Index(k), "value is null", "Give every entry a string value or remove it.")
			continue
		}
		m[k.AsString()] = e.AsString()
	}
	return m
}
