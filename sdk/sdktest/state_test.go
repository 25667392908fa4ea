package sdktest

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-hub/switchboard/sdk"
)

// The suite's State locks as the host's does: one holder at a time, a
// waiter given up on with a retryable error when its context ends, a lock
// never freed taken over when its time is up, and a late unlock of it
// harmless.
func TestMemStateLocks(t *testing.T) {
	t.Parallel()
	s := newMemState()
	ctx := context.Background()
	try := func(ttl time.Duration) (func(context.Context) error, error) {
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		return s.Lock(short, "oauth", ttl)
	}
	first, err := s.Lock(ctx, "oauth", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := try(time.Minute); sdk.KindOf(err) != sdk.KindRetryable {
		t.Fatalf("a lock held by another: %v, want a retryable error", err)
	}
	if other, err := s.Lock(ctx, "other", time.Minute); err != nil {
		t.Fatalf("a lock of another name: %v", err)
	} else if err := other(ctx); err != nil {
		t.Fatal(err)
	}
	if err := first(ctx); err != nil {
		t.Fatal(err)
	}
	second, err := try(time.Millisecond)
	if err != nil {
		t.Fatalf("a freed lock: %v", err)
	}
	third, err := s.Lock(ctx, "oauth", time.Minute) // once second's millisecond is up
	if err != nil {
		t.Fatalf("a lock whose time is up: %v", err)
	}
	if err := second(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := try(time.Minute); sdk.KindOf(err) != sdk.KindRetryable {
		t.Fatalf("the late unlock of a lock taken over freed it: %v", err)
	}
	if err := third(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lock(ctx, "oauth", 0); sdk.KindOf(err) != sdk.KindPermanent {
		t.Errorf("a lock for no time: %v, want a permanent error", err)
	}
}
