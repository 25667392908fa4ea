// Package store is the hub's source of truth: threads, messages, contacts
// and their sender identities, planned steps with their due times, the
// outbox, claims, cursors, plugin state and dead letters, in SQL. SQLite
// (modernc.org/sqlite, no cgo; one writer connection, BEGIN IMMEDIATE, a
// busy timeout) is the embedded default; PostgreSQL (pgx) serves many nodes.
// One implementation speaks both dialects, and one test suite
// (storetest) runs against both.
//
// Every method is one transaction and a unit of the delivery invariants
// (see DESIGN.md, "Delivery, state and scale"): inbound messages are
// de-duplicated for good by (connector, account, external id); what is to be
// published is written to the outbox in the same transaction as the fact
// that caused it; claims are conditional updates, so that two workers on one
// node or many cannot both win; every method is idempotent under
// redelivery.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/switchboard-hub/switchboard/core/workflow"
	"github.com/switchboard-hub/switchboard/sdk"
)

// Store is the hub's persistent state.
type Store interface {
	// Ingest stores a batch from one connector account in one transaction:
	// messages are inserted unless (connector, account, external id) is
	// already stored, each new one gets its thread and contact (created as
	// needed) and an outbox row on SubjectMessages, and the cursor moves to
	// Cursor when it is not nil. It returns the messages that were new.
	// Automatic messages (loop guard) are stored but never become a
	// thread's first message or a contact's last one.
	Ingest(ctx context.Context, b IngestBatch) ([]Ingested, error)

	// Cursor returns a connector account's saved cursor (nil when none).
	Cursor(ctx context.Context, connector, account string) ([]byte, error)

	// Inbounds loads stored messages, each with its thread and contact as
	// they are now and when the contact wrote before it, for the engine: in
	// one transaction (on SQLite, on the writer's connection, whose cache
	// holds what was just written), in the order of ids. A message that is
	// not stored is nil at its place.
	Inbounds(ctx context.Context, ids []string) ([]*workflow.Inbound, error)

	// Plan records the engine's decision for a message: its explanation and
	// its planned steps. Steps due at or before now are begun for the
	// caller, as BeginAttempt begins a step, and returned (without Inbound:
	// the caller has just loaded it), so that the worker that planned them
	// executes them at once, without a trip through the queue; later ones
	// wait for ReleaseDue. Planning a message again (a redelivery) changes
	// nothing, even if the decision differs: ErrPlanned. A worker that dies
	// before it finishes a step it was given leaves the step attempted, and
	// Requeue hands it to the queue once its lease has run out.
	Plan(ctx context.Context, messageID string, d workflow.Decision, now time.Time) ([]*Step, error)

	// ReleaseDue moves up to limit steps to queued — pending ones due at or
	// before now, retrying ones whose retry time has come — writing an
	// outbox row for each, and returns how many it moved. With PostgreSQL,
	// concurrent schedulers skip each other's rows (FOR UPDATE SKIP LOCKED).
	ReleaseDue(ctx context.Context, now time.Time, limit int) (int, error)

	// Requeue hands to the queue again, through the outbox, the work it may
	// have lost: steps queued longer than olderThan ago that no worker
	// began, steps whose worker died with them (attempted and untouched for
	// Options.AttemptLease), and messages stored longer than olderThan ago
	// that were never evaluated. It returns how many it requeued.
	Requeue(ctx context.Context, now time.Time, olderThan time.Duration, limit int) (int, error)

	// NextDue returns the earliest time a pending or retrying step falls
	// due (zero when none), so the scheduler can sleep until then.
	NextDue(ctx context.Context) (time.Time, error)

	// BeginAttempt claims a step the queue carried for execution: it becomes
	// attempted, its attempt count grows, and the step is returned. A step
	// attempted less than Options.AttemptLease ago is held by a live worker:
	// ErrStepHeld, and the caller should try again after the lease. A
	// finished step (or one not queued) is ErrNotClaimable. A step attempted
	// longer ago — its worker died — is returned with WasAttempted set, so
	// that the caller asks the connector (LookupSend) before sending again;
	// a queued step attempted before (retried after an error) with Retried
	// set.
	// The step comes with its message, thread and contact as they are now
	// (Step.Inbound), read in the same transaction.
	BeginAttempt(ctx context.Context, key string, now time.Time) (*Step, error)

	// AttemptLease is how long a begun step is held by its worker
	// (Options.AttemptLease). A hub renews the steps it runs every quarter
	// of it.
	AttemptLease() time.Duration

	// RenewAttempts extends the lease of steps a live worker is executing,
	// by key with the attempt count it began them at: each one still
	// attempted at that count is attempted again as of now, so that
	// neither BeginAttempt nor Requeue takes it over while its worker
	// waits for a slow connector. A step finished, or taken over by
	// another worker since (another count), is left alone.
	RenewAttempts(ctx context.Context, attempts map[string]int, now time.Time) error

	// Finish ends an attempt of a step (attempt is Step.Attempts when it
	// began): sent (with the reply recorded on the thread as an automatic
	// reply), applied (tags, status, assignee written to the thread),
	// executed (outputs kept for later steps), skipped with a reason, or
	// waiting until a time (back to pending). An attempt that another
	// worker took over since is ErrNotClaimable: the outcome is the later
	// attempt's to record.
	Finish(ctx context.Context, key string, attempt int, r Result) error

	// Retry puts an attempt of a step back as retrying until retryAt (when
	// ReleaseDue queues it again), or dead-letters it when dead is true. An
	// attempt taken over since is ErrNotClaimable, as for Finish.
	Retry(ctx context.Context, key string, attempt int, retryAt time.Time, reason string, dead bool) error

	// GiveUp dead-letters a step the queue delivered too often without an
	// outcome — begun, and its workers kept dying with it — with reason,
	// and returns it. A step attempted less than the lease ago is held by
	// a live worker, on this node or another, whose outcome is still to
	// come: ErrStepHeld, and it is left to that worker (or, if the worker
	// dies, to Requeue once the lease has run out). Any other step is left
	// as it is and nil returned: one still queued never began (its workers
	// could not reach the store, say) and Requeue hands it to the queue
	// again; one finished, dead, or waiting for a later time was a stale
	// delivery.
	GiveUp(ctx context.Context, key string, now time.Time, reason string) (*Step, error)

	// Outputs returns the outputs of a message's earlier action steps in a
	// workflow, by step name.
	Outputs(ctx context.Context, messageID, workflow string) (map[string][]byte, error)

	// Outbox returns up to limit unpublished outbox rows, oldest first, and
	// Published deletes them once the queue has them.
	Outbox(ctx context.Context, limit int) ([]OutboxRow, error)
	Published(ctx context.Context, ids []int64) error

	// RecordAgentReply notes a person's reply in a thread (unless_answered
	// and first response time read it) and stores it as an outbound message.
	// key is the reply's idempotency key when the hub sent it ("" for
	// replies written in the vendor's own panel): a reply is stored once
	// per key, and AgentReply finds it by its key.
	RecordAgentReply(ctx context.Context, threadID, key string, m sdk.Message, at time.Time) error
	// AgentReply returns the vendor's id of the reply sent with key, and
	// whether there is one, so that a retried request is not sent again.
	AgentReply(ctx context.Context, key string) (string, bool, error)

	// Claims grants automatic replies (per-thread window, breaker).
	workflow.Claims

	// PluginState is the durable key-value state of one plugin instance:
	// sdk.State's values, to which the hub adds its locks (leases).
	PluginState(kind sdk.Kind, name, instance string) PluginValues

	// Queries for the HTTP API.
	Threads(ctx context.Context, f ThreadFilter) ([]Thread, error)
	Thread(ctx context.Context, id string) (*Thread, []sdk.Message, error)
	Explanation(ctx context.Context, messageID string) (*workflow.Explanation, error)
	DeadLetters(ctx context.Context, limit int) ([]Step, error)
	// RetryDead puts a dead-lettered step back to queued, with an outbox row.
	RetryDead(ctx context.Context, key string, now time.Time) error
	// SetWorkflowEnabled records a run-time override; WorkflowOverrides lists them.
	SetWorkflowEnabled(ctx context.Context, name string, enabled bool) error
	WorkflowOverrides(ctx context.Context) (map[string]bool, error)

	// Prune carries out a hub's message_retention: it deletes, oldest
	// first, up to limit messages received before before, inbound and
	// outbound, with their explanations, steps and reply verdicts. A
	// message still to be evaluated, or with a step not yet done, skipped
	// or dead, or ended at or after before, stays. It also blanks up to
	// limit contacts last heard from before before (name, e-mail, phone,
	// handle), marks them pruned, and deletes their sender identities.
	// Threads stay, with their counts and times, so the reply window and
	// first-message rules still hold.
	Prune(ctx context.Context, before time.Time, limit int) (Pruned, error)

	// AcquireLease takes or renews a named lease (polling one connector
	// account, a plugin's State lock) for holder until now+ttl, and reports
	// whether holder has it;
	// ReleaseLease gives it up. Nodes that share a database use leases so
	// that only one of them does such work at a time.
	AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error

	// Stats for metrics: pending due steps, queued, running, dead letters,
	// outbox size.
	Stats(ctx context.Context) (Stats, error)

	Close() error
}

// Outbox subjects: what a row asks the queue to carry.
const (
	// SubjectMessages carries a stored message id to evaluate.
	SubjectMessages = "messages"
	// SubjectSteps carries a step key to execute.
	SubjectSteps = "steps"
)

// IngestBatch is what one Poll or one webhook delivered.
type IngestBatch struct {
	Connector string
	Account   string
	Messages  []sdk.Message
	// Cursor to save with the messages; nil leaves the cursor as it is.
	Cursor []byte
	// ReceivedAt is when the batch arrived. Its new messages are received
	// a nanosecond apart, in order, the last at ReceivedAt, so that their
	// order survives: a person's answer and the buyer's next message in one
	// poll are told apart (unless_answered, thread.answered), and a reply
	// recorded at that same moment comes after them all.
	ReceivedAt time.Time
}

// Ingested is a newly stored message.
type Ingested struct {
	MessageID string
	ThreadID  string
	ContactID string
	Inbound   bool // a buyer's message, not the seller's
}

// OutboxRow is one thing to publish. DedupID is the queue's
// de-duplication id: "connector/account/external_id" for messages (each
// part escaped as in a URL path), and
// "<step key>/<n>" for the n-th time a step is queued, so that a step queued
// again after a retry is not dropped as a duplicate.
type OutboxRow struct {
	ID      int64
	Subject string
	DedupID string
	Payload []byte
}

// StepState is where a step is in its life.
type StepState string

const (
	StepPending   StepState = "pending"   // waits for its due time
	StepQueued    StepState = "queued"    // published, waits for a worker
	StepAttempted StepState = "attempted" // a worker is (or was) executing it
	StepRetrying  StepState = "retrying"  // failed, waits for retry_at
	StepDone      StepState = "done"      // sent, applied or executed
	StepSkipped   StepState = "skipped"   // a send-time check said no
	StepDead      StepState = "dead"      // failed for good; a dead letter
)

// Step is a planned step as stored.
type Step struct {
	workflow.Planned
	ThreadID     string
	State        StepState
	Attempts     int
	WasAttempted bool
	// Retried: BeginAttempt took the step from the queue after an earlier
	// attempt that did not finish it (it failed and was retried, it was a
	// dead letter retried, or it waited), so that the caller may ask the
	// connector whether a failed attempt sent it after all.
	Retried    bool
	RetryAt    time.Time
	LastError  string
	ExternalID string
	UpdatedAt  time.Time
	// Inbound is the step's message with its thread and contact as they
	// are now; only BeginAttempt fills it in.
	Inbound *workflow.Inbound
}

// ResultKind is how a step ended an attempt.
type ResultKind string

const (
	ResultSent     ResultKind = "sent"
	ResultApplied  ResultKind = "applied"
	ResultExecuted ResultKind = "executed"
	ResultSkipped  ResultKind = "skipped"
	ResultWaiting  ResultKind = "waiting"
)

// Result ends an attempt.
type Result struct {
	Kind ResultKind
	At   time.Time
	// Sent: the vendor's id of the reply and the reply itself, stored as
	// an outbound message of the thread at At, and the vendor's time of the
	// send as its SentAt (At when zero).
	SentAt     time.Time
	ExternalID string
	Reply      *sdk.OutboundMessage
	// Applied: changes to the thread.
	Tags     []string
	Status   string
	Assignee string
	// Executed: the action's outputs (cty msgpack/JSON, opaque here).
	Outputs []byte
	// Skipped: why. Waiting: until when.
	Reason string
	Until  time.Time
}

// Thread is a thread as the API shows it.
type Thread struct {
	workflow.Thread
	Connector string
	Account   string
	Channel   string
	ContactID string
	UpdatedAt time.Time
}

// ThreadFilter narrows Threads; zero fields do not filter.
type ThreadFilter struct {
	Connector string
	Account   string
	Status    string
	Tag       string
	// Unanswered: no person replied after the last buyer message.
	Unanswered bool
	Limit      int
	// Before pages backwards by thread id (ULIDs sort by time).
	Before string
}

// Stats are gauges for /metrics.
type Stats struct {
	PendingSteps int
	QueuedSteps  int
	// RunningSteps are begun and not finished: a worker runs them, or
	// died with them (Requeue hands those to the queue).
	RunningSteps int
	DeadLetters  int
	Outbox       int
	// RowsWritten counts the rows this store inserted, updated or deleted
	// in committed transactions since it opened.
	RowsWritten int64
	// WriteStatements counts the SQL statements its write transactions ran
	// since it opened, BEGIN and COMMIT aside, runs again after conflicts
	// or a group's rollback included (on SQLite, with the reads of fresh
	// rows that run on the writer's connection).
	WriteStatements int64
}

// Errors callers act on.
var (
	ErrNotFound      = errors.New("not found")
	ErrNotClaimable  = errors.New("step is finished or not queued")
	ErrStepHeld      = errors.New("step is being executed by another worker")
	ErrAlreadyExists = errors.New("already exists")
	// ErrPlanned: the message was planned before (its delivery is a
	// redelivery), and that plan of record stands.
	ErrPlanned = errors.New("message planned already")
)
