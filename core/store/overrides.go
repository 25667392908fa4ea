package store

import (
	"context"
	"fmt"
)

func (s *sqlStore) SetWorkflowEnabled(ctx context.Context, name string, enabled bool) error {
	if name == "" {
		return fmt.Errorf("store: set workflow enabled: no workflow name given")
	}
	return s.write(ctx, fmt.Sprintf("set workflow %q enabled=%t", name, enabled), false, func(t *tx) error {
		_, err := t.exec(ctx, "INSERT INTO workflow_overrides (workflow, enabled) VALUES (?, ?) ON CONFLICT (workflow) DO UPDATE SET enabled = excluded.enabled",
			name, enabled)
		return err
	})
}

func (s *sqlStore) WorkflowOverrides(ctx context.Context) (map[string]bool, error) {
	out := map[string]bool{}
	err := s.read(ctx, "list workflow overrides", func(t *tx) error {
		rows, err := t.query(ctx, "SELECT workflow, enabled FROM workflow_overrides")
		if err != nil {
			return err
		}
		for rows.Next() {
			var (
				name    string
				enabled bool
			)
			if err := rows.Scan(&name, &enabled); err != nil {
				rows.Close()
				return err
			}
			out[name] = enabled
		}
		return closeRows(rows)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Stats counts, in one snapshot: PendingSteps are the steps waiting for
// their due or retry time (pending and retrying), QueuedSteps those
// published and not yet begun, RunningSteps those begun (attempted),
// DeadLetters the dead ones, Outbox the rows not yet published.
func (s *sqlStore) Stats(ctx context.Context) (Stats, error) {
	st := Stats{RowsWritten: s.written.Load(), WriteStatements: s.statements.Load()}
	if s.writer != nil {
		st.WriteStatements += s.writer.statements.Load()
	}
	err := s.read(ctx, "stats", func(t *tx) error {
		return t.queryRow(ctx, `SELECT
    (SELECT COUNT(*) FROM steps WHERE state = 'pending') + (SELECT COUNT(*) FROM steps WHERE state = 'retrying'),
    (SELECT COUNT(*) FROM steps WHERE state = 'queued'),
    (SELECT COUNT(*) FROM steps WHERE state = 'attempted'),
    (SELECT COUNT(*) FROM steps WHERE state = 'dead'),
    (SELECT COUNT(*) FROM outbox)`).Scan(&st.PendingSteps, &st.QueuedSteps, &st.RunningSteps, &st.DeadLetters, &st.Outbox)
	})
	return st, err
}
