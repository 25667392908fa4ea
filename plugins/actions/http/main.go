// Command switchboard-action-http is the "http" action of Switchboard: a
// workflow step that notifies another system with one signed HTTP request
// per message, its body rendered from a Go text/template over the message,
// its thread and its contact, such as
//
//	{"buyer": {{json .Contact.Name}}, "text": {{json .Message.Text}}}
//
// Every request carries the step's idempotency key in the Idempotency-Key
// header, since the host repeats a step whose outcome it did not record; with
// secret set it also carries an HMAC-SHA256 signature of the body. The
// response's status and body become the step's outputs. The template data
// model and the status classification are documented in docs/plugins/http.md.
package main

import "github.com/switchboard-hub/switchboard/sdk"

func main() {
	sdk.Serve(sdk.ServeOpts{Action: newAction()})
}
