package sdk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/switchboard-hub/switchboard/sdk/internal/wire"
)

// hostSide serves the host's State to a plugin through go-plugin's broker
// and turns Configure calls into their wire form. One per plugin client.
type hostSide struct {
	broker *plugin.GRPCBroker

	mu       sync.Mutex
	stateSrv *grpc.Server
	state    *stateServer // what stateSrv serves
}

func (h *hostSide) configureRequest(req ConfigureRequest) (*wire.ConfigureRequest, error) {
	cfg, err := valueToWire(req.Config)
	if err != nil {
		return nil, err
	}
	w := &wire.ConfigureRequest{Instance: req.Instance, Config: cfg}
	if req.State == nil {
		return w, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stateSrv != nil {
		// The process lives on, and may still work under a lock it took
		// through the old server: that stays until its time is up.
		h.state.replaced.Store(true)
		h.stateSrv.Stop()
	}
	id := h.broker.NextId()
	ready := make(chan *grpc.Server, 1)
	done := make(chan struct{})
	state := &stateServer{impl: req.State}
	go func() {
		defer close(done)
		h.broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
			s := grpc.NewServer(grpcServerOptions(opts)...)
			wire.RegisterStateServer(s, state)
			ready <- s
			return s
		})
		// The plugin process is gone (the host closed its client after a
		// crash, a hang or at stop): what it locked is freed now rather
		// than when each lock's time is up.
		if !state.replaced.Load() {
			state.unlockAll()
		}
	}()
	select {
	case h.stateSrv = <-ready:
		h.state = state
	case <-done:
		return nil, fmt.Errorf("serve plugin state: the plugin's broker is closed")
	}
	w.StateBrokerId = id
	return w, nil
}

// pluginSide turns wire Configure requests into ConfigureRequest, dialing the
// host's State through the broker.
type pluginSide struct {
	broker *plugin.GRPCBroker
	logger hclog.Logger

	mu        sync.Mutex
	stateConn *grpc.ClientConn
}

func (p *pluginSide) configureRequest(w *wire.ConfigureRequest) (ConfigureRequest, error) {
	cfg, err := valueFromWire(w.Config)
	if err != nil {
		return ConfigureRequest{}, err
	}
	req := ConfigureRequest{Instance: w.Instance, Config: cfg, Logger: p.logger}
	if req.Logger == nil {
		req.Logger = hclog.NewNullLogger()
	}
	if w.StateBrokerId == 0 {
		return req, nil
	}
	conn, err := p.broker.Dial(w.StateBrokerId)
	if err != nil {
		return ConfigureRequest{}, err
	}
	p.mu.Lock()
	if p.stateConn != nil {
		p.stateConn.Close()
	}
	p.stateConn = conn
	p.mu.Unlock()
	req.State = &stateClient{rpc: wire.NewStateClient(conn)}
	return req, nil
}

type stateServer struct {
	wire.UnimplementedStateServer
	impl State

	mu       sync.Mutex
	locks    map[string]heldLock // by token
	replaced atomic.Bool         // by a later Configure of the same process
}

// heldLock is a lock the plugin holds, to free when it unlocks with its
// token. One a plugin never unlocks is forgotten once its time is up.
type heldLock struct {
	key    string
	unlock func(context.Context) error
	until  time.Time
}

// The server checks every key (CheckStateKey) before the host's store sees
// it, so that a key no store could keep is the plugin's permanent error.

func (s *stateServer) Get(ctx context.Context, r *wire.StateGetRequest) (*wire.StateGetResponse, error) {
	if err := CheckStateKey(r.Key); err != nil {
		return nil, statusError(err)
	}
	v, ok, err := s.impl.Get(ctx, r.Key)
	if err != nil {
		return nil, statusError(err)
	}
	return &wire.StateGetResponse{Found: ok, Value: v}, nil
}

func (s *stateServer) Put(ctx context.Context, r *wire.StatePutRequest) (*wire.StatePutResponse, error) {
	if err := CheckStateKey(r.Key); err != nil {
		return nil, statusError(err)
	}
	if err := s.impl.Put(ctx, r.Key, r.Value); err != nil {
		return nil, statusError(err)
	}
	return &wire.StatePutResponse{}, nil
}

func (s *stateServer) Delete(ctx context.Context, r *wire.StateDeleteRequest) (*wire.StateDeleteResponse, error) {
	if err := CheckStateKey(r.Key); err != nil {
		return nil, statusError(err)
	}
	if err := s.impl.Delete(ctx, r.Key); err != nil {
		return nil, statusError(err)
	}
	return &wire.StateDeleteResponse{}, nil
}

func (s *stateServer) Lock(ctx context.Context, r *wire.StateLockRequest) (*wire.StateLockResponse, error) {
	if err := CheckStateKey(r.Key); err != nil {
		return nil, statusError(err)
	}
	ttl := time.Duration(r.TtlMs) * time.Millisecond
	if err := CheckLockTTL(ttl); err != nil {
		return nil, statusError(err)
	}
	unlock, err := s.impl.Lock(ctx, r.Key, ttl)
	if err != nil {
		return nil, statusError(err)
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	token := hex.EncodeToString(b[:])
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locks == nil {
		s.locks = map[string]heldLock{}
	}
	for t, l := range s.locks {
		if now.After(l.until) {
			delete(s.locks, t)
		}
	}
	s.locks[token] = heldLock{key: r.Key, unlock: unlock, until: now.Add(ttl)}
	return &wire.StateLockResponse{Token: token}, nil
}

func (s *stateServer) Unlock(ctx context.Context, r *wire.StateUnlockRequest) (*wire.StateUnlockResponse, error) {
	s.mu.Lock()
	l, ok := s.locks[r.Token]
	if ok && l.key == r.Key {
		delete(s.locks, r.Token)
	}
	s.mu.Unlock()
	if !ok || l.key != r.Key {
		return &wire.StateUnlockResponse{}, nil // freed by its time, or never held
	}
	if err := l.unlock(ctx); err != nil {
		return nil, statusError(err)
	}
	return &wire.StateUnlockResponse{}, nil
}

// unlockAll frees every lock the plugin still holds through this server.
// A lock that cannot be freed (the store is down) stays until its time is
// up, as it would have.
func (s *stateServer) unlockAll() {
	s.mu.Lock()
	held := s.locks
	s.locks = nil
	s.mu.Unlock()
	for _, l := range held {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = l.unlock(ctx)
		cancel()
	}
}

type stateClient struct {
	rpc wire.StateClient
}

func (c *stateClient) Get(ctx context.Context, key string) ([]byte, bool, error) {
	r, err := c.rpc.Get(ctx, &wire.StateGetRequest{Key: key})
	if err != nil {
		return nil, false, errorFromStatus("state get", err)
	}
	return r.Value, r.Found, nil
}

func (c *stateClient) Put(ctx context.Context, key string, value []byte) error {
	_, err := c.rpc.Put(ctx, &wire.StatePutRequest{Key: key, Value: value})
	return errorFromStatus("state put", err)
}

func (c *stateClient) Delete(ctx context.Context, key string) error {
	_, err := c.rpc.Delete(ctx, &wire.StateDeleteRequest{Key: key})
	return errorFromStatus("state delete", err)
}

func (c *stateClient) Lock(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, error) {
	// Checked here too: the wire carries whole milliseconds.
	if err := CheckLockTTL(ttl); err != nil {
		return nil, err
	}
	r, err := c.rpc.Lock(ctx, &wire.StateLockRequest{Key: key, TtlMs: ttl.Milliseconds()})
	if err != nil {
		if ctx.Err() != nil {
			return nil, Retryable(fmt.Errorf("wait for state lock %q: %w", key, ctx.Err()))
		}
		return nil, errorFromStatus("state lock", err)
	}
	return func(ctx context.Context) error {
		_, err := c.rpc.Unlock(ctx, &wire.StateUnlockRequest{Key: key, Token: r.Token})
		return errorFromStatus("state unlock", err)
	}, nil
}
