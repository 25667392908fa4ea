package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-hub/switchboard/core/workflow"
	"github.com/switchboard-hub/switchboard/sdk"
)

const stepColumns = `key, message_id, thread_id, workflow, step, due_at, state, attempts, attempted_at, retry_at,
    last_error, external_id, updated_at`

// storedStep is a step row with the columns Step does not show.
type storedStep struct {
	Step
	attemptedAt time.Time
}

func scanStep(sc scanner) (*storedStep, error) {
	var (
		st                 storedStep
		due, updated       int64
		attempts           int64
		attempted, retryAt nanos
		state              string
	)
	if err := sc.Scan(&st.Key, &st.MessageID, &st.ThreadID, &st.Workflow, &st.Step.Step, &due, &state, &attempts, &attempted, &retryAt,
		&st.LastError, &st.ExternalID, &updated); err != nil {
		return nil, err
	}
	st.DueAt, st.State, st.Attempts = fromNanos(due), StepState(state), int(attempts)
	st.attemptedAt, st.RetryAt, st.UpdatedAt = attempted.Time(), retryAt.Time(), fromNanos(updated)
	return &st, nil
}

// lockStep loads a step for a change (on PostgreSQL, locking its row).
func (s *sqlStore) lockStep(ctx context.Context, t *tx, key string) (*storedStep, error) {
	st, err := scanStep(t.queryRow(ctx, "SELECT "+stepColumns+" FROM steps WHERE key = ?"+s.d.forUpdate(), key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("step %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load step: %w", err)
	}
	return st, nil
}

func (s *sqlStore) Plan(ctx context.Context, messageID string, d workflow.Decision, now time.Time) ([]*Step, error) {
	what := "plan message " + messageID
	if now.IsZero() {
		return nil, fmt.Errorf("store: %s: no time given", what)
	}
	steps := make([]workflow.Planned, 0, len(d.Steps))
	seen := map[string]bool{}
	for i, p := range d.Steps {
		switch {
		case p.Key == "":
			return nil, fmt.Errorf("store: %s: step %d (%s/%s) has no key", what, i, p.Workflow, p.Step)
		case p.MessageID != "" && p.MessageID != messageID:
			return nil, fmt.Errorf("store: %s: step %q belongs to message %s", what, p.Key, p.MessageID)
		case p.DueAt.IsZero():
			return nil, fmt.Errorf("store: %s: step %q has no due time", what, p.Key)
		case seen[p.Key]:
			continue
		}
		seen[p.Key] = true
		p.MessageID = messageID
		steps = append(steps, p)
	}
	explanation, err := encodeExplanation(d.Explanation)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	var begun []*Step
	err = s.write(ctx, what, false, func(t *tx) error {
		begun = begun[:0]
		// Inserted from the message's row: one that is not stored, or was
		// planned before, inserts nothing, and is asked about only then.
		n, err := t.exec(ctx, "INSERT INTO explanations (message_id, body, created_at) SELECT id, ?, ? FROM messages WHERE id = ? ON CONFLICT DO NOTHING",
			explanation, stamp(now), messageID)
		if err != nil {
			return fmt.Errorf("store explanation: %w", err)
		}
		if n == 0 {
			var one int
			err := t.queryRow(ctx, "SELECT 1 FROM messages WHERE id = ?", messageID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("message %s: %w", messageID, ErrNotFound)
			}
			if err != nil {
				return fmt.Errorf("load message: %w", err)
			}
			return ErrPlanned
		}
		if _, err := t.exec(ctx, "DELETE FROM pending_evaluations WHERE message_id = ?", messageID); err != nil {
			return fmt.Errorf("mark message evaluated: %w", err)
		}
		inserted := map[string]string{} // key → thread
		const cols = 11
		for _, c := range s.d.chunks(len(steps), cols) {
			args := make([]any, 0, (c[1]-c[0])*cols)
			for _, p := range steps[c[0]:c[1]] {
				// A step due now is begun for the caller, as BeginAttempt
				// would begin it; one due later waits for ReleaseDue.
				state, attempts, attempted := StepPending, 0, any(nil)
				if !p.DueAt.After(now) {
					state, attempts, attempted = StepAttempted, 1, stamp(now)
				}
				args = append(args, p.Key, messageID, messageID, p.Workflow, p.Step, stamp(p.DueAt), string(state), attempts, attempted, stamp(now), stamp(now))
			}
			// Each row's thread is its message's (the third value).
			values := strings.ReplaceAll(placeholders(c[1]-c[0], cols), "(?, ?, ?, ", "(?, ?, (SELECT thread_id FROM messages WHERE id = ?), ")
			rows, err := t.query(ctx, `INSERT INTO steps (key, message_id, thread_id, workflow, step, due_at, state, attempts, attempted_at, created_at, updated_at)
VALUES `+values+` ON CONFLICT (key) DO NOTHING RETURNING key, thread_id`, args...)
			if err != nil {
				return fmt.Errorf("insert steps: %w", err)
			}
			for rows.Next() {
				var key, thread string
				if err := rows.Scan(&key, &thread); err != nil {
					rows.Close()
					return fmt.Errorf("insert steps: %w", err)
				}
				inserted[key] = thread
				t.wrote(1)
			}
			if err := closeRows(rows); err != nil {
				return fmt.Errorf("insert steps: %w", err)
			}
		}
		for _, p := range steps {
			if thread, ok := inserted[p.Key]; ok && !p.DueAt.After(now) {
				begun = append(begun, &Step{Planned: p, ThreadID: thread, State: StepAttempted, Attempts: 1, UpdatedAt: now})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return begun, nil
}

// stepRow is the outbox row for the n-th queueing of a step.
func stepRow(key string, n int) OutboxRow {
	return OutboxRow{Subject: SubjectSteps, DedupID: key + "/" + strconv.Itoa(n), Payload: []byte(key)}
}

func (s *sqlStore) ReleaseDue(ctx context.Context, now time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, fmt.Errorf("store: release due steps: limit %d must be positive", limit)
	}
	if now.IsZero() {
		return 0, errors.New("store: release due steps: no time given")
	}
	type released struct {
		key   string
		count int
		at    int64
	}
	var moved []released
	err := s.write(ctx, "release due steps", false, func(t *tx) error {
		moved = moved[:0]
		// Retrying steps first: they are few, and have waited already. The
		// states are written into the statement, not bound, so that the
		// partial index of each state serves it.
		for _, from := range []struct{ state, column string }{{"retrying", "retry_at"}, {"pending", "due_at"}} {
			left := limit - len(moved)
			if left == 0 {
				break
			}
			// The due keys are chosen (and on PostgreSQL locked) once, in a
			// materialized CTE: as a plain IN subquery the planner may run
			// the locking, limited SELECT more than once and move more rows
			// than the limit.
			rows, err := t.query(ctx, `WITH due AS MATERIALIZED (
    SELECT key FROM steps WHERE state = '`+from.state+`' AND `+from.column+` <= ? ORDER BY `+from.column+`, key LIMIT ?`+s.d.skipLocked()+`)
UPDATE steps SET state = 'queued', queued_count = queued_count + 1, updated_at = ?
WHERE key IN (SELECT key FROM due) AND state = '`+from.state+`'
RETURNING key, queued_count, `+from.column,
				stamp(now), left, stamp(now))
			if err != nil {
				return fmt.Errorf("queue %s steps: %w", from.state, err)
			}
			n := len(moved)
			for rows.Next() {
				var r released
				if err := rows.Scan(&r.key, &r.count, &r.at); err != nil {
					rows.Close()
					return fmt.Errorf("queue %s steps: %w", from.state, err)
				}
				moved = append(moved, r)
			}
			if err := closeRows(rows); err != nil {
				return fmt.Errorf("queue %s steps: %w", from.state, err)
			}
			t.wrote(len(moved) - n)
		}
		slices.SortFunc(moved, func(a, b released) int {
			return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.key, b.key))
		})
		outbox := make([]OutboxRow, len(moved))
		for i, r := range moved {
			outbox[i] = stepRow(r.key, r.count)
		}
		return s.insertOutbox(ctx, t, outbox, now)
	})
	if err != nil {
		return 0, err
	}
	return len(moved), nil
}

func (s *sqlStore) NextDue(ctx context.Context) (time.Time, error) {
	var next time.Time
	err := s.read(ctx, "next due step", func(t *tx) error {
		var due, retry nanos
		if err := t.queryRow(ctx, `SELECT (SELECT MIN(due_at) FROM steps WHERE state = 'pending'),
       (SELECT MIN(retry_at) FROM steps WHERE state = 'retrying')`).Scan(&due, &retry); err != nil {
			return err
		}
		next = due.Time()
		if r := retry.Time(); !r.IsZero() && (next.IsZero() || r.Before(next)) {
			next = r
		}
		return nil
	})
	return next, err
}

func (s *sqlStore) BeginAttempt(ctx context.Context, key string, now time.Time) (*Step, error) {
	if now.IsZero() {
		return nil, fmt.Errorf("store: begin step %q: no time given", key)
	}
	var step *Step
	err := s.write(ctx, fmt.Sprintf("begin step %q", key), false, func(t *tx) error {
		st, err := s.lockStep(ctx, t, key)
		if err != nil {
			return err
		}
		was := false
		switch st.State {
		case StepQueued:
		case StepAttempted:
			if since := now.Sub(st.attemptedAt); !st.attemptedAt.IsZero() && since < s.lease {
				return fmt.Errorf("a worker began it at %s, %s ago, within the lease of %s: %w",
					st.attemptedAt.Format(time.RFC3339Nano), since, s.lease, ErrStepHeld)
			}
			was = true // its worker died: the caller asks the connector first
		default:
			return fmt.Errorf("it is %s: %w", st.State, ErrNotClaimable)
		}
		// Read before writing: a failure then leaves nothing to undo.
		in, err := loadInbound(ctx, t, st.MessageID)
		if err != nil {
			return fmt.Errorf("load its message: %w", err)
		}
		if in == nil {
			return fmt.Errorf("its message %s: %w", st.MessageID, ErrNotFound)
		}
		n, err := t.exec(ctx, "UPDATE steps SET state = 'attempted', attempts = attempts + 1, attempted_at = ?, updated_at = ? WHERE key = ? AND state = ?",
			stamp(now), stamp(now), key, string(st.State))
		if err != nil {
			return fmt.Errorf("mark attempted: %w", err)
		}
		if n != 1 {
			return errConflict
		}
		st.Retried = st.State == StepQueued && st.Attempts > 0
		st.State, st.Attempts, st.WasAttempted, st.UpdatedAt, st.Inbound = StepAttempted, st.Attempts+1, was, now, in
		step = &st.Step
		return nil
	})
	if err != nil {
		return nil, err
	}
	return step, nil
}

func (s *sqlStore) AttemptLease() time.Duration { return s.lease }

func (s *sqlStore) RenewAttempts(ctx context.Context, attempts map[string]int, now time.Time) error {
	if now.IsZero() {
		return errors.New("store: renew attempts: no time given")
	}
	if len(attempts) == 0 {
		return nil
	}
	keys := slices.Sorted(maps.Keys(attempts))
	return s.write(ctx, fmt.Sprintf("renew %d attempts", len(keys)), false, func(t *tx) error {
		for _, c := range s.d.chunks(len(keys), 2) {
			args := []any{stamp(now), stamp(now)}
			for _, k := range keys[c[0]:c[1]] {
				args = append(args, k, attempts[k])
			}
			// The count is cast: PostgreSQL takes a bare parameter in VALUES
			// for text.
			rows := strings.TrimSuffix(strings.Repeat("(?, CAST(? AS INTEGER)), ", c[1]-c[0]), ", ")
			if _, err := t.exec(ctx, `UPDATE steps SET attempted_at = ?, updated_at = ?
WHERE state = 'attempted' AND (key, attempts) IN (VALUES `+rows+`)`, args...); err != nil {
				return fmt.Errorf("renew attempts: %w", err)
			}
		}
		return nil
	})
}

// finishedAs is the state a result leaves a step in.
func finishedAs(k ResultKind) StepState {
	switch k {
	case ResultSkipped:
		return StepSkipped
	case ResultWaiting:
		return StepPending
	}
	return StepDone
}

func (s *sqlStore) Finish(ctx context.Context, key string, attempt int, r Result) error {
	what := fmt.Sprintf("finish attempt %d of step %q (%s)", attempt, key, r.Kind)
	switch {
	case attempt < 1:
		return fmt.Errorf("store: %s: no attempt given; pass the Step's Attempts", what)
	case r.Kind != ResultSent && r.Kind != ResultApplied && r.Kind != ResultExecuted && r.Kind != ResultSkipped && r.Kind != ResultWaiting:
		return fmt.Errorf("store: %s: unknown result kind; use sent, applied, executed, skipped or waiting", what)
	case r.At.IsZero():
		return fmt.Errorf("store: %s: the result has no time", what)
	case r.Kind == ResultWaiting && r.Until.IsZero():
		return fmt.Errorf("store: %s: a waiting result needs the time to wait until", what)
	}
	var q string
	args := []any{}
	switch r.Kind {
	case ResultSent:
		q, args = "state = 'done', external_id = ?", append(args, clean(r.ExternalID))
	case ResultApplied:
		q = "state = 'done'"
	case ResultExecuted:
		q, args = "state = 'done', outputs = ?", append(args, nonNil(r.Outputs))
	case ResultSkipped:
		q, args = "state = 'skipped', reason = ?", append(args, clean(r.Reason))
	case ResultWaiting:
		q, args = "state = 'pending', due_at = ?, reason = ?", append(args, stamp(r.Until), clean(r.Reason))
	}
	args = append(args, stamp(r.At), key, attempt)
	return s.write(ctx, what, false, func(t *tx) error {
		// The step changes only while this attempt holds it (on
		// PostgreSQL, a concurrent Finish waits for this one and then
		// finds it changed).
		var threadID string
		err := t.queryRow(ctx, "UPDATE steps SET "+q+", updated_at = ? WHERE key = ? AND state = 'attempted' AND attempts = ? RETURNING thread_id", args...).Scan(&threadID)
		if errors.Is(err, sql.ErrNoRows) {
			st, err := s.lockStep(ctx, t, key)
			if err != nil {
				return err
			}
			return notHeld(st, attempt, st.Attempts == attempt && st.State == finishedAs(r.Kind))
		}
		if err != nil {
			return fmt.Errorf("update step: %w", err)
		}
		t.wrote(1)
		switch r.Kind {
		case ResultSent:
			return s.recordSent(ctx, t, key, threadID, r)
		case ResultApplied:
			return s.applyToThread(ctx, t, threadID, r)
		}
		return nil
	})
}

// recordSent stores a workflow's reply in its thread and counts it there.
func (s *sqlStore) recordSent(ctx context.Context, t *tx, key, threadID string, r Result) error {
	var th outboundThread
	at := stamp(r.At)
	err := t.queryRow(ctx, `UPDATE threads SET
    last_auto_reply_at = CASE WHEN last_auto_reply_at IS NULL OR last_auto_reply_at < ? THEN ? ELSE last_auto_reply_at END,
    auto_replies = auto_replies + 1, updated_at = ?
WHERE id = ? RETURNING id, connector, account, channel, external_id`, at, at, at, threadID).
		Scan(&th.id, &th.connector, &th.account, &th.channel, &th.external)
	if err != nil {
		return fmt.Errorf("update thread %s: %w", threadID, err)
	}
	t.wrote(1)
	m := sdk.Message{ExternalID: r.ExternalID, AutoGenerated: true, SentAt: r.SentAt}
	if m.SentAt.IsZero() {
		m.SentAt = r.At
	}
	if o := r.Reply; o != nil {
		m.Channel, m.Thread, m.Recipients, m.Subject, m.Text, m.HTML = o.Channel, o.Thread, o.Recipients, o.Subject, o.Text, o.HTML
		m.Attachments, m.InReplyTo, m.OrderRef, m.Headers = o.Attachments, o.InReplyTo, o.OrderRef, o.Headers
	}
	return s.insertOutbound(ctx, t, th, m, "workflow", key, r.At)
}

// applyToThread merges tags (each once, in the order first given) and sets
// the status and assignee that are not empty.
func (s *sqlStore) applyToThread(ctx context.Context, t *tx, threadID string, r Result) error {
	var tagsText string
	err := t.queryRow(ctx, "SELECT tags FROM threads WHERE id = ?"+s.d.forUpdate(), threadID).Scan(&tagsText)
	if err != nil {
		return fmt.Errorf("lock thread %s: %w", threadID, err)
	}
	tags, err := parseTags(tagsText)
	if err != nil {
		return fmt.Errorf("thread %s: %w", threadID, err)
	}
	for _, tag := range r.Tags {
		if tag = clean(tag); tag != "" && !slices.Contains(tags, tag) {
			tags = append(tags, tag)
		}
	}
	if _, err := t.exec(ctx, `UPDATE threads SET tags = ?,
    status = CASE WHEN ? = '' THEN status ELSE ? END,
    assignee = CASE WHEN ? = '' THEN assignee ELSE ? END,
    updated_at = ? WHERE id = ?`,
		tagsJSON(tags), clean(r.Status), clean(r.Status), clean(r.Assignee), clean(r.Assignee), stamp(r.At), threadID); err != nil {
		return fmt.Errorf("update thread: %w", err)
	}
	return nil
}

func (s *sqlStore) Retry(ctx context.Context, key string, attempt int, retryAt time.Time, reason string, dead bool) error {
	what := fmt.Sprintf("retry attempt %d of step %q", attempt, key)
	if dead {
		what = fmt.Sprintf("dead-letter step %q after attempt %d", key, attempt)
	}
	switch {
	case attempt < 1:
		return fmt.Errorf("store: %s: no attempt given; pass the Step's Attempts", what)
	case !dead && retryAt.IsZero():
		return fmt.Errorf("store: %s: no retry time given", what)
	}
	return s.write(ctx, what, false, func(t *tx) error {
		st, err := s.lockStep(ctx, t, key)
		if err != nil {
			return err
		}
		if st.State != StepAttempted || st.Attempts != attempt {
			return notHeld(st, attempt, st.Attempts == attempt && (dead && st.State == StepDead || !dead && st.State == StepRetrying))
		}
		// Retry is given no clock: the update time is the retry time, or
		// for a dead letter the time given (callers pass now) or else the
		// start of the failed attempt.
		updated := st.attemptedAt
		if dead && !retryAt.IsZero() {
			updated = retryAt
		}
		if updated.IsZero() {
			updated = st.UpdatedAt
		}
		if dead {
			_, err = t.exec(ctx, "UPDATE steps SET state = 'dead', last_error = ?, updated_at = ? WHERE key = ?", clean(reason), stamp(updated), key)
		} else {
			_, err = t.exec(ctx, "UPDATE steps SET state = 'retrying', retry_at = ?, last_error = ?, updated_at = ? WHERE key = ?",
				stamp(retryAt), clean(reason), stamp(updated), key)
		}
		if err != nil {
			return fmt.Errorf("update step: %w", err)
		}
		return nil
	})
}

// notHeld explains why an attempt of st may no longer record its outcome:
// nil when this attempt recorded it already (done says so: a redelivery),
// else ErrNotClaimable.
func notHeld(st *storedStep, attempt int, done bool) error {
	switch {
	case done:
		return nil
	case st.Attempts != attempt:
		return fmt.Errorf("attempt %d was taken over by attempt %d, and the step is %s: %w", attempt, st.Attempts, st.State, ErrNotClaimable)
	}
	return fmt.Errorf("it is %s, not attempted: %w", st.State, ErrNotClaimable)
}

func (s *sqlStore) GiveUp(ctx context.Context, key string, now time.Time, reason string) (*Step, error) {
	if now.IsZero() {
		return nil, fmt.Errorf("store: give up on step %q: no time given", key)
	}
	var dead *Step
	err := s.write(ctx, fmt.Sprintf("give up on step %q", key), false, func(t *tx) error {
		dead = nil
		st, err := s.lockStep(ctx, t, key)
		if err != nil {
			return err
		}
		if st.State != StepAttempted {
			return nil // never begun (Requeue queues it again), or a stale delivery
		}
		if since := now.Sub(st.attemptedAt); !st.attemptedAt.IsZero() && since < s.lease {
			return fmt.Errorf("a worker began or renewed it at %s, %s ago, within the lease of %s: %w",
				st.attemptedAt.Format(time.RFC3339Nano), since, s.lease, ErrStepHeld)
		}
		if _, err := t.exec(ctx, "UPDATE steps SET state = 'dead', last_error = ?, updated_at = ? WHERE key = ?", clean(reason), stamp(now), key); err != nil {
			return fmt.Errorf("update step: %w", err)
		}
		st.State, st.LastError, st.UpdatedAt = StepDead, clean(reason), now
		dead = &st.Step
		return nil
	})
	if err != nil {
		return nil, err
	}
	return dead, nil
}

func (s *sqlStore) Outputs(ctx context.Context, messageID, workflowName string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := s.read(ctx, fmt.Sprintf("outputs of message %s, workflow %q", messageID, workflowName), func(t *tx) error {
		rows, err := t.query(ctx, "SELECT step, outputs FROM steps WHERE message_id = ? AND workflow = ? AND state = 'done' AND outputs IS NOT NULL",
			messageID, workflowName)
		if err != nil {
			return err
		}
		for rows.Next() {
			var (
				step string
				b    []byte
			)
			if err := rows.Scan(&step, &b); err != nil {
				rows.Close()
				return err
			}
			out[step] = nonNil(b)
		}
		return closeRows(rows)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *sqlStore) DeadLetters(ctx context.Context, limit int) ([]Step, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: list dead letters: limit %d must be positive", limit)
	}
	var out []Step
	err := s.read(ctx, "list dead letters", func(t *tx) error {
		rows, err := t.query(ctx, "SELECT "+stepColumns+" FROM steps WHERE state = 'dead' ORDER BY updated_at DESC, key DESC LIMIT ?", limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			st, err := scanStep(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, st.Step)
		}
		return closeRows(rows)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *sqlStore) RetryDead(ctx context.Context, key string, now time.Time) error {
	if now.IsZero() {
		return fmt.Errorf("store: retry dead step %q: no time given", key)
	}
	return s.write(ctx, fmt.Sprintf("retry dead step %q", key), false, func(t *tx) error {
		st, err := s.lockStep(ctx, t, key)
		if err != nil {
			return err
		}
		switch st.State {
		case StepDead:
		case StepQueued:
			return nil // retried already
		default:
			return fmt.Errorf("it is %s, not dead: %w", st.State, ErrNotClaimable)
		}
		var count int
		if err := t.queryRow(ctx, "UPDATE steps SET state = 'queued', queued_count = queued_count + 1, updated_at = ? WHERE key = ? RETURNING queued_count",
			stamp(now), key).Scan(&count); err != nil {
			return fmt.Errorf("queue step: %w", err)
		}
		t.wrote(1)
		return s.insertOutbox(ctx, t, []OutboxRow{stepRow(key, count)}, now)
	})
}

// Requeue hands to the queue again the work it may have lost: steps queued
// longer than olderThan ago that no worker began, steps whose worker began
// them and died (attempted, untouched for the attempt lease), and messages
// stored longer than olderThan ago that were never evaluated. The queue is
// not the source of truth; a stream lost to a disk or a restore without it
// must not lose a buyer. Duplicates this causes are absorbed by the
// idempotent consumers.
func (s *sqlStore) Requeue(ctx context.Context, now time.Time, olderThan time.Duration, limit int) (int, error) {
	if limit <= 0 || olderThan <= 0 || now.IsZero() {
		return 0, fmt.Errorf("store: requeue: want a time, a positive age and a positive limit")
	}
	cutoff := stamp(now.Add(-olderThan))
	n := 0
	err := s.write(ctx, "requeue lost work", false, func(t *tx) error {
		n = 0
		var outbox []OutboxRow
		// Steps queued that no worker began, and steps begun by a worker
		// that died with them: a step due at once is begun by the worker
		// that planned it, and no queue holds it. Once untouched for a
		// lease, BeginAttempt takes it over (and asks the connector first).
		// Requeueing touches a step, so that it is not requeued again
		// before another period has passed. The states are written into the
		// statement, not bound, so that the partial index of each serves it.
		for _, stale := range []struct {
			state  string
			before any
		}{{"queued", cutoff}, {"attempted", stamp(now.Add(-s.lease))}} {
			rows, err := t.query(ctx, `WITH stale AS MATERIALIZED (
    SELECT key FROM steps WHERE state = '`+stale.state+`' AND updated_at <= ? ORDER BY updated_at, key LIMIT ?`+s.d.skipLocked()+`)
UPDATE steps SET queued_count = queued_count + 1, updated_at = ?
WHERE key IN (SELECT key FROM stale) AND state = '`+stale.state+`'
RETURNING key, queued_count`, stale.before, limit, stamp(now))
			if err != nil {
				return fmt.Errorf("requeue %s steps: %w", stale.state, err)
			}
			for rows.Next() {
				var key string
				var count int
				if err := rows.Scan(&key, &count); err != nil {
					rows.Close()
					return fmt.Errorf("requeue %s steps: %w", stale.state, err)
				}
				outbox = append(outbox, stepRow(key, count))
			}
			if err := closeRows(rows); err != nil {
				return fmt.Errorf("requeue %s steps: %w", stale.state, err)
			}
		}
		rows, err := t.query(ctx, `WITH stale AS MATERIALIZED (
    SELECT message_id FROM pending_evaluations WHERE created_at <= ? ORDER BY created_at, message_id LIMIT ?`+s.d.skipLocked()+`)
UPDATE pending_evaluations SET created_at = ?
WHERE message_id IN (SELECT message_id FROM stale)
RETURNING message_id, dedup_id`, cutoff, limit, stamp(now))
		if err != nil {
			return fmt.Errorf("requeue messages: %w", err)
		}
		for rows.Next() {
			var id, dedup string
			if err := rows.Scan(&id, &dedup); err != nil {
				rows.Close()
				return fmt.Errorf("requeue messages: %w", err)
			}
			// A new de-duplication id, so that the queue takes it again.
			outbox = append(outbox, OutboxRow{Subject: SubjectMessages, DedupID: dedup + "/requeued/" + strconv.FormatInt(now.UnixNano(), 10), Payload: []byte(id)})
		}
		if err := closeRows(rows); err != nil {
			return fmt.Errorf("requeue messages: %w", err)
		}
		n = len(outbox)
		t.wrote(n)
		return s.insertOutbox(ctx, t, outbox, now)
	})
	return n, err
}
