package sdktest

import (
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
)

// ConnectorFixture drives the fake vendor behind a connector under test. Each
// call of ConnectorSuite.Fixture returns a fresh vendor.
type ConnectorFixture interface {
	// Config is a valid configuration that points the connector at this
	// fake vendor, of the schema's config type.
	Config() cty.Value
	// BadConfigs are configurations that Configure must reject with an
	// error diagnostic.
	BadConfigs() []BadConfig
	// Inject makes the vendor receive a new buyer message with this text.
	// A polling connector then finds it with Poll; for a webhook connector
	// the returned Inbound carries the vendor's (signed) request.
	Inject(t testing.TB, text string) Inbound
	// Outbound is a valid message to send with this text.
	Outbound(text string) sdk.OutboundMessage
	// Sent lists the sends the vendor took, in order, each with the
	// ExternalID the vendor gave it; a send the vendor failed is not in it.
	// The suite checks each Send result against the entry for its item's
	// key.
	Sent() []Sent
	// FailNextSend makes the vendor fail the next send so that the
	// connector must report an error of this kind (for KindRateLimited, with
	// a retry-after). It returns false when the vendor has no such failure.
	FailNextSend(kind sdk.ErrorKind) bool
	// DedupsKeys tells whether the vendor itself drops a repeated send with
	// the same idempotency key.
	DedupsKeys() bool
}

// Inbound is a message injected at the fake vendor.
type Inbound struct {
	// ExternalID the connector must report for the message.
	ExternalID string
	// Webhook is the vendor's request that delivers the message, or nil
	// when the connector polls. When Signed is true, the suite tampers with
	// the body and expects a 4xx answer and no messages.
	Webhook *sdk.WebhookRequest
	Signed  bool
}

// Sent is one send as the vendor saw it.
type Sent struct {
	IdempotencyKey string
	Text           string
	ExternalID     string
}

// BadConfig is a configuration Configure must reject.
type BadConfig struct {
	Name   string
	Config cty.Value
	// Attribute the error diagnostic must point at; nil accepts any.
	Attribute cty.Path
}

// ActionFixture drives the fake service behind an action under test.
type ActionFixture interface {
	Config() cty.Value
	BadConfigs() []BadConfig
	// Arguments are valid step arguments, of the schema's arguments type,
	// that carry text to the service.
	Arguments(text string) cty.Value
	// Received lists what the service took, in order; a call the service
	// failed is not in it.
	Received() []Sent
	// FailNextExecute is FailNextSend for actions.
	FailNextExecute(kind sdk.ErrorKind) bool
	DedupsKeys() bool
}
