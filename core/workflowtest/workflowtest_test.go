package workflowtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTestdataPasses(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/*")
	for _, dir := range dirs {
		if filepath.Base(dir) == "failing" {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			sum, diags := RunDir(dir, &out, Options{Verbose: true})
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			if sum.Failed > 0 || sum.Passed == 0 {
				t.Errorf("%d passed, %d failed:\n%s", sum.Passed, sum.Failed, out.String())
			}
		})
	}
}

func TestFailuresAreReported(t *testing.T) {
	var out bytes.Buffer
	sum, diags := RunDir("testdata/failing", &out, Options{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
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

func write(t *testing.T, dir, name, src string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}
