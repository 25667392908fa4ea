package hub

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestBatcherGathersWaitingCalls holds the first batch until every other
// call waits, and checks that they then go in batches of at most max, that
// each caller gets its own result, and that no batch outlives the calls.
func TestBatcherGathersWaitingCalls(t *testing.T) {
	const calls, max = 25, 10
	release := make(chan struct{})
	var (
		mu    sync.Mutex
		sizes []int
	)
	b := newBatcher(max, 1, func(ctx context.Context, items []int) ([]int, error) {
		mu.Lock()
		first := len(sizes) == 0
		sizes = append(sizes, len(items))
		mu.Unlock()
		if first {
			<-release
		}
		out := make([]int, len(items))
		for i, it := range items {
			out[i] = it * 2
		}
		return out, nil
	})
	var wg sync.WaitGroup
	results := make([]int, calls)
	wg.Add(1)
	go func() { defer wg.Done(); results[0], _ = b.do(t.Context(), 0) }()
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(sizes) == 1 })
	for i := 1; i < calls; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := b.do(t.Context(), i)
			if err != nil {
				t.Error(err)
			}
			results[i] = out
		}()
	}
	waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return len(b.waiting) == calls-1 })
	close(release)
	wg.Wait()
	for i, r := range results {
		if r != i*2 {
			t.Errorf("call %d got %d, want %d", i, r, i*2)
		}
	}
	if want := []int{1, 10, 10, 4}; !slices.Equal(sizes, want) {
		t.Errorf("batch sizes %v, want %v", sizes, want)
	}
	waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.running == 0 })
}

// TestBatcherErrors gives every item of a failed batch the batch's error,
// and an error when a batch answers with too few results.
func TestBatcherErrors(t *testing.T) {
	boom := errors.New("plugin crashed")
	b := newBatcher(10, 2, func(ctx context.Context, items []string) ([]string, error) { return nil, boom })
	if _, err := b.do(t.Context(), "a"); !errors.Is(err, boom) {
		t.Errorf("failed batch: %v, want %v", err, boom)
	}
	short := newBatcher(10, 2, func(ctx context.Context, items []string) ([]string, error) { return nil, nil })
	if _, err := short.do(t.Context(), "a"); err == nil {
		t.Error("a batch without results: no error")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(time.Millisecond)
	}
}
