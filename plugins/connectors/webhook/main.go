// Command switchboard-connector-webhook is the generic JSON connector of
// Switchboard: any system that can make an HTTP request can hand buyer
// messages to the hub, and receive the hub's replies, without a dedicated
// plugin.
//
// Inbound, the hub forwards requests that arrive at
// /hooks/webhook/<account> to HandleWebhook, which checks their HMAC-SHA256
// signature and reads one message, or a batch under "messages", in the JSON
// format documented in docs/plugins/webhook.md. Outbound, Send POSTs each
// reply as JSON to send_url with the step's idempotency key in the
// Idempotency-Key header.
//
// The connector keeps no state: the external ids come from the sender, the
// receiver de-duplicates by idempotency key, and a send after a crash is
// repeated (at least once) because the connector cannot ask the receiver
// whether it already arrived.
package main

import "github.com/switchboard-hub/switchboard/sdk"

func main() {
	sdk.Serve(sdk.ServeOpts{Connector: newConnector()})
}
