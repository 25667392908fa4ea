package store

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
)

// dialect is what differs between SQLite and PostgreSQL. Everything else —
// the statements, the upserts (both speak INSERT … ON CONFLICT), RETURNING —
// is shared, so that one implementation and one test suite cover both.
type dialect struct {
	name string // "sqlite" or "postgres", also the migrations folder
	// numbered placeholders ($1, $2, …) instead of ?.
	numbered bool
	// rowLocks: SELECT … FOR UPDATE [SKIP LOCKED] exists. SQLite has no row
	// locks and needs none: its one writer connection and BEGIN IMMEDIATE
	// serialize every write transaction.
	rowLocks bool
	// maxParams bounds the placeholders of one statement (SQLite's default
	// limit is 32766, PostgreSQL's 65535); multi-row statements are cut to
	// fit.
	maxParams int

	mu       sync.RWMutex
	rebinded map[string]string
}

var (
	sqliteDialect = func() *dialect {
		return &dialect{name: "sqlite", maxParams: 30000, rebinded: map[string]string{}}
	}
	postgresDialect = func() *dialect {
		return &dialect{name: "postgres", numbered: true, rowLocks: true, maxParams: 60000, rebinded: map[string]string{}}
	}
)

// rebind turns the ? placeholders of q into the dialect's. Statements never
// hold a literal question mark, so no quoting needs to be understood.
func (d *dialect) rebind(q string) string {
	if !d.numbered {
		return q
	}
	d.mu.RLock()
	r, ok := d.rebinded[q]
	d.mu.RUnlock()
	if ok {
		return r
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	r = b.String()
	// Multi-row statements vary with the batch size; keep the cache from
	// growing without bound by caching only the usual shapes.
	if len(q) < 4096 {
		d.mu.Lock()
		d.rebinded[q] = r
		d.mu.Unlock()
	}
	return r
}

// forUpdate locks the selected rows until the transaction ends (of names
// the tables whose rows to lock in a join).
func (d *dialect) forUpdate(of ...string) string {
	if !d.rowLocks {
		return ""
	}
	if len(of) > 0 {
		return " FOR UPDATE OF " + strings.Join(of, ", ")
	}
	return " FOR UPDATE"
}

// skipLocked locks the selected rows and passes over those another
// transaction holds: concurrent schedulers share the due steps instead of
// queueing them twice or waiting for each other.
func (d *dialect) skipLocked() string {
	if !d.rowLocks {
		return ""
	}
	return " FOR UPDATE SKIP LOCKED"
}

// hasTag is a condition: the JSON array of tags in column holds the tag
// given as the next parameter.
func (d *dialect) hasTag(column string) string {
	if d.name == "postgres" {
		return column + " @> jsonb_build_array(?::text)"
	}
	return "EXISTS (SELECT 1 FROM json_each(" + column + ") AS tag WHERE tag.value = ?)"
}

// retryable reports whether a failed transaction may simply be run again:
// PostgreSQL chose it as a deadlock or serialization victim, or (when
// conflicts is set) it lost a race to insert the same unique key, which the
// next run will find stored.
func (d *dialect) retryable(err error, conflicts bool) bool {
	if errors.Is(err, errConflict) {
		return true
	}
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return false
	}
	switch pg.Code {
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return true
	case "23505": // unique_violation
		return conflicts
	}
	return false
}

// connectionLost reports whether err says that the connection to
// PostgreSQL broke (Unavailable). Its transaction did not commit, unless
// the break came between the COMMIT and its answer, which the store's
// transactions allow: run again, they find their work done. The next run
// takes another connection. SQLite has no connection to lose.
func (d *dialect) connectionLost(err error) bool {
	return d.name == "postgres" && Unavailable(err)
}

// Unavailable reports whether err, from the store, says that the database
// could not be reached: the server restarted or failed over, an
// administrator ended the session, the network dropped the connection or
// refused a new one. The same call may succeed later, unchanged.
func Unavailable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		// admin_shutdown, crash_shutdown, cannot_connect_now, and the
		// connection exceptions.
		return pg.Code == "57P01" || pg.Code == "57P02" || pg.Code == "57P03" || strings.HasPrefix(pg.Code, "08")
	}
	var netErr net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, pgconn.ErrConnClosed) || pgconn.SafeToRetry(err) || errors.As(err, &netErr)
}

// placeholders returns "(?, ?, …), (?, ?, …)": rows groups of cols.
func placeholders(rows, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(one+", ", rows), ", ")
}

// list returns "?, ?, …" for n values.
func list(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// chunks cuts n rows of cols parameters into runs that fit one statement.
func (d *dialect) chunks(n, cols int) [][2]int {
	per := d.maxParams / cols
	if per > 500 {
		per = 500
	}
	var out [][2]int
	for i := 0; i < n; i += per {
		out = append(out, [2]int{i, min(n, i+per)})
	}
	return out
}
