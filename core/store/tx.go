package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// errConflict makes a write transaction start over: it found that a
// concurrent one changed what it had read (on PostgreSQL, where several
// nodes write at once). The next run sees the other's committed rows.
var errConflict = errors.New("conflicting concurrent write")

// maxRuns bounds how often a write transaction is started over after a
// deadlock or a lost race before its error is returned.
const maxRuns = 8

// tx is one transaction with the dialect's placeholders and a count of the
// rows it wrote.
type tx struct {
	tx      *sql.Tx
	d       *dialect
	written int64
}

// exec runs a statement that writes and counts the rows it touched.
func (t *tx) exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := t.tx.ExecContext(ctx, t.d.rebind(q), args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	t.written += n
	return n, nil
}

// query runs a SELECT, or a write with RETURNING (count its rows with
// wrote).
func (t *tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.d.rebind(q), args...)
}

func (t *tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.d.rebind(q), args...)
}

// wrote counts rows written by a statement with RETURNING.
func (t *tx) wrote(n int) { t.written += int64(n) }

// write runs fn in a write transaction and commits it, starting over when
// the database chose it as a deadlock victim or fn returned errConflict.
// With conflicts set, losing a race to insert a unique key also starts it
// over (Ingest, whose next run then finds the rows stored). On SQLite the
// transaction begins IMMEDIATE, taking the write lock at once.
func (s *sqlStore) write(ctx context.Context, what string, conflicts bool, fn func(*tx) error) error {
	var err error
	for run := 1; run <= maxRuns; run++ {
		err = s.writeOnce(ctx, fn)
		if err == nil || !s.d.retryable(err, conflicts) || ctx.Err() != nil {
			break
		}
		s.log.Debug("transaction conflicted with a concurrent one; running it again", "op", what, "run", run, "error", err)
	}
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return nil
}

func (s *sqlStore) writeOnce(ctx context.Context, fn func(*tx) error) (err error) {
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	t := &tx{tx: sqlTx, d: s.d}
	defer func() {
		if err != nil {
			sqlTx.Rollback()
		}
	}()
	if err = fn(t); err != nil {
		return err
	}
	if err = sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	s.written.Add(t.written)
	return nil
}

// read runs fn in a read-only transaction, so that its queries see one
// snapshot (on SQLite, from the read pool beside the writer).
func (s *sqlStore) read(ctx context.Context, what string, fn func(*tx) error) error {
	sqlTx, err := s.reads.BeginTx(ctx, &sql.TxOptions{ReadOnly: s.d.name == "postgres"})
	if err != nil {
		return fmt.Errorf("store: %s: begin: %w", what, err)
	}
	defer sqlTx.Rollback()
	if err := fn(&tx{tx: sqlTx, d: s.d}); err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return nil
}
