package sdk

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboard-hub/switchboard/sdk/internal/wire"
)

// countingState counts the calls that reach the host's store.
type countingState struct{ calls int }

func (s *countingState) Get(context.Context, string) ([]byte, bool, error) {
	s.calls++
	return nil, false, nil
}
func (s *countingState) Put(context.Context, string, []byte) error { s.calls++; return nil }
func (s *countingState) Delete(context.Context, string) error      { s.calls++; return nil }

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
		for method, err := range map[string]error{"get": errGet, "put": errPut, "delete": errDel} {
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
