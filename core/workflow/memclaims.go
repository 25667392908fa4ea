package workflow

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/switchboard-hub/switchboard/core/config"
)

// MemClaims is Claims in memory, for tests and `switchboard test`.
type MemClaims struct {
	mu      sync.Mutex
	threads map[string]threadClaim
	sent    map[string][]time.Time // workflow → reply times, for the breaker
	granted map[string]Verdict     // key → verdict, for idempotency
}

type threadClaim struct {
	at  time.Time
	key string
}

func NewMemClaims() *MemClaims {
	return &MemClaims{threads: map[string]threadClaim{}, sent: map[string][]time.Time{}, granted: map[string]Verdict{}}
}

func (m *MemClaims) ClaimReply(_ context.Context, c ReplyClaim) (Verdict, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.granted[c.Key]; ok {
		v.Repeated = true
		return v, nil
	}
	v := m.decide(c)
	m.granted[c.Key] = v
	if v.OK {
		m.threads[c.ThreadID] = threadClaim{at: c.At, key: c.Key}
		m.sent[c.Workflow] = append(m.sent[c.Workflow], c.At)
	}
	return v, nil
}

func (m *MemClaims) decide(c ReplyClaim) Verdict {
	if last, ok := m.threads[c.ThreadID]; ok && c.Window > 0 && c.At.Sub(last.at) < c.Window {
		return Verdict{Reason: fmt.Sprintf("reply window: an automatic reply went to this thread at %s, within %s",
			last.at.UTC().Format(time.RFC3339), config.FormatDuration(c.Window))}
	}
	if c.BreakerLimit > 0 {
		recent := m.sent[c.Workflow][:0]
		for _, t := range m.sent[c.Workflow] {
			if c.At.Sub(t) < c.BreakerPer {
				recent = append(recent, t)
			}
		}
		m.sent[c.Workflow] = recent
		if len(recent) >= c.BreakerLimit {
			return Verdict{Reason: BreakerReason(c.Workflow, len(recent), c.BreakerPer, c.BreakerLimit)}
		}
	}
	return Verdict{OK: true}
}

// BreakerReason words a reply the circuit breaker refused; stores use it too.
func BreakerReason(workflow string, sent int, per time.Duration, limit int) string {
	return fmt.Sprintf("circuit breaker: workflow %q already sent %d automatic replies within %s (limit %d); this reply is skipped",
		workflow, sent, config.FormatDuration(per), limit)
}
