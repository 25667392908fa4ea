package workflowtest

import (
	"fmt"
	"io"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/switchboard-hub/switchboard/core/config"
	"github.com/switchboard-hub/switchboard/core/workflow"
)

// Options for RunDir.
type Options struct {
	// Parser is shared with the caller so that diagnostics can print
	// source lines.
	Parser *hclparse.Parser
	Config config.Options
	Detect LanguageDetector
	// Verbose prints every test, not only failures.
	Verbose bool
}

// Summary counts a directory's tests.
type Summary struct {
	Passed, Failed int
}

// RunDir runs the tests beside the configuration in dir and writes the
// report to w in the style of `go test`. Diagnostics are returned when the
// tests or the configuration cannot be read; no test runs then.
func RunDir(dir string, w io.Writer, opts Options) (Summary, hcl.Diagnostics) {
	if opts.Parser == nil {
		opts.Parser = hclparse.NewParser()
	}
	var sum Summary
	paths, err := TestFiles(dir)
	if err != nil {
		return sum, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot list tests", Detail: err.Error()}}
	}
	var (
		files []*File
		diags hcl.Diagnostics
	)
	for _, p := range paths {
		f, d := ParseFile(opts.Parser, p)
		diags = append(diags, d...)
		if f != nil {
			files = append(files, f)
			opts.Config.Channels = append(opts.Config.Channels, f.Channels...)
		}
	}
	opts.Config.Parser = opts.Parser
	if opts.Config.Detect == nil {
		opts.Config.Detect = opts.Detect
	}
	cfg, d := config.Load(dir, opts.Config)
	diags = append(diags, d...)
	diags = append(diags, CheckChannels(cfg, files)...)
	if diags.HasErrors() {
		return sum, diags
	}
	engine := workflow.New(cfg)
	start := time.Now()
	for _, f := range files {
		for _, t := range f.Tests {
			name := dir + "/" + t.Name
			if opts.Verbose {
				fmt.Fprintf(w, "=== RUN   %s\n", name)
			}
			began := time.Now()
			res := Run(engine, t, opts.Detect)
			elapsed := time.Since(began).Seconds()
			if res.Passed() {
				sum.Passed++
				if opts.Verbose {
					fmt.Fprintf(w, "--- PASS: %s (%.2fs)\n", name, elapsed)
				}
				continue
			}
			sum.Failed++
			fmt.Fprintf(w, "--- FAIL: %s (%.2fs)\n", name, elapsed)
			for _, msg := range res.Failures {
				fmt.Fprintf(w, "    %s\n", msg)
			}
			writeDetails(w, res)
		}
	}
	status := "ok  "
	if sum.Failed > 0 {
		status = "FAIL"
	}
	if len(files) == 0 {
		fmt.Fprintf(w, "?   \t%s\t[no test files]\n", dir)
		return sum, diags
	}
	fmt.Fprintf(w, "%s\t%s\t%.3fs\n", status, dir, time.Since(start).Seconds())
	return sum, diags
}

// writeDetails prints why things happened: each message's explanation and
// each step's outcome.
func writeDetails(w io.Writer, res *Result) {
	fmt.Fprintln(w, "    what the workflows did:")
	for _, x := range res.Explanations {
		fmt.Fprintf(w, "      message %s:\n", x.MessageID)
		for _, r := range x.Workflows {
			if r.Fired {
				fmt.Fprintf(w, "        %s: fired\n", r.Workflow)
				if r.Reason != "" {
					fmt.Fprintf(w, "          %s\n", r.Reason)
				}
			} else {
				fmt.Fprintf(w, "        %s: did not fire: %s\n", r.Workflow, r.Why(&x))
			}
		}
	}
	if len(res.Traces) > 0 {
		fmt.Fprintln(w, "    steps:")
		for _, t := range res.Traces {
			fmt.Fprintf(w, "      %s/%s for %s at %s: %s\n", t.Step.Workflow, t.Step.Step, t.Step.MessageID, config.FormatDuration(t.At), t.Outcome)
		}
	}
}
