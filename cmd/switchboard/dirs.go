package main

import (
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/mitchellh/go-wordwrap"
	"golang.org/x/term"
)

// configDirs expands the arguments of validate and test: each argument is a
// directory, and every directory below it that holds *.hcl files is a
// configuration of its own. Finding none is an error: a mistyped directory
// must not pass.
func configDirs(args []string) ([]string, error) {
	if len(args) == 0 {
		args = []string{"."}
	}
	seen := map[string]bool{}
	var out []string
	for _, root := range args {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(path, ".hcl") && !strings.HasSuffix(path, ".test.hcl") {
				dir := filepath.Dir(path)
				if !seen[dir] {
					seen[dir] = true
					out = append(out, dir)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no *.hcl files in %s or below it; give the directory of a configuration", strings.Join(args, ", "))
	}
	sort.Strings(out)
	return out, nil
}

// writeDiagnostics prints each diagnostic as file:line:col, its source line
// with the range underlined, and its detail, the way compilers do, so that
// editors and terminals can jump to it.
func writeDiagnostics(w io.Writer, p *hclparse.Parser, diags hcl.Diagnostics) {
	width := 100
	if f, ok := w.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(f.Fd())) {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 40 {
			width = cols
		}
	}
	files := p.Files()
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		if d.Subject == nil {
			fmt.Fprintf(w, "%s: %s\n", sev, d.Summary)
		} else {
			r := d.Subject
			fmt.Fprintf(w, "%s:%d:%d: %s: %s\n", r.Filename, r.Start.Line, r.Start.Column, sev, d.Summary)
			if f, ok := files[r.Filename]; ok {
				writeSource(w, f.Bytes, r)
			}
		}
		if d.Detail != "" {
			for _, line := range strings.Split(wordwrap.WrapString(d.Detail, uint(width-4)), "\n") {
				fmt.Fprintf(w, "    %s\n", line)
			}
		}
		fmt.Fprintln(w)
	}
}

// writeSource prints the range's first line and underlines the range.
func writeSource(w io.Writer, src []byte, r *hcl.Range) {
	lines := strings.Split(string(src), "\n")
	if r.Start.Line < 1 || r.Start.Line > len(lines) {
		return
	}
	line := strings.TrimRight(lines[r.Start.Line-1], "\r")
	num := fmt.Sprintf("%d", r.Start.Line)
	fmt.Fprintf(w, "  %s | %s\n", num, line)
	start := max(r.Start.Column-1, 0)
	end := len([]rune(line))
	if r.End.Line == r.Start.Line {
		end = max(r.End.Column-1, start+1)
	}
	pad := strings.Map(func(r rune) rune {
		if r == '\t' {
			return '\t'
		}
		return ' '
	}, string([]rune(line)[:min(start, len([]rune(line)))]))
	fmt.Fprintf(w, "  %s | %s%s\n", strings.Repeat(" ", len(num)), pad, strings.Repeat("^", max(end-start, 1)))
}

func countErrors(diags hcl.Diagnostics) (errs, warns int) {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			errs++
		} else {
			warns++
		}
	}
	return errs, warns
}
