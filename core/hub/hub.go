package hub

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hub/switchboard/core/clock"
	"github.com/switchboard-hub/switchboard/core/config"
	"github.com/switchboard-hub/switchboard/core/pluginhost"
	"github.com/switchboard-hub/switchboard/core/store"
	"github.com/switchboard-hub/switchboard/core/workflow"
	"github.com/switchboard-hub/switchboard/sdk"
)

// Work is one thing for the queue to carry.
type Work struct {
	Subject string
	DedupID string
	Payload []byte
}

// Queue carries work between stored facts; core/queue implements it over
// NATS JetStream.
type Queue interface {
	// Publish returns once the queue has every item.
	Publish(ctx context.Context, items []Work) error
	// Consume calls handle for each item on subject until stop is called.
	// A nil error acknowledges the item; an error has it redelivered later.
	// An item redelivered too often goes to exhausted instead, which must
	// record it for good (a dead letter) or return an error to be asked
	// again: nothing is dropped.
	Consume(ctx context.Context, subject string, handle, exhausted func(ctx context.Context, payload []byte) error) (stop func(), err error)
}

// Options configure a hub. Store, Queue and PluginDir are required.
type Options struct {
	Store     store.Store
	Queue     Queue
	PluginDir string
	// Clock drives the scheduler, polls and retries. Default: the system
	// clock; tests and `serve`'s test clock pass a fake.
	Clock  clock.Clock
	Logger hclog.Logger
	// Registry receives the hub's metrics. Default: a new one.
	Registry *prometheus.Registry
	// Detect fills in a message's language when the connector did not.
	Detect func(text string) string
	// PollInterval is how long a connector rests between polls that found
	// nothing more. Default: 30s.
	PollInterval time.Duration
	// Plugins tunes plugin supervision; its Logger and Clock default to
	// the hub's.
	Plugins pluginhost.Options
	// Node names this hub among the nodes sharing a database, for leases.
	// Default: host name, process id and a random suffix.
	Node string
	// WebhookMemory bounds the bytes of webhook bodies held at once; a
	// request that would go past it is answered 503 with Retry-After.
	// Default: DefaultWebhookMemory.
	WebhookMemory int64
}

// generation is one configuration with its engine and plugins, swapped as
// a whole on reload.
type generation struct {
	cfg     *config.Config
	engine  *workflow.Engine
	plugins *plugins
	// workflows by name
	workflows map[string]*config.Workflow
	// overrides are the run-time enabled states the engine runs with.
	overrides map[string]bool
}

// newGen runs engine, an engine of cfg, with the run-time overrides.
func newGen(cfg *config.Config, engine *workflow.Engine, overrides map[string]bool, p *plugins) *generation {
	g := &generation{cfg: cfg, engine: engine.WithOverrides(overrides), plugins: p, overrides: overrides,
		workflows: make(map[string]*config.Workflow, len(cfg.Workflows))}
	for _, w := range cfg.Workflows {
		g.workflows[w.Name] = w
	}
	return g
}

// Hub is the running service.
type Hub struct {
	opts    Options
	store   store.Store
	queue   Queue
	clock   clock.Clock
	log     hclog.Logger
	metrics *metrics

	// inbound gathers the workers' loads of stored messages into shared
	// read transactions.
	inbound *batcher[string, *workflow.Inbound]
	// bodies bounds the memory webhook bodies take.
	bodies *bodyBudget
	// locks are the plugins' State locks.
	locks *stateLocks
	// attempts are the steps this hub's workers execute, renewed while
	// they wait.
	attempts attempts

	gen        atomic.Pointer[generation]
	reloadMu   sync.Mutex // held by Reload, SetWorkflowEnabled and applyOverrides, and to set stopping
	stopping   bool       // Run is stopping: no more reloads
	retired    []*plugins // replaced by reloads; Run waits for them to stop
	outboxKick chan struct{}
	schedKick  chan struct{}
	pollers    *pollers
	// running is Run's context, for the connector checks of reloads; set
	// with pollers.
	running context.Context
	checks  sync.WaitGroup // connector checks under way
	checkMu sync.Mutex     // orders the checks' reports
}

// New starts the plugins of cfg and returns a hub ready to Run. A
// configuration that a plugin rejects starts nothing.
func New(ctx context.Context, cfg *config.Config, opts Options) (*Hub, error) {
	if opts.Store == nil || opts.Queue == nil {
		return nil, errors.New("hub: Store and Queue are required")
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 30 * time.Second
	}
	if opts.Node == "" {
		host, _ := os.Hostname()
		opts.Node = fmt.Sprintf("%s/%d/%08x", host, os.Getpid(), rand.Uint32())
	}
	if opts.WebhookMemory <= 0 {
		opts.WebhookMemory = DefaultWebhookMemory
	}
	if opts.Plugins.Logger == nil {
		opts.Plugins.Logger = opts.Logger.Named("plugin")
	}
	if opts.Plugins.Clock == nil {
		opts.Plugins.Clock = opts.Clock
	}
	h := &Hub{
		opts: opts, store: opts.Store, queue: opts.Queue, clock: opts.Clock, log: opts.Logger,
		metrics:    newMetrics(opts.Registry),
		outboxKick: make(chan struct{}, 1),
		schedKick:  make(chan struct{}, 1),
		bodies:     newBodyBudget(opts.WebhookMemory),
		locks:      newStateLocks(opts.Store, opts.Clock, opts.Node),
	}
	h.inbound = newBatcher(maxBatch, readsInFlight, h.store.Inbounds)
	prev := opts.Plugins.OnRestart
	opts.Plugins.OnRestart = func(spec pluginhost.Spec, cause error) {
		h.metrics.pluginRestart.WithLabelValues(spec.String()).Inc()
		if prev != nil {
			prev(spec, cause)
		}
	}
	h.opts.Plugins = opts.Plugins
	opts.Registry.MustRegister(newStoreGauges(opts.Store.Stats))
	g, err := h.newGeneration(ctx, cfg)
	if err != nil {
		return nil, err
	}
	h.gen.Store(g)
	return h, nil
}

func (h *Hub) newGeneration(ctx context.Context, cfg *config.Config) (*generation, error) {
	p, err := startPlugins(ctx, cfg, h.opts.PluginDir, h.pluginState, h.opts.Plugins)
	if err != nil {
		return nil, err
	}
	overrides, err := h.store.WorkflowOverrides(ctx)
	if err != nil {
		p.close()
		return nil, fmt.Errorf("read workflow overrides: %w", err)
	}
	return newGen(cfg, workflow.New(cfg), overrides, p), nil
}

// storable leaves out the messages the store can never take
// (store.CheckMessage), logging and counting each: kept, they would fail
// their whole batch for ever, and a poll's account would stall behind them,
// or a webhook's valid messages be refused with them.
func (h *Hub) storable(connector, account string, msgs []sdk.Message) []sdk.Message {
	out := msgs[:0:0]
	for i := range msgs {
		if err := store.CheckMessage(&msgs[i]); err != nil {
			h.metrics.messagesRefused.WithLabelValues(connector, account).Inc()
			h.log.Error("a message cannot be stored, and is left out", "connector", connector, "account", account, "error", err)
			continue
		}
		out = append(out, msgs[i])
	}
	return out
}

// Config is the configuration the hub runs.
func (h *Hub) Config() *config.Config { return h.gen.Load().cfg }

// errStopping answers calls for plugins once the hub has stopped them.
var errStopping = errors.New("the hub is stopping")

// use returns the running generation with its plugins held for calls,
// until g.plugins.done(): a reload stops the plugins it replaced, and a
// stopping hub its own, only when the calls in them have ended. Once the
// hub has stopped its plugins it returns errStopping.
func (h *Hub) use() (*generation, error) {
	for {
		g := h.gen.Load()
		if g.plugins.use() {
			return g, nil
		}
		if h.gen.Load() == g {
			return nil, errStopping // retired, and not replaced
		}
	}
}

// Reload starts the plugins of cfg and swaps it in; the old plugins stop
// once the calls in them have ended. On error the running configuration
// is untouched.
func (h *Hub) Reload(ctx context.Context, cfg *config.Config) error {
	h.reloadMu.Lock()
	defer h.reloadMu.Unlock()
	if h.stopping {
		return fmt.Errorf("%w: the configuration is not reloaded", errStopping)
	}
	g, err := h.newGeneration(ctx, cfg)
	if err != nil {
		return err
	}
	old := h.gen.Swap(g)
	if h.pollers != nil {
		h.pollers.restart(g)
		h.startCheck(g)
	}
	if old.plugins != g.plugins {
		h.retired = append(h.retired, old.plugins)
		old.plugins.retire()
	}
	h.log.Info("configuration reloaded", "workflows", len(cfg.Workflows), "connectors", len(cfg.Connectors))
	return nil
}

// RetryDead puts a dead-lettered step back to work.
func (h *Hub) RetryDead(ctx context.Context, key string) error {
	if err := h.store.RetryDead(ctx, key, h.clock.Now()); err != nil {
		return err
	}
	h.wakeOutbox()
	return nil
}

// SetWorkflowEnabled turns a workflow on or off at run time.
func (h *Hub) SetWorkflowEnabled(ctx context.Context, name string, enabled bool) error {
	h.reloadMu.Lock()
	defer h.reloadMu.Unlock()
	g := h.gen.Load()
	if g.workflows[name] == nil {
		return fmt.Errorf("%w: workflow %q", store.ErrNotFound, name)
	}
	if err := h.store.SetWorkflowEnabled(ctx, name, enabled); err != nil {
		return err
	}
	return h.applyOverrides(ctx)
}

// Run moves work until ctx ends, then stops taking work in, lets what is in
// flight finish, and stops the plugins.
func (h *Hub) Run(ctx context.Context) error {
	// Work in flight finishes after ctx ends: consumers take nothing new
	// once stopped, and their handlers run on a context that shutdown does
	// not cancel.
	work := context.WithoutCancel(ctx)
	evaluate := func(ctx context.Context, p []byte) error { return h.evaluate(ctx, string(p)) }
	// A message that cannot be evaluated is kept in the queue until it can:
	// it is stored, and its buyer must not be forgotten.
	stopMessages, err := h.queue.Consume(work, store.SubjectMessages, evaluate, evaluate)
	if err != nil {
		return fmt.Errorf("consume messages: %w", err)
	}
	stopSteps, err := h.queue.Consume(work, store.SubjectSteps, func(ctx context.Context, p []byte) error {
		return h.execute(ctx, string(p))
	}, h.deadLetterDelivery)
	if err != nil {
		stopMessages()
		return fmt.Errorf("consume steps: %w", err)
	}
	var wg sync.WaitGroup
	// The loops outlive the consumers' handlers: the leases of steps still
	// being sent are renewed, and what the handlers store is published,
	// until the last handler has finished.
	loops, cancel := context.WithCancel(work)
	wg.Add(5)
	go func() { defer wg.Done(); h.followOverrides(loops) }()
	go func() { defer wg.Done(); h.publishOutbox(loops) }()
	go func() { defer wg.Done(); h.schedule(loops) }()
	go func() { defer wg.Done(); h.renewAttempts(loops) }()
	go func() { defer wg.Done(); h.prune(loops) }()
	h.reloadMu.Lock() // a reload restarts the pollers
	h.pollers = newPollers(ctx, h)
	h.pollers.restart(h.gen.Load())
	h.running = ctx
	h.startCheck(h.gen.Load())
	h.reloadMu.Unlock()
	<-ctx.Done()
	h.reloadMu.Lock()
	h.stopping = true
	h.reloadMu.Unlock()
	h.pollers.stop()
	var consumers sync.WaitGroup // each may wait on a pull in flight
	consumers.Add(2)
	go func() { defer consumers.Done(); stopMessages() }()
	go func() { defer consumers.Done(); stopSteps() }()
	consumers.Wait()
	cancel()
	wg.Wait()
	// What the last handlers stored goes to the queue now, not at the next
	// start.
	final, done := context.WithTimeout(work, 5*time.Second)
	defer done()
	for {
		n, err := h.publishPass(final)
		if err != nil {
			h.log.Warn("outbox: the last publish before stopping failed; the next start publishes it", "error", err)
		}
		if err != nil || n < outboxBatch {
			break
		}
	}
	// The plugins stop once the calls in them (a webhook or a manual reply
	// still being answered) have ended, and those replaced by reloads too.
	current := h.gen.Load().plugins
	current.retire()
	for _, p := range append(h.retired, current) {
		<-p.stopped
	}
	h.checks.Wait()
	return nil
}

// startCheck checks g's connectors in the background (checkConnectors);
// the caller holds reloadMu.
func (h *Hub) startCheck(g *generation) {
	ctx := h.running
	h.checks.Go(func() { h.checkConnectors(ctx, g) })
}

// deadLetterDelivery records a step that the queue delivered too often
// without an outcome, its workers dying with it, as a dead letter. A step
// that a live worker, of this hub or another, still runs is left to it:
// the deliveries found it held, and its outcome is still to come. One that
// never began (its workers could not reach the store) stays queued, and
// the scheduler's requeue hands it to the queue again.
func (h *Hub) deadLetterDelivery(ctx context.Context, p []byte) error {
	key := string(p)
	if h.attempts.holds(key) {
		// Even should its lease have run out: its renewals failed, and the
		// store may be what the deliveries could not reach.
		h.log.Warn("the queue gave up on a step this hub is running; leaving it to its worker", "step", key)
		return nil
	}
	st, err := h.store.GiveUp(ctx, key, h.clock.Now(), "the queue delivered it too many times without an outcome")
	switch {
	case errors.Is(err, store.ErrStepHeld):
		h.log.Warn("the queue gave up on a step a live worker is running; leaving it to that worker", "step", key, "error", err)
		return nil
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err // asked again later: a step is never dropped
	case st != nil:
		h.metrics.deadLettered(st.Workflow)
		h.log.Warn("step dead-lettered", "step", key, "workflow", st.Workflow, "reason", st.LastError)
	}
	return nil
}

// redeliverAfter spaces out redeliveries of work that failed for want of
// the store: quick at first, at most a minute apart.
func redeliverAfter(attempt int) time.Duration {
	return min(time.Duration(attempt*attempt)*100*time.Millisecond, time.Minute)
}

func kick(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func (h *Hub) wakeOutbox()    { kick(h.outboxKick) }
func (h *Hub) wakeScheduler() { kick(h.schedKick) }

// readsInFlight is how many batches of message loads run at once. On
// SQLite they join the writer's group commits (see store.Inbounds), so a
// few are enough to keep a batch in every commit.
const readsInFlight = 4

// load returns a stored message with its thread and contact as they are
// now.
func (h *Hub) load(ctx context.Context, messageID string) (*workflow.Inbound, error) {
	in, err := h.inbound.do(ctx, messageID)
	if err == nil && in == nil {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load message %s: %w", messageID, err)
	}
	return in, nil
}

// Ingest stores messages from one connector account and hands the new ones
// to the queue through the outbox. The cursor moves in the same
// transaction; nil keeps it. A message the store can never take is left
// out, logged and counted (storable).
func (h *Hub) Ingest(ctx context.Context, connector, account string, msgs []sdk.Message, cursor []byte) (int, error) {
	msgs = h.storable(connector, account, msgs)
	for i := range msgs {
		m := &msgs[i]
		m.Connector, m.Account = connector, account
		if m.Direction == sdk.DirectionUnspecified {
			m.Direction = sdk.Inbound
		}
		if m.Language == "" && h.opts.Detect != nil && m.Direction == sdk.Inbound {
			m.Language = h.opts.Detect(m.Text)
		}
	}
	got, err := h.store.Ingest(ctx, store.IngestBatch{Connector: connector, Account: account, Messages: msgs, Cursor: cursor, ReceivedAt: h.clock.Now()})
	if err != nil {
		return 0, err
	}
	inbound := 0
	for _, m := range got {
		if m.Inbound {
			inbound++
		}
	}
	if inbound > 0 {
		h.metrics.messagesIn.WithLabelValues(connector, account).Add(float64(inbound))
		h.wakeOutbox()
	}
	return len(got), nil
}
