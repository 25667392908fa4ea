package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGroupCommitKeepsEachTransactionAUnit queues transactions behind one
// that holds the writer, so that they commit as one group, and checks that
// those that failed — before or after writing, with or without RETURNING —
// left nothing, and that the others are all there.
func TestGroupCommitKeepsEachTransactionAUnit(t *testing.T) {
	ctx := context.Background()
	s := scratchStore(t)
	insert := func(t *tx, n int) error {
		_, err := t.exec(ctx, "INSERT INTO scratch (n) VALUES (?)", n)
		return err
	}

	gate := make(chan struct{})
	holding := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = s.write(ctx, "hold", false, func(t *tx) error {
			close(holding)
			<-gate
			return insert(t, 1000)
		})
	}()
	<-holding

	const n = 30
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.write(ctx, "scratch", false, func(t *tx) error {
				switch i % 6 {
				case 1: // fails before writing
					return fmt.Errorf("refused %d", i)
				case 2: // fails after writing
					if err := insert(t, i); err != nil {
						return err
					}
					return fmt.Errorf("undone %d", i)
				case 3: // fails after writing with RETURNING
					var n int
					if err := t.queryRow(ctx, "INSERT INTO scratch (n) VALUES (?) RETURNING n", i).Scan(&n); err != nil {
						return err
					}
					return fmt.Errorf("undone %d", i)
				case 4: // fails after a statement that failed
					if _, err := t.exec(ctx, "INSERT INTO scratch (n) VALUES (?)", 1000); err == nil {
						return errors.New("inserted a key twice")
					}
					return fmt.Errorf("refused %d", i)
				case 5: // panics after writing: an error, not a crash
					if err := insert(t, i); err != nil {
						return err
					}
					panic(fmt.Sprintf("bug %d", i))
				}
				return insert(t, i)
			})
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(s.writer.reqs) < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d transactions queued", len(s.writer.reqs), n)
		}
		time.Sleep(time.Millisecond)
	}
	close(gate)
	wg.Wait()

	var got []int
	if err := s.read(ctx, "list", func(t *tx) error {
		rows, err := t.query(ctx, "SELECT n FROM scratch WHERE n < ? ORDER BY n", 1000)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				return err
			}
			got = append(got, v)
		}
		return rows.Err()
	}); err != nil {
		t.Fatal(err)
	}
	var want []int
	for i := range n {
		switch {
		case i%6 == 0 && errs[i] != nil:
			t.Errorf("transaction %d: %v", i, errs[i])
		case i%6 != 0 && errs[i] == nil:
			t.Errorf("transaction %d failed but the store reported no error", i)
		case i%6 == 5 && !strings.Contains(errs[i].Error(), "panicked: bug"):
			t.Errorf("transaction %d panicked, and the store reported %v", i, errs[i])
		case i%6 == 0:
			want = append(want, i)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("stored %v, want %v", got, want)
	}
}

// TestGroupCommitKeepsAGroupWhenAFailureWroteNothing: a transaction that
// fails after statements that changed nothing (a write that matched no row,
// a write with RETURNING that returned none, a read) leaves the group be:
// the others commit with it, each run once.
func TestGroupCommitKeepsAGroupWhenAFailureWroteNothing(t *testing.T) {
	ctx := context.Background()
	s := scratchStore(t)
	gate, holding := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = s.write(ctx, "hold", false, func(t *tx) error {
			close(holding)
			<-gate
			return nil
		})
	})
	<-holding
	var runs [2]atomic.Int32
	errs := make([]error, 3)
	for i := range 3 {
		wg.Go(func() {
			errs[i] = s.write(ctx, "scratch", false, func(t *tx) error {
				if i < 2 {
					runs[i].Add(1)
					_, err := t.exec(ctx, "INSERT INTO scratch (n) VALUES (?)", i)
					return err
				}
				if _, err := t.exec(ctx, "UPDATE scratch SET n = n WHERE n = ?", -1); err != nil {
					return err
				}
				var n int
				if err := t.queryRow(ctx, "UPDATE scratch SET n = n WHERE n = ? RETURNING n", -1).Scan(&n); !errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("UPDATE … RETURNING of no row: %v", err)
				}
				if err := t.queryRow(ctx, "SELECT COUNT(*) FROM scratch").Scan(&n); err != nil {
					return err
				}
				return errors.New("refused")
			})
		})
		// Queued in order: the failure runs after the others in the group.
		deadline := time.Now().Add(10 * time.Second)
		for len(s.writer.reqs) < i+1 {
			if time.Now().After(deadline) {
				t.Fatal("the transactions did not queue")
			}
			time.Sleep(time.Millisecond)
		}
	}
	close(gate)
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || errs[2] == nil || errs[2].Error() != "store: scratch: refused" {
		t.Fatalf("errors %v, want the third transaction refused alone", errs)
	}
	for i := range runs {
		if n := runs[i].Load(); n != 1 {
			t.Errorf("transaction %d ran %d times, want once: the group was rolled back", i, n)
		}
	}
}

// TestGroupCommitFailsEveryMemberWhenTheCommitFails: a COMMIT that fails
// (here a deferred foreign key that one member broke) fails every member of
// the group, leaves nothing of any, and leaves the writer ready for the
// next transaction.
func TestGroupCommitFailsEveryMemberWhenTheCommitFails(t *testing.T) {
	ctx := context.Background()
	s := scratchStore(t)
	if err := s.write(ctx, "create", false, func(t *tx) error {
		_, err := t.exec(ctx, "CREATE TABLE child (parent INTEGER REFERENCES scratch (n) DEFERRABLE INITIALLY DEFERRED)")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	gate, holding := make(chan struct{}), make(chan struct{})
	errs := make([]error, 4)
	var wg sync.WaitGroup
	wg.Go(func() {
		errs[0] = s.write(ctx, "hold", false, func(t *tx) error {
			close(holding)
			<-gate
			_, err := t.exec(ctx, "INSERT INTO scratch (n) VALUES (?)", 1)
			return err
		})
	})
	<-holding
	for i := 1; i < len(errs); i++ {
		wg.Go(func() {
			errs[i] = s.write(ctx, "member", false, func(t *tx) error {
				if i == 2 { // a child of no parent: refused only at COMMIT
					_, err := t.exec(ctx, "INSERT INTO child (parent) VALUES (?)", -1)
					return err
				}
				_, err := t.exec(ctx, "INSERT INTO scratch (n) VALUES (?)", 10+i)
				return err
			})
		})
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(s.writer.reqs) < len(errs)-1 {
		if time.Now().After(deadline) {
			t.Fatal("the transactions did not queue")
		}
		time.Sleep(time.Millisecond)
	}
	close(gate)
	wg.Wait()
	// The holder commits alone, before the others queued; the three after
	// it make one group, whose commit fails.
	if errs[0] != nil {
		t.Errorf("the first transaction, alone in its commit: %v", errs[0])
	}
	for i, err := range errs[1:] {
		if err == nil || !strings.Contains(err.Error(), "commit: ") || !strings.Contains(err.Error(), "FOREIGN KEY") {
			t.Errorf("member %d of the group whose commit failed: %v; want the commit's error", i+1, err)
		}
	}
	var scratch, children int
	if err := s.write(ctx, "count", false, func(t *tx) error {
		if err := t.queryRow(ctx, "SELECT COUNT(*) FROM scratch").Scan(&scratch); err != nil {
			return err
		}
		return t.queryRow(ctx, "SELECT COUNT(*) FROM child").Scan(&children)
	}); err != nil {
		t.Fatalf("a transaction after the failed commit: %v", err)
	}
	if scratch != 1 || children != 0 {
		t.Errorf("after the failed commit: %d scratch rows and %d children; want only the first transaction's row", scratch, children)
	}
}

// scratchStore opens a SQLite store with a table of its own, scratch (n),
// closed when the test ends.
func scratchStore(t *testing.T) *sqlStore {
	t.Helper()
	ctx := context.Background()
	st, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "hub.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := st.(*sqlStore)
	if err := s.write(ctx, "create", false, func(t *tx) error {
		_, err := t.exec(ctx, "CREATE TABLE scratch (n INTEGER PRIMARY KEY)")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestGroupCommitAfterClose answers a transaction sent after Close.
func TestGroupCommitAfterClose(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "hub.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*sqlStore)
	st.Close()
	err = s.write(ctx, "late", false, func(t *tx) error { return nil })
	if !errors.Is(err, errStoreClosed) {
		t.Errorf("write after Close: %v, want %v", err, errStoreClosed)
	}
}
