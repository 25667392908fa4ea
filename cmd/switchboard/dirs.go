package main

import (
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"golang.org/x/term"
)

// configDirs expands the arguments of validate and test: each argument is a
// directory, and every directory below it that holds *.hcl files is a
// configuration of its own.
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
	sort.Strings(out)
	return out, nil
}

// writeDiagnostics prints diagnostics with file:line:col and the source
// line, the way HCL tools do.
func writeDiagnostics(w io.Writer, p *hclparse.Parser, diags hcl.Diagnostics) {
	width, color := 100, false
	if f, ok := w.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(f.Fd())) {
		color = true
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 20 {
			width = cols
		}
	}
	dw := hcl.NewDiagnosticTextWriter(w, p.Files(), uint(width), color)
	_ = dw.WriteDiagnostics(diags)
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
