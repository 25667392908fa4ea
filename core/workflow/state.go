package workflow

import (
	"context"
	"time"

	"github.com/switchboard-hub/switchboard/sdk"
)

// Inbound is a stored buyer message with what the host knows around it.
type Inbound struct {
	// Message has ID, Connector and Account set by the host.
	Message    sdk.Message
	ReceivedAt time.Time
	Thread     Thread
	Contact    Contact
	// ContactPreviousAt is when the contact's previous message arrived
	// (on any thread), zero when this is their first.
	ContactPreviousAt time.Time
}

// Thread is the state of a thread that the engine reads.
type Thread struct {
	ID         string
	ExternalID string
	Status     string
	Tags       []string
	Assignee   string
	// Messages counts buyer messages, the one being evaluated included.
	Messages         int
	FirstMessageID   string
	FirstInboundAt   time.Time
	LastInboundAt    time.Time
	FirstResponseAt  time.Time
	LastHumanReplyAt time.Time
	LastAutoReplyAt  time.Time
	AutoReplies      int
}

// Contact is the person behind the sender.
type Contact struct {
	ID       string
	Name     string
	Email    string
	Phone    string
	Handle   string
	Messages int
}

// ReplyClaim asks for the right to send one automatic reply.
type ReplyClaim struct {
	ThreadID string
	Workflow string
	// Key is the step's idempotency key: claiming again with the same key
	// succeeds, so a redelivered step is not refused by its own claim.
	Key    string
	At     time.Time
	Window time.Duration
	// Breaker: refuse when the workflow sent Limit replies within Per.
	BreakerLimit int
	BreakerPer   time.Duration
}

// Verdict answers a claim.
type Verdict struct {
	OK     bool
	Reason string // why not
	// Repeated: the claim's key had this verdict already, given to an earlier
	// attempt of the step (one whose worker died, or a redelivery). Only a
	// granted claim's reply can have been sent, so a step whose earlier
	// attempt never got its verdict surely sent nothing.
	Repeated bool
}

// Claims grants what may happen only once per thread or within a limit. A
// store implements it with conditional updates so that concurrent workers,
// on one node or many, cannot both win.
type Claims interface {
	ClaimReply(ctx context.Context, c ReplyClaim) (Verdict, error)
}
