package store

import (
	"context"
	"fmt"
)

func (s *sqlStore) Outbox(ctx context.Context, limit int) ([]OutboxRow, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: read outbox: limit %d must be positive", limit)
	}
	var out []OutboxRow
	err := s.read(ctx, "read outbox", func(t *tx) error {
		rows, err := t.query(ctx, "SELECT id, subject, dedup_id, payload FROM outbox ORDER BY id LIMIT ?", limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var r OutboxRow
			if err := rows.Scan(&r.ID, &r.Subject, &r.DedupID, &r.Payload); err != nil {
				rows.Close()
				return err
			}
			r.Payload = nonNil(r.Payload)
			out = append(out, r)
		}
		return closeRows(rows)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Published deletes rows the queue has; ids already deleted are ignored,
// so a publisher that repeats itself does no harm.
func (s *sqlStore) Published(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	return s.write(ctx, fmt.Sprintf("delete %d published outbox rows", len(ids)), false, func(t *tx) error {
		for _, c := range s.d.chunks(len(ids), 1) {
			args := make([]any, 0, c[1]-c[0])
			for _, id := range ids[c[0]:c[1]] {
				args = append(args, id)
			}
			if _, err := t.exec(ctx, "DELETE FROM outbox WHERE id IN ("+list(len(args))+")", args...); err != nil {
				return err
			}
		}
		return nil
	})
}
