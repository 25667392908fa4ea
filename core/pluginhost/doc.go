// Package pluginhost starts, supervises and calls Switchboard plugins.
//
// Each configured plugin instance (connector "webhook" "shop") runs as its own
// hashicorp/go-plugin subprocess over gRPC with AutoMTLS. The host:
//   - finds plugins by name in a plugin directory or by explicit path, and
//     refuses a binary whose sha256 differs from its pin, naming both sums;
//   - negotiates the wire protocol version (VersionedPlugins);
//   - gives a plugin only the environment its configuration names, never
//     the host's own;
//   - starts it in its own process group with a parent-death signal, so no
//     plugin outlives the host, even one killed with SIGKILL;
//   - puts a deadline on every call, and restarts a plugin that crashed or
//     hung, with backoff, replaying its configuration; the calls that failed
//     return a *CallError so that their work is redelivered;
//   - re-emits plugin logs through hclog under the plugin's name.
//
// Connector and Action implement the sdk interfaces, so callers use a
// supervised plugin exactly like any other sdk.Connector or sdk.Action.
package pluginhost
