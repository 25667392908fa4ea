package lockfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/switchboard-hub/switchboard/sdk"
)

// FileName is the lock file's name in a configuration directory.
const FileName = "switchboard.lock.json"

// FormatVersion is the version of the file format this package reads and
// writes. A file of another version is refused rather than half understood.
const FormatVersion = 1

// Kinds of plugin, as sdk.Kind writes them.
const (
	KindConnector = "connector"
	KindAction    = "action"
)

// fix is what every error about a broken lock file suggests.
const fix = "run `switchboard plugins lock` to write it again"

// ErrUnsupportedVersion is wrapped by the errors about a file of a format
// version this package does not read.
var ErrUnsupportedVersion = errors.New("unsupported lock file format version")

// errNewerVersion is an ErrUnsupportedVersion that an upgrade would fix.
var errNewerVersion = fmt.Errorf("%w", ErrUnsupportedVersion)

// File is the content of a lock file.
type File struct {
	Plugins []Entry
}

// Entry locks one plugin.
type Entry struct {
	// Kind is "connector" or "action".
	Kind string
	// Name is the plugin type, e.g. "allegro".
	Name string
	// Version is the plugin's own version, as its schema declares it.
	Version string
	// Protocol is the plugin protocol version the host negotiated with it.
	Protocol int
	// SHA256 is the lower-case hex sha256 of the plugin's executable.
	SHA256 string
	// Schema is what the plugin declared.
	Schema *sdk.Schema
}

// Lookup returns the entry of the plugin of that kind and name.
func (f *File) Lookup(kind, name string) (*Entry, bool) {
	for i := range f.Plugins {
		if f.Plugins[i].Kind == kind && f.Plugins[i].Name == name {
			return &f.Plugins[i], true
		}
	}
	return nil, false
}

// fileJSON and entryJSON are the shapes on disk.
type fileJSON struct {
	Version int         `json:"version"`
	Plugins []entryJSON `json:"plugins"`
}

type entryJSON struct {
	Kind     string          `json:"kind"`
	Name     string          `json:"name"`
	Version  string          `json:"version"`
	Protocol int             `json:"protocol"`
	SHA256   string          `json:"sha256"`
	Schema   json.RawMessage `json:"schema"`
}

// Marshal encodes f as the lock file's bytes: indented JSON, entries sorted
// by kind then name. f is not changed. It fails on an entry Read would
// reject.
func Marshal(f *File) ([]byte, error) {
	entries := make([]Entry, len(f.Plugins))
	copy(entries, f.Plugins)
	sort.SliceStable(entries, func(i, j int) bool {
		if entries[i].Kind != entries[j].Kind {
			return entries[i].Kind < entries[j].Kind
		}
		return entries[i].Name < entries[j].Name
	})
	out := fileJSON{Version: FormatVersion, Plugins: make([]entryJSON, 0, len(entries))}
	for i, e := range entries {
		if err := e.check(); err != nil {
			return nil, err
		}
		if i > 0 && e.Kind == entries[i-1].Kind && e.Name == entries[i-1].Name {
			return nil, fmt.Errorf("%s %q is listed twice", e.Kind, e.Name)
		}
		schema, err := sdk.MarshalSchemaJSON(e.Schema)
		if err != nil {
			return nil, fmt.Errorf("%s %q: encode schema: %w", e.Kind, e.Name, err)
		}
		out.Plugins = append(out.Plugins, entryJSON{
			Kind: e.Kind, Name: e.Name, Version: e.Version, Protocol: e.Protocol,
			SHA256: e.SHA256, Schema: schema,
		})
	}
	// MarshalIndent lays the schemas out again, so the bytes do not depend
	// on protojson's deliberately unstable spacing.
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Unmarshal decodes the bytes of a lock file. Errors say what is wrong, not
// which file; Read adds that.
func Unmarshal(b []byte) (*File, error) {
	// The version first, alone, so that a newer format is reported as
	// such and not as whatever field it added.
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, syntaxError(b, err)
	}
	switch {
	case head.Version == nil:
		return nil, errors.New(`it has no "version"; it is not a lock file, or an unfinished one`)
	case *head.Version > FormatVersion:
		return nil, fmt.Errorf("%w: it has version %d, newer than this switchboard reads (%d)", errNewerVersion, *head.Version, FormatVersion)
	case *head.Version != FormatVersion:
		return nil, fmt.Errorf("%w: it has version %d; this switchboard reads version %d", ErrUnsupportedVersion, *head.Version, FormatVersion)
	}

	var in fileJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, syntaxError(b, err)
	}
	f := &File{Plugins: make([]Entry, 0, len(in.Plugins))}
	seen := make(map[[2]string]bool, len(in.Plugins))
	for i, ej := range in.Plugins {
		e := Entry{Kind: ej.Kind, Name: ej.Name, Version: ej.Version, Protocol: ej.Protocol, SHA256: ej.SHA256}
		where := fmt.Sprintf("plugins[%d]", i)
		if ej.Name != "" {
			where = fmt.Sprintf("%s %q", ej.Kind, ej.Name)
		}
		if len(ej.Schema) == 0 || string(ej.Schema) == "null" {
			return nil, fmt.Errorf("%s has no schema", where)
		}
		s, err := sdk.UnmarshalSchemaJSON(ej.Schema)
		if err != nil {
			return nil, fmt.Errorf("%s: schema: %w", where, err)
		}
		e.Schema = s
		if err := e.check(); err != nil {
			return nil, err
		}
		key := [2]string{e.Kind, e.Name}
		if seen[key] {
			return nil, fmt.Errorf("%s is listed twice", where)
		}
		seen[key] = true
		f.Plugins = append(f.Plugins, e)
	}
	return f, nil
}

// check reports what makes an entry unusable.
func (e *Entry) check() error {
	if e.Kind != KindConnector && e.Kind != KindAction {
		return fmt.Errorf("plugin %q has kind %q; want %q or %q", e.Name, e.Kind, KindConnector, KindAction)
	}
	where := fmt.Sprintf("%s %q", e.Kind, e.Name)
	switch {
	case e.Name == "":
		return fmt.Errorf("a %s has no name", e.Kind)
	case e.Version == "":
		return fmt.Errorf("%s has no version", where)
	case e.Protocol < 1:
		return fmt.Errorf("%s has protocol version %d; want 1 or more", where, e.Protocol)
	case !isSHA256(e.SHA256):
		return fmt.Errorf("%s has sha256 %q; want 64 lower-case hex digits", where, e.SHA256)
	case e.Schema == nil:
		return fmt.Errorf("%s has no schema", where)
	case e.Schema.Kind.String() != e.Kind || e.Schema.Name != e.Name:
		return fmt.Errorf("%s holds the schema of %s %q", where, e.Schema.Kind, e.Schema.Name)
	case e.Schema.Version != e.Version:
		return fmt.Errorf("%s has version %q but its schema says %q", where, e.Version, e.Schema.Version)
	}
	return nil
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// syntaxError adds the line and column to JSON errors that have an offset.
func syntaxError(b []byte, err error) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return errors.New("it is empty")
	}
	offset := int64(-1)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		// Offset counts the offending byte; point at it.
		offset = se.Offset - 1
	case errors.As(err, &te):
		offset = te.Offset
	}
	if offset < 0 {
		return fmt.Errorf("it is not valid: %w", err)
	}
	line, col := 1, 1
	for _, c := range b[:min(int(offset), len(b))] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Errorf("it is not valid JSON at line %d, column %d: %w", line, col, err)
}

// Read reads the lock file at path. A missing file is an error wrapping
// fs.ErrNotExist; every error names the file and says how to fix it.
func Read(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("lock file %s does not exist; run `switchboard plugins lock` to write it: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read lock file: %w", err)
	}
	f, err := Unmarshal(b)
	if err != nil {
		hint := fix
		if errors.Is(err, errNewerVersion) {
			hint = "upgrade switchboard, or " + fix
		}
		return nil, fmt.Errorf("lock file %s: %w; %s", path, err, hint)
	}
	return f, nil
}

// Write writes f to path atomically: to a temporary file in the same
// directory, synced, then renamed over path, so that a reader sees the old
// file or the new one and a crash leaves no half-written lock file.
func Write(path string, f *File) (err error) {
	b, err := Marshal(f)
	if err != nil {
		return fmt.Errorf("lock file %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write lock file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(b); err != nil {
		return fmt.Errorf("write lock file: %w", err)
	}
	// CreateTemp makes the file private; a lock file is meant to be shared.
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("write lock file: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("write lock file: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write lock file: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write lock file: %w", err)
	}
	// Make the rename itself durable. Not every system can sync a
	// directory; the file is in place either way.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
