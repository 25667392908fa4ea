package pluginhost

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-hub/switchboard/sdk"
)

// A plugin missing from the plugin directory is reported with the
// directory searched, where that directory came from, and what to pass.
func TestFindNamesTheDirectoryAndItsOrigin(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	flagDir, envDir := t.TempDir(), t.TempDir()
	tests := []struct {
		name, env, dir, origin string
	}{
		{"from the flag", "", flagDir, "-plugin-dir"},
		{"from the flag, over the environment", envDir, flagDir, "-plugin-dir"},
		{"from the environment", envDir, envDir, "$SWITCHBOARD_PLUGIN_DIR"},
		{"beside the executable", "", filepath.Dir(exe), "the directory of the switchboard executable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(DirEnv, tt.env)
			_, err := Find(tt.dir, sdk.KindConnector, "webhok")
			if err == nil {
				t.Fatal("found a plugin that is not there")
			}
			for _, want := range []string{
				`connector plugin "webhok": no switchboard-connector-webhok in ` + tt.dir + " (the plugin directory, from " + tt.origin + ")",
				"pass -plugin-dir with the directory that holds it",
			} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
		})
	}
}

func TestDiscoverNamesAMissingDirectory(t *testing.T) {
	t.Setenv(DirEnv, "")
	dir := filepath.Join(t.TempDir(), "nope")
	_, err := Discover(dir)
	if err == nil || !strings.Contains(err.Error(), dir+" (the plugin directory, from -plugin-dir)") || !strings.Contains(err.Error(), "pass -plugin-dir") {
		t.Errorf("Discover(%s) = %v", dir, err)
	}
}

// Discover lists what is named like a plugin, executable or not (Inspect
// says what is wrong), but not the files kept beside plugins, whose names
// no plugin can have.
func TestDiscoverListsWhatIsNamedLikeAPlugin(t *testing.T) {
	dir := t.TempDir()
	for name, mode := range map[string]os.FileMode{
		"switchboard-connector-webhook":        0o755,
		"switchboard-action-slack":             0o644,
		"switchboard-connector-webhook.sha256": 0o644,
		"switchboard-connector-webhook.bak":    0o755,
		"switchboard-connector-":               0o755,
		"README":                               0o644,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, mode); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range got {
		names = append(names, c.Kind.String()+" "+c.Name)
	}
	if want := "connector webhook, action slack"; strings.Join(names, ", ") != want {
		t.Errorf("Discover = %s; want %s", strings.Join(names, ", "), want)
	}
}
