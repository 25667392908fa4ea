package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The migrations of each dialect live in migrations/<dialect>/NNNN_name.sql
// and are applied in order, each once, recorded in schema_version. A
// released migration is never edited: changes come as a new file.
//
//go:embed migrations
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: the name must be NNNN_name.sql", e.Name())
		}
		b, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := range out {
		if out[i].version != i+1 {
			return nil, fmt.Errorf("migrations of %s: version %d follows %d; versions must count up from 1", dialect, out[i].version, i)
		}
	}
	return out, nil
}

// migrate creates the schema when asked and applies the migrations the
// database lacks, in one transaction. On PostgreSQL an advisory lock keeps
// nodes starting together from migrating at once.
func (s *sqlStore) migrate(ctx context.Context, schema string) error {
	migs, err := loadMigrations(s.d.name)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return s.write(ctx, "migrate", false, func(t *tx) error {
		if s.d.name == "postgres" {
			if _, err := t.exec(ctx, "SELECT pg_advisory_xact_lock(hashtext(?))", "switchboard migrate "+schema); err != nil {
				return fmt.Errorf("lock: %w", err)
			}
			if schema != "" {
				if _, err := t.exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
					return fmt.Errorf("create schema %q: %w", schema, err)
				}
			}
		}
		if _, err := t.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    name    TEXT    NOT NULL
)`); err != nil {
			return fmt.Errorf("create schema_version: %w", err)
		}
		var current int
		if err := t.queryRow(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_version").Scan(&current); err != nil {
			return fmt.Errorf("read schema_version: %w", err)
		}
		if current > len(migs) {
			return fmt.Errorf("the database is at schema version %d, newer than this build knows (%d); run a newer switchboard", current, len(migs))
		}
		for _, m := range migs[current:] {
			if _, err := t.exec(ctx, m.sql); err != nil {
				return fmt.Errorf("apply migration %d (%s): %w", m.version, m.name, err)
			}
			if _, err := t.exec(ctx, "INSERT INTO schema_version (version, name) VALUES (?, ?)", m.version, m.name); err != nil {
				return fmt.Errorf("record migration %d: %w", m.version, err)
			}
			s.log.Info("applied store migration", "dialect", s.d.name, "version", m.version, "name", m.name)
		}
		return nil
	})
}
