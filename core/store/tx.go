package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// errConflict makes a write transaction start over: it found that a
// concurrent one changed what it had read (on PostgreSQL, where several
// nodes write at once). The next run sees the other's committed rows.
var errConflict = errors.New("conflicting concurrent write")

// maxRuns bounds how often a write transaction is started over after a
// deadlock or a lost race before its error is returned.
const maxRuns = 8

// querier runs statements: a *sql.Tx, or the *sql.Conn of a SQLite
// session in a transaction begun with a statement.
type querier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// tx is one transaction with the dialect's placeholders and a count of the
// rows it wrote.
type tx struct {
	q querier
	// sess, on SQLite, keeps the statements prepared. Its statements run
	// on contexts that are never cancelled: SQLite answers an interrupted
	// write by rolling back the whole transaction.
	sess       *session
	d          *dialect
	written    int64
	statements int64 // run, for Stats.WriteStatements
	// dirty is set once a statement may have changed the database: a
	// write that changed rows, or failed (SQLite may have rolled back the
	// whole transaction); a write with RETURNING that returned a row
	// (through queryRow) or ran at all (through query); any other
	// statement that is not a SELECT (DDL). A group commit undoes a failed
	// transaction only when it is dirty.
	dirty bool
}

// prepared returns the statement to run q with, or nil to run it as text.
func (t *tx) prepared(ctx context.Context, q string, args []any) (context.Context, *sql.Stmt) {
	if t.sess == nil {
		return ctx, nil
	}
	ctx = context.WithoutCancel(ctx)
	return ctx, t.sess.stmt(ctx, q, args)
}

// exec runs a statement that writes and counts the rows it touched.
func (t *tx) exec(ctx context.Context, q string, args ...any) (int64, error) {
	q = t.d.rebind(q)
	t.statements++
	var (
		res sql.Result
		err error
	)
	if ctx, st := t.prepared(ctx, q, args); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = t.q.ExecContext(ctx, q, args...)
	}
	if err != nil {
		t.dirty = true
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		t.dirty = true
		return 0, err
	}
	if n > 0 || !isDML(q) {
		t.dirty = true
	}
	t.written += n
	return n, nil
}

// query runs a SELECT, or a write with RETURNING (count its rows with
// wrote).
func (t *tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	q = t.d.rebind(q)
	t.statements++
	if !strings.HasPrefix(q, "SELECT") {
		t.dirty = true
	}
	if ctx, st := t.prepared(ctx, q, args); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.q.QueryContext(ctx, q, args...)
}

// queryRow runs a statement that returns at most one row; the caller must
// Scan it.
func (t *tx) queryRow(ctx context.Context, q string, args ...any) row {
	q = t.d.rebind(q)
	t.statements++
	r := row{}
	if !strings.HasPrefix(q, "SELECT") {
		r.writer = t
	}
	if ctx, st := t.prepared(ctx, q, args); st != nil {
		r.Row = st.QueryRowContext(ctx, args...)
	} else {
		r.Row = t.q.QueryRowContext(ctx, q, args...)
	}
	return r
}

// row is queryRow's row. A write with RETURNING marks its transaction
// dirty when it returns a row, or fails: one that returns none (no row
// matched, or a conflict did nothing) changed nothing.
type row struct {
	*sql.Row
	writer *tx // for a statement that is not a SELECT
}

func (r row) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if r.writer != nil && !errors.Is(err, sql.ErrNoRows) {
		r.writer.dirty = true
	}
	return err
}

// isDML reports whether q inserts, updates or deletes rows, and so
// changes nothing when it touches none.
func isDML(q string) bool {
	return strings.HasPrefix(q, "INSERT") || strings.HasPrefix(q, "UPDATE") || strings.HasPrefix(q, "DELETE")
}

// wrote counts rows written by a statement with RETURNING.
func (t *tx) wrote(n int) { t.written += int64(n) }

// write runs fn in a write transaction and commits it, starting over when
// the database chose it as a deadlock victim or fn returned errConflict.
// With conflicts set, losing a race to insert a unique key also starts it
// over (Ingest and ClaimReply, whose next run then finds the rows stored). On SQLite the
// transaction begins IMMEDIATE, taking the write lock at once.
func (s *sqlStore) write(ctx context.Context, what string, conflicts bool, fn func(*tx) error) error {
	var (
		err      error
		lost     = reconnect{limit: s.reconnect}
		conflict int
	)
	for {
		err = s.writeOnce(ctx, fn)
		switch {
		case err == nil || ctx.Err() != nil:
		case s.d.retryable(err, conflicts) && conflict < maxRuns-1:
			conflict++
			s.log.Debug("transaction conflicted with a concurrent one; running it again", "op", what, "run", conflict, "error", err)
			continue
		case s.d.connectionLost(err) && lost.wait(ctx):
			s.log.Warn("the connection to the database broke; running the transaction again", "op", what, "error", err)
			continue
		}
		break
	}
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return nil
}

// DefaultReconnectFor is how long a transaction or read whose connection
// broke is run again, on other connections, before its error is returned:
// long enough for a PostgreSQL restart, and for every pooled connection the
// break left dead to be found so; short enough that a webhook's vendor
// hears 503 while it still waits.
const DefaultReconnectFor = 15 * time.Second

// reconnect paces the runs again after broken connections: at once the
// first time (another pooled connection may be sound), then at growing
// intervals on the real clock, until the time for runs again has passed.
type reconnect struct {
	limit time.Duration
	began time.Time
	runs  int
}

// wait reports whether to run again, having waited the interval due.
func (r *reconnect) wait(ctx context.Context) bool {
	if r.runs == 0 {
		r.began = time.Now()
	}
	r.runs++
	if time.Since(r.began) >= r.limit {
		return false
	}
	pause := min(time.Duration(r.runs-1)*50*time.Millisecond, time.Second)
	t := time.NewTimer(pause)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (s *sqlStore) writeOnce(ctx context.Context, fn func(*tx) error) (err error) {
	if s.writer != nil {
		n, err := s.writer.run(ctx, fn)
		s.written.Add(n)
		return err
	}
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	t := &tx{q: sqlTx, d: s.d}
	defer func() {
		s.statements.Add(t.statements)
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

// readFresh runs fn, which only reads, where the work just written is
// cheapest to read back. On SQLite that is the writer connection, in the
// group commit: a read connection drops its whole page cache whenever the
// writer commits, so under load every read of it would fetch each page
// again, while the writer's cache holds the pages it just wrote. fn may run
// more than once (a group rolled back runs again) and sees, like any
// member of a group, what the earlier members wrote; its caller is answered
// only once that has committed. Elsewhere it is read.
func (s *sqlStore) readFresh(ctx context.Context, what string, fn func(*tx) error) error {
	if s.writer == nil {
		return s.read(ctx, what, fn)
	}
	if _, err := s.writer.run(ctx, fn); err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return nil
}

// read runs fn in a read-only transaction, so that its queries see one
// snapshot (on SQLite, from the read pool beside the writer).
func (s *sqlStore) read(ctx context.Context, what string, fn func(*tx) error) error {
	var err error
	switch {
	case s.readers != nil:
		var sess *session
		if sess, err = s.readers.get(ctx); err == nil {
			err = readOn(ctx, sess, s.d, fn)
			s.readers.put(sess)
		}
	case s.writer != nil:
		err = s.writer.read(ctx, fn)
	default:
		lost := reconnect{limit: s.reconnect}
		for {
			var sqlTx *sql.Tx
			if sqlTx, err = s.reads.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}); err == nil {
				err = fn(&tx{q: sqlTx, d: s.d})
				sqlTx.Rollback()
			}
			if err == nil || ctx.Err() != nil || !s.d.connectionLost(err) || !lost.wait(ctx) {
				break
			}
			s.log.Warn("the connection to the database broke; reading again", "op", what, "error", err)
		}
	}
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return nil
}
