package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/hashicorp/go-hclog"
)

// checkpointEvery spaces the checkpointer's runs while the writer commits.
const checkpointEvery = 50 * time.Millisecond

// checkpointer copies SQLite's WAL into the database file from a connection
// of its own, a little after every burst of commits. Left to the writer,
// the copy happens inside the commit that fills the WAL to 1,000 pages,
// and every write transaction waits for it (tens of milliseconds with its
// fsyncs, the whole path's p99). A passive checkpoint beside the writer
// blocks no one; the writer's own automatic checkpoint stays as a backstop
// and finds little left to copy.
type checkpointer struct {
	db   *sql.DB
	log  hclog.Logger
	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

func newCheckpointer(db *sql.DB, log hclog.Logger) *checkpointer {
	c := &checkpointer{db: db, log: log, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c
}

// committed tells the checkpointer that the WAL grew.
func (c *checkpointer) committed() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) loop() {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
		var busy, frames, copied int
		if err := c.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
			c.log.Warn("checkpointing the WAL failed; the writer will checkpoint instead", "error", err)
		}
		t := time.NewTimer(checkpointEvery)
		select {
		case <-c.stop:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	return c.db.Close()
}
