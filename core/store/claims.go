package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-hub/switchboard/core/config"
	"github.com/switchboard-hub/switchboard/core/workflow"
)

// ClaimReply decides as workflow.MemClaims does, with the same reasons, but
// in the database: the thread's reply_claims row (and, when a breaker
// limit is set, the workflow's reply_breakers row) is locked before the
// decision, so two workers claiming for one thread, on one node or many,
// decide one after the other. Every verdict is kept by step key, and a
// claim with a known key gets the verdict it got before.
func (s *sqlStore) ClaimReply(ctx context.Context, c workflow.ReplyClaim) (workflow.Verdict, error) {
	var v workflow.Verdict
	what := fmt.Sprintf("claim a reply to thread %s for step %q", c.ThreadID, c.Key)
	switch {
	case c.Key == "" || c.ThreadID == "":
		return v, fmt.Errorf("store: %s: the claim needs a step key and a thread", what)
	case c.At.IsZero():
		return v, fmt.Errorf("store: %s: the claim has no time", what)
	}
	// conflicts: two claims with one key for two threads (which lock
	// different rows) race to record the verdict; the loser runs again and
	// finds it.
	err := s.write(ctx, what, true, func(t *tx) error {
		// The row exists before it is locked, so that the lock holds even
		// for a thread's first claim.
		if _, err := t.exec(ctx, "INSERT INTO reply_claims (thread_id) VALUES (?) ON CONFLICT DO NOTHING", c.ThreadID); err != nil {
			return fmt.Errorf("create claim row: %w", err)
		}
		var last nanos
		if err := t.queryRow(ctx, "SELECT claimed_at FROM reply_claims WHERE thread_id = ?"+s.d.forUpdate(), c.ThreadID).Scan(&last); err != nil {
			return fmt.Errorf("lock claim row: %w", err)
		}
		if c.BreakerLimit > 0 {
			if _, err := t.exec(ctx, "INSERT INTO reply_breakers (workflow) VALUES (?) ON CONFLICT DO NOTHING", c.Workflow); err != nil {
				return fmt.Errorf("create breaker row: %w", err)
			}
			var w string
			if err := t.queryRow(ctx, "SELECT workflow FROM reply_breakers WHERE workflow = ?"+s.d.forUpdate(), c.Workflow).Scan(&w); err != nil {
				return fmt.Errorf("lock breaker row: %w", err)
			}
		}
		// Asked after the locks: a concurrent claim with this key has
		// committed its verdict by now.
		err := t.queryRow(ctx, "SELECT ok, reason FROM reply_verdicts WHERE step_key = ?", c.Key).Scan(&v.OK, &v.Reason)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read verdict: %w", err)
		}
		if v, err = s.decide(ctx, t, c, last.Time()); err != nil {
			return err
		}
		if _, err := t.exec(ctx, "INSERT INTO reply_verdicts (step_key, thread_id, workflow, at, ok, reason) VALUES (?, ?, ?, ?, ?, ?)",
			c.Key, c.ThreadID, c.Workflow, stamp(c.At), v.OK, v.Reason); err != nil {
			return fmt.Errorf("record verdict: %w", err)
		}
		if !v.OK {
			return nil
		}
		if _, err := t.exec(ctx, "UPDATE reply_claims SET claimed_at = ?, step_key = ? WHERE thread_id = ?", stamp(c.At), c.Key, c.ThreadID); err != nil {
			return fmt.Errorf("record claim: %w", err)
		}
		if _, err := t.exec(ctx, "INSERT INTO reply_breaker_events (step_key, workflow, at) VALUES (?, ?, ?)", c.Key, c.Workflow, stamp(c.At)); err != nil {
			return fmt.Errorf("record reply for the breaker: %w", err)
		}
		return nil
	})
	if err != nil {
		return workflow.Verdict{}, err
	}
	return v, nil
}

func (s *sqlStore) decide(ctx context.Context, t *tx, c workflow.ReplyClaim, last time.Time) (workflow.Verdict, error) {
	if !last.IsZero() && c.Window > 0 && c.At.Sub(last) < c.Window {
		return workflow.Verdict{Reason: fmt.Sprintf("reply window: an automatic reply went to this thread at %s, within %s",
			last.UTC().Format(time.RFC3339), config.FormatDuration(c.Window))}, nil
	}
	if c.BreakerLimit > 0 {
		// A reply at t counts while c.At - t < Per, that is t > c.At - Per.
		var recent int
		if err := t.queryRow(ctx, "SELECT COUNT(*) FROM reply_breaker_events WHERE workflow = ? AND at > ?",
			c.Workflow, c.At.Add(-c.BreakerPer).UnixNano()).Scan(&recent); err != nil {
			return workflow.Verdict{}, fmt.Errorf("count replies for the breaker: %w", err)
		}
		if recent >= c.BreakerLimit {
			return workflow.Verdict{Reason: workflow.BreakerReason(c.Workflow, recent, c.BreakerPer, c.BreakerLimit)}, nil
		}
	}
	return workflow.Verdict{OK: true}, nil
}
