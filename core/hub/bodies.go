package hub

import (
	"errors"
	"io"

	"golang.org/x/sync/semaphore"
)

// DefaultWebhookMemory bounds the bytes of webhook bodies the hub holds at
// once: read, or being read, and not yet answered.
const DefaultWebhookMemory = 64 << 20

// errWebhooksBusy ends the reading of a body that would take the webhook
// bodies held past the hub's bound.
var errWebhooksBusy = errors.New("the hub holds as many webhook bodies as it may; try again")

// bodyBudget bounds the memory webhook bodies take. A body is counted as it
// is read, so that many slow or large requests at once cannot exhaust the
// hub's memory: the one that would go past the bound is refused (503, which
// vendors retry), and those within it go on.
type bodyBudget struct {
	sem *semaphore.Weighted
}

func newBodyBudget(bytes int64) *bodyBudget {
	return &bodyBudget{sem: semaphore.NewWeighted(bytes)}
}

// reader counts the bytes read from r against the budget; release gives
// them back once the request is answered.
func (b *bodyBudget) reader(r io.Reader) *budgetedReader {
	return &budgetedReader{r: r, budget: b}
}

type budgetedReader struct {
	r      io.Reader
	budget *bodyBudget
	held   int64
}

func (br *budgetedReader) Read(p []byte) (int, error) {
	n, err := br.r.Read(p)
	if n > 0 {
		if !br.budget.sem.TryAcquire(int64(n)) {
			return 0, errWebhooksBusy
		}
		br.held += int64(n)
	}
	return n, err
}

func (br *budgetedReader) release() {
	br.budget.sem.Release(br.held)
	br.held = 0
}
