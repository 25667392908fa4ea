package hub

import (
	"context"
	"fmt"
	"sync"
)

// batcher turns calls that wait at the same time into batched calls of a
// plugin: the hub's workers each send one reply or run one action, and a
// plugin call costs about as much for a hundred items as for one. A call
// that finds fewer than inFlight batches running runs one itself, with
// every call waiting then (up to max), and goes on while calls wait;
// under light load a call is a batch of one and waits for nothing.
type batcher[I, O any] struct {
	max, inFlight int
	run           func(ctx context.Context, items []I) ([]O, error)

	mu      sync.Mutex
	waiting []*batchCall[I, O]
	running int
}

type batchCall[I, O any] struct {
	item I
	out  O
	err  error
	done chan struct{}
}

func newBatcher[I, O any](max, inFlight int, run func(ctx context.Context, items []I) ([]O, error)) *batcher[I, O] {
	return &batcher[I, O]{max: max, inFlight: inFlight, run: run}
}

// do runs item in a batch and returns its result. The batch runs on ctx
// without its cancellation, since it carries other callers' items too.
func (b *batcher[I, O]) do(ctx context.Context, item I) (O, error) {
	c := &batchCall[I, O]{item: item, done: make(chan struct{})}
	b.mu.Lock()
	b.waiting = append(b.waiting, c)
	lead := b.running < b.inFlight
	if lead {
		b.running++
	}
	b.mu.Unlock()
	if lead {
		b.lead(context.WithoutCancel(ctx), c)
	}
	<-c.done
	return c.out, c.err
}

// lead runs batches until no call waits. A caller leads until its own
// call is done, then hands on to a goroutine of its own (own nil) while
// calls wait, so that no caller is kept past its result.
func (b *batcher[I, O]) lead(ctx context.Context, own *batchCall[I, O]) {
	for {
		b.mu.Lock()
		n := min(len(b.waiting), b.max)
		if n == 0 {
			b.running--
			b.mu.Unlock()
			return
		}
		if own != nil && isDone(own.done) {
			b.mu.Unlock()
			go b.lead(ctx, nil)
			return
		}
		calls := make([]*batchCall[I, O], n)
		copy(calls, b.waiting)
		b.waiting = append(b.waiting[:0], b.waiting[n:]...)
		b.mu.Unlock()

		items := make([]I, n)
		for i, c := range calls {
			items[i] = c.item
		}
		outs, err := b.run(ctx, items)
		if err == nil && len(outs) != n {
			err = fmt.Errorf("a batch of %d items returned %d results", n, len(outs))
		}
		for i, c := range calls {
			if err != nil {
				c.err = err
			} else {
				c.out = outs[i]
			}
			close(c.done)
		}
	}
}

func isDone(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
