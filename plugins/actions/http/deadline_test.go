package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
)

// slowReceiver answers every request after delay with the request's
// Idempotency-Key as the body, and counts the keys it saw and the requests
// it had in flight at once.
type slowReceiver struct {
	srv   *httptest.Server
	delay time.Duration

	mu          sync.Mutex
	seen        map[string]int
	inFlight    int
	maxInFlight int
}

func newSlowReceiver(t *testing.T, delay time.Duration) *slowReceiver {
	t.Helper()
	r := &slowReceiver{delay: delay, seen: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *slowReceiver) serve(w http.ResponseWriter, req *http.Request) {
	key := req.Header.Get("Idempotency-Key")
	r.mu.Lock()
	r.seen[key]++
	r.inFlight++
	r.maxInFlight = max(r.maxInFlight, r.inFlight)
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.inFlight--
		r.mu.Unlock()
	}()
	select {
	case <-time.After(r.delay):
		w.Write([]byte(key))
	case <-req.Context().Done():
	}
}

func (r *slowReceiver) count(key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[key]
}

// batch returns n steps with the keys step-00, step-01, ...
func batch(t *testing.T, n int) []sdk.ExecuteItem {
	t.Helper()
	items := make([]sdk.ExecuteItem, n)
	for i := range items {
		items[i] = step(t, `{}`)
		items[i].IdempotencyKey = fmt.Sprintf("step-%02d", i)
	}
	return items
}

// concurrentRequests is how many requests docs/plugins/http.md says a batch
// has in flight at most.
const concurrentRequests = 8

// TestExecuteSendsConcurrently checks that a batch's requests overlap, no
// more than concurrentRequests at a time, and that the results come back
// in item order.
func TestExecuteSendsConcurrently(t *testing.T) {
	t.Parallel()
	recv := newSlowReceiver(t, 50*time.Millisecond)
	a := configured(t, map[string]cty.Value{"url": cty.StringVal(recv.srv.URL)})
	items := batch(t, 30)
	res, err := a.Execute(t.Context(), items)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("item %d: %v", i, r.Err)
		}
		if got := r.Outputs.GetAttr("body").AsString(); got != items[i].IdempotencyKey {
			t.Errorf("result %d is the answer to %s, want %s: results out of item order", i, got, items[i].IdempotencyKey)
		}
	}
	recv.mu.Lock()
	most := recv.maxInFlight
	recv.mu.Unlock()
	if most < 2 || most > concurrentRequests {
		t.Errorf("the receiver had up to %d requests in flight, want 2 to %d", most, concurrentRequests)
	}
}

// TestExecuteBatchNearDeadline is a batch larger than fits before the
// call's deadline, sent to a slow receiver: the requests that can finish
// in time are sent, the others are not started and fail as retryable, and
// Execute answers before the deadline, so the host never takes the plugin
// for hung and sends nothing twice.
func TestExecuteBatchNearDeadline(t *testing.T) {
	t.Parallel()
	const delay = 300 * time.Millisecond
	recv := newSlowReceiver(t, delay)
	a := configured(t, map[string]cty.Value{"url": cty.StringVal(recv.srv.URL), "timeout": cty.StringVal("1s")})
	items := batch(t, 40)

	// Work must end deadlineMargin early, 1.45s from now: the first round
	// of requests starts with 1.45s left and the second (after 0.3s) with
	// 1.15s, both more than the 1s timeout; the third would have 0.85s.
	// So at least the first round and at most two rounds are sent.
	deadline := time.Now().Add(deadlineMargin + 1450*time.Millisecond)
	ctx, cancel := context.WithDeadline(t.Context(), deadline)
	defer cancel()
	res, err := a.Execute(ctx, items)
	returned := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	if !returned.Before(deadline) {
		t.Errorf("Execute returned %s after the call's deadline", returned.Sub(deadline))
	}
	if len(res) != len(items) {
		t.Fatalf("%d results for %d items", len(res), len(items))
	}

	sent, skipping := 0, false
	for i, r := range res {
		key := items[i].IdempotencyKey
		if r.Err == nil {
			if skipping {
				t.Errorf("item %d was sent after an earlier one was not: items must start in order", i)
			}
			sent++
			if got := r.Outputs.GetAttr("body").AsString(); got != key {
				t.Errorf("result %d is the answer to %s, want %s", i, got, key)
			}
			if n := recv.count(key); n != 1 {
				t.Errorf("the receiver saw %s %d times, want once", key, n)
			}
			continue
		}
		skipping = true
		if sdk.KindOf(r.Err) != sdk.KindRetryable || !errors.Is(r.Err, errNotAttempted) ||
			!strings.Contains(r.Err.Error(), "not attempted: only ") || !strings.Contains(r.Err.Error(), "less than timeout (1s)") {
			t.Errorf("item %d: error = %v, want a retryable error saying it was not attempted for want of time", i, r.Err)
		}
		if n := recv.count(key); n != 0 {
			t.Errorf("item %d was not attempted, but the receiver saw %s %d times", i, key, n)
		}
	}
	if sent < concurrentRequests || sent > 2*concurrentRequests {
		t.Errorf("%d requests were sent, want one or two rounds of %d", sent, concurrentRequests)
	}
}

// TestExecuteTemplateOutOfTime checks that a template that is still
// running when the call's time runs out is stopped, and that its item fails
// as retryable, not as a fault of the template.
func TestExecuteTemplateOutOfTime(t *testing.T) {
	t.Parallel()
	recv := newSlowReceiver(t, 0)
	a := configured(t, map[string]cty.Value{"url": cty.StringVal(recv.srv.URL), "timeout": cty.StringVal("100ms")})
	// Each turn formats a megabyte and writes nothing: the repetition
	// guard's count alone would take minutes to stop it.
	slow := step(t, `{{range .Message.SentAt.Unix}}{{$x := printf "%0999999d" 0}}{{end}}{}`)
	deadline := time.Now().Add(deadlineMargin + 300*time.Millisecond)
	ctx, cancel := context.WithDeadline(t.Context(), deadline)
	defer cancel()
	res, err := a.Execute(ctx, []sdk.ExecuteItem{slow})
	if err != nil {
		t.Fatal(err)
	}
	if late := time.Since(deadline); late >= 0 {
		t.Errorf("Execute returned %s after the call's deadline", late)
	}
	if r := res[0]; sdk.KindOf(r.Err) != sdk.KindRetryable || !errors.Is(r.Err, errNotAttempted) || !strings.Contains(r.Err.Error(), "not attempted: stopped by Switchboard while rendering the body template (context deadline exceeded)") {
		t.Errorf("error = %v, want a retryable error saying the template ran out of time", r.Err)
	}
	if n := recv.count("step-1"); n != 0 {
		t.Errorf("the receiver saw the request %d times", n)
	}
}
