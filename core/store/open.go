package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/switchboard-hub/switchboard/core/config"
)

// DefaultAttemptLease is how long a step attempt is held when
// Options.AttemptLease is zero.
const DefaultAttemptLease = 2 * time.Minute

// Options tune a store. The zero value is ready to use.
type Options struct {
	// AttemptLease is how long a worker holds a step it began: another
	// BeginAttempt within the lease is refused, after it the step is taken
	// over with WasAttempted set. Default DefaultAttemptLease; it must be
	// longer than the slowest send (the plugin call deadline). A hub renews
	// the attempts it runs every quarter of the lease.
	AttemptLease time.Duration
	// Schema is the PostgreSQL schema that holds the tables, created when
	// missing; empty uses the connection's search_path (usually public).
	// Separate schemas let several hubs, or parallel tests, share one
	// database. It cannot be combined with SQLite.
	Schema string
	// ReconnectFor is how long a transaction or read whose PostgreSQL
	// connection broke is run again, on other connections, before its
	// error is returned. Default DefaultReconnectFor.
	ReconnectFor time.Duration
	// Logger receives migrations applied and transactions retried after a
	// deadlock; nil logs nothing.
	Logger hclog.Logger
}

// sqlStore is Store over database/sql; d says which dialect it speaks.
type sqlStore struct {
	// db takes every write. On SQLite it is the one writer connection
	// (BEGIN IMMEDIATE); on PostgreSQL a pool that also serves reads.
	db *sql.DB
	// reads serves queries. On SQLite it is a separate pool of read-only
	// connections, which WAL lets read beside the writer; on PostgreSQL it
	// is db.
	reads *sql.DB
	// On SQLite, writer takes the writes on db's one connection, and
	// readers (nil for an in-memory database) hold reads' connections.
	writer  *groupCommitter
	readers *sessions
	// checkpoints copies the WAL into the database file beside the writer
	// (SQLite files only).
	checkpoints *checkpointer
	d           *dialect
	lease       time.Duration
	reconnect   time.Duration // Options.ReconnectFor
	log         hclog.Logger
	ids         *ids
	// written counts rows inserted, updated or deleted by committed
	// transactions, and statements those run by write transactions, for
	// the benchmarks' per-message figures.
	written, statements atomic.Int64
}

// Open opens (creating when needed) the store at url and brings its schema
// up to date:
//
//   - "sqlite:///var/lib/switchboard/hub.db", "sqlite://hub.db" or a bare
//     file path: SQLite, in WAL mode with synchronous=NORMAL. Append
//     "?synchronous=full" to sync every commit.
//   - "postgres://user@host:5432/db?sslmode=disable" (or "postgresql://"):
//     PostgreSQL through pgx.
//
// SQLite's synchronous=NORMAL in WAL mode loses nothing when the process is
// killed, even with SIGKILL: a commit is in the WAL file, in the operating
// system's cache, when it returns. Only an operating-system crash or power
// loss can undo the last transactions before a checkpoint; the database
// stays consistent, and since a cursor moves in the same transaction as its
// messages, undone polls are polled again. Webhook deliveries and sends
// recorded in those last transactions are what such a crash can lose;
// "?synchronous=full" closes that gap at the cost of an fsync per commit.
func Open(ctx context.Context, rawURL string, opts Options) (Store, error) {
	if opts.AttemptLease < 0 {
		return nil, fmt.Errorf("store: attempt lease %s is negative", opts.AttemptLease)
	}
	if opts.ReconnectFor <= 0 {
		opts.ReconnectFor = DefaultReconnectFor
	}
	if opts.AttemptLease == 0 {
		opts.AttemptLease = DefaultAttemptLease
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	var (
		s   *sqlStore
		err error
	)
	if err := config.CheckDatabase(rawURL); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	switch {
	case config.IsPostgres(rawURL):
		s, err = openPostgres(ctx, rawURL, opts)
	default:
		if opts.Schema != "" {
			return nil, fmt.Errorf("store: schema %q: schemas are a PostgreSQL option; remove it for SQLite", opts.Schema)
		}
		s, err = openSQLite(ctx, rawURL, opts)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx, opts.Schema); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func newSQLStore(db, reads *sql.DB, d *dialect, opts Options) *sqlStore {
	return &sqlStore{db: db, reads: reads, d: d, lease: opts.AttemptLease, reconnect: opts.ReconnectFor, log: opts.Logger, ids: newIDs()}
}

// openSQLite opens the writer connection and the read pool.
func openSQLite(ctx context.Context, rawURL string, opts Options) (*sqlStore, error) {
	path, query, _ := strings.Cut(strings.TrimPrefix(rawURL, "sqlite://"), "?")
	if path == "" {
		return nil, fmt.Errorf("store: %q names no SQLite file; use sqlite:///path/to/hub.db", rawURL)
	}
	params, err := url.ParseQuery(query)
	if err != nil {
		return nil, fmt.Errorf("store: %q: %w", rawURL, err)
	}
	syncMode := "NORMAL"
	for k, v := range params {
		switch {
		case k == "synchronous" && len(v) == 1 && (strings.EqualFold(v[0], "normal") || strings.EqualFold(v[0], "full")):
			syncMode = strings.ToUpper(v[0])
		case k == "synchronous":
			return nil, fmt.Errorf("store: %q: synchronous must be normal or full, not %q", rawURL, strings.Join(v, ","))
		default:
			return nil, fmt.Errorf("store: %q: unknown parameter %q (only synchronous=normal|full is known)", rawURL, k)
		}
	}
	memory := path == ":memory:"
	if memory {
		// Every connection would get its own empty database: keep to one.
		path = "file:switchboard-" + newIDs().at(time.Now()) + "?mode=memory&cache=shared&"
	} else {
		path += "?"
	}
	// busy_timeout covers other processes on the same file (such as a
	// backup); in this process the single writer connection serializes.
	common := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=temp_store(memory)"
	db, err := sql.Open("sqlite", path+common+"&_pragma=journal_mode(WAL)&_pragma=synchronous("+syncMode+")&_pragma=mmap_size(268435456)")
	if err != nil {
		return nil, fmt.Errorf("store: open SQLite %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open SQLite %s: %w", path, err)
	}
	sess, err := newSession(ctx, db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open SQLite %s: %w", path, err)
	}
	reads := db
	var readers *sessions
	if !memory {
		// No mmap for readers: a reader that finds the WAL changed drops
		// its page cache and unmaps the whole file, so under load every
		// read transaction would pay an munmap and page faults.
		reads, err = sql.Open("sqlite", path+common+"&_pragma=query_only(1)")
		if err == nil {
			n := max(4, runtime.GOMAXPROCS(0))
			reads.SetMaxOpenConns(n)
			reads.SetMaxIdleConns(n)
			reads.SetConnMaxLifetime(0)
			reads.SetConnMaxIdleTime(0)
			readers, err = newSessions(ctx, reads, n)
		}
		if err != nil {
			sess.close()
			db.Close()
			if reads != db && reads != nil {
				reads.Close()
			}
			return nil, fmt.Errorf("store: open SQLite %s for reading: %w", path, err)
		}
	}
	s := newSQLStore(db, reads, sqliteDialect(), opts)
	s.writer, s.readers = newGroupCommitter(sess, s.d, s.log), readers
	if !memory {
		cp, err := sql.Open("sqlite", path+common+"&_pragma=synchronous("+syncMode+")")
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("store: open SQLite %s for checkpoints: %w", path, err)
		}
		cp.SetMaxOpenConns(1)
		s.checkpoints = newCheckpointer(cp, opts.Logger)
		s.writer.committed = s.checkpoints.committed
	}
	return s, nil
}

// openPostgres opens a pgx pool whose connections use the schema.
func openPostgres(ctx context.Context, rawURL string, opts Options) (*sqlStore, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		// pgx's message does not repeat the URL, which may hold a password.
		return nil, fmt.Errorf("store: PostgreSQL URL: %w", err)
	}
	if opts.Schema != "" {
		if len(opts.Schema) > 63 || strings.ContainsRune(opts.Schema, 0) {
			return nil, fmt.Errorf("store: schema %q is not a valid PostgreSQL name (at most 63 bytes)", opts.Schema)
		}
		cfg.RuntimeParams["search_path"] = pgx.Identifier{opts.Schema}.Sanitize()
	}
	where := fmt.Sprintf("PostgreSQL %s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(max(8, 2*runtime.GOMAXPROCS(0)))
	db.SetMaxIdleConns(max(8, 2*runtime.GOMAXPROCS(0)))
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", where, err)
	}
	return newSQLStore(db, db, postgresDialect(), opts), nil
}

func (s *sqlStore) Close() error {
	var err error
	if s.checkpoints != nil {
		err = s.checkpoints.close()
	}
	if s.writer != nil {
		err = errors.Join(err, s.writer.close())
	}
	if s.readers != nil {
		err = errors.Join(err, s.readers.close())
	}
	err = errors.Join(err, s.db.Close())
	if s.reads != s.db {
		err = errors.Join(err, s.reads.Close())
	}
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}
