package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

func fmtCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("fmt", "fmt [-check] [DIR...]", stderr)
	check := fs.Bool("check", false, "only list the files that are not formatted; exit 1 if any")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: switchboard fmt [-check] [DIR...]

Rewrites every *.hcl file (tests included) below each directory in the
canonical format. With -check, changes nothing, lists the files that would
change, and exits 1 if there are any.

`)
		fs.PrintDefaults()
	}
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if err := flagsFirst(fs, args, "DIR"); err != nil {
		return err
	}
	roots := fs.Args()
	if len(roots) == 0 {
		roots = []string{"."}
	}
	var files []string
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(path, ".hcl") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	p := hclparse.NewParser()
	unformatted, broken := 0, false
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if _, diags := p.ParseHCL(src, path); diags.HasErrors() {
			writeDiagnostics(stderr, p, diags)
			broken = true
			continue
		}
		out := hclwrite.Format(src)
		if bytes.Equal(out, src) {
			continue
		}
		unformatted++
		fmt.Fprintln(stdout, path)
		if !*check {
			info, err := os.Stat(path)
			if err != nil {
				return err
			}
			if err := os.WriteFile(path, out, info.Mode().Perm()); err != nil {
				return err
			}
		}
	}
	if broken || (*check && unformatted > 0) {
		return errSilent
	}
	return nil
}
