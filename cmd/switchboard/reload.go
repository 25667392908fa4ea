package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

func reloadCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("reload", "reload [-data DIR]", stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: switchboard reload [-data DIR]

Asks the hub serving from DIR (its switchboard.pid file) to load its
configuration again, as SIGHUP does. The hub validates the new configuration
first; an invalid one is refused with its diagnostics in the hub's log, and
the running one keeps working.

`)
		fs.PrintDefaults()
	}
	data := fs.String("data", "data", "the hub's data directory")
	if err := parse(fs, args); err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(*data, "switchboard.pid"))
	if err != nil {
		return fmt.Errorf("no hub is serving from %s (%v); start one with switchboard serve -data %s", *data, err, *data)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("%s/switchboard.pid holds %q, not a process id", *data, b)
	}
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		return fmt.Errorf("signal hub process %d: %w", pid, err)
	}
	fmt.Fprintf(stdout, "asked hub process %d to reload; its log says whether the new configuration was taken\n", pid)
	return nil
}
