package lockfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
)

// ctyCmp compares cty types and values by their own notion of equality;
// marks count, so a default that lost its Sensitive mark is a difference.
var ctyCmp = cmp.Options{
	cmp.Comparer(func(a, b cty.Type) bool { return a.Equals(b) }),
	cmp.Comparer(func(a, b cty.Value) bool {
		if a == cty.NilVal || b == cty.NilVal {
			return a == b
		}
		return a.RawEquals(b)
	}),
	cmpopts.EquateEmpty(),
}

const (
	sumA = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	sumB = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
)

// fullConnector uses every feature a schema has.
func fullConnector() *sdk.Schema {
	leaf := sdk.Block{
		Description: "A leaf.",
		Attributes: []sdk.Attribute{
			{Name: "url", Type: cty.String, Required: true, Description: "Target."},
			{Name: "token", Type: cty.String, Optional: true, Sensitive: true, Default: cty.StringVal("dev").Mark(sdk.Sensitive), Description: "Bearer token."},
		},
	}
	return &sdk.Schema{
		Kind:        sdk.KindConnector,
		Name:        "webhook",
		Version:     "1.2.0",
		Description: "Receives and sends messages over HTTP.",
		Config: sdk.Block{
			Description: "Connector settings.",
			Attributes: []sdk.Attribute{
				{Name: "send_url", Type: cty.String, Required: true, Description: "Where to POST."},
				{Name: "secret", Type: cty.String, Required: true, Sensitive: true, Description: "HMAC key."},
				{Name: "retries", Type: cty.Number, Optional: true, Default: cty.NumberFloatVal(2.5), Description: "Attempts."},
				{Name: "enabled", Type: cty.Bool, Optional: true, Default: cty.True, Description: "On or off."},
				{Name: "tags", Type: cty.List(cty.String), Optional: true, Default: cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}), Description: "Tags."},
				{Name: "codes", Type: cty.Set(cty.Number), Optional: true, Default: cty.SetValEmpty(cty.Number), Description: "Codes."},
				{Name: "headers", Type: cty.Map(cty.String), Optional: true, Default: cty.MapVal(map[string]cty.Value{"X-A": cty.StringVal("1")}), Description: "Headers."},
				{Name: "limits", Type: cty.ObjectWithOptionalAttrs(map[string]cty.Type{"burst": cty.Number, "per_minute": cty.Number}, []string{"burst"}), Optional: true, Description: "Limits."},
				{Name: "pair", Type: cty.Tuple([]cty.Type{cty.String, cty.Number}), Optional: true, Description: "Pair."},
				{Name: "extra", Type: cty.DynamicPseudoType, Optional: true, Default: cty.NullVal(cty.DynamicPseudoType), Description: "Anything."},
			},
			Blocks: []sdk.NestedBlock{
				{TypeName: "tls", Nesting: sdk.NestingSingle, MinItems: 1, MaxItems: 1, Block: leaf},
				{TypeName: "rule", Nesting: sdk.NestingList, MinItems: 1, MaxItems: 5, Block: sdk.Block{
					Attributes: leaf.Attributes,
					Blocks:     []sdk.NestedBlock{{TypeName: "inner", Nesting: sdk.NestingSingle, Block: leaf}},
				}},
				{TypeName: "route", Nesting: sdk.NestingMap, MaxItems: 3, Block: leaf},
			},
		},
		Channels: []sdk.Channel{
			{Name: "inbox", Description: "Messages in and out.", Capabilities: sdk.Capabilities{
				Poll: true, Webhook: true, Send: true, Threads: true, Attachments: true,
				MaxTextLength: 4096, MinReplyDelay: 5 * time.Minute, ServiceWindow: 24 * time.Hour,
				LookupSend: true, UnverifiableSend: sdk.AtLeastOnce,
			}},
			{Name: "outbox", Capabilities: sdk.Capabilities{Send: true, UnverifiableSend: sdk.AtMostOnce}},
		},
	}
}

func fullAction() *sdk.Schema {
	return &sdk.Schema{
		Kind:        sdk.KindAction,
		Name:        "notify",
		Version:     "0.3.0",
		Description: "Posts a notification.",
		Config: sdk.Block{Attributes: []sdk.Attribute{
			{Name: "token", Type: cty.String, Required: true, Sensitive: true, Description: "API token."},
		}},
		Arguments: sdk.Block{
			Attributes: []sdk.Attribute{{Name: "text", Type: cty.String, Required: true, Description: "What to post."}},
			Blocks: []sdk.NestedBlock{{TypeName: "button", Nesting: sdk.NestingList, MaxItems: 3, Block: sdk.Block{
				Attributes: []sdk.Attribute{{Name: "label", Type: cty.String, Required: true, Description: "Text."}},
			}}},
		},
		Outputs: cty.Object(map[string]cty.Type{"message_id": cty.String, "reactions": cty.List(cty.String)}),
	}
}

func minimalConnector(name string) *sdk.Schema {
	return &sdk.Schema{
		Kind: sdk.KindConnector, Name: name, Version: "0.1.0", Description: "Minimal.",
		Channels: []sdk.Channel{{Name: "main", Capabilities: sdk.Capabilities{Poll: true}}},
	}
}

func entry(s *sdk.Schema, sum string) Entry {
	return Entry{Kind: s.Kind.String(), Name: s.Name, Version: s.Version, Protocol: 1, SHA256: sum, Schema: s}
}

func testFile() *File {
	return &File{Plugins: []Entry{
		entry(fullConnector(), sumA),
		entry(fullAction(), sumB),
		entry(minimalConnector("allegro"), sumB),
	}}
}

func TestTestSchemasAreValid(t *testing.T) {
	t.Parallel()
	for _, e := range testFile().Plugins {
		if err := e.Schema.Validate(); err != nil {
			t.Errorf("%s: %v", e.Name, err)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), FileName)
	in := testFile()
	if err := Write(path, in); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	want := &File{Plugins: []Entry{
		entry(fullAction(), sumB),
		entry(minimalConnector("allegro"), sumB),
		entry(fullConnector(), sumA),
	}}
	if diff := cmp.Diff(want, got, ctyCmp); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
	// The caller's file keeps its order.
	if in.Plugins[0].Name != "webhook" {
		t.Errorf("Write reordered the caller's entries")
	}
	tok := got.Plugins[2].Schema.Config.Blocks[0].Block.Attributes[1].Default
	if !tok.HasMark(sdk.Sensitive) {
		t.Errorf("a sensitive default lost its mark")
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	a, err := Marshal(testFile())
	if err != nil {
		t.Fatal(err)
	}
	reversed := testFile()
	p := reversed.Plugins
	p[0], p[2] = p[2], p[0]
	b, err := Marshal(reversed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("the order of entries changes the bytes")
	}
	f, err := Unmarshal(a)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(a), string(c)); diff != "" {
		t.Errorf("read and written again (-first +second):\n%s", diff)
	}
}

// TestFormat pins the bytes on disk: changing them is a format change.
func TestFormat(t *testing.T) {
	t.Parallel()
	got, err := Marshal(&File{Plugins: []Entry{entry(minimalConnector("allegro"), sumA)}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "version": 1,
  "plugins": [
    {
      "kind": "connector",
      "name": "allegro",
      "version": "0.1.0",
      "protocol": 1,
      "sha256": "` + sumA + `",
      "schema": {
        "kind": "KIND_CONNECTOR",
        "name": "allegro",
        "version": "0.1.0",
        "description": "Minimal.",
        "config": {},
        "channels": [
          {
            "name": "main",
            "capabilities": {
              "poll": true
            }
          }
        ],
        "arguments": {}
      }
    }
  ]
}
`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("bytes (-want +got):\n%s", diff)
	}
	empty, err := Marshal(&File{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"version\": 1,\n  \"plugins\": []\n}\n"; string(empty) != want {
		t.Errorf("empty file:\n%s\nwant:\n%s", empty, want)
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	f := testFile()
	tests := []struct {
		kind, name string
		ok         bool
	}{
		{KindConnector, "webhook", true},
		{KindAction, "notify", true},
		{KindAction, "webhook", false},
		{KindConnector, "amazon", false},
	}
	for _, tt := range tests {
		e, ok := f.Lookup(tt.kind, tt.name)
		if ok != tt.ok {
			t.Errorf("Lookup(%s, %s): ok = %v, want %v", tt.kind, tt.name, ok, tt.ok)
			continue
		}
		if ok && (e.Kind != tt.kind || e.Name != tt.name || e.Schema == nil) {
			t.Errorf("Lookup(%s, %s) = %+v", tt.kind, tt.name, e)
		}
		if !ok && e != nil {
			t.Errorf("Lookup(%s, %s) returned an entry with false", tt.kind, tt.name)
		}
	}
}

// valid returns the JSON of a lock file holding one minimal connector, with
// edit applied to its text.
func valid(t *testing.T, edit func(string) string) string {
	t.Helper()
	b, err := Marshal(&File{Plugins: []Entry{entry(minimalConnector("allegro"), sumA)}})
	if err != nil {
		t.Fatal(err)
	}
	return edit(string(b))
}

func replace(old, new string) func(string) string {
	return func(s string) string {
		if !strings.Contains(s, old) {
			panic("test edit does not apply: " + old)
		}
		return strings.Replace(s, old, new, 1)
	}
}

func TestReadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		// want are parts of the error message.
		want []string
		is   error
	}{
		{
			name:    "not JSON",
			content: "{\n  \"version\": 1,\n  \"plugins\": [\n    {,\n",
			want:    []string{"not valid JSON at line 4, column 6", "switchboard plugins lock"},
		},
		{
			name:    "empty",
			content: "",
			want:    []string{"it is empty", "switchboard plugins lock"},
		},
		{
			name:    "newer version",
			content: `{"version": 2, "plugins": [], "signatures": {}}`,
			want:    []string{"version 2, newer than this switchboard reads (1)", "upgrade switchboard, or run `switchboard plugins lock`"},
			is:      ErrUnsupportedVersion,
		},
		{
			name:    "version zero",
			content: `{"version": 0, "plugins": []}`,
			want:    []string{"version 0; this switchboard reads version 1", "switchboard plugins lock"},
			is:      ErrUnsupportedVersion,
		},
		{
			name:    "no version",
			content: `{"plugins": []}`,
			want:    []string{`no "version"`, "switchboard plugins lock"},
		},
		{
			name:    "version of the wrong type",
			content: `{"version": "1"}`,
			want:    []string{"line 1, column 16", "cannot unmarshal string"},
		},
		{
			name:    "unknown field",
			content: valid(t, replace(`"protocol": 1,`, `"protocol": 1, "pinned": true,`)),
			want:    []string{`unknown field "pinned"`},
		},
		{
			name:    "two values",
			content: valid(t, func(s string) string { return s + "{}\n" }),
			want:    []string{"line 29, column 1", "after top-level value"},
		},
		{
			name:    "bad kind",
			content: valid(t, replace(`"kind": "connector"`, `"kind": "provider"`)),
			want:    []string{`plugin "allegro" has kind "provider"; want "connector" or "action"`},
		},
		{
			name:    "no name",
			content: valid(t, replace(`"name": "allegro",`, `"name": "",`)),
			want:    []string{"a connector has no name"},
		},
		{
			name:    "bad sha256",
			content: valid(t, replace(sumA, strings.ToUpper(sumA))),
			want:    []string{`connector "allegro" has sha256`, "64 lower-case hex digits"},
		},
		{
			name:    "no protocol",
			content: valid(t, replace(`"protocol": 1`, `"protocol": 0`)),
			want:    []string{`connector "allegro" has protocol version 0`},
		},
		{
			name:    "schema of another plugin",
			content: valid(t, replace(`"name": "allegro",`, `"name": "amazon",`)),
			want:    []string{`connector "amazon" holds the schema of connector "allegro"`},
		},
		{
			name:    "version differs from the schema's",
			content: valid(t, replace(`"version": "0.1.0"`, `"version": "0.2.0"`)),
			want:    []string{`connector "allegro" has version "0.2.0" but its schema says "0.1.0"`},
		},
		{
			name:    "no schema",
			content: `{"version": 1, "plugins": [{"kind": "action", "name": "notify", "version": "1.0.0", "protocol": 1, "sha256": "` + sumA + `"}]}`,
			want:    []string{`action "notify" has no schema`},
		},
		{
			name:    "broken schema",
			content: valid(t, replace(`"poll": true`, `"poll": "often"`)),
			want:    []string{`connector "allegro": schema:`},
		},
		{
			name: "listed twice",
			content: func() string {
				b, err := Marshal(&File{Plugins: []Entry{entry(minimalConnector("allegro"), sumA)}})
				if err != nil {
					t.Fatal(err)
				}
				s := string(b)
				i := strings.Index(s, "    {")
				j := strings.LastIndex(s, "    }") + len("    }")
				return s[:j] + ",\n" + s[i:]
			}(),
			want: []string{`connector "allegro" is listed twice`},
		},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".json")
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := Read(path)
			if err == nil {
				t.Fatalf("Read succeeded: %+v", f)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "lock file "+path+": ") {
				t.Errorf("error does not start with the file: %s", msg)
			}
			if !strings.Contains(msg, "switchboard plugins lock") {
				t.Errorf("error does not say how to fix it: %s", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error is not %v", tt.is)
			}
		})
	}
}

func TestReadMissing(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), FileName)
	_, err := Read(path)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want fs.ErrNotExist", err)
	}
	for _, w := range []string{path, "does not exist", "switchboard plugins lock"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

func TestWriteRejects(t *testing.T) {
	t.Parallel()
	bad := func(edit func(*Entry)) *File {
		e := entry(minimalConnector("allegro"), sumA)
		edit(&e)
		return &File{Plugins: []Entry{e}}
	}
	tests := []struct {
		name string
		file *File
		want string
	}{
		{"bad kind", bad(func(e *Entry) { e.Kind = "Connector" }), `has kind "Connector"`},
		{"short sha256", bad(func(e *Entry) { e.SHA256 = "abc" }), `has sha256 "abc"`},
		{"no schema", bad(func(e *Entry) { e.Schema = nil }), "has no schema"},
		{"duplicate", &File{Plugins: []Entry{entry(minimalConnector("a"), sumA), entry(minimalConnector("a"), sumB)}}, `connector "a" is listed twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			err := Write(path, tt.file)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if names := dirNames(t, dir); len(names) != 0 {
				t.Errorf("files left behind: %v", names)
			}
		})
	}
}

func TestWriteReplaces(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, testFile()); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, dir); !cmp.Equal(names, []string{FileName}) {
		t.Errorf("directory holds %v, want only the lock file", names)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o644 {
		t.Errorf("mode %v, want 0644", perm)
	}
	if _, err := Read(path); err != nil {
		t.Fatal(err)
	}
}

func TestWriteNoDirectory(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "missing", FileName)
	if err := Write(path, testFile()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("got %v, want fs.ErrNotExist", err)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
