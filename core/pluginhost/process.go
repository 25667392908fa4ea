package pluginhost

import (
	"errors"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/switchboard-hub/switchboard/sdk"
)

// Spec is what the host needs to start one plugin instance.
type Spec struct {
	Kind sdk.Kind
	// Name is the plugin type, e.g. "webhook".
	Name string
	// Instance is the configured name, e.g. the account "shop"; it names
	// the plugin in logs.
	Instance string
	// Path of the executable.
	Path string
	// SHA256, when set, pins the executable: hex sha256 of the file.
	SHA256 string
	// Env is the plugin's whole environment, with the host's log level
	// (sdk.LogLevelEnv) added. The host's own environment is never passed
	// on.
	Env map[string]string
}

func (s Spec) String() string {
	if s.Instance == "" {
		return s.Kind.String() + " " + s.Name
	}
	return s.Kind.String() + " " + s.Name + "." + s.Instance
}

// process is one running plugin subprocess.
type process struct {
	client  *plugin.Client
	raw     any // the dispensed sdk.Connector or sdk.Action
	pid     int
	version int
}

// launch starts the plugin and completes the handshake.
func launch(spec Spec, opts *Options) (*process, error) {
	cmd := exec.Command(spec.Path)
	// The host's level last: it wins over a configured value. A host that
	// logs nothing (no level) wants nothing written.
	level := opts.Logger.GetLevel()
	if level == hclog.NoLevel {
		level = hclog.Off
	}
	cmd.Env = append(envList(spec.Env), sdk.LogLevelEnv+"="+level.String())
	cmd.SysProcAttr = procAttr()
	var secure *plugin.SecureConfig
	if spec.SHA256 != "" {
		sum, err := decodePin(spec.SHA256)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", spec, err)
		}
		secure = &plugin.SecureConfig{Checksum: sum, Hash: newSHA256()}
	}
	logger := opts.Logger.Named(spec.Kind.String() + "." + spec.Name)
	if spec.Instance != "" {
		logger = logger.With("instance", spec.Instance)
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake(),
		VersionedPlugins: sdk.HostPlugins(),
		Cmd:              cmd,
		SecureConfig:     secure,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		GRPCDialOptions:  sdk.GRPCDialOptions(),
		StartTimeout:     opts.StartTimeout,
		Logger:           logger,
		// Plugins must not write to stdout after the handshake either; what
		// they do is logged rather than lost.
		SyncStdout: logWriter{logger, "stdout"},
		SyncStderr: logWriter{logger, "stderr"},
	})
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, launchError(spec, err)
	}
	p := &process{client: client, pid: cmd.Process.Pid, version: client.NegotiatedVersion()}
	p.raw, err = rpc.Dispense(sdk.DispenseName(spec.Kind))
	if err != nil {
		p.stop(0)
		return nil, fmt.Errorf("%s: the plugin does not serve a %s: %w", spec, spec.Kind, err)
	}
	return p, nil
}

// launchError explains the ways a start fails.
func launchError(spec Spec, err error) error {
	switch {
	case errors.Is(err, plugin.ErrChecksumsDoNotMatch):
		actual, herr := SHA256File(spec.Path)
		if herr != nil {
			return fmt.Errorf("%s: %w", spec, herr)
		}
		return &ChecksumError{Path: spec.Path, Pinned: strings.ToLower(spec.SHA256), Actual: actual}
	case strings.Contains(err.Error(), "Unrecognized remote plugin message"):
		return fmt.Errorf("%s: %s wrote to stdout before the plugin handshake, which stdout carries: %w. "+
			"A plugin must print nothing to stdout; log through hclog (stderr) instead", spec, spec.Path, err)
	case strings.Contains(err.Error(), "Incompatible API version"), strings.Contains(err.Error(), "protocol version"):
		return fmt.Errorf("%s: %s speaks no plugin protocol this host knows (host: %v): %w; rebuild it against a current SDK",
			spec, spec.Path, []int{sdk.ProtocolVersion}, err)
	}
	return fmt.Errorf("%s: start %s: %w", spec, spec.Path, err)
}

// stop ends the plugin: a graceful go-plugin shutdown bounded by grace, then
// SIGKILL to its whole process group. go-plugin's own Kill can wait on a
// stuck connection, so it never runs unbounded.
func (p *process) stop(grace time.Duration) {
	done := make(chan struct{})
	go func() {
		p.client.Kill()
		close(done)
	}()
	if grace > 0 {
		select {
		case <-done:
		case <-time.After(grace):
		}
	}
	killGroup(p.pid)
}

func (p *process) exited() bool { return p.client.Exited() }

func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// logWriter re-emits raw plugin output line by line.
type logWriter struct {
	logger hclog.Logger
	stream string
}

func (w logWriter) Write(b []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if line != "" {
			w.logger.Warn("plugin wrote to "+w.stream, "line", line)
		}
	}
	return len(b), nil
}
