package sdk

import (
	"context"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/switchboard-hub/switchboard/sdk/internal/wire"
)

// ProtocolVersion is the wire protocol this SDK speaks. The host negotiates
// it with go-plugin's VersionedPlugins, so a later host can still speak to
// plugins built against this SDK.
const ProtocolVersion = 1

// MaxMessageBytes bounds one gRPC message in either direction (a large Poll
// batch, a Send with inline attachments), far above gRPC's 4 MB default.
const MaxMessageBytes = 256 << 20

// Names under which the plugin kinds are dispensed.
const (
	connectorPluginName = "connector"
	actionPluginName    = "action"
)

// Handshake is the go-plugin handshake: a plugin started by anything but a
// Switchboard host refuses to run and says so.
func Handshake() plugin.HandshakeConfig {
	return plugin.HandshakeConfig{
		ProtocolVersion:  ProtocolVersion,
		MagicCookieKey:   "SWITCHBOARD_PLUGIN",
		MagicCookieValue: "d3c0a1f5-switchboard-plugin",
	}
}

// HostPlugins is the plugin set a host passes to go-plugin's
// ClientConfig.VersionedPlugins. Dispense with DispenseName(kind); the
// result implements Connector or Action.
func HostPlugins() map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{
		ProtocolVersion: {
			connectorPluginName: &ConnectorPlugin{},
			actionPluginName:    &ActionPlugin{},
		},
	}
}

// DispenseName is the go-plugin name under which a kind is served.
func DispenseName(k Kind) string {
	if k == KindAction {
		return actionPluginName
	}
	return connectorPluginName
}

// GRPCDialOptions are the host's dial options: receive and send limits that
// match the plugin side's.
func GRPCDialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithDefaultCallOptions(
		grpc.MaxCallRecvMsgSize(MaxMessageBytes),
		grpc.MaxCallSendMsgSize(MaxMessageBytes),
	)}
}

func grpcServerOptions(opts []grpc.ServerOption) []grpc.ServerOption {
	return append(opts, grpc.MaxRecvMsgSize(MaxMessageBytes), grpc.MaxSendMsgSize(MaxMessageBytes))
}

// ConnectorPlugin is the go-plugin pair for connectors. Impl is set on the
// plugin side; the host's client side returns a Connector over gRPC.
type ConnectorPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl   Connector
	Logger hclog.Logger
}

func (p *ConnectorPlugin) GRPCServer(b *plugin.GRPCBroker, s *grpc.Server) error {
	wire.RegisterConnectorServer(s, &connectorServer{impl: p.Impl, plugin: pluginSide{broker: b, logger: p.Logger}})
	return nil
}

func (p *ConnectorPlugin) GRPCClient(_ context.Context, b *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &connectorClient{rpc: wire.NewConnectorClient(c), host: hostSide{broker: b}}, nil
}

// ActionPlugin is the go-plugin pair for actions.
type ActionPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl   Action
	Logger hclog.Logger
}

func (p *ActionPlugin) GRPCServer(b *plugin.GRPCBroker, s *grpc.Server) error {
	wire.RegisterActionServer(s, &actionServer{impl: p.Impl, plugin: pluginSide{broker: b, logger: p.Logger}})
	return nil
}

func (p *ActionPlugin) GRPCClient(_ context.Context, b *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &actionClient{rpc: wire.NewActionClient(c), host: hostSide{broker: b}}, nil
}
