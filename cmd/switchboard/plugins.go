package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
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

The plugin directory is -dir (or -plugin-dir), else $SWITCHBOARD_PLUGIN_DIR,
else the directory of the switchboard executable. Plugins are executables named
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
	dir, _ := pluginhost.DefaultDir()
	return dir
}

// pluginDirFlags defines -dir and its other name -plugin-dir, which serve,
// validate and test call it.
func pluginDirFlags(fs *flag.FlagSet) *string {
	dir := fs.String("dir", defaultPluginDir(), "plugin directory")
	fs.StringVar(dir, "plugin-dir", defaultPluginDir(), "the same as -dir")
	return dir
}

// inspected is one plugin of the plugin directory, read or broken.
type inspected struct {
	pluginhost.Candidate
	info *pluginhost.Info // nil when broken
	err  error
}

// inspectAll starts every plugin in dir once to read its schema. A broken
// plugin is returned with its error; the error is the directory's.
func inspectAll(dir string) ([]inspected, error) {
	cands, err := pluginhost.Discover(dir)
	if err != nil {
		return nil, err
	}
	if len(cands) == 0 {
		return nil, fmt.Errorf("no plugins in %s; build them with make build, or pass -plugin-dir with the directory that holds them", pluginhost.DescribeDir(dir))
	}
	out := make([]inspected, 0, len(cands))
	for _, c := range cands {
		// A deadline of its own: a plugin that hangs does not use up the
		// others' time.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		info, err := pluginhost.Inspect(ctx, c, pluginhost.Options{})
		cancel()
		out = append(out, inspected{Candidate: c, info: info, err: err})
	}
	return out, nil
}

// brokenError names the plugins that could not be inspected.
func brokenError(all []inspected) error {
	var names []string
	for _, p := range all {
		if p.err != nil {
			names = append(names, fmt.Sprintf("%s %q", p.Kind, p.Name))
		}
	}
	if len(names) == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d plugins could not be inspected: %s", len(names), len(all), strings.Join(names, ", "))
}

func pluginsList(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plugins list", "plugins list [-dir DIR] [-json]", stderr)
	dir := pluginDirFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if err := noArgs(fs, func(arg string) string { return "did you mean -plugin-dir " + quoteArgs([]string{arg}) + "?" }); err != nil {
		return err
	}
	all, err := inspectAll(*dir)
	if err != nil {
		return err
	}
	// Every plugin is listed, a broken one marked, with its error in place
	// of what it would have said about itself; the exit status says one was
	// broken.
	if *asJSON {
		type row struct {
			Name     string `json:"name"`
			Kind     string `json:"kind"`
			Protocol int    `json:"protocol,omitempty"`
			Version  string `json:"version,omitempty"`
			SHA256   string `json:"sha256,omitempty"`
			Path     string `json:"path"`
			Error    string `json:"error,omitempty"`
		}
		rows := make([]row, len(all))
		for i, p := range all {
			rows[i] = row{Name: p.Name, Kind: p.Kind.String(), Path: p.Path}
			if in := p.info; in != nil {
				rows[i].Protocol, rows[i].Version, rows[i].SHA256 = in.Protocol, in.Schema.Version, in.SHA256
			} else {
				rows[i].Error = p.err.Error()
			}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			return err
		}
		return brokenError(all)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tPROTOCOL\tVERSION\tSHA256\tPATH")
	for _, p := range all {
		if in := p.info; in != nil {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", in.Name, in.Kind, in.Protocol, in.Schema.Version, in.SHA256, in.Path)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t-\tBROKEN\t-\t%s\n", p.Name, p.Kind, p.Path)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// The errors, often several lines long, follow the table on stderr.
	for _, p := range all {
		if p.err != nil {
			fmt.Fprintf(stderr, "switchboard: BROKEN %s %q (%s): %v\n", p.Kind, p.Name, p.Path, p.err)
		}
	}
	return brokenError(all)
}

func pluginsInspect(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plugins inspect", "plugins inspect [-dir DIR] [-kind connector|action] [-json] NAME", stderr)
	dir := pluginDirFlags(fs)
	kind := fs.String("kind", "", "connector or action, when both kinds have a plugin of this name")
	asJSON := fs.Bool("json", false, "print the schema as JSON (the lock file's form)")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if err := flagsFirst(fs, args, "NAME"); err != nil {
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
		return fmt.Errorf("no plugin %q in %s; `switchboard plugins list -plugin-dir %s` shows what is there", name, pluginhost.DescribeDir(*dir), quoteArgs([]string{*dir}))
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
	dir := pluginDirFlags(fs)
	out := fs.String("o", lockfile.FileName, "lock file to write, usually in the config directory")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if err := noArgs(fs, func(arg string) string {
		if !strings.HasSuffix(arg, ".json") {
			arg = filepath.Join(arg, lockfile.FileName) // a configuration directory
		}
		return "did you mean -o " + quoteArgs([]string{arg}) + "?"
	}); err != nil {
		return err
	}
	all, err := inspectAll(*dir)
	if err != nil {
		return err
	}
	// A lock file holds every plugin of the directory or is not written:
	// validate and test would report a plugin it left out as unknown.
	f := &lockfile.File{}
	for _, p := range all {
		if p.err != nil {
			return p.err
		}
		in := p.info
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
