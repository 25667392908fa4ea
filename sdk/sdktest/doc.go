// Package sdktest is the conformance suite for Switchboard plugins.
//
// A plugin author runs it with one test function and a fixture for the fake
// vendor behind the plugin:
//
//	func TestConformance(t *testing.T) {
//		sdktest.RunConnector(t, sdktest.ConnectorSuite{
//			New:     func() sdk.Connector { return &connector{} },
//			Binary:  os.Getenv("MY_PLUGIN_BINARY"), // optional
//			Fixture: newFakeVendor,
//		})
//	}
//
// Every check goes through the real gRPC path: the plugin is served
// in-process over go-plugin's gRPC transport and, when Binary is set, started
// again as a subprocess exactly as the host starts it. The checks are the
// ones the hub depends on: the schema is sane and answered before Configure;
// Configure rejects bad configuration with diagnostics; Poll never loses or
// repeats a message across restarts when the host keeps the cursor; webhooks
// with a bad signature are rejected; a retried Send with the same
// idempotency key reaches the vendor once (or LookupSend tells the truth);
// each result of a batch belongs to its item; declared outputs are
// returned; error kinds survive the wire. The State the suite passes to
// Configure refuses the keys and lock times the host refuses, and its locks
// wait and expire as the host's do.
package sdktest
