package sdk

import (
	"context"
	"net/http"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"
)

// Connector carries one channel family. Every method may be called
// concurrently after Configure, and the process may be killed at any moment:
// keep delivery state out of memory (the host owns cursors and keys; use
// State for the rest).
//
// Methods a connector's channels do not support return
// Permanent(ErrUnsupported).
type Connector interface {
	// Schema describes the connector; it works before Configure.
	Schema(ctx context.Context) (*Schema, error)
	// Configure receives the decoded configuration. Problems with it are
	// returned as diagnostics naming the attribute at fault.
	Configure(ctx context.Context, req ConfigureRequest) (Diagnostics, error)
	// Poll returns messages after cursor (nil on the first poll) and the
	// cursor to continue from. The host stores the messages before it saves
	// the next cursor, so a poll repeated with the same cursor (after a
	// crash) must not skip a message; it may repeat some, which the host
	// drops by ExternalID.
	Poll(ctx context.Context, req PollRequest) (*PollResult, error)
	// HandleWebhook verifies and parses one request from the vendor. A bad
	// signature or body is answered with a 4xx status and no messages. The
	// host stores the messages before it answers the vendor with the response.
	HandleWebhook(ctx context.Context, req *WebhookRequest) (*WebhookResponse, error)
	// Send delivers a batch. It returns one result per item, in order; an
	// error from Send itself fails the whole batch.
	Send(ctx context.Context, items []SendItem) ([]SendResult, error)
	// LookupSend tells, after a crash, whether a send with this idempotency
	// key already went out, so the host does not send it twice.
	LookupSend(ctx context.Context, req LookupRequest) (*LookupResult, error)
	// Check tells whether the connector can reach its vendor with its config.
	Check(ctx context.Context) (Diagnostics, error)
}

// ConfigureRequest carries a plugin instance's configuration.
type ConfigureRequest struct {
	// Instance is the configured name: the account of a connector
	// (connector "webhook" "shop" → "shop").
	Instance string
	// Config is an object of the schema's config type. Sensitive attributes
	// carry the Sensitive mark; use Decode to read it into a struct.
	Config cty.Value
	// State is durable key-value state for this instance.
	State State
	// Logger writes to the host's log under the plugin's name. Never log
	// secrets. Set by the SDK on the plugin side; the host leaves it nil.
	Logger hclog.Logger
}

// PollRequest asks for messages after Cursor.
type PollRequest struct {
	Cursor []byte
	// Limit is an upper bound on the messages returned; 0 lets the connector choose.
	Limit int
}

// PollResult is a page of messages.
type PollResult struct {
	Messages   []Message
	NextCursor []byte
	// More says that more messages are ready now: poll again without waiting.
	More bool
}

// WebhookRequest is the vendor's raw HTTP request.
type WebhookRequest struct {
	Method string
	// Path below /hooks/<connector>/<account>, "/" when empty.
	Path       string
	RawQuery   string
	Header     http.Header
	Body       []byte
	RemoteAddr string
}

// WebhookResponse is what to answer the vendor, and the messages found.
// The host stores Messages before it answers, when Status is a success
// (2xx, or 0, which answers 200); a failure to store answers 503 instead,
// so that the vendor delivers the request again.
type WebhookResponse struct {
	Status   int
	Header   http.Header
	Body     []byte
	Messages []Message
}

// SendItem is one message to send, with its idempotency key.
type SendItem struct {
	// IdempotencyKey is the same on every retry of the same step. Pass it to
	// vendors that accept one.
	IdempotencyKey string
	Message        OutboundMessage
}

// SendResult is the outcome of one SendItem: ExternalID on success, Err on
// failure (use Permanent, Retryable or RateLimited).
type SendResult struct {
	ExternalID string
	SentAt     time.Time
	Err        error
}

// LookupRequest asks whether a send went out.
type LookupRequest struct {
	IdempotencyKey string
	Channel        string
	Thread         string
}

// LookupOutcome is the answer to LookupSend.
type LookupOutcome int

const (
	// LookupUnknown: the connector cannot tell; the channel's
	// UnverifiableSend decides.
	LookupUnknown LookupOutcome = iota
	LookupSent
	LookupNotSent
)

func (o LookupOutcome) String() string {
	switch o {
	case LookupSent:
		return "sent"
	case LookupNotSent:
		return "not sent"
	}
	return "unknown"
}

// LookupResult answers LookupSend.
type LookupResult struct {
	Outcome    LookupOutcome
	ExternalID string
	SentAt     time.Time
}
