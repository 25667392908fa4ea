// Package pluginstate keeps plugins' durable key-value state (sdk.State) on
// disk: one directory per plugin instance, one file per key, each written
// atomically, so a value survives the plugin's and the host's restarts and a
// crash never leaves half a value behind.
package pluginstate

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/switchboard-hub/switchboard/sdk"
)

// Dir holds the state of every plugin instance below one directory,
// usually inside the hub's data directory.
type Dir struct {
	root string
}

// Open returns the state kept below root; the directory is created on the
// first write.
func Open(root string) *Dir { return &Dir{root: root} }

var safeName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// For returns the state of one instance, e.g. For(sdk.KindConnector,
// "allegro", "shop_pl").
func (d *Dir) For(kind sdk.Kind, name, instance string) (sdk.State, error) {
	for _, s := range []string{name, instance} {
		if !safeName.MatchString(s) {
			return nil, fmt.Errorf("plugin state: %q is not a safe name (letters, digits, - and _)", s)
		}
	}
	return &instanceState{dir: filepath.Join(d.root, kind.String()+"."+name+"."+instance)}, nil
}

type instanceState struct {
	dir string
}

// path names a key's file by the hex of the key, so any key is a safe file
// name. Hex doubles the length: sdk.CheckStateKey keeps it within the 255
// bytes of a file name, and refuses the empty key, whose path would be the
// instance's directory. Refused keys fail as permanent errors, since the
// host would retry a plain one for ever. Existing files keep their names:
// changing the mapping would lose every plugin's state.
func (s *instanceState) path(key string) (string, error) {
	if err := sdk.CheckStateKey(key); err != nil {
		return "", fmt.Errorf("plugin state: %w", err)
	}
	return filepath.Join(s.dir, hex.EncodeToString([]byte(key))), nil
}

func (s *instanceState) Get(_ context.Context, key string) ([]byte, bool, error) {
	path, err := s.path(key)
	if err != nil {
		return nil, false, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("plugin state: %w", err)
	}
	return b, true, nil
}

func (s *instanceState) Put(_ context.Context, key string, value []byte) error {
	path, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("plugin state: %w", err)
	}
	tmp, err := os.CreateTemp(s.dir, ".put-*")
	if err != nil {
		return fmt.Errorf("plugin state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(value); err != nil {
		tmp.Close()
		return fmt.Errorf("plugin state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("plugin state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("plugin state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("plugin state: %w", err)
	}
	return syncDir(s.dir)
}

func (s *instanceState) Delete(_ context.Context, key string) error {
	path, err := s.path(key)
	if err != nil {
		return err
	}
	err = os.Remove(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("plugin state: %w", err)
	}
	return syncDir(s.dir)
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("plugin state: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("plugin state: %w", err)
	}
	return nil
}
