package sdk_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
)

var (
	str  = cty.StringVal
	num  = cty.NumberIntVal
	attr = cty.GetAttrPath
)

// wantDiag is one expected diagnostic: where, and a part of
// "summary: detail".
type wantDiag struct {
	path cty.Path
	msg  string
}

func checkDiags(t *testing.T, got sdk.Diagnostics, want []wantDiag) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("diagnostics = %v (%d), want %d", got.Err(), len(got), len(want))
	}
	for i, w := range want {
		d := got[i]
		if d.Severity != sdk.SeverityError || !d.Attribute.Equals(w.path) || !strings.Contains(d.Summary+": "+d.Detail, w.msg) {
			t.Errorf("diagnostic %d = %s at %q: %s: %s; want an error at %q containing %q",
				i, d.Severity, sdk.PathString(d.Attribute), d.Summary, d.Detail, sdk.PathString(w.path), w.msg)
		}
	}
}

func TestReadAttrsOfOddValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		v    cty.Value
		want []wantDiag
	}{
		{"nil", cty.NilVal, nil},
		{"null", cty.NullVal(cty.EmptyObject), nil},
		{"empty", cty.EmptyObjectVal, nil},
		{"unknown", cty.UnknownVal(cty.EmptyObject), []wantDiag{{nil, "value is not known yet"}}},
		{"string", str("x"), []wantDiag{{nil, "value is not an object: got string"}}},
		{"map", cty.MapVal(map[string]cty.Value{"a": str("x")}), []wantDiag{{nil, "value is not an object"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := sdk.ReadAttrs(tt.v)
			if s, ok := r.String("a"); ok {
				t.Errorf("String(a) = %q, true; want not set", s)
			}
			if r.Require("a", "Set a.") && len(tt.want) > 0 {
				t.Error("Require(a) = true on an unreadable value")
			}
			want := tt.want
			if len(want) == 0 {
				want = []wantDiag{{attr("a"), "a is missing: Set a."}}
			}
			checkDiags(t, r.Diagnostics(), want)
		})
	}
}

func TestAttrsRead(t *testing.T) {
	t.Parallel()
	v := cty.ObjectVal(map[string]cty.Value{
		"name":     str("shop"),
		"secret":   str("s3cret").Mark(sdk.Sensitive),
		"enabled":  cty.True,
		"yes":      str("true"), // converts, as HCL would
		"size":     num(50),
		"size_str": str("7"),
		"timeout":  str("1m30s"),
		"url":      str("https://api.example.com/v1?x=1"),
		"tags":     cty.ListVal([]cty.Value{str("a"), str("b")}),
		"tuple":    cty.TupleVal([]cty.Value{str("a"), num(2)}),
		"headers":  cty.MapVal(map[string]cty.Value{"X-A": str("1")}),
		"object":   cty.ObjectVal(map[string]cty.Value{"X-B": str("2")}),
		"absent":   cty.NullVal(cty.String),
		"oauth":    cty.ObjectVal(map[string]cty.Value{"client_id": str("app")}),
	})
	r := sdk.ReadAttrs(v)
	check := func(what string, got, want any, ok bool) {
		t.Helper()
		if !ok || !cmp.Equal(got, want) {
			t.Errorf("%s = %v, %t; want %v, true", what, got, ok, want)
		}
	}
	s, ok := r.String("name")
	check("String(name)", s, "shop", ok)
	s, ok = r.String("secret")
	check("String(secret)", s, "s3cret", ok)
	b, ok := r.Bool("enabled")
	check("Bool(enabled)", b, true, ok)
	b, ok = r.Bool("yes")
	check("Bool(yes)", b, true, ok)
	i, ok := r.Int("size")
	check("Int(size)", i, 50, ok)
	i, ok = r.Int("size_str")
	check("Int(size_str)", i, 7, ok)
	d, ok := r.Duration("timeout")
	check("Duration(timeout)", d, 90*time.Second, ok)
	u, ok := r.URL("url", "https")
	check("URL(url)", u.String(), "https://api.example.com/v1?x=1", ok)
	l, ok := r.StringList("tags")
	check("StringList(tags)", l, []string{"a", "b"}, ok)
	l, ok = r.StringList("tuple")
	check("StringList(tuple)", l, []string{"a", "2"}, ok)
	m, ok := r.StringMap("headers")
	check("StringMap(headers)", m, map[string]string{"X-A": "1"}, ok)
	m, ok = r.StringMap("object")
	check("StringMap(object)", m, map[string]string{"X-B": "2"}, ok)
	o, ok := r.Object("oauth")
	if !ok {
		t.Fatal("Object(oauth) not set")
	}
	s, ok = o.String("client_id")
	check("oauth.String(client_id)", s, "app", ok)

	for _, name := range []string{"absent", "nope"} {
		if _, ok := r.String(name); ok {
			t.Errorf("String(%s) is set", name)
		}
		if _, ok := r.StringMap(name); ok {
			t.Errorf("StringMap(%s) is set", name)
		}
		if _, ok := r.Object(name); ok {
			t.Errorf("Object(%s) is set", name)
		}
	}
	if !r.Require("name", "") {
		t.Error("Require(name) = false")
	}
	if diags := r.Diagnostics(); len(diags) != 0 {
		t.Errorf("diagnostics = %v", diags.Err())
	}
}

func TestAttrsErrors(t *testing.T) {
	t.Parallel()
	obj := func(name string, v cty.Value) cty.Value { return cty.ObjectVal(map[string]cty.Value{name: v}) }
	tests := []struct {
		name string
		v    cty.Value
		read func(r *sdk.Attrs) bool // reports whether the value was read
		want wantDiag
	}{
		{"wrong type", obj("a", cty.ListValEmpty(cty.String)), func(r *sdk.Attrs) bool { _, ok := r.String("a"); return ok },
			wantDiag{attr("a"), "a has the wrong type: want string"}},
		{"unknown", obj("a", cty.UnknownVal(cty.String)), func(r *sdk.Attrs) bool { _, ok := r.String("a"); return ok },
			wantDiag{attr("a"), "a is not known yet"}},
		{"not a bool", obj("a", str("maybe")), func(r *sdk.Attrs) bool { _, ok := r.Bool("a"); return ok },
			wantDiag{attr("a"), "a has the wrong type: want bool"}},
		{"fraction", obj("a", cty.NumberFloatVal(2.5)), func(r *sdk.Attrs) bool { _, ok := r.Int("a"); return ok },
			wantDiag{attr("a"), "a is not a whole number: 2.5 has a fraction"}},
		{"huge", obj("a", cty.MustParseNumberVal("1e30")), func(r *sdk.Attrs) bool { _, ok := r.Int("a"); return ok },
			wantDiag{attr("a"), "a is out of range"}},
		{"not a duration", obj("timeout", str("10")), func(r *sdk.Attrs) bool { _, ok := r.Duration("timeout"); return ok },
			wantDiag{attr("timeout"), `timeout is not a duration: "10" cannot be read as a duration; write it like "10s"`}},
		{"relative URL", obj("u", str("example.com/hook")), func(r *sdk.Attrs) bool { _, ok := r.URL("u"); return ok },
			wantDiag{attr("u"), `u is not an absolute http or https URL: "example.com/hook" must start with http:// or https://, such as "https://example.com/path"`}},
		{"ftp URL", obj("u", str("ftp://example.com/x")), func(r *sdk.Attrs) bool { _, ok := r.URL("u"); return ok },
			wantDiag{attr("u"), "must start with http:// or https://"}},
		{"mailto URL", obj("u", str("mailto:shop@example.com")), func(r *sdk.Attrs) bool { _, ok := r.URL("u"); return ok },
			wantDiag{attr("u"), "must start with http:// or https://"}},
		{"http where https is required", obj("u", str("http://example.com")), func(r *sdk.Attrs) bool { _, ok := r.URL("u", "https"); return ok },
			wantDiag{attr("u"), `u is not an absolute https URL: "http://example.com" must start with https://`}},
		{"URL without host", obj("u", str("https:///hook")), func(r *sdk.Attrs) bool { _, ok := r.URL("u"); return ok },
			wantDiag{attr("u"), `"https:///hook" has no host`}},
		{"unparsable URL", obj("u", str("http://[::1")), func(r *sdk.Attrs) bool { _, ok := r.URL("u"); return ok },
			wantDiag{attr("u"), `"http://[::1" cannot be parsed (missing ']' in host)`}},
		{"null list element", obj("l", cty.ListVal([]cty.Value{str("a"), cty.NullVal(cty.String)})), func(r *sdk.Attrs) bool { r.StringList("l"); return false },
			wantDiag{attr("l").Index(num(1)), "value is null"}},
		{"null map value", obj("m", cty.MapVal(map[string]cty.Value{"k": cty.NullVal(cty.String)})), func(r *sdk.Attrs) bool { r.StringMap("m"); return false },
			wantDiag{attr("m").Index(str("k")), "value is null"}},
		{"map of lists", obj("m", cty.MapVal(map[string]cty.Value{"k": cty.ListValEmpty(cty.String)})), func(r *sdk.Attrs) bool { _, ok := r.StringMap("m"); return ok },
			wantDiag{attr("m"), "m has the wrong type: want map of string"}},
		{"object that is a string", obj("o", str("x")), func(r *sdk.Attrs) bool { _, ok := r.Object("o"); return ok },
			wantDiag{attr("o"), "o has the wrong type: want an object, got string"}},
		{"missing", cty.EmptyObjectVal, func(r *sdk.Attrs) bool { return r.Require("a", "Set a to the address.") },
			wantDiag{attr("a"), "a is missing: Set a to the address."}},
		{"null is missing", obj("a", cty.NullVal(cty.String)), func(r *sdk.Attrs) bool { return r.Require("a", "Set a.") },
			wantDiag{attr("a"), "a is missing"}},
		{"nested", obj("oauth", cty.ObjectVal(map[string]cty.Value{"client_id": num(1), "n": cty.True})), func(r *sdk.Attrs) bool {
			o, _ := r.Object("oauth")
			_, ok := o.Int("n")
			return ok
		}, wantDiag{attr("oauth").GetAttr("n"), "oauth.n has the wrong type: want number"}},
		{"nested missing", obj("oauth", cty.EmptyObjectVal), func(r *sdk.Attrs) bool {
			o, _ := r.Object("oauth")
			return o.Require("client_id", "Copy it from the console.")
		}, wantDiag{attr("oauth").GetAttr("client_id"), "oauth.client_id is missing: Copy it from the console."}},
		{"nested AddErrorAt", obj("oauth", cty.EmptyObjectVal), func(r *sdk.Attrs) bool {
			o, _ := r.Object("oauth")
			o.AddErrorAt(attr("scopes").Index(num(0)), "unknown scope", "Use read or write.")
			return false
		}, wantDiag{attr("oauth").GetAttr("scopes").Index(num(0)), "unknown scope: Use read or write."}},
		{"AddError on the object", cty.EmptyObjectVal, func(r *sdk.Attrs) bool { r.AddError("", "no credentials", "Set a token."); return false },
			wantDiag{nil, "no credentials: Set a token."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := sdk.ReadAttrs(tt.v)
			if tt.read(r) {
				t.Error("the bad value was read as set")
			}
			checkDiags(t, r.Diagnostics(), []wantDiag{tt.want})
		})
	}
}

func TestAttrsValidPartsOfBadCollections(t *testing.T) {
	t.Parallel()
	r := sdk.ReadAttrs(cty.ObjectVal(map[string]cty.Value{
		"m": cty.MapVal(map[string]cty.Value{"good": str("1"), "bad": cty.NullVal(cty.String)}),
	}))
	m, ok := r.StringMap("m")
	if !ok || !cmp.Equal(m, map[string]string{"good": "1"}) {
		t.Errorf("StringMap = %v, %t; want the good entry", m, ok)
	}
	if !r.Diagnostics().HasErrors() {
		t.Error("no error for the null entry")
	}
}

func TestAttrsWarning(t *testing.T) {
	t.Parallel()
	r := sdk.ReadAttrs(cty.EmptyObjectVal)
	r.AddWarning("base_url", "base_url is not https", "Use https outside tests.")
	diags := r.Diagnostics()
	if len(diags) != 1 || diags[0].Severity != sdk.SeverityWarning || !diags[0].Attribute.Equals(attr("base_url")) || diags.HasErrors() {
		t.Errorf("diagnostics = %#v, want one warning at base_url", diags)
	}
	// The returned list is a copy: appending to it leaves the reader's alone.
	_ = append(diags, sdk.Diagnostic{Summary: "other"})
	r.AddError("x", "x is bad", "")
	if got := r.Diagnostics(); len(got) != 2 || got[1].Summary != "x is bad" {
		t.Errorf("diagnostics after AddError = %#v", got)
	}
}

func ExampleReadAttrs() {
	config := cty.ObjectVal(map[string]cty.Value{
		"base_url":  cty.StringVal("api.example.com"),
		"page_size": cty.NumberIntVal(500),
		"timeout":   cty.StringVal("10s"),
		"headers":   cty.MapVal(map[string]cty.Value{"X-Shop": cty.StringVal("pl")}),
	})

	r := sdk.ReadAttrs(config)
	base, _ := r.URL("base_url", "https")
	timeout, _ := r.Duration("timeout")
	if n, ok := r.Int("page_size"); ok && (n < 1 || n > 100) {
		r.AddError("page_size", "page_size is out of range", fmt.Sprintf("Use 1 to 100, not %d.", n))
	}
	headers, _ := r.StringMap("headers")
	r.Require("api_token", "Copy the token from the seller panel.")

	fmt.Println(base, timeout, headers)
	for _, d := range r.Diagnostics() {
		fmt.Printf("%s: %s: %s\n", sdk.PathString(d.Attribute), d.Summary, d.Detail)
	}
	// Output:
	// <nil> 10s map[X-Shop:pl]
	// base_url: base_url is not an absolute https URL: "api.example.com" must start with https://, such as "https://example.com/path"
	// page_size: page_size is out of range: Use 1 to 100, not 500.
	// api_token: api_token is missing: Copy the token from the seller panel.
}
