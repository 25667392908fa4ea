package store

import (
	"context"
	"fmt"
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
	what := "prune what was received before " + before.UTC().Format(time.RFC3339)
	// Message ids are ULIDs of the time they were received: the oldest
	// are read off the primary key, with no index of their own.
	bound := ulid.ULID{}
	if err := bound.SetTime(ulid.Timestamp(before)); err != nil {
		return p, fmt.Errorf("store: %s: %w", what, err)
	}
	err := s.write(ctx, what, false, func(t *tx) error {
		p = Pruned{}
		// Finished work only: a message still to be evaluated, or with a
		// step to come (a follow-up days later, a retry, a send under way),
		// stays with its steps until they are done. A dead step counts as
		// finished: its message goes, and the dead letter with it. The
		// rows are locked, and those another node's prune holds passed
		// over, so that each pruned reply leaves the breaker's count once.
		ids, err := t.strings(ctx, `SELECT m.id FROM messages m
WHERE m.id < ? AND m.received_at < ?
  AND NOT EXISTS (SELECT 1 FROM pending_evaluations p WHERE p.message_id = m.id)
  AND NOT EXISTS (SELECT 1 FROM steps s WHERE s.message_id = m.id AND s.state NOT IN ('done', 'skipped', 'dead'))
ORDER BY m.id LIMIT ?`+s.d.skipLocked(), bound.String(), stamp(before), limit)
		if err != nil {
			return fmt.Errorf("find old messages: %w", err)
		}
		if len(ids) > 0 {
			if p.Messages, err = s.deleteMessages(ctx, t, ids); err != nil {
				return err
			}
		}
		p.Contacts, err = s.blankContacts(ctx, t, before, limit)
		return err
	})
	return p, err
}

// deleteMessages deletes messages with their finished steps, the verdicts
// of those steps, and their explanations. A message that gained a step meanwhile (a dead letter
// retried, on PostgreSQL) stays.
func (s *sqlStore) deleteMessages(ctx context.Context, t *tx, ids []string) (int, error) {
	in := "(" + list(len(ids)) + ")"
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	// The circuit breaker counts a workflow's granted replies as a total,
	// of which those at or before its mark are counted out (see breaker).
	// A granted verdict deleted after the mark leaves the total too, so
	// that the mark, passing its time later, does not find it missing.
	finished := "SELECT key FROM steps WHERE message_id IN " + in + " AND state IN ('done', 'skipped', 'dead')"
	if _, err := t.exec(ctx, `UPDATE reply_breakers SET total = total - (
    SELECT COUNT(*) FROM reply_verdicts v
    WHERE v.workflow = reply_breakers.workflow AND v.ok AND v.at > reply_breakers.mark AND v.step_key IN (`+finished+`))
WHERE workflow IN (SELECT v.workflow FROM reply_verdicts v WHERE v.ok AND v.step_key IN (`+finished+`))`, append(args, args...)...); err != nil {
		return 0, fmt.Errorf("uncount pruned replies: %w", err)
	}
	if _, err := t.exec(ctx, "DELETE FROM reply_verdicts WHERE step_key IN ("+finished+")", args...); err != nil {
		return 0, fmt.Errorf("delete reply verdicts: %w", err)
	}
	if _, err := t.exec(ctx, "DELETE FROM steps WHERE message_id IN "+in+" AND state IN ('done', 'skipped', 'dead')", args...); err != nil {
		return 0, fmt.Errorf("delete steps: %w", err)
	}
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
// messages still name them.
func (s *sqlStore) blankContacts(ctx context.Context, t *tx, before time.Time, limit int) (int, error) {
	ids, err := t.strings(ctx, `SELECT id FROM contacts
WHERE updated_at < ? AND (name <> '' OR email <> '' OR phone <> '' OR handle <> ''
    OR EXISTS (SELECT 1 FROM contact_identities i WHERE i.contact_id = contacts.id))
ORDER BY id LIMIT ?`+s.d.skipLocked(), stamp(before), limit)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	in := "(" + list(len(ids)) + ")"
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	if _, err := t.exec(ctx, "DELETE FROM contact_identities WHERE contact_id IN "+in, args...); err != nil {
		return 0, fmt.Errorf("delete sender identities: %w", err)
	}
	if _, err := t.exec(ctx, "UPDATE contacts SET name = '', email = '', phone = '', handle = '' WHERE id IN "+in, args...); err != nil {
		return 0, fmt.Errorf("blank contacts: %w", err)
	}
	return len(ids), nil
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
