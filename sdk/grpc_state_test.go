package sdk

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hub/switchboard/sdk/internal/wire"
)

// countingState counts the calls that reach the host's store, and the
// locks it freed.
type countingState struct{ calls, unlocked int }

func (s *countingState) Get(context.Context, string) ([]byte, bool, error) {
	s.calls++
	return nil, false, nil
}
func (s *countingState) Put(context.Context, string, []byte) error { s.calls++; return nil }
func (s *countingState) Delete(context.Context, string) error      { s.calls++; return nil }
func (s *countingState) Lock(context.Context, string, time.Duration) (func(context.Context) error, error) {
	s.calls++
	return func(context.Context) error { s.unlocked++; return nil }, nil
}

// The host's state server refuses a key no store could keep, as the
// plugin's permanent error, before its store sees it.
func TestStateServerChecksKeys(t *testing.T) {
	t.Parallel()
	impl := &countingState{}
	s := &stateServer{impl: impl}
	ctx := context.Background()
	long := strings.Repeat("k", MaxStateKeyLen+1)
	for _, key := range []string{"", long, "a\x00b"} {
		_, errGet := s.Get(ctx, &wire.StateGetRequest{Key: key})
		_, errPut := s.Put(ctx, &wire.StatePutRequest{Key: key, Value: []byte("v")})
		_, errDel := s.Delete(ctx, &wire.StateDeleteRequest{Key: key})
		_, errLock := s.Lock(ctx, &wire.StateLockRequest{Key: key, TtlMs: 1000})
		for method, err := range map[string]error{"get": errGet, "put": errPut, "delete": errDel, "lock": errLock} {
			if k := KindOf(errorFromStatus(method, err)); err == nil || k != KindPermanent {
				t.Errorf("%s of key %.20q: %v (%s), want a permanent error", method, key, err, k)
			}
		}
	}
	if impl.calls != 0 {
		t.Errorf("the store saw %d calls with keys it cannot keep", impl.calls)
	}
	if _, err := s.Put(ctx, &wire.StatePutRequest{Key: "token", Value: []byte("v")}); err != nil || impl.calls != 1 {
		t.Errorf("a valid key: %v, %d calls", err, impl.calls)
	}
}

// A lock is held for a millisecond to MaxLockTTL; the server refuses other
// times before the store sees them, and frees a lock only for the token it
// gave.
func TestStateServerLocks(t *testing.T) {
	t.Parallel()
	impl := &countingState{}
	s := &stateServer{impl: impl}
	ctx := context.Background()
	for _, ms := range []int64{0, -1, MaxLockTTL.Milliseconds() + 1} {
		_, err := s.Lock(ctx, &wire.StateLockRequest{Key: "oauth", TtlMs: ms})
		if k := KindOf(errorFromStatus("lock", err)); err == nil || k != KindPermanent || !strings.Contains(err.Error(), "1ms to 10m0s") {
			t.Errorf("lock for %d ms: %v (%s), want a permanent error naming the range", ms, err, k)
		}
	}
	if impl.calls != 0 {
		t.Fatalf("the store saw %d locks it should not have", impl.calls)
	}
	r, err := s.Lock(ctx, &wire.StateLockRequest{Key: "oauth", TtlMs: 30_000})
	if err != nil || r.Token == "" {
		t.Fatalf("lock: %v, token %q", err, r.GetToken())
	}
	for _, wrong := range []*wire.StateUnlockRequest{{Key: "oauth", Token: "guess"}, {Key: "other", Token: r.Token}} {
		if _, err := s.Unlock(ctx, wrong); err != nil || impl.unlocked != 0 {
			t.Errorf("unlock %v: %v; %d freed, want none", wrong, err, impl.unlocked)
		}
	}
	for range 2 { // the second is a repeat, and frees nothing more
		if _, err := s.Unlock(ctx, &wire.StateUnlockRequest{Key: "oauth", Token: r.Token}); err != nil {
			t.Errorf("unlock: %v", err)
		}
	}
	if impl.unlocked != 1 {
		t.Errorf("%d locks freed, want 1", impl.unlocked)
	}
}
