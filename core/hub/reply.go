package hub

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/switchboard-hub/switchboard/core/loopguard"
	"github.com/switchboard-hub/switchboard/core/store"
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
//
// Once begun, a reply is sent and recorded even if the caller goes away:
// the vendor may take it whether or not the caller waits. A reply whose
// outcome is unknown — the plugin crashed or hung during the send, or the
// reply went out and could not be recorded — keeps its key held until the
// key's lease runs out, and a reply on a channel whose connector can look
// sends up is looked up before it is sent.
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
	ctx = context.WithoutCancel(ctx) // the plugin call has its own deadline
	settled := true
	defer func() {
		if settled {
			_ = h.store.ReleaseLease(ctx, lease, holder)
		}
	}()
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
	if m := latestFromBuyer(msgs); m != nil {
		out.Recipients = []sdk.Party{m.Sender}
		out.InReplyTo = m.ExternalID
		out.Subject = m.Subject
	}
	// An earlier request with this key may have sent it, and gone before
	// recording it.
	if channelCapabilities(g, th.Connector, th.Channel).LookupSend {
		found, err := conn.LookupSend(ctx, sdk.LookupRequest{IdempotencyKey: key, Channel: th.Channel, Thread: th.ExternalID})
		if err != nil {
			return "", fmt.Errorf("ask the connector whether an earlier request sent this reply: %w", err)
		}
		if found.Outcome == sdk.LookupSent {
			return h.recordAgentReply(ctx, th, threadID, key, out, found.ExternalID, found.SentAt, &settled)
		}
	}
	res, err := conn.Send(ctx, []sdk.SendItem{{IdempotencyKey: key, Message: out}})
	if err == nil {
		err = res[0].Err
	}
	if err != nil {
		settled = !inDoubt(err)
		return "", err
	}
	return h.recordAgentReply(ctx, th, threadID, key, out, res[0].ExternalID, res[0].SentAt, &settled)
}

// recordAgentReply records a manual reply that went out. One that could not
// be recorded leaves its key held (settled false) until the lease runs out.
func (h *Hub) recordAgentReply(ctx context.Context, th *store.Thread, threadID, key string, out sdk.OutboundMessage, externalID string, at time.Time, settled *bool) (string, error) {
	now := h.clock.Now()
	if at.IsZero() {
		at = now
	}
	sent := sdk.Message{
		ExternalID: externalID, Connector: th.Connector, Account: th.Account, Channel: th.Channel,
		Thread: th.ExternalID, Direction: sdk.Outbound, Recipients: out.Recipients, Subject: out.Subject,
		Text: out.Text, SentAt: at, InReplyTo: out.InReplyTo,
	}
	if err := h.store.RecordAgentReply(ctx, threadID, key, sent, now); err != nil {
		*settled = false
		return externalID, fmt.Errorf("the reply was sent, but recording it failed: %w", err)
	}
	h.metrics.messagesOut.WithLabelValues(th.Connector, th.Account).Inc()
	return externalID, nil
}

// latestFromBuyer is the message a manual reply answers: the thread's
// latest inbound message that a person wrote, not a bounce or an
// out-of-office notice (loopguard.Automatic); else its latest inbound
// message; nil in a thread of none.
func latestFromBuyer(msgs []sdk.Message) *sdk.Message {
	var latest *sdk.Message
	for i := len(msgs) - 1; i >= 0; i-- {
		m := &msgs[i]
		if m.Direction != sdk.Inbound {
			continue
		}
		if auto, _ := loopguard.Automatic(m); !auto {
			return m
		}
		if latest == nil {
			latest = m
		}
	}
	return latest
}
