package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
)

// testChannels stand in for plugin schemas, as test files declare them.
var testChannels = []*Channel{
	{Connector: "allegro", Name: "discussions", Capabilities: sdk.Capabilities{Poll: true, Send: true}},
	{Connector: "allegro", Name: "message_center", Capabilities: sdk.Capabilities{Poll: true, Send: true}},
	{Connector: "amazon", Name: "buyer_messages", Capabilities: sdk.Capabilities{Poll: true, Send: true, MinReplyDelay: 10 * time.Minute}},
}

func load(t *testing.T, files map[string]string) (*Config, hcl.Diagnostics) {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return Load(dir, Options{Channels: testChannels, Env: EnvLookup{Lookup: func(k string) (string, bool) {
		if k == "SET" {
			return "value", true
		}
		return "", false
	}}})
}

const office = `
schedule "office" {
  timezone = "Europe/Warsaw"
  hours    = { mon_fri = "10:00-18:00" }
}
`

const afterHours = office + `
template "after_hours" {
  text = {
    pl = "Dziękujemy, ${default(contact.name, "Kliencie")}. Odpowiemy ${next_open(schedule.office)}."
    en = "Thank you. We will answer at ${next_open(schedule.office)}."
  }
}

workflow "after_hours" {
  description = "Acknowledge messages outside office hours"
  trigger {
    sources = ["allegro.discussions", "allegro.message_center"]
    mode    = "every_message"
  }
  condition = !open_now(schedule.office)
  step "reply" "ack" {
    template = template.after_hours
    delay    = "10m"
  }
  step "tag" "mark" { tags = ["auto-acknowledged"] }
}
`

func TestLoadValid(t *testing.T) {
	cfg, diags := load(t, map[string]string{"main.hcl": afterHours})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if len(cfg.Workflows) != 1 {
		t.Fatalf("workflows: %d", len(cfg.Workflows))
	}
	w := cfg.Workflows[0]
	if !w.Enabled || w.Description == "" || w.Condition == nil || len(w.Steps) != 2 {
		t.Errorf("workflow: %+v", w)
	}
	if s := w.Steps[0]; s.Kind != StepReply || s.Offset != 10*time.Minute || !s.UnlessAnswered || s.Template == nil {
		t.Errorf("reply step: %+v", s)
	}
	if got := cfg.Templates["after_hours"]; got.Default != "en" || len(got.Variants) != 2 {
		t.Errorf("template: %+v", got)
	}
	if len(w.Trigger.Sources) != 2 || !w.Trigger.Listens("allegro", "discussions") || w.Trigger.Listens("amazon", "buyer_messages") {
		t.Errorf("trigger: %+v", w.Trigger)
	}
}

// TestDiagnostics checks that each mistake is reported with a useful
// summary, where it is, and a hint.
func TestDiagnostics(t *testing.T) {
	tests := map[string]struct {
		src  string
		want []string // substrings of the rendered diagnostics
		line int      // line of the first error, 0 to skip
	}{
		"misspelled variable attribute": {
			src: office + `
workflow "w" {
  description = "d"
  trigger {}
  condition = message.txt == "x"
  step "tag" "t" { tags = ["x"] }
}`,
			want: []string{"Unsupported attribute", `Did you mean "text"?`}, line: 10,
		},
		"a workflow's reply window of zero": {
			src: `
workflow "w" {
  description  = "d"
  trigger {}
  reply_window = "0s"
  step "tag" "t" { tags = ["x"] }
}`,
			want: []string{"reply_window is at least 1m"}, line: 5,
		},
		"a moment that is no timestamp": {
			src: office + `
workflow "w" {
  description = "d"
  trigger {}
  condition = open_now(schedule.office, "yesterday")
  step "tag" "t" { tags = ["x"] }
}`,
			want: []string{`"yesterday" is not an RFC 3339 timestamp`}, line: 10,
		},
		"two moments": {
			src: office + `
workflow "w" {
  description = "d"
  trigger {}
  condition = open_now(schedule.office, message.received_at, message.received_at)
  step "tag" "t" { tags = ["x"] }
}`,
			want: []string{"give the schedule and at most one moment"}, line: 10,
		},
		"unknown source": {
			src: `
workflow "w" {
  description = "d"
  trigger { sources = ["allegro.discusions"] }
  step "tag" "t" { tags = ["x"] }
}`,
			want: []string{"Unknown source", `Did you mean "allegro.discussions"?`}, line: 4,
		},
		"unknown template": {
			src: afterHours + `
workflow "w2" {
  description = "d"
  trigger { sources = ["amazon"] }
  step "reply" "r" { template = template.after_hour }
}`,
			want: []string{"Unknown template", `Did you mean "after_hours"?`},
		},
		"duplicate workflow names both places": {
			src: `
workflow "w" {
  description = "d"
  trigger {}
  step "tag" "t" { tags = ["x"] }
}
workflow "w" {
  description = "d"
  trigger {}
  step "tag" "t" { tags = ["x"] }
}`,
			want: []string{`Duplicate workflow "w"`, "also defined at", ":2,"}, line: 7,
		},
		"empty description": {
			src: `
workflow "w" {
  description = "  "
  trigger {}
  step "tag" "t" { tags = ["x"] }
}`,
			want: []string{"Empty description"},
		},
		"missing description": {
			src: `
workflow "w" {
  trigger {}
  step "tag" "t" { tags = ["x"] }
}`,
			want: []string{`Missing required argument`, `"description" is required`},
		},
		"bad mode": {
			src: `
workflow "w" {
  description = "d"
  trigger { mode = "first_mesage" }
  step "tag" "t" { tags = ["x"] }
}`,
			want: []string{"Unknown trigger mode", `Did you mean "first_message"?`},
		},
		"misspelled block type": {
			src:  `workflw "w" {}`,
			want: []string{"Unsupported block type", `Did you mean "workflow"?`}, line: 1,
		},
		"bad duration": {
			src: `
workflow "w" {
  description = "d"
  trigger {}
  step "reply" "r" {
    text  = "hi"
    delay = "10 minutes"
  }
}`,
			want: []string{"Invalid duration", `"10m"`}, line: 7,
		},
		"condition not bool": {
			src: `
workflow "w" {
  description = "d"
  trigger {}
  condition = message.text
  step "tag" "t" { tags = ["x"] }
}`,
			want: []string{"Wrong type", "bool"},
		},
		"unknown step type": {
			src: `
workflow "w" {
  description = "d"
  trigger {}
  step "replly" "r" { text = "x" }
}`,
			want: []string{"Unknown step type", `Did you mean "reply"?`},
		},
		"step output of a later step": {
			src: `
workflow "w" {
  description = "d"
  trigger {}
  step "reply" "r" { text = "x ${step.later.draft}" }
}`,
			want: []string{"Unsupported attribute"},
		},
		"bad schedule": {
			src: `
schedule "office" {
  timezone = "Europe/Warsaw"
  hours    = { mon_fry = "10:00-18:00" }
}`,
			want: []string{"Invalid schedule", "mon_fry"}, line: 4,
		},
		"cyclic locals": {
			src: `
locals {
  a = local.b
  b = local.a
}`,
			want: []string{"Cyclic local value"},
		},
		"file outside the directory": {
			src: `
locals {
  a = file("../secret")
}`,
			want: []string{"leaves the configuration directory"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, diags := load(t, map[string]string{"main.hcl": tt.src})
			if !diags.HasErrors() {
				t.Fatalf("no error; diagnostics: %v", diags)
			}
			text := render(diags)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("diagnostics lack %q:\n%s", w, text)
				}
			}
			if tt.line > 0 {
				first := firstError(diags)
				if first.Subject == nil || first.Subject.Start.Line != tt.line {
					t.Errorf("first error at %v, want line %d:\n%s", first.Subject, tt.line, text)
				}
			}
		})
	}
}

func render(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(d.Error())
		b.WriteString("\n")
	}
	return b.String()
}

func firstError(diags hcl.Diagnostics) *hcl.Diagnostic {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			return d
		}
	}
	return nil
}

func TestAllErrorsAtOnce(t *testing.T) {
	_, diags := load(t, map[string]string{
		"a.hcl": `workflow "a" {
  description = "d"
  trigger { mode = "nope" }
  step "tag" "t" { tags = ["x"] }
}`,
		"b.hcl": `workflow "b" {
  description = ""
  trigger {}
  step "wait" "w" { duration = "forever" }
}`,
	})
	errs := 0
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			errs++
		}
	}
	if errs < 3 {
		t.Errorf("want every error from both files, got %d:\n%s", errs, render(diags))
	}
}

func TestWarnings(t *testing.T) {
	cfg, diags := load(t, map[string]string{"main.hcl": `
workflow "a" {
  description = "d"
  trigger { sources = ["amazon"] }
  step "reply" "r" { text = "hi" }
}
workflow "b" {
  description = "d"
  trigger {}
  step "reply" "r" { text = "hello" }
}`})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	text := render(diags)
	for _, want := range []string{"Reply sooner than the channel allows", "Two workflows can reply to the same message"} {
		if !strings.Contains(text, want) {
			t.Errorf("warnings lack %q:\n%s", want, text)
		}
	}
	if len(cfg.Workflows) != 2 {
		t.Error("warnings dropped workflows")
	}
}

func TestEnvUnsetIsUnknownSensitive(t *testing.T) {
	cfg, diags := load(t, map[string]string{"main.hcl": `
locals {
  set   = env("SET")
  unset = env("UNSET")
}`})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if v := cfg.Locals["unset"]; v.IsKnown() || !v.HasMark(sdk.Sensitive) {
		t.Errorf("unset env = %#v, want unknown and sensitive", v)
	}
	if v := cfg.Locals["set"]; !v.HasMark(sdk.Sensitive) {
		t.Errorf("set env = %#v, want sensitive", v)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"10m": 10 * time.Minute, "14d": 14 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "1.5d": 36 * time.Hour} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "ten", "-1m", "d"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                             "0s",
		90 * time.Second:              "1m30s",
		10 * time.Minute:              "10m",
		90 * time.Minute:              "1h30m",
		24 * time.Hour:                "1d",
		14 * 24 * time.Hour:           "14d",
		36 * time.Hour:                "36h",
		168*time.Hour + 5*time.Minute: "168h5m",
		25*time.Hour + time.Second:    "25h0m1s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%s) = %q, want %q", d, got, want)
		}
		// What is printed must read back as the same duration.
		if back, err := ParseDuration(FormatDuration(d)); err != nil || back != d {
			t.Errorf("ParseDuration(%q) = %s, %v; want %s", FormatDuration(d), back, err, d)
		}
	}
}

// timeadd takes Go durations only; a constant it cannot read is found at
// validate time rather than when a reply is sent.
func TestTimeaddDuration(t *testing.T) {
	tests := map[string]struct {
		arg  string
		want string // "" when the argument is fine
	}{
		"hours":                 {arg: `"48h"`},
		"negative minutes":      {arg: `"-30m"`},
		"days":                  {arg: `"2d"`, want: `write "48h"`},
		"days and hours, back":  {arg: `"-1d12h"`, want: `write "-36h"`},
		"weeks":                 {arg: `"1w"`, want: `write "168h"`},
		"no duration at all":    {arg: `"soon"`, want: `"soon" is not a duration timeadd understands`},
		"known only at sending": {arg: `message.text`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			src := `workflow "w" {
  description = "d"
  trigger {}
  step "reply" "r" { text = "By ${timeadd(now, ` + tt.arg + `)}" }
}`
			_, diags := load(t, map[string]string{"main.hcl": src})
			if tt.want == "" {
				if diags.HasErrors() {
					t.Fatal(diags.Error())
				}
				return
			}
			first := firstError(diags)
			if first == nil || first.Summary != "Invalid duration" || !strings.Contains(first.Detail, tt.want) {
				t.Fatalf("want Invalid duration with %q, got:\n%s", tt.want, render(diags))
			}
			col := strings.Index(src, tt.arg) - strings.Index(src, `  step "reply"`) + 1
			if r := first.Subject; r == nil || r.Start.Line != 4 || r.Start.Column != col || r.End.Column != col+len(tt.arg) {
				t.Errorf("error at %v, want the argument at 4:%d-%d", first.Subject, col, col+len(tt.arg))
			}
		})
	}
}

// A template that several workflows reply with is type-checked with each;
// its mistake is still one mistake.
func TestTemplateMistakeReportedOnce(t *testing.T) {
	_, diags := load(t, map[string]string{
		"t.hcl": `template "t" {
  default_language = "en"
  text = {
    en = "Hi ${contact.nam}"
    pl = "Odpowiemy do ${timeadd(now, "2d")}"
  }
}`,
		"w.hcl": `workflow "a" {
  description = "a"
  trigger {}
  step "reply" "r" { template = template.t }
}
workflow "b" {
  description = "b"
  trigger {}
  step "reply" "r" { template = template.t }
}`,
	})
	var got []string
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			got = append(got, d.Error())
		}
	}
	if len(got) != 2 {
		t.Errorf("want the unknown attribute and the bad duration once each, got %d:\n%s", len(got), strings.Join(got, "\n"))
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(afterHours)
	f.Add(`workflow "w" { trigger {} }`)
	f.Add(`locals { a = "${"`)
	f.Fuzz(func(t *testing.T, src string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "f.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		Load(dir, Options{Channels: testChannels}) // must not panic
	})
}

// fixedSchemas answers with the schemas it holds, by plugin name.
type fixedSchemas map[string]*sdk.Schema

func (f fixedSchemas) Schema(_ sdk.Kind, name string) (*sdk.Schema, error) {
	if s, ok := f[name]; ok {
		return s, nil
	}
	return nil, ErrNoSchema
}

// An argument a plugin reads as its own template takes no message data
// through ${…}: a buyer's "{{" would become template code. Its other
// arguments may.
func TestTemplateArgumentsRefuseMessageData(t *testing.T) {
	dir := t.TempDir()
	src := `action "post" "crm" {}
workflow "w" {
  description = "d"
  trigger {}
  step "post" "ticket" {
    body = "{{json .Message.Text}} from ${message.sender.name}"
    note = "for ${contact.name}"
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	post := &sdk.Schema{Kind: sdk.KindAction, Name: "post", Version: "1.0.0", Description: "Posts.",
		Arguments: sdk.Block{Attributes: []sdk.Attribute{
			{Name: "body", Type: cty.String, Required: true, Template: true, Description: "Its template."},
			{Name: "note", Type: cty.String, Optional: true, Description: "Plain text."},
		}}}
	_, diags := Load(dir, Options{Channels: testChannels, Schemas: fixedSchemas{"post": post}})
	if len(diags) != 1 || diags[0].Subject == nil || diags[0].Subject.Start.Line != 6 || diags[0].Summary != "Message data in a template" ||
		!strings.Contains(diags[0].Detail, "body is the post action's own template") {
		t.Fatalf("diagnostics %v; want one error at line 6 about message data in body", diags)
	}
}
