package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/switchboard-hub/switchboard/core/config"
	"github.com/switchboard-hub/switchboard/core/workflow"
)

// ClaimReply decides as workflow.MemClaims does, with the same reasons, but
// in the database: the thread's reply_claims row (and, when a breaker
// limit is set, the workflow's reply_breakers row) is written, and so
// locked, before the decision, so two workers claiming for one thread, on
// one node or many, decide one after the other. Every verdict is kept by
// step key, and a claim with a known key gets the verdict it got before,
// marked Repeated.
func (s *sqlStore) ClaimReply(ctx context.Context, c workflow.ReplyClaim) (workflow.Verdict, error) {
	var v workflow.Verdict
	what := fmt.Sprintf("claim a reply to thread %s for step %q", c.ThreadID, c.Key)
	switch {
	case c.Key == "" || c.ThreadID == "":
		return v, fmt.Errorf("store: %s: the claim needs a step key and a thread", what)
	case c.At.IsZero():
		return v, fmt.Errorf("store: %s: the claim has no time", what)
	}
	// conflicts: two claims with one key race to record the verdict — for
	// two threads (which lock different rows), or on PostgreSQL for one
	// thread (see below); the loser runs again and finds it.
	err := s.write(ctx, what, true, func(t *tx) error {
		// The row is created or touched, and so locked (on PostgreSQL), in
		// one statement, so that the lock holds even for a thread's first
		// claim. The verdict of an earlier claim with this key comes with
		// it. On PostgreSQL, one that a concurrent claim committed while
		// this one waited for the lock is not seen (the statement's
		// snapshot is older): this claim then fails to record its own
		// verdict, and runs again (conflicts) to find it.
		var (
			last   nanos
			ok     sql.NullBool
			reason sql.NullString
		)
		if err := t.queryRow(ctx, `INSERT INTO reply_claims (thread_id) VALUES (?)
ON CONFLICT (thread_id) DO UPDATE SET thread_id = excluded.thread_id
RETURNING claimed_at, (SELECT ok FROM reply_verdicts WHERE step_key = ?), (SELECT reason FROM reply_verdicts WHERE step_key = ?)`,
			c.ThreadID, c.Key, c.Key).Scan(&last, &ok, &reason); err != nil {
			return fmt.Errorf("lock claim row: %w", err)
		}
		t.wrote(1)
		if ok.Valid {
			v = workflow.Verdict{OK: ok.Bool, Reason: reason.String, Repeated: true}
			return nil
		}
		var b *breaker
		if c.BreakerLimit > 0 {
			b = &breaker{}
			if err := t.queryRow(ctx, `INSERT INTO reply_breakers (workflow) VALUES (?)
ON CONFLICT (workflow) DO UPDATE SET workflow = excluded.workflow RETURNING total, expired, mark`, c.Workflow).Scan(&b.total, &b.expired, &b.mark); err != nil {
				return fmt.Errorf("lock breaker row: %w", err)
			}
			t.wrote(1)
		}
		var err error
		if v, err = s.decide(ctx, t, c, last.Time(), b); err != nil {
			return err
		}
		if _, err := t.exec(ctx, "INSERT INTO reply_verdicts (step_key, thread_id, workflow, at, ok, reason) VALUES (?, ?, ?, ?, ?, ?)",
			c.Key, c.ThreadID, c.Workflow, stamp(c.At), v.OK, v.Reason); err != nil {
			return fmt.Errorf("record verdict: %w", err)
		}
		if !v.OK {
			if b != nil && b.moved {
				return b.save(ctx, t, c.Workflow)
			}
			return nil
		}
		// The granted verdict is what the breaker counts (the partial index
		// reply_verdicts_granted).
		if _, err := t.exec(ctx, "UPDATE reply_claims SET claimed_at = ?, step_key = ? WHERE thread_id = ?", stamp(c.At), c.Key, c.ThreadID); err != nil {
			return fmt.Errorf("record claim: %w", err)
		}
		if b != nil {
			b.total++
			if c.At.UnixNano() <= b.mark {
				b.expired++
			}
			return b.save(ctx, t, c.Workflow)
		}
		// Counted without a breaker too, for when one is configured.
		if _, err := t.exec(ctx, `INSERT INTO reply_breakers (workflow, total) VALUES (?, 1) ON CONFLICT (workflow) DO UPDATE
SET total = reply_breakers.total + 1, expired = reply_breakers.expired + CASE WHEN ? <= reply_breakers.mark THEN 1 ELSE 0 END`,
			c.Workflow, c.At.UnixNano()); err != nil {
			return fmt.Errorf("count reply for the breaker: %w", err)
		}
		return nil
	})
	if err != nil {
		return workflow.Verdict{}, err
	}
	return v, nil
}

func (s *sqlStore) decide(ctx context.Context, t *tx, c workflow.ReplyClaim, last time.Time, b *breaker) (workflow.Verdict, error) {
	if !last.IsZero() && c.Window > 0 && c.At.Sub(last) < c.Window {
		return workflow.Verdict{Reason: fmt.Sprintf("reply window: an automatic reply went to this thread at %s, within %s",
			last.UTC().Format(time.RFC3339), config.FormatDuration(c.Window))}, nil
	}
	if b != nil {
		recent, err := b.recent(ctx, t, c.Workflow, c.At.Add(-c.BreakerPer).UnixNano())
		if err != nil {
			return workflow.Verdict{}, err
		}
		if recent >= int64(c.BreakerLimit) {
			return workflow.Verdict{Reason: workflow.BreakerReason(c.Workflow, int(recent), c.BreakerPer, c.BreakerLimit)}, nil
		}
	}
	return workflow.Verdict{OK: true}, nil
}

// breaker is a workflow's reply_breakers row: of the total replies it
// recorded, expired were at or before mark. Replies after mark number
// total - expired, so counting those within a period means counting only
// the few that passed out of it since the last claim, not all of them.
type breaker struct {
	total, expired, mark int64
	moved                bool // mark moved: the row needs saving
}

// recent returns how many replies were after since (a reply at t counts
// while at - t < per, that is t > at - per), moving mark forward to since
// (saved with the claim's outcome).
// Claims are nearly in time order; one from a clock behind mark counts the
// replies between since and mark on top.
func (b *breaker) recent(ctx context.Context, t *tx, workflowName string, since int64) (int64, error) {
	// The bare "ok" matches the partial index's condition in both dialects.
	const between = "SELECT COUNT(*) FROM reply_verdicts WHERE workflow = ? AND ok AND at > ? AND at <= ?"
	var n int64
	if since > b.mark {
		if err := t.queryRow(ctx, between, workflowName, b.mark, since).Scan(&n); err != nil {
			return 0, fmt.Errorf("count replies for the breaker: %w", err)
		}
		b.expired += n
		b.mark = since
		b.moved = true
		return b.total - b.expired, nil
	}
	if since < b.mark {
		if err := t.queryRow(ctx, between, workflowName, since, b.mark).Scan(&n); err != nil {
			return 0, fmt.Errorf("count replies for the breaker: %w", err)
		}
	}
	return b.total - b.expired + n, nil
}

func (b *breaker) save(ctx context.Context, t *tx, workflowName string) error {
	if _, err := t.exec(ctx, "UPDATE reply_breakers SET total = ?, expired = ?, mark = ? WHERE workflow = ?", b.total, b.expired, b.mark, workflowName); err != nil {
		return fmt.Errorf("record the breaker's count: %w", err)
	}
	return nil
}
