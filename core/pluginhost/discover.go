package pluginhost

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/switchboard-hub/switchboard/sdk"
)

// Candidate is a plugin executable found on disk.
type Candidate struct {
	Kind sdk.Kind
	Name string // plugin type, e.g. "webhook"
	Path string
}

// BinaryName is the executable name of a plugin: switchboard-<kind>-<name>.
func BinaryName(kind sdk.Kind, name string) string {
	return "switchboard-" + kind.String() + "-" + name
}

// ParseBinaryName reads kind and name from an executable's file name. A
// name no plugin can have, such as that of a checksum or a backup beside
// the plugin (switchboard-connector-webhook.sha256), is not a plugin's.
func ParseBinaryName(file string) (sdk.Kind, string, bool) {
	for _, k := range []sdk.Kind{sdk.KindConnector, sdk.KindAction} {
		prefix := "switchboard-" + k.String() + "-"
		if name, ok := strings.CutPrefix(filepath.Base(file), prefix); ok && sdk.ValidName(name) {
			return k, name, true
		}
	}
	return 0, "", false
}

// DirEnv names the environment variable that chooses the plugin directory
// when the command line names none.
const DirEnv = "SWITCHBOARD_PLUGIN_DIR"

// DefaultDir is the plugin directory when the command line names none:
// $SWITCHBOARD_PLUGIN_DIR, else the directory of the running executable,
// else the working directory. origin says which, for error messages.
func DefaultDir() (dir, origin string) {
	if d := os.Getenv(DirEnv); d != "" {
		return d, "$" + DirEnv
	}
	if exe, err := os.Executable(); err == nil {
		return filepath.Dir(exe), "the directory of the switchboard executable"
	}
	return ".", "the working directory"
}

// DescribeDir names a plugin directory with where it came from, such as
// "bin (the plugin directory, from $SWITCHBOARD_PLUGIN_DIR)". The directory
// reaches the host as a plain path, so its origin is told the way
// DefaultDir chose it: a directory DefaultDir does not give came from the
// command line's -plugin-dir.
func DescribeDir(dir string) string {
	origin := "-plugin-dir"
	if d, o := DefaultDir(); filepath.Clean(d) == filepath.Clean(dir) {
		origin = o
	}
	return fmt.Sprintf("%s (the plugin directory, from %s)", dir, origin)
}

// Discover lists the plugins in dir, sorted by kind and name.
func Discover(dir string) ([]Candidate, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w; pass -plugin-dir with the directory that holds the plugins", DescribeDir(dir), err)
	}
	var out []Candidate
	for _, e := range entries {
		kind, name, ok := ParseBinaryName(e.Name())
		if !ok || e.IsDir() {
			continue
		}
		// One that is not executable is listed all the same: it is named
		// as a plugin, and Inspect says what is wrong with it.
		out = append(out, Candidate{Kind: kind, Name: name, Path: filepath.Join(dir, e.Name())})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// Find returns the path of the plugin of this kind and name in dir.
func Find(dir string, kind sdk.Kind, name string) (string, error) {
	path := filepath.Join(dir, BinaryName(kind, name))
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("%s plugin %q: no %s in %s; build it (make build), pass -plugin-dir with the directory that holds it, or set its path in a plugin block",
			kind, name, BinaryName(kind, name), DescribeDir(dir))
	}
	if err := checkExecutable(path); err != nil {
		return "", fmt.Errorf("%s plugin %q: %w", kind, name, err)
	}
	return path, nil
}

// checkExecutable tells why path cannot be run as a plugin, if it cannot.
func checkExecutable(path string) error {
	info, err := os.Stat(path)
	switch {
	case err != nil:
		return err
	case info.IsDir():
		return fmt.Errorf("%s is a directory, not a plugin executable", path)
	case info.Mode()&0o111 == 0:
		return fmt.Errorf("%s is not executable; chmod +x it", path)
	}
	return nil
}
