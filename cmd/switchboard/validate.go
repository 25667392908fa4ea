package main

import (
	"fmt"
	"io"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/switchboard-hub/switchboard/core/config"
	"github.com/switchboard-hub/switchboard/core/workflowtest"
)

func validateCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("validate", "validate [DIR...]", stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: switchboard validate [-plugin-dir DIR] [DIR...]

Checks configurations without running anything: every *.hcl file of each
directory (and of every directory below it that has *.hcl files) is decoded,
plugin blocks against the schemas in switchboard.lock.json, and every problem
is printed with its file:line:col and source line. Channels declared in the
directory's *.test.hcl files count as known. Exits 1 when there are errors;
warnings (two workflows that can reply to one message, a delay below a
channel's minimum) do not fail. A plugin the lock file does not know is asked
for its schema: from its plugin block's path, else from -plugin-dir.

`)
		fs.PrintDefaults()
	}
	pluginDir := fs.String("plugin-dir", defaultPluginDir(), "where to find plugins that the lock file does not know")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if err := flagsFirst(fs, args, "DIR"); err != nil {
		return err
	}
	dirs, err := configDirs(fs.Args())
	if err != nil {
		return err
	}
	failed := 0
	for _, dir := range dirs {
		p := hclparse.NewParser()
		opts := config.Options{Parser: p, PluginDir: *pluginDir}
		var (
			diags hcl.Diagnostics
			tests []*workflowtest.File
		)
		if paths, err := workflowtest.TestFiles(dir); err == nil {
			for _, path := range paths {
				f, d := workflowtest.ParseFile(p, path)
				diags = append(diags, d...)
				if f != nil {
					tests = append(tests, f)
					opts.Channels = append(opts.Channels, f.Channels...)
				}
			}
		}
		cfg, d := config.Load(dir, opts)
		diags = append(diags, d...)
		diags = append(diags, workflowtest.CheckChannels(cfg, tests)...)
		writeDiagnostics(stderr, p, diags)
		errs, warns := countErrors(diags)
		switch {
		case errs > 0:
			failed++
			fmt.Fprintf(stdout, "%s: %d error(s), %d warning(s)\n", dir, errs, warns)
		default:
			fmt.Fprintf(stdout, "%s: ok (%d workflows, %d warning(s))\n", dir, len(cfg.Workflows), warns)
		}
	}
	if failed > 0 {
		return errSilent
	}
	return nil
}
