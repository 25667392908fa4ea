package store

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"
)

// maxGroup bounds how many write transactions one commit carries.
const maxGroup = 256

// groupCommitter runs SQLite's write transactions on the one writer
// connection, committing together those that wait at the same time. A
// caller is answered only after the commit that holds its work, so a
// transaction reported done is durable as before, and a failed commit fails
// every one in it. Under load a commit carries many transactions, and its
// cost (the WAL frames of every page touched, the lock, the fsync with
// synchronous=full) is paid once for all of them; alone, a transaction
// commits at once.
//
// Each transaction must still be a unit. One that fails having written
// nothing (most failures: a step not claimable, a row not found; see
// tx.dirty) leaves the others be. One that fails after writing cannot be
// undone alone without a savepoint around every transaction, whose page
// copies would cost more than they save; instead the group is rolled back
// and each of its transactions runs again in a commit of its own, which
// the store's transactions allow: they decide from what they read, and are
// run again after conflicts anyway.
type groupCommitter struct {
	sess *session
	d    *dialect
	log  hclog.Logger // where a panicking transaction's stack goes
	reqs chan *writeReq
	// committed, when set, is called after every commit (from the loop;
	// it must not block).
	committed func()

	// statements counts those the transactions ran (Stats.WriteStatements).
	statements atomic.Int64

	mu      sync.Mutex // held while the connection is in use
	once    sync.Once
	done    chan struct{} // closed by close: take no more work
	stopped chan struct{} // closed when the loop has returned
}

type writeReq struct {
	ctx     context.Context
	fn      func(*tx) error
	written int64
	err     error
	done    chan struct{}
}

func newGroupCommitter(sess *session, d *dialect, log hclog.Logger) *groupCommitter {
	g := &groupCommitter{sess: sess, d: d, log: log, reqs: make(chan *writeReq, maxGroup),
		done: make(chan struct{}), stopped: make(chan struct{})}
	go g.loop()
	return g
}

var errStoreClosed = errors.New("the store is closed")

// run runs fn in a write transaction and returns once it is committed or
// has failed, with the rows it wrote.
func (g *groupCommitter) run(ctx context.Context, fn func(*tx) error) (int64, error) {
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan struct{})}
	select {
	case g.reqs <- r:
	case <-g.done:
		return 0, errStoreClosed
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	select {
	case <-r.done: // once taken, a transaction is answered: it may commit
	case <-g.stopped:
		select {
		case <-r.done:
		default:
			return 0, errStoreClosed // never taken
		}
	}
	return r.written, r.err
}

// loop commits, each time, every transaction that waits. It never waits
// for more to come: those that come while a commit runs make the next
// group, so a group grows with the load by itself, and a wait (tried: 0.25
// to 2 ms) only added to every transaction's latency without raising the
// rate.
func (g *groupCommitter) loop() {
	defer close(g.stopped)
	for {
		var first *writeReq
		select {
		case <-g.done:
			return
		default:
		}
		select {
		case first = <-g.reqs:
		case <-g.done:
			return
		}
		group := []*writeReq{first}
	more:
		for len(group) < maxGroup {
			select {
			case r := <-g.reqs:
				group = append(group, r)
			default:
				break more
			}
		}
		g.mu.Lock()
		g.commit(group)
		g.mu.Unlock()
		for _, r := range group {
			close(r.done)
		}
	}
}

// commit runs a group in one transaction, or each of its transactions in
// one of its own when one of them failed after writing. Statements run on a
// context that is never cancelled: SQLite answers an interrupted write by
// rolling back the whole transaction, which holds other callers' work.
func (g *groupCommitter) commit(group []*writeReq) {
	if !g.commitGroup(group) {
		for _, r := range group {
			r.err, r.written = nil, 0
			g.commitGroup([]*writeReq{r})
		}
	}
}

// commitGroup reports false when it rolled back the group because one of
// several transactions failed after writing.
func (g *groupCommitter) commitGroup(group []*writeReq) bool {
	ctx := context.Background()
	// A failed commit fails every member, those that failed on what they
	// read too: what they read was never committed.
	fail := func(err error) {
		for _, r := range group {
			r.err, r.written = err, 0
		}
		// Harmless when the transaction is gone already.
		_ = g.sess.exec(ctx, "ROLLBACK")
	}
	if err := g.sess.exec(ctx, "BEGIN IMMEDIATE"); err != nil {
		fail(fmt.Errorf("begin: %w", err))
		return true
	}
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			continue
		}
		t := &tx{q: g.sess.conn, sess: g.sess, d: g.d}
		r.err = g.runRecovering(r.fn, t)
		g.statements.Add(t.statements)
		if r.err == nil {
			r.written = t.written
			continue
		}
		if t.dirty {
			if len(group) > 1 {
				_ = g.sess.exec(ctx, "ROLLBACK")
				return false
			}
			// Alone, its failure is its transaction's end.
			_ = g.sess.exec(ctx, "ROLLBACK")
			return true
		}
	}
	if err := g.sess.exec(ctx, "COMMIT"); err != nil {
		fail(fmt.Errorf("commit: %w", err))
		return true
	}
	if g.committed != nil {
		g.committed()
	}
	return true
}

// runRecovering runs fn, turning a panic into its error: the writer's
// goroutine serves every caller, and one caller's bug must not stop the
// store. A panic counts as having written, so that its group is rolled
// back and its other members run again without it.
func (g *groupCommitter) runRecovering(fn func(*tx) error, t *tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			t.dirty = true
			g.log.Error("a store transaction panicked; its caller gets an error", "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("the transaction panicked: %v", p)
		}
	}()
	return fn(t)
}

// read runs fn in a read transaction on the writer connection, for
// in-memory databases that have no other.
func (g *groupCommitter) read(ctx context.Context, fn func(*tx) error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return readOn(ctx, g.sess, g.d, fn)
}

// close lets the group being committed finish, answers the waiting ones
// with errStoreClosed, and closes the connection.
func (g *groupCommitter) close() error {
	var err error
	g.once.Do(func() {
		close(g.done)
		<-g.stopped
		err = g.sess.close()
	})
	return err
}

// readOn runs fn in a read transaction on one session.
func readOn(ctx context.Context, s *session, d *dialect, fn func(*tx) error) error {
	bg := context.WithoutCancel(ctx)
	if err := s.exec(bg, "BEGIN"); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer s.exec(bg, "ROLLBACK")
	return fn(&tx{q: s.conn, sess: s, d: d})
}
