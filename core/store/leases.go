package store

import (
	"context"
	"fmt"
	"time"
)

// AcquireLease takes or renews the lease name for holder until now+ttl. It
// succeeds when the lease is free, expired, or already holder's — one
// conditional upsert, so two nodes asking at once cannot both win.
func (s *sqlStore) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	if name == "" || holder == "" || ttl <= 0 || now.IsZero() {
		return false, fmt.Errorf("store: acquire lease: want a name, a holder, a time and a positive ttl")
	}
	won := false
	err := s.write(ctx, "acquire lease "+name, false, func(t *tx) error {
		n, err := t.exec(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
			name, holder, stamp(now.Add(ttl)), stamp(now))
		if err != nil {
			return err
		}
		won = n == 1
		return nil
	})
	return won, err
}

// ReleaseLease gives the lease up if holder has it, so another node may
// take it at once.
func (s *sqlStore) ReleaseLease(ctx context.Context, name, holder string) error {
	return s.write(ctx, "release lease "+name, false, func(t *tx) error {
		_, err := t.exec(ctx, "DELETE FROM leases WHERE name = ? AND holder = ?", name, holder)
		return err
	})
}
