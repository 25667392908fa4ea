package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	neturl "net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, to drop test schemas
)

// DefaultPostgres is the test server when SWITCHBOARD_TEST_POSTGRES is not
// set: the local server with trust authentication.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// The PostgreSQL server of the tests, looked up once per test binary.
var pg struct {
	once  sync.Once
	dsn   string
	admin *sql.DB
	err   error
}

// Postgres returns the URL of the tests' PostgreSQL server
// (SWITCHBOARD_TEST_POSTGRES, or the local server as user postgres or root)
// and a connection to it. An unreachable server fails the test: tests that
// need it are never skipped.
func Postgres(tb testing.TB) (string, *sql.DB) {
	tb.Helper()
	pg.once.Do(func() {
		candidates := []string{os.Getenv("SWITCHBOARD_TEST_POSTGRES")}
		if candidates[0] == "" {
			candidates = []string{DefaultPostgres, "postgres://root@127.0.0.1:5432/test?sslmode=disable"}
		}
		var errs []error
		for _, dsn := range candidates {
			db, err := sql.Open("pgx", dsn)
			if err == nil {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				err = db.PingContext(ctx)
				cancel()
			}
			if err == nil {
				pg.dsn, pg.admin = dsn, db
				return
			}
			if db != nil {
				db.Close()
			}
			errs = append(errs, fmt.Errorf("%s: %w", Redact(dsn), err))
		}
		pg.err = errors.Join(errs...)
	})
	if pg.err != nil {
		tb.Fatalf("PostgreSQL is unreachable, and this test needs it (it is never skipped):\n%v\n"+
			"Start the server, or set SWITCHBOARD_TEST_POSTGRES to a reachable database, e.g. %s", pg.err, DefaultPostgres)
	}
	return pg.dsn, pg.admin
}

var userinfo = regexp.MustCompile(`//[^@/]*:[^@/]*@`)

// Redact hides a password in a URL.
func Redact(url string) string { return userinfo.ReplaceAllString(url, "//…:…@") }

var unsafeChars = regexp.MustCompile(`[^a-z0-9]+`)

// Schema names a new PostgreSQL schema, prefix and the test's name with a
// random suffix, and drops it with its tables when the test ends, so that
// tests and packages can share the server. Register it before anything
// that uses the schema, so that cleanups stop that first.
func Schema(tb testing.TB, admin *sql.DB, prefix string) string {
	tb.Helper()
	suffix := make([]byte, 4)
	rand.Read(suffix)
	name := strings.Trim(unsafeChars.ReplaceAllString(strings.ToLower(tb.Name()), "_"), "_")
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	schema := prefix + "_" + name + "_" + hex.EncodeToString(suffix)
	tb.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA IF EXISTS " + pgx.Identifier{schema}.Sanitize() + " CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// Sessions gives a PostgreSQL URL an application name of its own, which
// every session opened with it then carries, so that a test can tell its
// sessions from those of the tests that share the server; EndSessions ends
// them.
func Sessions(tb testing.TB, dsn, prefix string) (url, app string) {
	tb.Helper()
	u, err := neturl.Parse(dsn)
	if err != nil {
		tb.Fatalf("PostgreSQL URL %s: %v", Redact(dsn), err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	app = prefix + "_" + hex.EncodeToString(b[:])
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	return u.String(), app
}

// EndSessions ends every session of the application app (see Sessions),
// as a restart or a failover of the server would, and returns how many it
// ended once they are gone.
func EndSessions(tb testing.TB, admin *sql.DB, app string) int {
	tb.Helper()
	var n int
	// pg_terminate_backend waits for the sessions to end (at most 10 s).
	if err := admin.QueryRow(`SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000)) FROM pg_stat_activity
		WHERE application_name = $1 AND pid <> pg_backend_pid()`, app).Scan(&n); err != nil {
		tb.Fatalf("end the sessions of %s: %v", app, err)
	}
	return n
}
