package hub

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/switchboard-hub/switchboard/sdk"
)

// ErrReplyInProgress answers a manual reply whose key another request, to
// this hub or another, is sending now.
var ErrReplyInProgress = errors.New("a reply with this Idempotency-Key is being sent; ask again in a moment for its result")

// replyLease is how long a manual reply being sent holds its key: longer
// than a plugin call may take (pluginhost's call deadline, a minute by
// default), so that it runs out only when its hub died.
const replyLease = 2 * time.Minute

// Reply sends a person's reply into a thread through its connector, with
// the caller's idempotency key, and records it, so that delayed automatic
// replies with unless_answered stand down. A request repeated with the same
// key returns the first one's result without sending again, and one that
// comes while the first is being sent is ErrReplyInProgress.
func (h *Hub) Reply(ctx context.Context, threadID, text, key string) (string, error) {
	// The key is the caller's, scoped to the thread, and reaches the vendor
	// too.
	key = "manual/" + threadID + "/" + key
	if ext, found, err := h.store.AgentReply(ctx, key); err != nil || found {
		return ext, err
	}
	// One request at a time sends with a key, on any node: it holds a lease
	// named for the key while it sends and records.
	lease, holder := "reply/"+key, fmt.Sprintf("%s/%016x", h.opts.Node, rand.Uint64())
	won, err := h.store.AcquireLease(ctx, lease, holder, h.clock.Now(), replyLease)
	if err != nil {
		return "", err
	}
	if !won {
		return "", ErrReplyInProgress
	}
	defer func() { _ = h.store.ReleaseLease(context.WithoutCancel(ctx), lease, holder) }()
	// The request that held the key before may have recorded its reply.
	if ext, found, err := h.store.AgentReply(ctx, key); err != nil || found {
		return ext, err
	}
	th, msgs, err := h.store.Thread(ctx, threadID)
	if err != nil {
		return "", err
	}
	g, err := h.use()
	if err != nil {
		return "", err
	}
	defer g.plugins.done()
	conn, ok := g.plugins.connector(th.Connector, th.Account)
	if !ok {
		return "", sdk.Permanent(fmt.Errorf("no connector %q %q is configured for this thread any more", th.Connector, th.Account))
	}
	out := sdk.OutboundMessage{Channel: th.Channel, Thread: th.ExternalID, Text: text}
	for i := len(msgs) - 1; i >= 0; i-- { // answer the buyer's latest message
		if msgs[i].Direction == sdk.Inbound {
			out.Recipients = []sdk.Party{msgs[i].Sender}
			out.InReplyTo = msgs[i].ExternalID
			out.Subject = msgs[i].Subject
			break
		}
	}
	res, err := conn.Send(ctx, []sdk.SendItem{{IdempotencyKey: key, Message: out}})
	if err == nil {
		err = res[0].Err
	}
	if err != nil {
		return "", err
	}
	now := h.clock.Now()
	sent := sdk.Message{
		ExternalID: res[0].ExternalID, Connector: th.Connector, Account: th.Account, Channel: th.Channel,
		Thread: th.ExternalID, Direction: sdk.Outbound, Recipients: out.Recipients, Subject: out.Subject,
		Text: text, SentAt: now, InReplyTo: out.InReplyTo,
	}
	if err := h.store.RecordAgentReply(ctx, threadID, key, sent, now); err != nil {
		return res[0].ExternalID, fmt.Errorf("the reply was sent, but recording it failed: %w", err)
	}
	h.metrics.messagesOut.WithLabelValues(th.Connector, th.Account).Inc()
	return res[0].ExternalID, nil
}
