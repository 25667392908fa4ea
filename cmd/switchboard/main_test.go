package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pluginDir holds the first-party plugins: `make test` builds them once and
// names the directory in SWITCHBOARD_PLUGIN_DIR; a bare `go test` builds
// them here.
var pluginDir string

func TestMain(m *testing.M) {
	pluginDir = os.Getenv("SWITCHBOARD_PLUGIN_DIR")
	if pluginDir == "" {
		tmp, err := os.MkdirTemp("", "switchboard-plugins")
		if err != nil {
			panic(err)
		}
		defer os.RemoveAll(tmp)
		for _, p := range []string{"connectors/webhook", "actions/http"} {
			kind, name := strings.TrimSuffix(filepath.Dir(p), "s"), filepath.Base(p)
			out, err := exec.Command("go", "build", "-o", filepath.Join(tmp, "switchboard-"+kind+"-"+name), "../../plugins/"+p).CombinedOutput()
			if err != nil {
				fmt.Fprintf(os.Stderr, "build %s: %v\n%s", p, err, out)
				os.Exit(2)
			}
		}
		pluginDir = tmp
	}
	os.Exit(m.Run())
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, args := range [][]string{
		{"-h"}, {"serve", "-h"}, {"send", "-h"}, {"reload", "-h"}, {"validate", "-h"}, {"fmt", "-h"}, {"test", "-h"},
		{"plugins", "-h"}, {"plugins", "list", "-h"}, {"plugins", "inspect", "-h"}, {"plugins", "lock", "-h"},
	} {
		code, stdout, stderr := runCLI(t, args...)
		if code != 0 || !strings.Contains(stdout+stderr, "Usage") {
			t.Errorf("%v: exit %d, output %q", args, code, stdout+stderr)
		}
	}
	if code, _, _ := runCLI(t, "frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
}

// A wrong command line says what is wrong before the usage; a directory
// with no configuration fails rather than passes.
func TestMisuseSaysWhatIsWrong(t *testing.T) {
	empty := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"serve"}, 2, "switchboard serve: -config is required"},
		{[]string{"serve", "-config", empty, "-log-level", "degub"}, 2, `-log-level "degub" is not one of`},
		{[]string{"send", "where", "is", "it"}, 2, "TEXT is one argument (quote it); got 3"},
		{[]string{"plugins", "inspect"}, 2, "give one plugin NAME; got 0"},
		{[]string{"plugins", "inspect", "-kind", "conector", "webhook"}, 2, `-kind is "conector"; use connector or action`},
		{[]string{"validate", empty}, 1, "no *.hcl files in " + empty},
		{[]string{"test", empty}, 1, "no *.hcl files in " + empty},
	} {
		code, stdout, stderr := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, want %d with %q; stdout %q, stderr:\n%s", tc.args, code, tc.code, tc.want, stdout, stderr)
		}
	}
}

func write(t *testing.T, dir, name, src string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestValidateReportsWhere(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.hcl", `workflow "w" {
  description = "d"
  trigger { mode = "first_mesage" }
  step "tag" "t" { tags = ["x"] }
}
`)
	code, stdout, stderr := runCLI(t, "validate", dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{"main.hcl:3:20: error: Unknown trigger mode", `3 |   trigger { mode = "first_mesage" }`, "^^^^^^^^^^^^^^", `"first_message"?`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "1 error(s)") {
		t.Errorf("stdout: %s", stdout)
	}
}

// validate reads the test files too: a receive on a channel the
// configuration does not know is reported where it is written.
func TestValidateChecksReceiveChannels(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.hcl", `workflow "w" {
  description = "d"
  trigger {}
  step "tag" "t" { tags = ["x"] }
}
`)
	write(t, dir, "t.test.hcl", `channel "amazon.buyer_messages" { min_reply_delay = "15m" }
test "t" {
  start = "2026-11-20T10:00:00Z"
  receive {
    connector = "amazon"
    channel   = "buyer_mesages"
    thread    = "a1"
    from      = "b"
    text      = "Where is my order?"
  }
}
`)
	code, stdout, stderr := runCLI(t, "validate", dir)
	if code != 1 || !strings.Contains(stdout, "1 error(s)") {
		t.Errorf("exit %d, want 1; stdout: %s", code, stdout)
	}
	for _, want := range []string{"t.test.hcl:6:17: error: Unknown channel", `"amazon.buyer_messages"?`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestFmt(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.hcl", "workflow \"w\" {\ndescription=\"d\"\n  trigger {}\n step \"tag\" \"t\" { tags = [\"x\"] }\n}\n")
	if code, stdout, _ := runCLI(t, "fmt", "-check", dir); code != 1 || !strings.Contains(stdout, "main.hcl") {
		t.Fatalf("fmt -check on an unformatted file: exit %d, %q", code, stdout)
	}
	if code, _, stderr := runCLI(t, "fmt", dir); code != 0 {
		t.Fatalf("fmt: exit %d %s", code, stderr)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "main.hcl"))
	if !strings.Contains(string(got), "  description = \"d\"") {
		t.Errorf("not formatted:\n%s", got)
	}
	if code, stdout, _ := runCLI(t, "fmt", "-check", dir); code != 0 || stdout != "" {
		t.Errorf("fmt -check after fmt: exit %d, %q", code, stdout)
	}
}

func TestTestCommand(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.hcl", `workflow "ack" {
  description = "Acknowledge"
  trigger {}
  step "reply" "ack" { text = "Thanks" }
}
`)
	write(t, dir, "ack.test.hcl", `channel "shop.mail" {}
test "replies" {
  start = "2026-11-20T12:00:00Z"
  receive {
    connector = "shop"
    channel   = "mail"
    thread    = "t"
    from      = "b"
    text      = "Guten Tag, wann kommt meine Bestellung?"
  }
  expect_sent {
    thread = "t"
    equals = "Thanks"
  }
}
`)
	if code, stdout, stderr := runCLI(t, "test", "-v", dir); code != 0 || !strings.Contains(stdout, "--- PASS") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	write(t, dir, "ack.test.hcl", strings.Replace(mustRead(t, filepath.Join(dir, "ack.test.hcl")), `equals = "Thanks"`, `equals = "Danke"`, 1))
	if code, stdout, _ := runCLI(t, "test", dir); code != 1 || !strings.Contains(stdout, "--- FAIL") {
		t.Fatalf("a failing test: exit %d\n%s", code, stdout)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPluginsCommands(t *testing.T) {
	code, stdout, stderr := runCLI(t, "plugins", "list", "-dir", pluginDir, "-json")
	if code != 0 {
		t.Fatalf("list: exit %d %s", code, stderr)
	}
	var rows []struct{ Name, Kind, Version, SHA256 string }
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil || len(rows) < 2 {
		t.Fatalf("list -json: %v %s", err, stdout)
	}
	code, stdout, stderr = runCLI(t, "plugins", "inspect", "-dir", pluginDir, "webhook")
	if code != 0 || !strings.Contains(stdout, "send_url") || !strings.Contains(stdout, "Channels:") {
		t.Errorf("inspect: exit %d\n%s%s", code, stdout, stderr)
	}
	lock := filepath.Join(t.TempDir(), "switchboard.lock.json")
	if code, _, stderr := runCLI(t, "plugins", "lock", "-dir", pluginDir, "-o", lock); code != 0 {
		t.Fatalf("lock: exit %d %s", code, stderr)
	}
	if !strings.Contains(mustRead(t, lock), `"webhook"`) {
		t.Error("lock file lacks the webhook plugin")
	}
	// validate reads the lock file: a connector block is checked against the
	// webhook plugin's schema without starting it.
	dir := filepath.Dir(lock)
	write(t, dir, "main.hcl", `connector "webhook" "shop" {
  send_urll = "https://example.com/out"
}
`)
	code, _, stderr = runCLI(t, "validate", dir)
	if code != 1 || !strings.Contains(stderr, `Did you mean "send_url"?`) {
		t.Errorf("validate against the lock file: exit %d\n%s", code, stderr)
	}
	// Without a lock file, validate asks the plugin itself.
	bare := t.TempDir()
	write(t, bare, "main.hcl", mustRead(t, filepath.Join(dir, "main.hcl")))
	code, _, stderr = runCLI(t, "validate", "-plugin-dir", pluginDir, bare)
	if code != 1 || !strings.Contains(stderr, `Did you mean "send_url"?`) {
		t.Errorf("validate asking the plugin: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "validate", "-plugin-dir", t.TempDir(), bare); code != 1 || !strings.Contains(stderr, "Unknown connector plugin") {
		t.Errorf("validate without the plugin: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "plugins", "inspect", "-dir", pluginDir, "nope"); code != 1 || !strings.Contains(stderr, "no plugin") {
		t.Errorf("inspect of a missing plugin: exit %d %s", code, stderr)
	}
}

// TestWorkflowLibrary holds the ready-made workflows to what their users
// will run: they validate without errors or warnings, their tests pass, and
// they are formatted.
func TestWorkflowLibrary(t *testing.T) {
	code, stdout, stderr := runCLI(t, "validate", "../../workflows")
	if code != 0 || strings.Contains(stderr, "Warning") {
		t.Errorf("validate workflows: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr := runCLI(t, "test", "../../workflows"); code != 0 || strings.Contains(stdout, "no test files") {
		t.Errorf("test workflows: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, _ := runCLI(t, "fmt", "-check", "../../workflows"); code != 0 {
		t.Errorf("these workflow files need switchboard fmt:\n%s", stdout)
	}
}
