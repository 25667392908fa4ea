package config

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"

	"github.com/switchboard-hub/switchboard/core/lockfile"
	"github.com/switchboard-hub/switchboard/sdk"
)

// LockSchemas finds schemas in the lock file of dir (switchboard.lock.json),
// which `switchboard plugins lock` writes, so that validate and test run
// without starting plugins.
func LockSchemas(dir string) SchemaSource {
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

func (s *lockSchemas) Schema(kind sdk.Kind, name string) (*sdk.Schema, error) {
	s.once.Do(func() {
		s.file, s.err = lockfile.Read(s.path)
		if errors.Is(s.err, fs.ErrNotExist) {
			s.file, s.err = &lockfile.File{}, nil
		}
	})
	if s.err != nil {
		return nil, s.err
	}
	if e, ok := s.file.Lookup(kind.String(), name); ok {
		return e.Schema, nil
	}
	return nil, fmt.Errorf("%w for %s plugin %q in %s; run `switchboard plugins lock -o %s` after building the plugin", ErrNoSchema, kind, name, s.path, s.path)
}
