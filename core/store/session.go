package store

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStatements bounds a session's prepared statements: the store's
// queries are a few dozen, but batch inserts vary with the batch's size.
const maxCachedStatements = 512

// session is one SQLite connection held for the store's lifetime, with the
// statements prepared on it. SQLite spends as long parsing a statement as
// running a small one, and database/sql's own statement cache cannot serve
// a pool of one writer connection inside its transactions.
type session struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
}

func newSession(ctx context.Context, db *sql.DB) (*session, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &session{conn: conn, stmts: map[string]*sql.Stmt{}}, nil
}

// prepare returns q prepared on the session's connection, preparing it
// the first time.
func (s *session) prepare(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := s.stmts[q]; ok {
		return st, nil
	}
	st, err := s.conn.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	s.stmts[q] = st
	return st, nil
}

// stmt returns the store's statement q prepared, or nil when it is not
// worth keeping (no arguments: DDL and scripts; or the cache is full) or
// could not be prepared (running it unprepared reports why).
func (s *session) stmt(ctx context.Context, q string, args []any) *sql.Stmt {
	if _, ok := s.stmts[q]; !ok && (len(args) == 0 || len(s.stmts) >= maxCachedStatements) {
		return nil
	}
	st, _ := s.prepare(ctx, q)
	return st
}

// exec runs a statement without arguments (BEGIN, COMMIT, ROLLBACK).
func (s *session) exec(ctx context.Context, q string) error {
	st, err := s.prepare(ctx, q)
	if err == nil {
		_, err = st.ExecContext(ctx)
	}
	return err
}

func (s *session) close() error {
	for _, st := range s.stmts {
		st.Close()
	}
	return s.conn.Close()
}

// sessions is a pool of read sessions.
type sessions struct {
	free chan *session
	all  []*session
	once sync.Once
}

func newSessions(ctx context.Context, db *sql.DB, n int) (*sessions, error) {
	p := &sessions{free: make(chan *session, n)}
	for range n {
		s, err := newSession(ctx, db)
		if err != nil {
			p.close()
			return nil, err
		}
		p.all = append(p.all, s)
		p.free <- s
	}
	return p, nil
}

func (p *sessions) get(ctx context.Context) (*session, error) {
	select {
	case s := <-p.free:
		return s, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *sessions) put(s *session) { p.free <- s }

func (p *sessions) close() error {
	var err error
	p.once.Do(func() {
		for _, s := range p.all {
			if e := s.close(); e != nil && err == nil {
				err = e
			}
		}
	})
	return err
}
