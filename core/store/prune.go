package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/oklog/ulid/v2"
)

// Pruned counts what one Prune removed.
type Pruned struct {
	// Messages deleted, inbound and outbound, with their explanations and
	// steps.
	Messages int
	// Contacts whose name, e-mail, phone and handle were blanked, and
	// whose sender identities were deleted.
	Contacts int
}

// Prune removes, oldest first, up to limit messages received before
// before, with their explanations and steps, and blanks up to limit
// contacts last heard from before it (see the Store interface).
func (s *sqlStore) Prune(ctx context.Context, before time.Time, limit int) (Pruned, error) {
	var p Pruned
	if before.IsZero() || limit <= 0 {
		return p, fmt.Errorf("store: prune: want a time and a positive limit")
	}
	if before.Before(time.Unix(0, 0)) {
		return p, nil // nothing is that old
	}
	what := "prune what was received before " + before.UTC().Format(time.RFC3339)
	// Message ids are ULIDs of the time they were received: the oldest
	// are read off the primary key, with no index of their own.
	bound := ulid.ULID{}
	if err := bound.SetTime(ulid.Timestamp(before)); err != nil {
		return p, fmt.Errorf("store: %s: %w", what, err)
	}
	err := s.write(ctx, what, false, func(t *tx) error {
		p = Pruned{}
		// Finished work only, and finished before the cutoff: a message
		// still to be evaluated, or with a step to come (a follow-up days
		// later, a retry, a send under way) or ended since (a dead letter
		// someone must see), stays with its steps. The rows are locked, and
		// those another node's prune holds passed over, so that each pruned
		// reply leaves the breaker's count once.
		ids, err := t.strings(ctx, `SELECT m.id FROM messages m
WHERE m.id < ? AND m.received_at < ?
  AND NOT EXISTS (SELECT 1 FROM pending_evaluations p WHERE p.message_id = m.id)
  AND NOT EXISTS (SELECT 1 FROM steps s WHERE s.message_id = m.id
    AND (s.state NOT IN ('done', 'skipped', 'dead') OR s.updated_at >= ?))
ORDER BY m.id LIMIT ?`+s.d.skipLocked(), bound.String(), stamp(before), stamp(before), limit)
		if err != nil {
			return fmt.Errorf("find old messages: %w", err)
		}
		if len(ids) > 0 {
			if p.Messages, err = s.deleteMessages(ctx, t, ids, before); err != nil {
				return err
			}
		}
		p.Contacts, err = s.blankContacts(ctx, t, before, limit)
		return err
	})
	return p, err
}

// deleteMessages deletes messages with their steps, the verdicts of those
// steps, and their explanations. On PostgreSQL the breakers the verdicts
// count in are locked first, in one order, so that nodes pruning at once
// cannot deadlock; then the steps, and they are read as they are now: a
// message one of whose steps was retried since it was chosen stays whole,
// and a retry that comes later waits, and then finds the step gone.
func (s *sqlStore) deleteMessages(ctx context.Context, t *tx, ids []string, before time.Time) (int, error) {
	in := "(" + list(len(ids)) + ")"
	if s.d.rowLocks {
		if _, err := t.strings(ctx, "SELECT workflow FROM reply_breakers WHERE workflow IN (SELECT workflow FROM steps WHERE message_id IN "+in+") ORDER BY workflow"+s.d.forUpdate(), anys(ids)...); err != nil {
			return 0, fmt.Errorf("lock breakers: %w", err)
		}
	}
	rows, err := t.query(ctx, "SELECT key, message_id, state, updated_at FROM steps WHERE message_id IN "+in+" ORDER BY key"+s.d.forUpdate(), anys(ids)...)
	if err != nil {
		return 0, fmt.Errorf("find steps: %w", err)
	}
	type step struct{ key, message string }
	var steps []step
	busy := map[string]bool{} // messages with a step to come or ended since
	for rows.Next() {
		var (
			st      step
			state   string
			updated nanos
		)
		if err := rows.Scan(&st.key, &st.message, &state, &updated); err != nil {
			rows.Close()
			return 0, fmt.Errorf("find steps: %w", err)
		}
		switch StepState(state) {
		case StepDone, StepSkipped, StepDead:
			if updated.Time().Before(before) {
				steps = append(steps, st)
				continue
			}
		}
		busy[st.message] = true
	}
	if err := closeRows(rows); err != nil {
		return 0, fmt.Errorf("find steps: %w", err)
	}
	var keys []string
	for _, st := range steps {
		if !busy[st.message] {
			keys = append(keys, st.key)
		}
	}
	ids = slices.DeleteFunc(ids, func(id string) bool { return busy[id] })
	if len(ids) == 0 {
		return 0, nil
	}
	for _, c := range s.d.chunks(len(keys), 2) {
		chunk, args := "("+list(c[1]-c[0])+")", anys(keys[c[0]:c[1]])
		// The circuit breaker counts a workflow's granted replies as a
		// total, of which those at or before its mark are counted out (see
		// breaker). A granted verdict deleted after the mark leaves the
		// total too, so that the mark, passing its time later, does not
		// find it missing.
		if _, err := t.exec(ctx, `UPDATE reply_breakers SET total = total - (
    SELECT COUNT(*) FROM reply_verdicts v
    WHERE v.workflow = reply_breakers.workflow AND v.ok AND v.at > reply_breakers.mark AND v.step_key IN `+chunk+`)
WHERE workflow IN (SELECT v.workflow FROM reply_verdicts v WHERE v.ok AND v.step_key IN `+chunk+`)`, append(args, args...)...); err != nil {
			return 0, fmt.Errorf("uncount pruned replies: %w", err)
		}
		if _, err := t.exec(ctx, "DELETE FROM reply_verdicts WHERE step_key IN "+chunk, args...); err != nil {
			return 0, fmt.Errorf("delete reply verdicts: %w", err)
		}
		if _, err := t.exec(ctx, "DELETE FROM steps WHERE key IN "+chunk, args...); err != nil {
			return 0, fmt.Errorf("delete steps: %w", err)
		}
	}
	in, args := "("+list(len(ids))+")", anys(ids) // the messages left
	const unused = " AND NOT EXISTS (SELECT 1 FROM steps s WHERE s.message_id = %s)"
	if _, err := t.exec(ctx, "DELETE FROM explanations WHERE message_id IN "+in+fmt.Sprintf(unused, "explanations.message_id"), args...); err != nil {
		return 0, fmt.Errorf("delete explanations: %w", err)
	}
	n, err := t.exec(ctx, "DELETE FROM messages WHERE id IN "+in+fmt.Sprintf(unused, "messages.id"), args...)
	if err != nil {
		return 0, fmt.Errorf("delete messages: %w", err)
	}
	return int(n), nil
}

// blankContacts blanks the people last heard from before before: their
// names and addresses go, and their sender identities, so that a buyer who
// writes again becomes a new contact. The rows stay, since threads and
// messages still name them, marked pruned: a prune reads only the others
// (by an index of them), and an ingest that waited for one being blanked
// takes it for gone.
func (s *sqlStore) blankContacts(ctx context.Context, t *tx, before time.Time, limit int) (int, error) {
	ids, err := t.strings(ctx, `SELECT id FROM contacts WHERE pruned = FALSE AND updated_at < ?
ORDER BY updated_at LIMIT ?`+s.d.skipLocked(), stamp(before), limit)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	in, args := "("+list(len(ids))+")", anys(ids)
	if _, err := t.exec(ctx, "DELETE FROM contact_identities WHERE contact_id IN "+in, args...); err != nil {
		return 0, fmt.Errorf("delete sender identities: %w", err)
	}
	if _, err := t.exec(ctx, "UPDATE contacts SET name = '', email = '', phone = '', handle = '', pruned = TRUE WHERE id IN "+in, args...); err != nil {
		return 0, fmt.Errorf("blank contacts: %w", err)
	}
	return len(ids), nil
}

// anys makes query arguments of strings.
func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// strings runs a query of one text column.
func (t *tx) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, v)
	}
	return out, closeRows(rows)
}
