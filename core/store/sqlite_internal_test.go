package store

import (
	"os"
	"path/filepath"
	"testing"
	"time"
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

// The checkpointer copies committed pages from the WAL into the database
// file without the writer: the schema's few hundred pages are far below
// the writer's own automatic checkpoint (1,000 pages), so only the
// checkpointer can have put them there.
func TestCheckpointerCopiesTheWAL(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hub.db")
	s, err := Open(t.Context(), "sqlite://"+path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for deadline := time.Now().Add(10 * time.Second); ; {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() >= 10*4096 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the database file holds %d bytes 10 s after the schema was committed; the WAL was not checkpointed", fi.Size())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
