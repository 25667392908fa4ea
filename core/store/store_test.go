package store_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, to drop test schemas

	"github.com/switchboard-hub/switchboard/core/store"
	"github.com/switchboard-hub/switchboard/core/store/storetest"
	"github.com/switchboard-hub/switchboard/core/workflow"
	"github.com/switchboard-hub/switchboard/sdk"
)

func TestSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return openSQLite(t, "") })
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return openPostgres(t) })
}

// openSQLite opens a new store in a temporary directory; query is appended
// to the URL.
func openSQLite(tb testing.TB, query string) store.Store {
	tb.Helper()
	s, err := store.Open(tb.Context(), "sqlite://"+filepath.Join(tb.TempDir(), "hub.db")+query, store.Options{})
	if err != nil {
		tb.Fatalf("open SQLite: %v", err)
	}
	return s
}

// openPostgres opens a store in a new schema of its own, dropped when the
// test ends, so that tests and packages can run in parallel.
func openPostgres(tb testing.TB) store.Store {
	tb.Helper()
	dsn, admin := storetest.Postgres(tb)
	schema := storetest.Schema(tb, admin, "storetest")
	s, err := store.Open(tb.Context(), dsn, store.Options{Schema: schema})
	if err != nil {
		tb.Fatalf("open PostgreSQL store in schema %s: %v", schema, err)
	}
	return s
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		name, url string
		opts      store.Options
		want      string
	}{
		{"unknown scheme", "mysql://localhost/db", store.Options{}, "a mysql:// URL, which the hub cannot use"},
		{"schema on SQLite", filepath.Join(dir, "a.db"), store.Options{Schema: "x"}, "PostgreSQL option"},
		{"unknown SQLite parameter", "sqlite://" + filepath.Join(dir, "b.db") + "?cache=shared", store.Options{}, `unknown parameter "cache"`},
		{"bad synchronous", "sqlite://" + filepath.Join(dir, "c.db") + "?synchronous=off", store.Options{}, "synchronous must be normal or full"},
		{"no file", "sqlite://", store.Options{}, "names no SQLite file"},
		{"negative lease", filepath.Join(dir, "d.db"), store.Options{AttemptLease: -time.Second}, "negative"},
		{"unreachable PostgreSQL", "postgres://nobody:secret@127.0.0.1:1/db?sslmode=disable&connect_timeout=5", store.Options{}, "connect to PostgreSQL nobody@127.0.0.1:1/db"},
		{"directory missing", "sqlite:///nonexistent-dir/x/y/hub.db", store.Options{}, "open SQLite"},
	}
	for _, c := range cases {
		s, err := store.Open(t.Context(), c.url, c.opts)
		if err == nil {
			s.Close()
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q, want it to say %q", c.name, err, c.want)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the error shows the password: %v", c.name, err)
		}
	}
}

// A store reopened (a restart) keeps everything, and migrating twice is
// harmless; so is opening one PostgreSQL schema from two nodes at once.
func TestReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hub.db")
	for i := range 3 {
		s, err := store.Open(t.Context(), path, store.Options{})
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		got, err := s.Ingest(t.Context(), store.IngestBatch{Connector: "c", Account: "a", ReceivedAt: time.Unix(1e9, 0),
			Messages: []sdk.Message{{ExternalID: "once", Thread: "t", Sender: sdk.Party{ID: "b"}}}})
		if err != nil {
			t.Fatalf("ingest %d: %v", i, err)
		}
		if want := map[bool]int{true: 1, false: 0}[i == 0]; len(got) != want {
			t.Errorf("after %d restarts the message was new again", i)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// A database written before outbound messages were keyed apart (migration
// 8) keeps de-duplicating its replies once upgraded, and stores a buyer
// message numbered like one of them.
func TestUpgradeKeysOutboundMessagesApart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hub.db")
	open := func() store.Store {
		t.Helper()
		s, err := store.Open(t.Context(), path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	at := time.Unix(1e9, 0)
	ingest := func(s store.Store, m sdk.Message) int {
		t.Helper()
		got, err := s.Ingest(t.Context(), store.IngestBatch{Connector: "c", Account: "a", ReceivedAt: at, Messages: []sdk.Message{m}})
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	s := open()
	ingest(s, sdk.Message{ExternalID: "1", Thread: "t", Sender: sdk.Party{ID: "b"}})
	reply := sdk.Message{ExternalID: "42", Thread: "t", Direction: sdk.Outbound, Text: "On its way."}
	ingest(s, reply)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// As schema version 7 wrote it.
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		sql  string
		rows int64 // -1: a schema change, which counts no rows
	}{
		{"UPDATE messages SET external_id = '42' WHERE external_id = 'outbound:42'", 1},
		{"DROP INDEX contacts_unpruned", -1},
		{"ALTER TABLE contacts DROP COLUMN pruned", -1},
		{"DELETE FROM schema_version WHERE version >= 8", 2},
	} {
		if res, err := db.Exec(q.sql); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		} else if n, _ := res.RowsAffected(); q.rows >= 0 && n != q.rows {
			t.Fatalf("%s: %d rows", q.sql, n)
		}
	}
	db.Close()
	s = open()
	defer s.Close()
	if n := ingest(s, reply); n != 0 {
		t.Errorf("the reply polled again after the upgrade: stored %d times more", n)
	}
	if n := ingest(s, sdk.Message{ExternalID: "42", Thread: "t2", Sender: sdk.Party{ID: "c"}}); n != 1 {
		t.Errorf("a buyer message numbered like the reply: %d stored, want 1", n)
	}
}

// Sessions ended under the store while it works — the server restarted
// or failed over, an administrator ended them — cost it no write and no
// read: each runs again on a new connection.
func TestPostgresRunsAgainOnEndedSessions(t *testing.T) {
	t.Parallel()
	dsn, admin := storetest.Postgres(t)
	dsn, app := storetest.Sessions(t, dsn, "storetest_ended")
	s, err := store.Open(t.Context(), dsn, store.Options{Schema: storetest.Schema(t, admin, "storetest")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()
	var (
		mu     sync.Mutex
		failed []error
		done   = make(chan struct{})
		wg     sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		failed = append(failed, err)
	}
	var written atomic.Int64
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				id := fmt.Sprintf("w%d-%d", w, i)
				_, err := s.Ingest(ctx, store.IngestBatch{Connector: "webhook", Account: "shop", ReceivedAt: time.Now(), Messages: []sdk.Message{{
					ExternalID: id, Thread: "t-" + id, Channel: "webhook", Direction: sdk.Inbound, Text: "hello",
					Sender: sdk.Party{ID: "buyer-" + id}, SentAt: time.Now(),
				}}})
				if err != nil {
					fail(fmt.Errorf("write %s: %w", id, err))
					continue
				}
				written.Add(1)
				if _, err := s.Threads(ctx, store.ThreadFilter{Limit: 5}); err != nil {
					fail(fmt.Errorf("read: %w", err))
				}
			}
		})
	}
	ended := 0
	for range 5 {
		// Once the writers are at work again, end their sessions in their
		// stride.
		for at := written.Load(); written.Load() < at+20; {
			runtime.Gosched()
		}
		ended += storetest.EndSessions(t, admin, app)
	}
	close(done)
	wg.Wait()
	if ended == 0 {
		t.Fatal("the store had no session to end")
	}
	for _, err := range failed {
		t.Error(err)
	}
	threads, err := s.Threads(ctx, store.ThreadFilter{Limit: 100000})
	if err != nil || int64(len(threads)) != written.Load() {
		t.Errorf("%d threads (%v); want the %d written", len(threads), err, written.Load())
	}
}

func TestPostgresConcurrentOpen(t *testing.T) {
	t.Parallel()
	dsn, admin := storetest.Postgres(t)
	schema := "storetest_concurrent_open_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	t.Cleanup(func() { admin.Exec("DROP SCHEMA IF EXISTS " + pgx.Identifier{schema}.Sanitize() + " CASCADE") })
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := store.Open(t.Context(), dsn, store.Options{Schema: schema})
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("nodes opening one schema at once: %v", err)
	}
	// Each migration was applied once, by one of them.
	migrations, _ := fs.Glob(os.DirFS("migrations/postgres"), "*.sql")
	var versions int
	if err := admin.QueryRow("SELECT COUNT(*) FROM " + pgx.Identifier{schema, "schema_version"}.Sanitize()).Scan(&versions); err != nil || versions != len(migrations) {
		t.Errorf("schema_version holds %d rows (%v), want %d", versions, err, len(migrations))
	}
}

// The process is killed with SIGKILL while it ingests; every batch it
// reported committed is there after a restart, with its cursor. This is
// the guarantee synchronous=NORMAL in WAL mode gives (an OS crash is
// another matter; see Open).
func TestSQLiteSurvivesKill(t *testing.T) {
	if path := os.Getenv("SWITCHBOARD_STORE_KILL_DB"); path != "" {
		killChild(path)
		return
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hub.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestSQLiteSurvivesKill$")
	cmd.Env = append(os.Environ(), "SWITCHBOARD_STORE_KILL_DB="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	last := -1
	for last < 40 && lines.Scan() {
		if n, ok := strings.CutPrefix(lines.Text(), "committed "); ok {
			last, _ = strconv.Atoi(n)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if last < 40 {
		t.Fatalf("the child reported %d batches before it stopped", last+1)
	}
	s, err := store.Open(t.Context(), path, store.Options{})
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer s.Close()
	cur, err := s.Cursor(t.Context(), "c", "a")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := strconv.Atoi(strings.TrimPrefix(string(cur), "c")); err != nil || n < last {
		t.Errorf("cursor %q after SIGKILL, want at least c%d", cur, last)
	}
	rows, err := s.Outbox(t.Context(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, r := range rows {
		have[r.DedupID] = true
	}
	for i := 0; i <= last; i++ {
		for j := range 10 {
			if id := fmt.Sprintf("c/a/k%d-%d", i, j); !have[id] {
				t.Fatalf("message %s of committed batch %d is lost", id, i)
			}
		}
	}
}

// killChild ingests batches until it is killed, saying after each commit
// which batch it was.
func killChild(path string) {
	s, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for i := 0; i < 100000; i++ {
		msgs := make([]sdk.Message, 10)
		for j := range msgs {
			msgs[j] = sdk.Message{ExternalID: fmt.Sprintf("k%d-%d", i, j), Thread: fmt.Sprintf("t%d", j), Sender: sdk.Party{ID: fmt.Sprintf("b%d", j)}, Text: "x"}
		}
		if _, err := s.Ingest(context.Background(), store.IngestBatch{Connector: "c", Account: "a", Messages: msgs,
			Cursor: []byte(fmt.Sprintf("c%d", i)), ReceivedAt: time.Unix(1e9+int64(i), 0)}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Printf("committed %d\n", i)
	}
	os.Exit(0)
}

var benchStores = []struct {
	name string
	open func(testing.TB) store.Store
}{
	{"sqlite", func(tb testing.TB) store.Store { return openSQLite(tb, "") }},
	{"sqlite-sync-full", func(tb testing.TB) store.Store { return openSQLite(tb, "?synchronous=full") }},
	{"postgres", openPostgres},
}

var benchStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// benchBatch is the i-th poll of a busy account: 100 messages, two to a
// thread, from a pool of 5000 buyers.
func benchBatch(i int) store.IngestBatch {
	msgs := make([]sdk.Message, 100)
	for j := range msgs {
		k := i*len(msgs) + j
		msgs[j] = sdk.Message{ExternalID: "m" + strconv.Itoa(k), Channel: "discussions", Thread: "t" + strconv.Itoa(k/2), Direction: sdk.Inbound,
			Sender: sdk.Party{ID: "buyer" + strconv.Itoa(k%5000), Name: "Anna Nowak"}, Text: "Dzień dobry, kiedy wyślecie moje zamówienie?",
			SentAt: benchStart, Language: "pl"}
	}
	return store.IngestBatch{Connector: "allegro", Account: "shop_pl", Messages: msgs, Cursor: []byte("cursor-" + strconv.Itoa(i)),
		ReceivedAt: benchStart.Add(time.Duration(i) * time.Second)}
}

// BenchmarkIngest stores batches of 100 new messages, each one transaction
// with threads, contacts, outbox rows and the cursor.
func BenchmarkIngest(b *testing.B) {
	for _, db := range benchStores {
		b.Run(db.name, func(b *testing.B) {
			s := db.open(b)
			defer s.Close()
			ctx := context.Background()
			rows0, msgs := rowsWritten(b, s), 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				batch := benchBatch(i)
				got, err := s.Ingest(ctx, batch)
				if err != nil || len(got) != len(batch.Messages) {
					b.Fatalf("Ingest: %d new, %v", len(got), err)
				}
				msgs += len(got)
			}
			b.StopTimer()
			b.ReportMetric(float64(msgs)/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(float64(rowsWritten(b, s)-rows0)/float64(msgs), "rows/msg")
		})
	}
}

// BenchmarkPlanAndFinish runs the second half for one message: plan a tag
// and a reply due at once (Plan begins both), finish them (the reply
// recorded in the thread).
func BenchmarkPlanAndFinish(b *testing.B) {
	for _, db := range benchStores {
		b.Run(db.name, func(b *testing.B) {
			s := db.open(b)
			defer s.Close()
			ctx := context.Background()
			var pending []store.Ingested
			steps := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if len(pending) == 0 {
					b.StopTimer()
					got, err := s.Ingest(ctx, benchBatch(i))
					if err != nil {
						b.Fatal(err)
					}
					pending = got
					b.StartTimer()
				}
				in := pending[0]
				pending = pending[1:]
				now := benchStart.Add(time.Duration(i) * time.Second)
				tag := workflow.Planned{Key: workflow.StepKey(in.MessageID, "ack", "tag"), MessageID: in.MessageID, Workflow: "ack", Step: "tag", DueAt: now}
				reply := workflow.Planned{Key: workflow.StepKey(in.MessageID, "ack", "reply"), MessageID: in.MessageID, Workflow: "ack", Step: "reply", DueAt: now}
				if begun, err := s.Plan(ctx, in.MessageID, workflow.Decision{Steps: []workflow.Planned{tag, reply}}, now); err != nil || len(begun) != 2 {
					b.Fatalf("Plan began %d steps: %v", len(begun), err)
				}
				if err := s.Finish(ctx, tag.Key, 1, store.Result{Kind: store.ResultApplied, At: now, Tags: []string{"acknowledged"}}); err != nil {
					b.Fatal(err)
				}
				if err := s.Finish(ctx, reply.Key, 1, store.Result{Kind: store.ResultSent, At: now, ExternalID: "sent-" + in.MessageID,
					Reply: &sdk.OutboundMessage{Channel: "discussions", Text: "Dziękujemy, odpowiemy wkrótce."}}); err != nil {
					b.Fatal(err)
				}
				steps += 2
			}
			b.StopTimer()
			b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "steps/s")
		})
	}
}

// BenchmarkPrune measures one batch of message_retention as the hub runs
// it: 1,000 messages (500 answered questions and their replies) deleted in
// one transaction with their steps, verdicts and explanations, and the
// buyers not heard from since blanked. On SQLite the batch's time is how
// long a prune holds the one writer; PostgreSQL locks only its rows.
func BenchmarkPrune(b *testing.B) {
	const batch = 1000 // the hub's pruneBatch
	for _, db := range benchStores[:1] {
		b.Run(db.name, func(b *testing.B) {
			s := db.open(b)
			defer s.Close()
			ctx := context.Background()
			pruned, poll := 0, 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				for range batch / 2 / 100 {
					got, err := s.Ingest(ctx, benchBatch(poll))
					if err != nil {
						b.Fatal(err)
					}
					poll++
					now := benchStart.Add(time.Duration(poll) * time.Second)
					for _, in := range got {
						reply := workflow.Planned{Key: workflow.StepKey(in.MessageID, "ack", "reply"), MessageID: in.MessageID, Workflow: "ack", Step: "reply", DueAt: now}
						if _, err := s.Plan(ctx, in.MessageID, workflow.Decision{Steps: []workflow.Planned{reply}}, now); err != nil {
							b.Fatal(err)
						}
						if err := s.Finish(ctx, reply.Key, 1, store.Result{Kind: store.ResultSent, At: now, ExternalID: "sent-" + in.MessageID,
							Reply: &sdk.OutboundMessage{Channel: "discussions", Text: "Dziękujemy, odpowiemy wkrótce."}}); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.StartTimer()
				got, err := s.Prune(ctx, benchStart.Add(time.Duration(poll+1)*time.Second), batch)
				if err != nil || got.Messages != batch {
					b.Fatalf("Prune: %+v, %v; want the %d messages", got, err, batch)
				}
				pruned += got.Messages
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/batch")
			b.ReportMetric(float64(pruned)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

func rowsWritten(tb testing.TB, s store.Store) int64 {
	st, err := s.Stats(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return st.RowsWritten
}

// An ingest that waits on a contact while a prune blanks it takes the
// sender for a new contact: the blanked one lost the identity the ingest
// found it by, and must not get the sender's name back without it. The
// test takes the prune's part by hand, holding the contact's lock until
// the ingest waits for it.
func TestPostgresIngestWaitingOnAPruneMakesANewContact(t *testing.T) {
	t.Parallel()
	dsn, admin := storetest.Postgres(t)
	dsn, app := storetest.Sessions(t, dsn, "storetest_prunerace")
	schema := storetest.Schema(t, admin, "storetest")
	s, err := store.Open(t.Context(), dsn, store.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	from := func(id string, at time.Time) (store.Ingested, error) {
		got, err := s.Ingest(t.Context(), store.IngestBatch{Connector: "webhook", Account: "shop", ReceivedAt: at, Messages: []sdk.Message{{
			ExternalID: id, Thread: "t-" + id, Channel: "webhook", Direction: sdk.Inbound, Text: "hello",
			Sender: sdk.Party{ID: "bob", Name: "Bob"}, SentAt: at,
		}}})
		if err == nil && len(got) != 1 {
			err = fmt.Errorf("ingest %s stored %d messages", id, len(got))
		}
		if err != nil {
			return store.Ingested{}, err
		}
		return got[0], nil
	}
	first, err := from("m1", t0)
	if err != nil {
		t.Fatal(err)
	}

	prune, err := admin.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer prune.Rollback()
	contacts := pgx.Identifier{schema, "contacts"}.Sanitize()
	if _, err := prune.Exec("SELECT id FROM "+contacts+" WHERE id = $1 FOR UPDATE", first.ContactID); err != nil {
		t.Fatal(err)
	}
	type result struct {
		in  store.Ingested
		err error
	}
	again := make(chan result, 1)
	go func() {
		in, err := from("m2", t0.Add(30*24*time.Hour))
		again <- result{in, err}
	}()
	for waiting := false; !waiting; {
		select {
		case r := <-again:
			t.Fatalf("the ingest did not wait for the contact's lock: %+v", r)
		case <-time.After(10 * time.Millisecond):
		}
		if err := admin.QueryRow("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock')", app).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := prune.Exec("DELETE FROM "+pgx.Identifier{schema, "contact_identities"}.Sanitize()+" WHERE contact_id = $1", first.ContactID); err != nil {
		t.Fatal(err)
	}
	if _, err := prune.Exec("UPDATE "+contacts+" SET name = '', pruned = TRUE WHERE id = $1", first.ContactID); err != nil {
		t.Fatal(err)
	}
	if err := prune.Commit(); err != nil {
		t.Fatal(err)
	}
	r := <-again
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.in.ContactID == first.ContactID {
		t.Errorf("bob, blanked while his message waited, was stored as the blanked contact %s", first.ContactID)
	}
	var name string
	if err := admin.QueryRow("SELECT name FROM "+contacts+" WHERE id = $1", first.ContactID).Scan(&name); err != nil || name != "" {
		t.Errorf("the blanked contact's name: %q, %v", name, err)
	}
	third, err := from("m3", t0.Add(31*24*time.Hour))
	if err != nil || third.ContactID != r.in.ContactID {
		t.Errorf("bob's next message: contact %s (%v), want the new contact %s", third.ContactID, err, r.in.ContactID)
	}
}
