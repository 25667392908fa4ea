package main

import (
	"errors"
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
		fmt.Fprint(fs.Output(), `Usage: switchboard reload [-data DIR]

Asks the hub serving from DIR (its switchboard.pid file) to load its
configuration again, as SIGHUP does. The hub validates the new configuration
first; an invalid one is refused with its diagnostics in the hub's log, and
the running one keeps working. Exits 1, signalling nothing, when no hub
holds DIR's lock (a PID file left by a killed hub names no hub).

`)
		fs.PrintDefaults()
	}
	data := fs.String("data", "data", "the hub's data directory")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if err := noArgs(fs, func(arg string) string { return "did you mean -data " + quoteArgs([]string{arg}) + "?" }); err != nil {
		return err
	}
	pidFile := filepath.Join(*data, "switchboard.pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return fmt.Errorf("no hub is serving from %s (%v); start one with switchboard serve -data %s", *data, err, *data)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return fmt.Errorf("%s holds %q, not a process id", pidFile, b)
	}
	// A hub killed with SIGKILL leaves its PID file behind, and the system
	// may have given its process id to another program since: signal only
	// while a hub holds the data directory's lock.
	held, err := dataDirLocked(*data)
	if err != nil {
		return err
	}
	if !held {
		return fmt.Errorf("no hub is serving from %s: %s names process %d, but no hub holds %s, so the PID file is stale (left by a hub that was killed); nothing was signalled. Start the hub with switchboard serve -data %s",
			*data, pidFile, pid, filepath.Join(*data, lockFileName), *data)
	}
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		return fmt.Errorf("signal hub process %d: %w", pid, err)
	}
	fmt.Fprintf(stdout, "asked hub process %d to reload; its log says whether the new configuration was taken\n", pid)
	return nil
}

// dataDirLocked tells whether a hub holds the lock serve takes on the data
// directory (see lockDataDir). It tries the lock itself, shared and
// without waiting, and lets go at once if it got it: a hub that starts in
// that instant is refused as if a second hub ran, which a retry cures.
func dataDirLocked(dir string) (bool, error) {
	f, err := os.Open(filepath.Join(dir, lockFileName))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil // no hub ever served from dir
	}
	if err != nil {
		return false, fmt.Errorf("data directory: %w", err)
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	switch {
	case err == nil:
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return false, nil
	case errors.Is(err, syscall.EWOULDBLOCK):
		return true, nil
	}
	return false, fmt.Errorf("lock %s: %w", f.Name(), err)
}
