package hub

import (
	"context"
	"fmt"

	"github.com/switchboard-hub/switchboard/sdk"
)

// Reply sends a person's reply into a thread through its connector, with
// the caller's idempotency key, and records it, so that delayed automatic
// replies with unless_answered stand down. A request repeated with the same
// key returns the first one's result without sending again.
func (h *Hub) Reply(ctx context.Context, threadID, text, key string) (string, error) {
	// The key is the caller's, scoped to the thread, and reaches the vendor
	// too.
	key = "manual/" + threadID + "/" + key
	if ext, found, err := h.store.AgentReply(ctx, key); err != nil {
		return "", err
	} else if found {
		return ext, nil
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
