// Package sdk is the Go SDK for Switchboard plugins.
//
// A plugin is a small program that carries one channel family (a Connector:
// Allegro, e-mail, WhatsApp, a generic webhook) or one step type (an Action:
// a notification, a CRM ticket) for the Switchboard hub. Its main function
// hands an implementation to Serve:
//
//	func main() {
//		sdk.Serve(sdk.ServeOpts{Connector: &myConnector{}})
//	}
//
// The hub starts the program as a hashicorp/go-plugin subprocess and talks
// to it over gRPC. Plugin authors see only the Go types of this package:
// Message, Schema, Diagnostics, Error and cty values. The wire contract lives
// in sdk/proto and is generated into an internal package.
//
// Plugins keep no delivery state. The host owns poll cursors and idempotency
// keys and offers durable key-value State for what a plugin must remember
// (a rotating OAuth refresh token). A plugin may be killed at any moment.
//
// Configure reads its configuration, and Execute its arguments, with
// ReadAttrs, which reports each problem as a Diagnostic at its attribute.
// Package vendorhttp holds the HTTP conventions every plugin that calls a
// vendor shares: classifying answers into error kinds, Retry-After,
// transport errors, redacted URLs and HMAC-SHA256 body signatures.
//
// The same types serve the host: ConnectorPlugin and ActionPlugin are the
// go-plugin pairs, and their client side implements Connector and Action
// over gRPC, so the host sees only Go interfaces. Package sdktest holds the
// conformance suite every plugin should pass.
package sdk
