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

// Help asked for is the command's output: stdout, status 0, whether with
// -h or through help.
func TestEveryCommandHasHelp(t *testing.T) {
	for _, args := range [][]string{
		{"-h"}, {"help"}, {"serve", "-h"}, {"send", "-h"}, {"reload", "-h"}, {"validate", "-h"}, {"fmt", "-h"}, {"test", "-help"},
		{"version", "-h"}, {"plugins", "-h"}, {"plugins", "list", "-h"}, {"plugins", "inspect", "-h"}, {"plugins", "lock", "-h"},
	} {
		code, stdout, stderr := runCLI(t, args...)
		if code != 0 || !strings.Contains(stdout, "Usage") || stderr != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want the usage on stdout, status 0", args, code, stdout, stderr)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"version", "-h"}, "Usage: switchboard version"},
		{[]string{"help", "serve"}, "Usage: switchboard serve -config DIR"},
		{[]string{"help", "plugins", "lock"}, "Usage: switchboard plugins lock"},
	} {
		if code, stdout, _ := runCLI(t, tc.args...); code != 0 || !strings.Contains(stdout, tc.want) {
			t.Errorf("%v: exit %d, stdout lacks %q:\n%s", tc.args, code, tc.want, stdout)
		}
	}
	if code, stdout, _ := runCLI(t, "version"); code != 0 || stdout != "switchboard "+version+"\n" {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
	for _, args := range [][]string{{"frobnicate"}, {"help", "frobnicate"}} {
		if code, _, _ := runCLI(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// A wrong command line says what is wrong before the usage, on stderr; a
// directory with no configuration fails rather than passes.
func TestMisuseSaysWhatIsWrong(t *testing.T) {
	empty, cfg := t.TempDir(), t.TempDir()
	file := filepath.Join(cfg, "hub.hcl")
	write(t, cfg, "hub.hcl", "hub {}\n")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"serve"}, 2, "switchboard serve: -config is required"},
		{[]string{"serve", "-config", empty, "-log-level", "degub"}, 2, `-log-level "degub" is not one of`},
		{[]string{"serve", "-config", file}, 2, "-config " + file + " is a file; -config takes the directory of the configuration's *.hcl files: -config " + cfg},
		{[]string{"serve", "-config", filepath.Join(empty, "nope")}, 2, "nope: no such file or directory"},
		{[]string{"serve", "-config", empty, "-listen", "8080"}, 2, `-listen "8080" is a port without a host; write "127.0.0.1:8080"`},
		{[]string{"serve", "-config", empty, "-listen", "localhost"}, 2, `-listen "localhost" is not host:port`},
		{[]string{"serve", "-config", empty, "-data", file}, 2, "-data " + file + " is a file"},
		{[]string{"serve", "-flag-that-is-not"}, 2, "switchboard serve: flag provided but not defined: -flag-that-is-not"},
		// Arguments a command does not take, with what was meant.
		{[]string{"serve", empty}, 2, "switchboard serve: takes no arguments, got " + empty + "; did you mean -config " + empty + "?"},
		{[]string{"reload", "data1"}, 2, "switchboard reload: takes no arguments, got data1; did you mean -data data1?"},
		{[]string{"plugins", "lock", "shop"}, 2, "did you mean -o shop/switchboard.lock.json?"},
		{[]string{"plugins", "lock", "shop.json"}, 2, "did you mean -o shop.json?"},
		{[]string{"plugins", "list", "bin"}, 2, "switchboard plugins list: takes no arguments, got bin; did you mean -plugin-dir bin?"},
		{[]string{"version", "extra"}, 2, "switchboard version: takes no arguments, got extra"},
		// A flag after a positional argument is shown where it goes.
		{[]string{"test", "qs", "-v"}, 2, "switchboard test: flags go before DIR: switchboard test -v qs"},
		{[]string{"test", "-v", "qs", "-plugin-dir", "my bin", "other"}, 2, "flags go before DIR: switchboard test -v -plugin-dir 'my bin' qs other"},
		{[]string{"validate", "qs", "-plugin-dir=bin"}, 2, "flags go before DIR: switchboard validate -plugin-dir=bin qs"},
		{[]string{"fmt", "qs", "-check", "other"}, 2, "flags go before DIR: switchboard fmt -check qs other"},
		{[]string{"plugins", "inspect", "webhook", "-json"}, 2, "flags go before NAME: switchboard plugins inspect -json webhook"},
		{[]string{"send", "hello", "-account", "shop"}, 2, "flags go before TEXT: switchboard send -account shop hello"},
		// After "--", an argument that starts with "-" is a directory.
		{[]string{"test", "--", "-v"}, 1, "-v"},
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
		if code == 2 && (stdout != "" || !strings.Contains(stderr, "Usage:")) {
			t.Errorf("%v: a wrong command line prints its usage to stderr, nothing to stdout; stdout %q, stderr:\n%s", tc.args, stdout, stderr)
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

// The plugin commands call the plugin directory -dir or, like serve,
// validate and test, -plugin-dir.
func TestPluginCommandsTakeBothPluginDirFlags(t *testing.T) {
	lock := filepath.Join(t.TempDir(), "switchboard.lock.json")
	for _, flag := range []string{"-dir", "-plugin-dir", "--plugin-dir"} {
		if code, stdout, stderr := runCLI(t, "plugins", "list", flag, pluginDir); code != 0 || !strings.Contains(stdout, "webhook") {
			t.Errorf("plugins list %s: exit %d\n%s%s", flag, code, stdout, stderr)
		}
		if code, stdout, stderr := runCLI(t, "plugins", "inspect", flag, pluginDir, "webhook"); code != 0 || !strings.Contains(stdout, "send_url") {
			t.Errorf("plugins inspect %s: exit %d\n%s%s", flag, code, stdout, stderr)
		}
		if code, stdout, stderr := runCLI(t, "plugins", "lock", flag, pluginDir, "-o", lock); code != 0 || !strings.Contains(mustRead(t, lock), `"webhook"`) {
			t.Errorf("plugins lock %s: exit %d\n%s%s", flag, code, stdout, stderr)
		}
	}
}

// pluginsWithABrokenOne makes a plugin directory with the first-party
// plugins and a connector that dies before its handshake.
func pluginsWithABrokenOne(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"switchboard-connector-webhook", "switchboard-action-http"} {
		if err := os.Symlink(filepath.Join(pluginDir, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	broken := filepath.Join(dir, "switchboard-connector-broken")
	if err := os.WriteFile(broken, []byte("#!/bin/sh\necho 'cannot start: libfoo.so missing' >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// One broken plugin does not hide the others: list shows every plugin,
// marks the broken one with its error, and exits 1. lock writes nothing.
func TestPluginsListShowsEveryPluginAndTheBrokenOne(t *testing.T) {
	dir := pluginsWithABrokenOne(t)
	broken := filepath.Join(dir, "switchboard-connector-broken")

	code, stdout, stderr := runCLI(t, "plugins", "list", "-dir", dir)
	if code != 1 {
		t.Errorf("list: exit %d, want 1", code)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n")[1:] {
		name, _, _ := strings.Cut(line, " ")
		rows[name] = line
	}
	if len(rows) != 3 || !strings.Contains(rows["webhook"], "0.1.0") || !strings.Contains(rows["http"], "0.1.0") ||
		!strings.Contains(rows["broken"], "BROKEN") || !strings.Contains(rows["broken"], broken) {
		t.Errorf("list: want webhook, http and broken marked BROKEN; stdout:\n%s", stdout)
	}
	for _, want := range []string{`BROKEN connector "broken" (` + broken + `): connector broken`, `1 of 3 plugins could not be inspected: connector "broken"`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("list: stderr lacks %q:\n%s", want, stderr)
		}
	}

	code, stdout, _ = runCLI(t, "plugins", "list", "-dir", dir, "-json")
	var got []struct{ Name, Version, Error string }
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || code != 1 || len(got) != 3 {
		t.Fatalf("list -json: exit %d, %v\n%s", code, err, stdout)
	}
	for _, p := range got {
		if (p.Name == "broken") != (p.Error != "") || (p.Name == "broken") == (p.Version != "") {
			t.Errorf("list -json: %+v; only the broken plugin has an error, and no version", p)
		}
	}

	lock := filepath.Join(t.TempDir(), "switchboard.lock.json")
	if code, _, stderr := runCLI(t, "plugins", "lock", "-dir", dir, "-o", lock); code != 1 || !strings.Contains(stderr, "connector broken") {
		t.Errorf("lock: exit %d, want 1 naming the broken plugin\n%s", code, stderr)
	}
	if _, err := os.Stat(lock); err == nil {
		t.Error("lock wrote a lock file without the broken plugin")
	}
}

// A plugin file that is not executable is listed as broken, with the fix,
// not left out as if it were not there.
func TestPluginsListShowsAPluginThatIsNotExecutable(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(pluginDir, "switchboard-connector-webhook"), filepath.Join(dir, "switchboard-connector-webhook")); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "switchboard-action-slack")
	if err := os.WriteFile(plain, []byte("copied without its mode"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "plugins", "list", "-dir", dir)
	if code != 1 || !strings.Contains(stdout, "slack") || !strings.Contains(stderr, plain+" is not executable; chmod +x it") {
		t.Errorf("list: exit %d, want 1 with slack marked not executable\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

// A plugin that is not in the plugin directory is reported with the
// directory, where that came from, and the flag that changes it.
func TestPluginNotFoundNamesTheDirectory(t *testing.T) {
	cfg, plugins := t.TempDir(), t.TempDir()
	write(t, cfg, "main.hcl", `connector "webhok" "shop" {}
`)
	// Diagnostics are wrapped to the terminal's width.
	validate := func(args ...string) (int, string) {
		code, _, stderr := runCLI(t, append([]string{"validate"}, args...)...)
		return code, strings.Join(strings.Fields(stderr), " ")
	}
	code, stderr := validate("-plugin-dir", plugins, cfg)
	want := `no switchboard-connector-webhok in ` + plugins + ` (the plugin directory, from -plugin-dir); build it, pass -plugin-dir with the directory that holds it`
	if code != 1 || !strings.Contains(stderr, "main.hcl:1:11: error: Unknown connector plugin") || !strings.Contains(stderr, want) {
		t.Errorf("validate: exit %d, want 1 with %q:\n%s", code, want, stderr)
	}
	t.Setenv("SWITCHBOARD_PLUGIN_DIR", plugins)
	code, stderr = validate(cfg)
	if want := "(the plugin directory, from $SWITCHBOARD_PLUGIN_DIR)"; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("validate with $SWITCHBOARD_PLUGIN_DIR: exit %d, want 1 with %q:\n%s", code, want, stderr)
	}
	code, _, stderr = runCLI(t, "plugins", "inspect", "webhook")
	if want := `no plugin "webhook" in ` + plugins + ` (the plugin directory, from $SWITCHBOARD_PLUGIN_DIR)`; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("plugins inspect: exit %d, want 1 with %q:\n%s", code, want, stderr)
	}
}

// validate refuses the listen and database values that serve would refuse
// only after starting everything, at their place in the file.
func TestValidateChecksListenAndDatabase(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "hub.hcl", `hub {
  listen   = "8080"
  database = "mysql://hub:s3cret@db/hub"
}
`)
	code, stdout, stderr := runCLI(t, "validate", dir)
	if code != 1 || !strings.Contains(stdout, "2 error(s)") {
		t.Errorf("exit %d, want 1 with 2 errors; stdout %s", code, stdout)
	}
	for _, want := range []string{
		`hub.hcl:2:14: error: Invalid listen address`, `write "127.0.0.1:8080"`,
		`hub.hcl:3:14: error: Unsupported database`, "database is a mysql:// URL", "postgres://",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}
