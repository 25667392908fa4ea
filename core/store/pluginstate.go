package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/switchboard-hub/switchboard/sdk"
)

// PluginValues are the values of a plugin instance's sdk.State.
type PluginValues interface {
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Put(ctx context.Context, key string, value []byte) error
	Delete(ctx context.Context, key string) error
}

// PluginState returns the state of one plugin instance, kept in the
// plugin_state table (each Put an upsert).
func (s *sqlStore) PluginState(kind sdk.Kind, name, instance string) PluginValues {
	return &pluginState{s: s, kind: kind.String(), name: name, instance: instance}
}

type pluginState struct {
	s                    *sqlStore
	kind, name, instance string
}

func (p *pluginState) what(op, key string) string {
	return fmt.Sprintf("plugin state of %s %q instance %q: %s %q", p.kind, p.name, p.instance, op, key)
}

// checkKey refuses keys that one of the databases cannot hold as text.
func checkKey(key string) error {
	if key == "" || !utf8.ValidString(key) || strings.ContainsRune(key, 0) {
		return errors.New("a key must be non-empty UTF-8 text without NUL bytes")
	}
	return nil
}

func (p *pluginState) Get(ctx context.Context, key string) ([]byte, bool, error) {
	var (
		value []byte
		found bool
	)
	if err := checkKey(key); err != nil {
		return nil, false, fmt.Errorf("store: %s: %w", p.what("get", key), err)
	}
	err := p.s.read(ctx, p.what("get", key), func(t *tx) error {
		err := t.queryRow(ctx, "SELECT value FROM plugin_state WHERE kind = ? AND name = ? AND instance = ? AND key = ?",
			p.kind, p.name, p.instance, key).Scan(&value)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		found = err == nil
		return err
	})
	if err != nil || !found {
		return nil, false, err
	}
	return nonNil(value), true, nil
}

func (p *pluginState) Put(ctx context.Context, key string, value []byte) error {
	if err := checkKey(key); err != nil {
		return fmt.Errorf("store: %s: %w", p.what("put", key), err)
	}
	return p.s.write(ctx, p.what("put", key), false, func(t *tx) error {
		_, err := t.exec(ctx, `INSERT INTO plugin_state (kind, name, instance, key, value) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (kind, name, instance, key) DO UPDATE SET value = excluded.value`, p.kind, p.name, p.instance, key, nonNil(value))
		return err
	})
}

func (p *pluginState) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return fmt.Errorf("store: %s: %w", p.what("delete", key), err)
	}
	return p.s.write(ctx, p.what("delete", key), false, func(t *tx) error {
		_, err := t.exec(ctx, "DELETE FROM plugin_state WHERE kind = ? AND name = ? AND instance = ? AND key = ?", p.kind, p.name, p.instance, key)
		return err
	})
}
