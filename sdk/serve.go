package sdk

import (
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// ServeOpts names what a plugin program provides: exactly one of Connector
// or Action.
type ServeOpts struct {
	Connector Connector
	Action    Action
}

// Serve runs the plugin until the host stops it; call it from main.
//
// Serve owns stdout, which carries go-plugin's handshake: write nothing to
// it (print nothing before Serve either) and log through the Logger of
// ConfigureRequest, which writes JSON to stderr for the host to re-emit
// under the plugin's name. Serve raises gRPC's message limits and exits when
// the host process goes away, even when the host was killed with SIGKILL.
//
// The Logger logs at the host's level (LogLevelEnv): lines the host would
// drop are not written at all.
func Serve(opts ServeOpts) {
	level := hclog.LevelFromString(os.Getenv(LogLevelEnv))
	if level == hclog.NoLevel {
		level = hclog.Debug // a host that does not say filters for itself
	}
	logger := hclog.New(&hclog.LoggerOptions{
		Level:      level,
		Output:     os.Stderr,
		JSONFormat: true,
	})
	cfg, err := ServeConfig(opts, logger)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go exitWithParent(os.Getppid(), 200*time.Millisecond)
	plugin.Serve(cfg)
}

// LogLevelEnv names the environment variable in which the host gives a
// plugin its own log level ("trace", "debug", "info", "warn", "error" or
// "off"), so that a plugin does not write lines the host would drop.
const LogLevelEnv = "SWITCHBOARD_PLUGIN_LOG_LEVEL"

// ServeConfig is the go-plugin server configuration that Serve uses. Serve
// is what a plugin's main calls; ServeConfig exists for harnesses such as
// sdktest that serve a plugin in-process (with ServeConfig.Test set).
func ServeConfig(opts ServeOpts, logger hclog.Logger) (*plugin.ServeConfig, error) {
	set := plugin.PluginSet{}
	switch {
	case opts.Connector != nil && opts.Action == nil:
		set[connectorPluginName] = &ConnectorPlugin{Impl: opts.Connector, Logger: logger}
	case opts.Action != nil && opts.Connector == nil:
		set[actionPluginName] = &ActionPlugin{Impl: opts.Action, Logger: logger}
	default:
		return nil, fmt.Errorf("sdk.Serve: set exactly one of ServeOpts.Connector and ServeOpts.Action")
	}
	return &plugin.ServeConfig{
		HandshakeConfig:  Handshake(),
		VersionedPlugins: map[int]plugin.PluginSet{ProtocolVersion: set},
		GRPCServer: func(o []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(grpcServerOptions(o)...)
		},
		Logger: logger,
	}, nil
}

// exitWithParent ends the plugin when its parent is gone. The host also sets
// a parent-death signal on Linux; this covers the cases that misses (the
// forking thread exiting, other systems).
func exitWithParent(ppid int, every time.Duration) {
	for range time.Tick(every) {
		if os.Getppid() != ppid {
			os.Exit(3)
		}
	}
}
