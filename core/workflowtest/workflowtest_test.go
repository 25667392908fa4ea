package workflowtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

func TestTestdataPasses(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/*")
	for _, dir := range dirs {
		if filepath.Base(dir) == "failing" {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			sum, out := runTests(t, dir, Options{Verbose: true})
			if sum.Failed > 0 || sum.Passed == 0 {
				t.Errorf("%d passed, %d failed:\n%s", sum.Passed, sum.Failed, out.String())
			}
		})
	}
}

func TestFailuresAreReported(t *testing.T) {
	sum, out := runTests(t, "testdata/failing", Options{})
	if sum.Passed != 0 || sum.Failed != 5 {
		t.Errorf("%d passed, %d failed; every test there must fail:\n%s", sum.Passed, sum.Failed, out.String())
	}
	for _, want := range []string{
		`--- FAIL: testdata/failing/wrong text`,
		`containing "Thank you", got 0; sent to that thread:`,
		`sent at 5m by ack/ack: "Thanks!"`,
		`expected nothing sent to thread "t1", but workflow "ack" step "ack" sent at 5m`,
		`thread "t1" lacks tag "vip" (it has [seen])`,
		`thread "t1" has status "", want "closed"`,
		`ack: fired`,
		"FAIL\ttestdata/failing",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBadTestFile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.hcl", `workflow "w" {
  description = "d"
  trigger {}
  step "tag" "t" { tags = ["x"] }
}`)
	write(t, dir, "bad.test.hcl", `test "t" {
  start = "yesterday"
  receive { text = "hi" }
}`)
	_, diags := RunDir(dir, &bytes.Buffer{}, Options{})
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(d.Error() + "\n")
	}
	text := b.String()
	for _, want := range []string{"Invalid start", "RFC 3339", `"connector" is required`} {
		if !strings.Contains(text, want) {
			t.Errorf("diagnostics lack %q: %s", want, text)
		}
	}
}

// runTests runs the tests of dir, failing on diagnostics, and returns the
// summary and what was printed.
func runTests(t *testing.T, dir string, opts Options) (Summary, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	sum, diags := RunDir(dir, &out, opts)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return sum, &out
}

func write(t *testing.T, dir, name, src string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

// load parses the test files of dir and loads its configuration, as RunDir
// does, and returns every diagnostic.
func load(t *testing.T, dir string) hcl.Diagnostics {
	t.Helper()
	_, diags := RunDir(dir, &bytes.Buffer{}, Options{})
	return diags
}

// A receive on a channel nobody declared would run without the channel's
// minimum reply delay, service window and length limit: it must not load.
func TestUnknownReceiveChannel(t *testing.T) {
	tests := map[string]struct {
		connector, channel string
		line, col          int // of the error; 0 when there is none
	}{
		"known channel":        {connector: "amazon", channel: "buyer_messages"},
		"misspelled channel":   {connector: "amazon", channel: "buyer_mesages", line: 6, col: 17},
		"misspelled connector": {connector: "amazn", channel: "buyer_messages", line: 5, col: 17},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			write(t, dir, "main.hcl", `workflow "ack" {
  description = "d"
  trigger {}
  step "reply" "r" {
    delay = "15m"
    text  = "Thanks"
  }
}`)
			write(t, dir, "t.test.hcl", `channel "amazon.buyer_messages" { min_reply_delay = "15m" }
test "t" {
  start = "2026-11-20T10:00:00Z"
  receive {
    connector = "`+tt.connector+`"
    channel   = "`+tt.channel+`"
    thread    = "a1"
    from      = "b"
    text      = "Where is my order?"
  }
  expect_sent { thread = "a1" }
}`)
			diags := load(t, dir)
			if tt.line == 0 {
				if diags.HasErrors() {
					t.Fatal(diags.Error())
				}
				return
			}
			if len(diags) != 1 {
				t.Fatalf("want one error, got %d: %s", len(diags), diags.Error())
			}
			d := diags[0]
			if d.Summary != "Unknown channel" || !strings.Contains(d.Detail, `Did you mean "amazon.buyer_messages"?`) {
				t.Errorf("got %s", d.Error())
			}
			if d.Subject == nil || filepath.Base(d.Subject.Filename) != "t.test.hcl" || d.Subject.Start.Line != tt.line || d.Subject.Start.Column != tt.col {
				t.Errorf("error at %v, want t.test.hcl:%d:%d", d.Subject, tt.line, tt.col)
			}
		})
	}
}

// An event after the horizon would never happen, and the expectations
// would be judged without it.
func TestEventAfterHorizon(t *testing.T) {
	tests := map[string]struct {
		horizon, at string
		want        string // "" when the event is within the horizon
	}{
		"within the default horizon": {at: "30d"},
		"after the default horizon":  {at: "31d", want: `This receive is at 31d, after the test's horizon of 30d, so it would never happen. Raise the test's horizon to at least that (horizon = "31d")`},
		"at the horizon":             {horizon: "2d", at: "2d"},
		"a minute after the horizon": {horizon: "2d", at: "2d1m", want: `This receive is at 48h1m, after the test's horizon of 2d`},
		"a time after the horizon":   {horizon: "1d", at: "2026-11-22T10:00:00Z", want: `This receive is at 2d, after the test's horizon of 1d`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			horizon := ""
			if tt.horizon != "" {
				horizon = `horizon = "` + tt.horizon + `"`
			}
			dir := t.TempDir()
			write(t, dir, "main.hcl", `workflow "w" {
  description = "d"
  trigger {}
  step "tag" "t" { tags = ["x"] }
}`)
			write(t, dir, "t.test.hcl", `channel "shop.mail" {}
test "t" {
  start = "2026-11-20T10:00:00Z"
  `+horizon+`
  receive {
    at        = "`+tt.at+`"
    connector = "shop"
    channel   = "mail"
    thread    = "t1"
    from      = "b"
    text      = "hi"
  }
  expect_tags {
    thread = "t1"
    tags   = ["x"]
  }
}`)
			diags := load(t, dir)
			if tt.want == "" {
				if diags.HasErrors() {
					t.Fatal(diags.Error())
				}
				return
			}
			if len(diags) != 1 || diags[0].Summary != "Event after the horizon" || !strings.Contains(diags[0].Detail, tt.want) {
				t.Fatalf("want Event after the horizon with %q, got: %s", tt.want, diags.Error())
			}
			if s := diags[0].Subject; s == nil || s.Start.Line != 6 || s.Start.Column != 17 {
				t.Errorf("error at %v, want the receive's at on 6:17", s)
			}
		})
	}
}

// Expectations about a thread no message went to would hold, or fail, for
// no reason of the workflows'; each fails, naming the thread.
func TestExpectationOnThreadWithoutMessages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, "main.hcl", `workflow "ack" {
  description = "d"
  trigger {}
  step "reply" "r" { text = "Thanks" }
}`)
	write(t, dir, "t.test.hcl", `channel "shop.mail" {}
test "t" {
  start = "2026-11-20T10:00:00Z"
  receive {
    connector = "shop"
    channel   = "mail"
    thread    = "mc-1"
    from      = "b"
    text      = "hi"
  }
  expect_sent { thread = "mc-1" }
  expect_sent {
    thread = "mc1"
    count  = 0
  }
  expect_not_sent { thread = "mc1" }
  expect_tags {
    thread   = "mc1"
    not_tags = ["x"]
  }
  expect_status {
    thread = "mc1"
    status = ""
  }
  expect_assignee {
    thread   = "mc1"
    assignee = ""
  }
}`)
	sum, out := runTests(t, dir, Options{})
	const want = `thread "mc1" has no messages: no receive of this test names it, so there is nothing to check. Did you mean "mc-1"?`
	if sum.Failed != 1 || strings.Count(out.String(), want) != 5 {
		t.Errorf("want each of the 5 expectations on mc1 to fail with %q:\n%s", want, out.String())
	}
	if strings.Contains(out.String(), `thread "mc-1"`) {
		t.Errorf("the expectation on mc-1 holds:\n%s", out.String())
	}
}

// A failed step is reported in the words docs/testing.md gives.
func TestFailedStepLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, "main.hcl", `workflow "w" {
  description = "d"
  trigger {}
  step "reply" "r" {
    delay = "5m"
    text  = "Order ${regex("[0-9]+", message.text)}"
  }
}`)
	write(t, dir, "t.test.hcl", `channel "shop.mail" {}
test "t" {
  start = "2026-11-20T10:00:00Z"
  receive {
    connector = "shop"
    channel   = "mail"
    thread    = "t1"
    from      = "b"
    text      = "no number"
  }
}`)
	sum, out := runTests(t, dir, Options{})
	const want = "\n    workflow \"w\" step \"r\" for message m1 failed at 5m: step \"r\" of workflow \"w\": "
	if sum.Failed != 1 || !strings.Contains(out.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, out.String())
	}
}
