package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/switchboard-hub/switchboard/core/clock"
	"github.com/switchboard-hub/switchboard/sdk"
)

// Options tune how plugins are started and supervised. The zero value is
// usable: every field has a default.
type Options struct {
	// Logger receives the host's messages about plugins and the plugins'
	// own logs, named after each plugin. Default: no logging.
	Logger hclog.Logger
	// Clock times restart backoff. Default: the system clock.
	Clock clock.Clock
	// CallTimeout is the deadline of every call to a plugin; a plugin that
	// does not answer in time is taken to be hung and restarted.
	// Default: 60s.
	CallTimeout time.Duration
	// StartTimeout bounds a plugin's start and handshake. Default: 10s.
	StartTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between restarts after
	// consecutive failures; the first restart is immediate.
	// Defaults: 250ms and 30s.
	MinBackoff, MaxBackoff time.Duration
	// StopGrace is how long a stopping plugin may take to exit cleanly
	// before its process group is killed. Default: 2s.
	StopGrace time.Duration
	// OnRestart, when set, is told of every restart after a failure (for
	// metrics); it must not block.
	OnRestart func(spec Spec, cause error)
}

func (o Options) withDefaults() *Options {
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 60 * time.Second
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 10 * time.Second
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 250 * time.Millisecond
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(30*time.Second, o.MinBackoff)
	}
	if o.StopGrace <= 0 {
		o.StopGrace = 2 * time.Second
	}
	return &o
}

// ErrClosed is returned by calls on a plugin that was closed.
var ErrClosed = errors.New("plugin is closed")

// CallError is a call that failed because the plugin crashed, hung past its
// deadline, or could not be (re)started — not because the plugin reported an
// error. The work of the call was not done, or not known to be done, and
// must be redelivered; the plugin is restarted.
type CallError struct {
	Plugin string
	Method string
	Err    error
	// RetryAfter is how long until the next restart attempt (zero: now).
	RetryAfter time.Duration
}

func (e *CallError) Error() string {
	msg := fmt.Sprintf("%s: %s failed: %v; redeliver its work", e.Plugin, e.Method, e.Err)
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (plugin restart in %s)", e.RetryAfter.Round(time.Millisecond))
	}
	return msg
}

func (e *CallError) Unwrap() error { return e.Err }

// As makes a CallError retryable to sdk.KindOf, whatever error it carries:
// the call failed for want of a working process, not for a reason of the
// plugin's about the work (a Configure replayed on a new process may have
// refused with a permanent error), and the work is to be redelivered.
func (e *CallError) As(target any) bool {
	t, ok := target.(**sdk.Error)
	if !ok {
		return false
	}
	*t = &sdk.Error{Kind: sdk.KindRetryable, Message: e.Error(), RetryAfter: e.RetryAfter}
	return true
}

// methodStart names a call that failed because no plugin process could be
// started (or the next start waits for its backoff).
const methodStart = "start"

// Reached reports whether the call reached a plugin process, which may
// have done its work before it crashed or hung. A call that never did
// (no process could be started) surely did nothing.
func (e *CallError) Reached() bool { return e.Method != methodStart }

// supervisor owns one plugin instance's process and replaces it when it
// fails. Restarts are lazy: the next call after a failure starts a new
// process, no sooner than the backoff allows.
type supervisor struct {
	spec Spec
	opts *Options

	mu        sync.Mutex
	proc      *process
	configure func(context.Context, any) error // replays Configure on a new process
	failures  int
	retryAt   time.Time
	lastErr   error
	closed    bool

	failing  atomic.Bool // failures > 0, read without the lock on the hot path
	restarts atomic.Int64
}

func newSupervisor(spec Spec, opts Options) (*supervisor, error) {
	s := &supervisor{spec: spec, opts: opts.withDefaults()}
	p, err := launch(spec, s.opts)
	if err != nil {
		return nil, err
	}
	s.proc = p
	return s, nil
}

// get returns a live process, starting one when the last has failed.
func (s *supervisor) get(ctx context.Context) (*process, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if s.proc != nil && !s.proc.exited() {
		return s.proc, nil
	}
	if s.proc != nil { // died between calls
		s.noteFailureLocked(errors.New("plugin process exited"))
	}
	if wait := s.retryAt.Sub(s.opts.Clock.Now()); wait > 0 {
		return nil, &CallError{Plugin: s.spec.String(), Method: methodStart, Err: s.lastErr, RetryAfter: wait}
	}
	p, err := launch(s.spec, s.opts)
	if err == nil && s.configure != nil {
		// Under the call deadline: a new process that hangs in Configure
		// must not hold the lock, and every call waiting on it, for ever.
		cctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
		err = s.configure(cctx, p.raw)
		cancel()
		if err != nil {
			p.stop(0)
			err = fmt.Errorf("configure after restart: %w", err)
		}
	}
	if err != nil {
		s.noteFailureLocked(err)
		return nil, &CallError{Plugin: s.spec.String(), Method: methodStart, Err: err}
	}
	s.proc = p
	s.restarts.Add(1)
	s.opts.Logger.Info("plugin restarted", "plugin", s.spec.String(), "pid", p.pid, "cause", s.lastErr)
	if s.opts.OnRestart != nil {
		s.opts.OnRestart(s.spec, s.lastErr)
	}
	return p, nil
}

// noteFailureLocked drops the current process and schedules the next start.
func (s *supervisor) noteFailureLocked(cause error) {
	if s.proc != nil {
		go s.proc.stop(0)
		s.proc = nil
	}
	s.failures++
	s.failing.Store(true)
	s.lastErr = cause
	var wait time.Duration
	if s.failures > 1 {
		wait = s.opts.MinBackoff << min(s.failures-2, 16)
		wait = min(wait, s.opts.MaxBackoff)
	}
	s.retryAt = s.opts.Clock.Now().Add(wait)
}

// failed records that a call on p failed at the transport level.
func (s *supervisor) failed(p *process, method string, err error) error {
	s.mu.Lock()
	if s.proc == p {
		s.noteFailureLocked(fmt.Errorf("%s: %w", method, err))
	}
	s.mu.Unlock()
	s.opts.Logger.Warn("plugin call failed; the plugin will be restarted", "plugin", s.spec.String(), "method", method, "error", err)
	return &CallError{Plugin: s.spec.String(), Method: method, Err: err}
}

func (s *supervisor) succeeded() {
	if s.failing.Load() {
		s.mu.Lock()
		s.failures = 0
		s.failing.Store(false)
		s.mu.Unlock()
	}
}

// call runs f on a live process with the call deadline, and tells a
// plugin's own error (returned as is) from a crash or hang (the process is
// dropped and a *CallError returned).
func call[T any](ctx context.Context, s *supervisor, method string, f func(context.Context, any) (T, error)) (T, error) {
	var zero T
	p, err := s.get(ctx)
	if err != nil {
		return zero, err
	}
	cctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
	defer cancel()
	v, err := f(cctx, p.raw)
	switch {
	case err == nil || sdk.IsPluginError(err):
		s.succeeded()
		return v, err
	case ctx.Err() != nil:
		// The caller gave up; the plugin is not to blame.
		return zero, fmt.Errorf("%s: %s: %w", s.spec, method, ctx.Err())
	case cctx.Err() != nil || status.Code(err) == codes.DeadlineExceeded:
		// The deadline travels with the call, and the plugin's side may
		// report it expired a moment before the host's own timer fires.
		return zero, s.failed(p, method, fmt.Errorf("no answer within %s (hung plugin): %w", s.opts.CallTimeout, err))
	}
	return zero, s.failed(p, method, err)
}

// pid of the current process, 0 when none runs.
func (s *supervisor) pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0
	}
	return s.proc.pid
}

func (s *supervisor) close() {
	s.mu.Lock()
	p := s.proc
	s.proc, s.closed = nil, true
	s.mu.Unlock()
	if p != nil {
		p.stop(s.opts.StopGrace)
	}
}

// remember keeps the configure call to replay on restarted processes.
func (s *supervisor) remember(configure func(context.Context, any) error) {
	s.mu.Lock()
	s.configure = configure
	s.mu.Unlock()
}

func (s *supervisor) version() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0
	}
	return s.proc.version
}
