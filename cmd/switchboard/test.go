package main

import (
	"fmt"
	"io"

	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/switchboard-hub/switchboard/core/config"
	"github.com/switchboard-hub/switchboard/core/language"
	"github.com/switchboard-hub/switchboard/core/workflowtest"
)

func testCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("test", "test [-v] [DIR...]", stderr)
	verbose := fs.Bool("v", false, "print every test, not only failures")
	pluginDir := fs.String("plugin-dir", defaultPluginDir(), "where to find plugins that the lock file does not know")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: switchboard test [-v] [-plugin-dir DIR] [DIR...]

Runs the *.test.hcl files beside each configuration below the directories:
conversations played against the workflows with a virtual clock, checking
what was sent, when, and what was not. A failure prints what every workflow
did with each message and why. Exits 1 when a test fails or a configuration
does not load.

`)
		fs.PrintDefaults()
	}
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
	detector := language.New()
	failed := false
	for _, dir := range dirs {
		p := hclparse.NewParser()
		sum, diags := workflowtest.RunDir(dir, stdout, workflowtest.Options{
			Parser: p, Detect: detector.Detect, Verbose: *verbose, Config: config.Options{PluginDir: *pluginDir},
		})
		writeDiagnostics(stderr, p, diags)
		if diags.HasErrors() {
			fmt.Fprintf(stdout, "FAIL\t%s\t[configuration or tests do not load]\n", dir)
			failed = true
		}
		if sum.Failed > 0 {
			failed = true
		}
	}
	if failed {
		return errSilent
	}
	return nil
}
