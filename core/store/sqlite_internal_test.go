package store

import (
	"path/filepath"
	"testing"
)

// The SQLite writer runs with the settings Open promises: WAL,
// synchronous=NORMAL (FULL on request), foreign keys, a busy timeout, and
// one connection.
func TestSQLiteSettings(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		query string
		sync  int
	}{{"", 1}, {"?synchronous=full", 2}} {
		s, err := Open(t.Context(), "sqlite://"+filepath.Join(t.TempDir(), "hub.db")+c.query, Options{})
		if err != nil {
			t.Fatal(err)
		}
		db := s.(*sqlStore).db
		writer := s.(*sqlStore).writer.sess.conn
		var (
			mode                 string
			sync, fk, busy, conn int
		)
		for q, dst := range map[string]any{"PRAGMA journal_mode": &mode, "PRAGMA synchronous": &sync, "PRAGMA foreign_keys": &fk, "PRAGMA busy_timeout": &busy} {
			if err := writer.QueryRowContext(t.Context(), q).Scan(dst); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		conn = db.Stats().MaxOpenConnections
		if mode != "wal" || sync != c.sync || fk != 1 || busy < 1000 || conn != 1 {
			t.Errorf("%q: journal_mode %s, synchronous %d, foreign_keys %d, busy_timeout %d, writer connections %d; want wal, %d, 1, ≥1000, 1",
				c.query, mode, sync, fk, busy, conn, c.sync)
		}
		s.Close()
	}
}
