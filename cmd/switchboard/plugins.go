package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/switchboard-hub/switchboard/core/lockfile"
	"github.com/switchboard-hub/switchboard/core/pluginconfig"
	"github.com/switchboard-hub/switchboard/core/pluginhost"
	"github.com/switchboard-hub/switchboard/sdk"
)

const pluginsUsage = `Usage: switchboard plugins <list|inspect|lock> [flags]

  list      list the plugins in the plugin directory: name, kind, protocol
            version, plugin version, sha256 and path
  inspect   show one plugin's schema as documentation (or -json)
  lock      write the lock file (name, version, sha256, schema of every
            plugin) that validate and test read without starting plugins

The plugin directory is -dir, else $SWITCHBOARD_PLUGIN_DIR, else the
directory of the switchboard executable. Plugins are executables named
switchboard-connector-<name> or switchboard-action-<name>.
`

func pluginsCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, pluginsUsage)
		return errUsage
	}
	switch args[0] {
	case "list":
		return pluginsList(args[1:], stdout, stderr)
	case "inspect":
		return pluginsInspect(args[1:], stdout, stderr)
	case "lock":
		return pluginsLock(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, pluginsUsage)
		return nil
	}
	fmt.Fprintf(stderr, "unknown plugins command %q\n\n%s", args[0], pluginsUsage)
	return errUsage
}

func defaultPluginDir() string {
	if d := os.Getenv("SWITCHBOARD_PLUGIN_DIR"); d != "" {
		return d
	}
	if exe, err := os.Executable(); err == nil {
		return filepath.Dir(exe)
	}
	return "."
}

// inspectAll starts every plugin in dir once to read its schema.
func inspectAll(dir string) ([]*pluginhost.Info, error) {
	cands, err := pluginhost.Discover(dir)
	if err != nil {
		return nil, err
	}
	if len(cands) == 0 {
		return nil, fmt.Errorf("no plugins in %s; build them with make build, or point -dir at them", dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out := make([]*pluginhost.Info, 0, len(cands))
	for _, c := range cands {
		info, err := pluginhost.Inspect(ctx, c, pluginhost.Options{})
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

func pluginsList(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plugins list", "plugins list [-dir DIR] [-json]", stderr)
	dir := fs.String("dir", defaultPluginDir(), "plugin directory")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if err := parse(fs, args); err != nil {
		return err
	}
	infos, err := inspectAll(*dir)
	if err != nil {
		return err
	}
	if *asJSON {
		type row struct {
			Name     string `json:"name"`
			Kind     string `json:"kind"`
			Protocol int    `json:"protocol"`
			Version  string `json:"version"`
			SHA256   string `json:"sha256"`
			Path     string `json:"path"`
		}
		rows := make([]row, len(infos))
		for i, in := range infos {
			rows[i] = row{in.Name, in.Kind.String(), in.Protocol, in.Schema.Version, in.SHA256, in.Path}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tPROTOCOL\tVERSION\tSHA256\tPATH")
	for _, in := range infos {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", in.Name, in.Kind, in.Protocol, in.Schema.Version, in.SHA256, in.Path)
	}
	return tw.Flush()
}

func pluginsInspect(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plugins inspect", "plugins inspect [-dir DIR] [-kind connector|action] [-json] NAME", stderr)
	dir := fs.String("dir", defaultPluginDir(), "plugin directory")
	kind := fs.String("kind", "", "connector or action, when both kinds have a plugin of this name")
	asJSON := fs.Bool("json", false, "print the schema as JSON (the lock file's form)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return misuse(fs, "give one plugin NAME; got %d arguments", fs.NArg())
	}
	if *kind != "" && *kind != "connector" && *kind != "action" {
		return misuse(fs, "-kind is %q; use connector or action", *kind)
	}
	name := fs.Arg(0)
	cands, err := pluginhost.Discover(*dir)
	if err != nil {
		return err
	}
	var match []pluginhost.Candidate
	for _, c := range cands {
		if c.Name == name && (*kind == "" || c.Kind.String() == *kind) {
			match = append(match, c)
		}
	}
	switch len(match) {
	case 0:
		return fmt.Errorf("no plugin %q in %s; `switchboard plugins list -dir %s` shows what is there", name, *dir, *dir)
	case 1:
	default:
		return fmt.Errorf("both a connector and an action are named %q; choose one with -kind", name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	info, err := pluginhost.Inspect(ctx, match[0], pluginhost.Options{})
	if err != nil {
		return err
	}
	if *asJSON {
		b, err := sdk.MarshalSchemaJSON(info.Schema)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	_, err = fmt.Fprint(stdout, pluginconfig.Document(info.Schema))
	return err
}

func pluginsLock(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plugins lock", "plugins lock [-dir DIR] [-o FILE]", stderr)
	dir := fs.String("dir", defaultPluginDir(), "plugin directory")
	out := fs.String("o", lockfile.FileName, "lock file to write, usually in the config directory")
	if err := parse(fs, args); err != nil {
		return err
	}
	infos, err := inspectAll(*dir)
	if err != nil {
		return err
	}
	f := &lockfile.File{}
	for _, in := range infos {
		f.Plugins = append(f.Plugins, lockfile.Entry{
			Kind: in.Kind.String(), Name: in.Name, Version: in.Schema.Version,
			Protocol: in.Protocol, SHA256: in.SHA256, Schema: in.Schema,
		})
	}
	if err := lockfile.Write(*out, f); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "locked %d plugins in %s\n", len(f.Plugins), *out)
	return nil
}
