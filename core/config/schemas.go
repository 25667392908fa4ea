package config

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-hub/switchboard/core/pluginhost"

	"github.com/switchboard-hub/switchboard/core/lockfile"
	"github.com/switchboard-hub/switchboard/sdk"
)

// LockSchemas finds schemas in the lock file of dir (switchboard.lock.json),
// which `switchboard plugins lock` writes, so that validate and test run
// without starting plugins.
func LockSchemas(dir string) SchemaSource { return lockOf(dir) }

func lockOf(dir string) *lockSchemas {
	return &lockSchemas{path: filepath.Join(dir, lockfile.FileName)}
}

type lockSchemas struct {
	path string
	once sync.Once
	file *lockfile.File
	err  error
}

// ErrNoSchema is returned for a plugin the source does not know.
var ErrNoSchema = errors.New("no schema")

// read reads the lock file once; a directory without one has an empty one.
func (s *lockSchemas) read() error {
	s.once.Do(func() {
		s.file, s.err = lockfile.Read(s.path)
		if errors.Is(s.err, fs.ErrNotExist) {
			s.file, s.err = &lockfile.File{}, nil
		}
	})
	return s.err
}

// pins returns the sha256 the lock file records for each executable, by
// "kind/name"; nil when it cannot be read (Schema reports why).
func (s *lockSchemas) pins() map[string]string {
	if s.read() != nil {
		return nil
	}
	out := make(map[string]string, len(s.file.Plugins))
	for _, e := range s.file.Plugins {
		out[e.Kind+"/"+e.Name] = e.SHA256
	}
	return out
}

func (s *lockSchemas) Schema(kind sdk.Kind, name string) (*sdk.Schema, error) {
	if err := s.read(); err != nil {
		return nil, err
	}
	if e, ok := s.file.Lookup(kind.String(), name); ok {
		return e.Schema, nil
	}
	return nil, fmt.Errorf("%w for %s plugin %q in %s; run `switchboard plugins lock -o %s` after building the plugin", ErrNoSchema, kind, name, s.path, s.path)
}

// pluginSchemas asks the plugins themselves when the lock file does not
// know them: each binary (from its plugin block's path, else the plugin
// directory) is started once, asked for its schema without configuration,
// and stopped. A sha256 pin in the plugin block is checked first.
type pluginSchemas struct {
	dir     string
	plugins func(sdk.Kind, string) *Plugin
	mu      sync.Mutex
	cache   map[string]*sdk.Schema
}

func (s *pluginSchemas) Schema(kind sdk.Kind, name string) (*sdk.Schema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := kind.String() + "." + name
	if sc, ok := s.cache[key]; ok {
		return sc, nil
	}
	p := s.plugins(kind, name)
	path, pin := filepath.Join(s.dir, pluginhost.BinaryName(kind, name)), ""
	if p != nil {
		pin = p.SHA256
		if p.Path != "" {
			path = p.Path
		}
	}
	if (p == nil || p.Path == "") && s.dir == "" {
		return nil, fmt.Errorf("%w for %s plugin %q; run `switchboard plugins lock`, or give its path in a plugin block", ErrNoSchema, kind, name)
	}
	if _, err := os.Stat(path); err != nil {
		if p != nil && p.Path != "" {
			return nil, fmt.Errorf("%w for %s plugin %q: no %s, the path its plugin block gives; build it there, or correct the path", ErrNoSchema, kind, name, path)
		}
		return nil, fmt.Errorf("%w for %s plugin %q: no %s in %s; build it, pass -plugin-dir with the directory that holds it, or run `switchboard plugins lock` where it is",
			ErrNoSchema, kind, name, pluginhost.BinaryName(kind, name), pluginhost.DescribeDir(s.dir))
	}
	if pin != "" {
		sum, err := pluginhost.SHA256File(path)
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(sum, pin) {
			return nil, &pluginhost.ChecksumError{Path: path, Pinned: strings.ToLower(pin), Actual: sum}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	info, err := pluginhost.Inspect(ctx, pluginhost.Candidate{Kind: kind, Name: name, Path: path}, pluginhost.Options{})
	if err != nil {
		return nil, err
	}
	if s.cache == nil {
		s.cache = map[string]*sdk.Schema{}
	}
	s.cache[key] = info.Schema
	return info.Schema, nil
}

// chain asks each source in turn, moving on only when one has no schema.
type chain []SchemaSource

func (c chain) Schema(kind sdk.Kind, name string) (*sdk.Schema, error) {
	var err error
	for _, src := range c {
		var s *sdk.Schema
		if s, err = src.Schema(kind, name); err == nil || !errors.Is(err, ErrNoSchema) {
			return s, err
		}
	}
	return nil, err
}
