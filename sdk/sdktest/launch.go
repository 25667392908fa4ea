package sdktest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/switchboard-hub/switchboard/sdk"
)

// mode is one way of reaching the plugin under test.
type mode struct {
	name string
	// dispense starts a fresh plugin instance (a new process in binary
	// mode) and returns its client side; the instance is stopped at cleanup.
	dispense func(t testing.TB) any
}

func modes(kind sdk.Kind, opts func() sdk.ServeOpts, binary string) []mode {
	ms := []mode{{name: "in-process", dispense: func(t testing.TB) any { return serveInProcess(t, kind, opts()) }}}
	if binary != "" {
		ms = append(ms, mode{name: "binary", dispense: func(t testing.TB) any { return startBinary(t, kind, binary) }})
	}
	return ms
}

// serveInProcess serves the plugin with go-plugin's server inside the test
// process and connects to it with go-plugin's client: the whole gRPC path,
// broker included, without a subprocess.
func serveInProcess(t testing.TB, kind sdk.Kind, opts sdk.ServeOpts) any {
	t.Helper()
	logger := hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Warn, Output: os.Stderr})
	cfg, err := sdk.ServeConfig(opts, logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	reattach := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	cfg.Test = &plugin.ServeTestConfig{Context: ctx, ReattachConfigCh: reattach, CloseCh: closed}
	go plugin.Serve(cfg)
	var rc *plugin.ReattachConfig
	select {
	case rc = <-reattach:
	case <-time.After(callTimeout):
		cancel()
		t.Fatal("the in-process plugin server did not start")
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake(),
		Plugins:          sdk.HostPlugins()[sdk.ProtocolVersion], // a reattached client negotiates nothing
		Reattach:         rc,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		GRPCDialOptions:  sdk.GRPCDialOptions(),
		Logger:           logger,
	})
	t.Cleanup(func() {
		client.Kill()
		cancel()
		<-closed
	})
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("connect to the in-process plugin: %v", err)
	}
	raw, err := rpc.Dispense(sdk.DispenseName(kind))
	if err != nil {
		t.Fatalf("dispense %s in-process: %v", kind, err)
	}
	return raw
}

// startBinary starts the plugin program as the host does: go-plugin over
// gRPC with AutoMTLS and without the test's environment.
func startBinary(t testing.TB, kind sdk.Kind, path string) any {
	t.Helper()
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake(),
		VersionedPlugins: sdk.HostPlugins(),
		Cmd:              exec.Command(path),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		GRPCDialOptions:  sdk.GRPCDialOptions(),
		StartTimeout:     30 * time.Second,
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Warn, Output: os.Stderr}),
	})
	t.Cleanup(client.Kill)
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("start plugin %s: %v", path, err)
	}
	raw, err := rpc.Dispense(sdk.DispenseName(kind))
	if err != nil {
		t.Fatalf("dispense %s from %s: %v", kind, path, err)
	}
	return raw
}

// memState is the host's State service as the suite provides it, refusing
// the keys the host refuses.
type memState struct {
	mu sync.Mutex
	m  map[string][]byte
	// locks holds when each held lock's time is up; freed is closed, and
	// replaced, whenever one is unlocked.
	locks map[string]*memLock
	freed chan struct{}
}

type memLock struct{ until time.Time }

func newMemState() *memState {
	return &memState{m: map[string][]byte{}, locks: map[string]*memLock{}, freed: make(chan struct{})}
}

// Lock waits as the host does, on the real clock: a plugin the suite
// restarts while it holds a lock leaves it held until its time is up.
func (s *memState) Lock(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, error) {
	if err := sdk.CheckStateKey(key); err != nil {
		return nil, err
	}
	if err := sdk.CheckLockTTL(ttl); err != nil {
		return nil, err
	}
	for {
		s.mu.Lock()
		now := time.Now()
		held := s.locks[key]
		if held == nil || !now.Before(held.until) {
			l := &memLock{until: now.Add(ttl)}
			s.locks[key] = l
			s.mu.Unlock()
			return func(context.Context) error {
				s.mu.Lock()
				defer s.mu.Unlock()
				if s.locks[key] == l {
					delete(s.locks, key)
					close(s.freed)
					s.freed = make(chan struct{})
				}
				return nil
			}, nil
		}
		freed, wait := s.freed, held.until.Sub(now)
		s.mu.Unlock()
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, sdk.Retryable(fmt.Errorf("wait for state lock %q: %w", key, ctx.Err()))
		case <-freed:
		case <-timer.C:
		}
		timer.Stop()
	}
}

func (s *memState) Get(_ context.Context, key string) ([]byte, bool, error) {
	if err := sdk.CheckStateKey(key); err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	return v, ok, nil
}

func (s *memState) Put(_ context.Context, key string, value []byte) error {
	if err := sdk.CheckStateKey(key); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = append([]byte(nil), value...)
	return nil
}

func (s *memState) Delete(_ context.Context, key string) error {
	if err := sdk.CheckStateKey(key); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}
