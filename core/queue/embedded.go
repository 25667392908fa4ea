package queue

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/nats-io/nats-server/v2/server"
)

// embeddedStartTimeout bounds how long the embedded server may take to be
// ready; recovering a large store is the slow part.
const embeddedStartTimeout = 30 * time.Second

// startEmbedded runs a nats-server with JetStream inside the process. It
// opens no port: clients connect with nats.InProcessServer.
func startEmbedded(o Options) (*server.Server, error) {
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("queue: creating DataDir: %w", err)
	}
	abs, err := filepath.Abs(o.DataDir)
	if err != nil {
		return nil, fmt.Errorf("queue: DataDir %q: %w", o.DataDir, err)
	}
	sopts := &server.Options{
		ServerName: "switchboard-embedded",
		DontListen: true,
		NoSigs:     true, // the host process owns its signals
		JetStream:  true,
		// The server adds the "jetstream" directory itself.
		StoreDir:   abs,
		SyncAlways: o.SyncAlways,
		// Only file streams are created; keep the memory-store allowance
		// small instead of the default share of system memory.
		JetStreamMaxMemory: 64 << 20,
	}
	ns, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("queue: configuring embedded nats-server: %w", err)
	}
	ns.SetLoggerV2(serverLogger{o.Logger.Named("nats")}, o.Logger.IsDebug(), o.Logger.IsTrace(), false)
	ns.Start()
	if !ns.ReadyForConnections(embeddedStartTimeout) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("queue: embedded nats-server on %s was not ready after %s; see its log for the cause (is the store locked by another process?)", abs, embeddedStartTimeout)
	}
	if !ns.JetStreamEnabled() {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("queue: embedded nats-server on %s started without JetStream; see its log for the cause (store directory not writable? disk full?)", abs)
	}
	return ns, nil
}

// serverLogger adapts hclog to nats-server's Logger. The server's notices
// (banner, configuration) go to debug: the host logs what matters.
type serverLogger struct{ l hclog.Logger }

func (s serverLogger) Noticef(format string, v ...any) { s.l.Debug(fmt.Sprintf(format, v...)) }
func (s serverLogger) Warnf(format string, v ...any)   { s.l.Warn(fmt.Sprintf(format, v...)) }
func (s serverLogger) Fatalf(format string, v ...any)  { s.l.Error(fmt.Sprintf(format, v...)) }
func (s serverLogger) Errorf(format string, v ...any)  { s.l.Error(fmt.Sprintf(format, v...)) }
func (s serverLogger) Debugf(format string, v ...any)  { s.l.Trace(fmt.Sprintf(format, v...)) }
func (s serverLogger) Tracef(format string, v ...any)  { s.l.Trace(fmt.Sprintf(format, v...)) }
