package hub

import (
	"context"
	"sync"
	"time"

	"github.com/switchboard-hub/switchboard/core/pluginhost"
	"github.com/switchboard-hub/switchboard/sdk"
)

// pollLimit bounds one Poll's page.
const pollLimit = 500

// pollers run one loop per polling connector account of the current
// generation; a reload restarts them with the new plugins.
type pollers struct {
	ctx    context.Context
	hub    *Hub
	mu     sync.Mutex
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newPollers(ctx context.Context, h *Hub) *pollers { return &pollers{ctx: ctx, hub: h} }

func (p *pollers) restart(g *generation) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cancel != nil {
		p.cancel()
		p.wg.Wait()
	}
	ctx, cancel := context.WithCancel(p.ctx)
	p.cancel = cancel
	for _, c := range g.cfg.Connectors {
		if !polls(c.Schema) {
			continue
		}
		conn, ok := g.plugins.connector(c.Type, c.Name)
		if !ok {
			continue
		}
		interval := c.PollInterval
		if interval <= 0 {
			interval = p.hub.opts.PollInterval
		}
		p.wg.Add(1)
		go func(typ, account string) {
			defer p.wg.Done()
			p.hub.poll(ctx, typ, account, conn, interval)
		}(c.Type, c.Name)
	}
}

func (p *pollers) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cancel != nil {
		p.cancel()
		p.wg.Wait()
	}
}

func polls(s *sdk.Schema) bool {
	for _, ch := range s.Channels {
		if ch.Capabilities.Poll {
			return true
		}
	}
	return false
}

// poll asks one connector account for messages after its stored cursor,
// stores them with the next cursor in one transaction, and rests when the
// connector has nothing more. Nodes sharing a database poll an account one
// at a time: the one holding its lease, which it renews while it polls.
func (h *Hub) poll(ctx context.Context, typ, account string, conn *pluginhost.Connector, interval time.Duration) {
	lease, ttl := "poll/"+typ+"/"+account, max(3*interval, time.Minute)
	defer func() { _ = h.store.ReleaseLease(context.WithoutCancel(ctx), lease, h.opts.Node) }()
	failures := 0
	for ctx.Err() == nil {
		wait := interval
		if held, err := h.store.AcquireLease(ctx, lease, h.opts.Node, h.clock.Now(), ttl); err != nil || !held {
			if err != nil && ctx.Err() == nil {
				h.log.Warn("poll lease unavailable", "connector", typ, "account", account, "error", err)
			}
			select {
			case <-ctx.Done():
			case <-h.clock.After(interval):
			}
			continue
		}
		cursor, err := h.store.Cursor(ctx, typ, account)
		var res *sdk.PollResult
		if err == nil {
			res, err = conn.Poll(ctx, sdk.PollRequest{Cursor: cursor, Limit: pollLimit})
		}
		if err == nil {
			_, err = h.Ingest(ctx, typ, account, res.Messages, nonNil(res.NextCursor))
		}
		switch {
		case err != nil && ctx.Err() == nil:
			failures++
			wait = min(backoff(failures), interval)
			if ra := sdk.RetryAfter(err); ra > wait {
				wait = ra
			}
			h.log.Warn("poll failed", "connector", typ, "account", account, "error", err, "retry_in", wait)
		case err == nil && res.More:
			failures = 0
			continue
		default:
			failures = 0
		}
		select {
		case <-ctx.Done():
		case <-h.clock.After(wait):
		}
	}
}

// nonNil keeps an empty next cursor distinct from "keep the cursor".
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
