package pluginconfig

import (
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/switchboard-hub/switchboard/sdk"
)

func TestTestSchemasAreValid(t *testing.T) {
	t.Parallel()
	for _, s := range []*sdk.Schema{testConnector(), testAction()} {
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
	}
}

func TestSpec(t *testing.T) {
	t.Parallel()
	b := testConfig()
	spec, ok := Spec(&b).(hcldec.ObjectSpec)
	if !ok {
		t.Fatalf("Spec returned %T, want hcldec.ObjectSpec", Spec(&b))
	}
	if got, want := hcldec.ImpliedType(spec), b.ImpliedType(); !got.Equals(want) {
		t.Errorf("implied type\n got %s\nwant %s", got.GoString(), want.GoString())
	}
	if a, ok := spec["send_url"].(*hcldec.AttrSpec); !ok || !a.Required || !a.Type.Equals(cty.String) {
		t.Errorf("send_url: got %#v, want a required string AttrSpec", spec["send_url"])
	}
	if d, ok := spec["timeout"].(*hcldec.DefaultSpec); !ok {
		t.Errorf("timeout: got %T, want *hcldec.DefaultSpec", spec["timeout"])
	} else if l, ok := d.Default.(*hcldec.LiteralSpec); !ok || !l.Value.RawEquals(cty.StringVal("30s")) {
		t.Errorf("timeout default: got %#v", d.Default)
	}
	if _, ok := spec["enabled"].(*hcldec.AttrSpec); !ok {
		t.Errorf("enabled (optional, no default): got %T, want *hcldec.AttrSpec", spec["enabled"])
	}
	if s, ok := spec["tls"].(*hcldec.BlockSpec); !ok || s.Required {
		t.Errorf("tls: got %#v, want an optional BlockSpec", spec["tls"])
	}
	if s, ok := spec["rule"].(*hcldec.BlockListSpec); !ok || s.MaxItems != 2 {
		t.Errorf("rule: got %#v, want a BlockListSpec with MaxItems 2", spec["rule"])
	}
	if s, ok := spec["route"].(*hcldec.BlockMapSpec); !ok || !cmp.Equal(s.LabelNames, []string{"name"}) {
		t.Errorf("route: got %#v, want a BlockMapSpec labelled name", spec["route"])
	}
}

func str(s string) cty.Value { return cty.StringVal(s) }

func obj(m map[string]cty.Value) cty.Value { return cty.ObjectVal(m) }

var (
	limitsType = cty.Object(map[string]cty.Type{"per_minute": cty.Number, "burst": cty.Number})
	tlsType    = cty.Object(map[string]cty.Type{"cert": cty.String, "key": cty.String})
	ruleType   = cty.Object(map[string]cty.Type{"pattern": cty.String, "reply": cty.String})
	routeType  = cty.Object(map[string]cty.Type{"url": cty.String, "token": cty.String})
)

// config is the decoded value of testConfig with the given attributes
// changed from their values after decoding a minimal body.
func config(over map[string]cty.Value) cty.Value {
	m := map[string]cty.Value{
		"send_url": str("https://example.com/out"),
		"secret":   str("s3cret"),
		"timeout":  str("30s"),
		"retries":  cty.NumberIntVal(3),
		"enabled":  cty.NullVal(cty.Bool),
		"tags":     cty.NullVal(cty.List(cty.String)),
		"headers":  cty.NullVal(cty.Map(cty.String)),
		"limits":   cty.NullVal(limitsType),
		"tls":      cty.NullVal(tlsType),
		"rule":     cty.ListValEmpty(ruleType),
		"route":    cty.MapValEmpty(routeType),
	}
	for k, v := range over {
		m[k] = v
	}
	return obj(m)
}

const minimal = `
send_url = "https://example.com/out"
secret   = "s3cret"
`

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want cty.Value
		// sensitive are the marked paths, as sdk.PathString writes them.
		sensitive []string
	}{
		{
			name:      "defaults and nulls",
			src:       minimal,
			want:      config(nil),
			sensitive: []string{"secret"},
		},
		{
			name: "every attribute and block",
			src: minimal + `
timeout = "5s"
retries = 0
enabled = true
tags    = ["vip", 7]
headers = { "X-Shop" = "pl" }
limits  = { per_minute = 60, burst = 10 }
tls {
  cert = "cert.pem"
  key  = "key.pem"
}
rule { pattern = "hello" }
rule {
  pattern = "bye"
  reply   = "Goodbye"
}
route "orders" { url = "https://orders" }
route "returns" {
  url   = "https://returns"
  token = "t0k"
}
`,
			want: config(map[string]cty.Value{
				"timeout": str("5s"),
				"retries": cty.NumberIntVal(0),
				"enabled": cty.True,
				"tags":    cty.ListVal([]cty.Value{str("vip"), str("7")}),
				"headers": cty.MapVal(map[string]cty.Value{"X-Shop": str("pl")}),
				"limits":  obj(map[string]cty.Value{"per_minute": cty.NumberIntVal(60), "burst": cty.NumberIntVal(10)}),
				"tls":     obj(map[string]cty.Value{"cert": str("cert.pem"), "key": str("key.pem")}),
				"rule": cty.ListVal([]cty.Value{
					obj(map[string]cty.Value{"pattern": str("hello"), "reply": cty.NullVal(cty.String)}),
					obj(map[string]cty.Value{"pattern": str("bye"), "reply": str("Goodbye")}),
				}),
				"route": cty.MapVal(map[string]cty.Value{
					"orders":  obj(map[string]cty.Value{"url": str("https://orders"), "token": cty.NullVal(cty.String)}),
					"returns": obj(map[string]cty.Value{"url": str("https://returns"), "token": str("t0k")}),
				}),
			}),
			sensitive: []string{`route["orders"].token`, `route["returns"].token`, "secret", "tls.key"},
		},
		{
			name:      "explicit null takes the default",
			src:       minimal + "timeout = null\n",
			want:      config(nil),
			sensitive: []string{"secret"},
		},
		{
			name: "variables",
			src:  "send_url = var.url\nsecret = upper(var.secret)\n",
			want: config(map[string]cty.Value{
				"send_url": str("https://example.com/out"),
				"secret":   str("S3CRET"),
			}),
			sensitive: []string{"secret"},
		},
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": obj(map[string]cty.Value{
			"url": str("https://example.com/out"), "secret": str("s3cret"),
		})},
		Functions: map[string]function.Function{"upper": upper},
	}
	b := testConfig()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, diags := Decode(parse(t, "test.hcl", tt.src), &b, ctx)
			if diags.HasErrors() {
				t.Fatalf("Decode: %s", diags.Error())
			}
			unmarked, marks := got.UnmarkDeepWithPaths()
			if !unmarked.RawEquals(tt.want) {
				t.Errorf("value\n got %#v\nwant %#v", unmarked, tt.want)
			}
			if diff := cmp.Diff(tt.sensitive, markedPaths(marks)); diff != "" {
				t.Errorf("sensitive paths (-want +got):\n%s", diff)
			}
			if !got.GetAttr("secret").IsMarked() || !got.GetAttr("secret").HasMark(sdk.Sensitive) {
				t.Errorf("secret is not marked sensitive")
			}
			if got.GetAttr("send_url").IsMarked() {
				t.Errorf("send_url is marked")
			}
		})
	}
}

var upper = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "s", Type: cty.String}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(strings.ToUpper(args[0].AsString())), nil
	},
})

func markedPaths(marks []cty.PathValueMarks) []string {
	var paths []string
	for _, m := range marks {
		if _, ok := m.Marks[sdk.Sensitive]; ok {
			paths = append(paths, sdk.PathString(m.Path))
		}
	}
	sort.Strings(paths)
	return paths
}

// TestDecodeKeepsMarks checks that marks from the evaluation context (a
// sensitive variable) survive next to the schema's own.
func TestDecodeKeepsMarks(t *testing.T) {
	t.Parallel()
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{
		"env": obj(map[string]cty.Value{"URL": str("https://example.com/out").Mark("from-env")}),
	}}
	b := testConfig()
	got, diags := Decode(parse(t, "test.hcl", "send_url = env.URL\nsecret = \"x\"\n"), &b, ctx)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if !got.GetAttr("send_url").HasMark("from-env") {
		t.Errorf("send_url lost its mark")
	}
	if !got.GetAttr("secret").HasMark(sdk.Sensitive) {
		t.Errorf("secret is not sensitive")
	}
}

// wantDiag is what a test expects of one diagnostic.
type wantDiag struct {
	summary string
	// detail is a part of the detail.
	detail string
	// subject is the subject's range, as hcl.Range.String writes it.
	subject string
}

func checkDiags(t *testing.T, got hcl.Diagnostics, want []wantDiag) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d diagnostics, want %d:\n%s", len(got), len(want), got.Error())
	}
	for i, w := range want {
		d := got[i]
		if d.Summary != w.summary {
			t.Errorf("diagnostic %d: summary %q, want %q", i, d.Summary, w.summary)
		}
		if !strings.Contains(d.Detail, w.detail) {
			t.Errorf("diagnostic %d: detail %q does not contain %q", i, d.Detail, w.detail)
		}
		if d.Subject == nil {
			t.Errorf("diagnostic %d: no subject", i)
		} else if got := d.Subject.String(); got != w.subject {
			t.Errorf("diagnostic %d: subject %s, want %s", i, got, w.subject)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		src  string
		want []wantDiag
	}{
		{
			name: "missing required attribute",
			src:  `send_url = "https://example.com/out"` + "\n",
			want: []wantDiag{{"Missing required argument", `The argument "secret" is required`, "test.hcl:1,1-1"}},
		},
		{
			name: "missing required attribute in a nested block",
			src:  minimal + "tls {\n  cert = \"c.pem\"\n}\n",
			want: []wantDiag{{"Missing required argument", `The argument "key" is required`, "test.hcl:4,5-5"}},
		},
		{
			name: "type mismatch",
			src:  minimal + "retries = \"many\"\n",
			want: []wantDiag{{"Incorrect attribute value type", `Inappropriate value for attribute "retries": a number is required.`, "test.hcl:4,11-17"}},
		},
		{
			name: "type mismatch in an object",
			src:  minimal + "limits = { per_minute = true, burst = 1 }\n",
			want: []wantDiag{{"Incorrect attribute value type", `Inappropriate value for attribute "limits": attribute "per_minute": number required, but have bool.`, "test.hcl:4,10-42"}},
		},
		{
			name: "unknown attribute with a suggestion",
			src:  minimal + "retires = 2\n",
			want: []wantDiag{{"Unsupported argument", `An argument named "retires" is not expected here. Did you mean "retries"?`, "test.hcl:4,1-8"}},
		},
		{
			name: "unknown attribute in a nested block with a suggestion",
			src:  minimal + "route \"a\" {\n  url = \"u\"\n  tokn = \"t\"\n}\n",
			want: []wantDiag{{"Unsupported argument", `Did you mean "token"?`, "test.hcl:6,3-7"}},
		},
		{
			name: "unknown attribute far from any name",
			src:  minimal + "colour = \"red\"\n",
			want: []wantDiag{{"Unsupported argument", `An argument named "colour" is not expected here.`, "test.hcl:4,1-7"}},
		},
		{
			name: "unknown block with a suggestion",
			src:  minimal + "tsl {\n}\n",
			want: []wantDiag{{"Unsupported block type", `Blocks of type "tsl" are not expected here. Did you mean "tls"?`, "test.hcl:4,1-4"}},
		},
		{
			name: "attribute written as a block",
			src:  minimal + "headers {\n}\n",
			want: []wantDiag{{"Unsupported block type", `Did you mean to define argument "headers"?`, "test.hcl:4,1-8"}},
		},
		{
			name: "block written as an attribute",
			src:  minimal + "rule = {}\n",
			want: []wantDiag{{"Unsupported argument", `Did you mean to define a block of type "rule"?`, "test.hcl:4,1-5"}},
		},
		{
			name: "map block without its label",
			src:  minimal + "route {\n  url = \"u\"\n}\n",
			want: []wantDiag{{"Missing name for route", `All route blocks must have 1 labels (name).`, "test.hcl:4,7-8"}},
		},
		{
			name: "duplicate single block",
			src:  minimal + "tls {\n  cert = \"a\"\n  key = \"b\"\n}\ntls {\n  cert = \"a\"\n  key = \"b\"\n}\n",
			want: []wantDiag{{"Duplicate tls block", "Previous definition was at test.hcl:4,1-4.", "test.hcl:8,1-4"}},
		},
		{
			name: "too many list blocks",
			src:  minimal + "rule { pattern = \"a\" }\nrule { pattern = \"b\" }\nrule { pattern = \"c\" }\n",
			want: []wantDiag{{"Too many rule blocks", `No more than 2 "rule" blocks are allowed`, "test.hcl:6,8-8"}},
		},
		{
			name: "duplicate map label",
			src:  minimal + "route \"a\" { url = \"1\" }\nroute \"a\" { url = \"2\" }\n",
			want: []wantDiag{{"Duplicate route block", `A block for route "a" was already defined.`, "test.hcl:5,1-10"}},
		},
		{
			name: "JSON: unknown property with a suggestion",
			file: "test.json",
			src:  `{"send_url": "u", "secret": "s", "timout": "5s"}`,
			want: []wantDiag{{"Extraneous JSON object property", `No argument or block type is named "timout". Did you mean "timeout"?`, "test.json:1,34-42"}},
		},
		{
			name: "JSON: missing required attribute in a block",
			file: "test.json",
			src:  `{"send_url": "u", "secret": "s", "tls": {"cert": "c"}}`,
			want: []wantDiag{{"Missing required argument", `The argument "key" is required`, "test.json:1,53-54"}},
		},
	}
	b := testConfig()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := tt.file
			if file == "" {
				file = "test.hcl"
			}
			got, diags := Decode(parse(t, file, tt.src), &b, nil)
			checkDiags(t, diags, tt.want)
			// Whatever failed, the secret stays hidden.
			if got.IsKnown() && !got.IsNull() && !got.GetAttr("secret").IsMarked() {
				t.Errorf("secret is not marked after errors: %#v", got)
			}
		})
	}
}

func TestDecodeMapLimits(t *testing.T) {
	t.Parallel()
	b := &sdk.Block{Blocks: []sdk.NestedBlock{{
		TypeName: "route", Nesting: sdk.NestingMap, MinItems: 1, MaxItems: 2,
		Block: sdk.Block{Attributes: []sdk.Attribute{{Name: "url", Type: cty.String, Required: true, Description: "u"}}},
	}}}
	tests := []struct {
		name string
		src  string
		want []wantDiag
	}{
		{"none", "", []wantDiag{{"Insufficient route blocks", `At least 1 "route" blocks are required.`, "test.hcl:1,1-1"}}},
		{"one", `route "a" { url = "1" }`, nil},
		{"two", "route \"a\" { url = \"1\" }\nroute \"b\" { url = \"2\" }\n", nil},
		{"three", "route \"a\" { url = \"1\" }\nroute \"b\" { url = \"2\" }\nroute \"c\" { url = \"3\" }\n", []wantDiag{
			{"Too many route blocks", `No more than 2 "route" blocks are allowed.`, "test.hcl:1,13-13"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, diags := Decode(parse(t, "test.hcl", tt.src), b, nil)
			checkDiags(t, diags, tt.want)
		})
	}
}

// TestDecodeDynamic checks blocks with attributes of dynamic type, which
// hcldec cannot put in a list or map when their types differ.
func TestDecodeDynamic(t *testing.T) {
	t.Parallel()
	inner := sdk.Block{Attributes: []sdk.Attribute{
		{Name: "value", Type: cty.DynamicPseudoType, Required: true, Description: "v"},
		{Name: "secret", Type: cty.String, Optional: true, Sensitive: true, Description: "s"},
	}}
	b := &sdk.Block{Blocks: []sdk.NestedBlock{
		{TypeName: "field", Nesting: sdk.NestingMap, Block: inner},
		{TypeName: "item", Nesting: sdk.NestingList, Block: inner},
	}}
	src := `
field "a" { value = 1 }
field "b" {
  value  = "x"
  secret = "s"
}
item { value = true }
item {
  value  = [1, 2]
  secret = "t"
}
`
	got, diags := Decode(parse(t, "test.hcl", src), b, nil)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	unmarked, marks := got.UnmarkDeepWithPaths()
	if v := unmarked.GetAttr("field").GetAttr("a").GetAttr("value"); !v.RawEquals(cty.NumberIntVal(1)) {
		t.Errorf("field.a.value = %#v", v)
	}
	if v := unmarked.GetAttr("item").Index(cty.NumberIntVal(1)).GetAttr("value"); v.LengthInt() != 2 {
		t.Errorf("item[1].value = %#v", v)
	}
	want := []string{"field.a.secret", "field.b.secret", "item[0].secret", "item[1].secret"}
	if diff := cmp.Diff(want, markedPaths(marks)); diff != "" {
		t.Errorf("sensitive paths (-want +got):\n%s", diff)
	}
}

// TestDecodeUnknownBlockStaysHidden checks that a block left unknown by an
// error is marked as a whole when it holds a secret.
func TestDecodeUnknownBlockStaysHidden(t *testing.T) {
	t.Parallel()
	b := testConfig()
	got := markSensitive(cty.UnknownVal(b.ImpliedType()), &b)
	if !got.HasMark(sdk.Sensitive) {
		t.Errorf("unknown configuration is not marked")
	}
	plain := sdk.Block{Attributes: []sdk.Attribute{{Name: "a", Type: cty.String, Optional: true, Description: "a"}}}
	if got := markSensitive(cty.UnknownVal(plain.ImpliedType()), &plain); got.IsMarked() {
		t.Errorf("unknown value without secrets is marked")
	}
}
