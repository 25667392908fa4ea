package config

import (
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/core/schedule"
	"github.com/switchboard-hub/switchboard/sdk"
)

// Config is a decoded configuration directory.
type Config struct {
	Dir        string
	Hub        Hub
	Plugins    []*Plugin
	Connectors []*Connector
	Actions    []*Action
	Schedules  map[string]*Schedule
	Templates  map[string]*Template
	Workflows  []*Workflow // sorted by priority (highest first), then name
	Locals     map[string]cty.Value
	// Channels maps "connector.channel" to what the engine must respect.
	Channels map[string]*Channel
	// Eval is the context the engine evaluates expressions in: functions,
	// locals and schedules. The engine adds the message's variables and
	// the clock-bound functions in a child context.
	Eval *hcl.EvalContext
	// locked is the sha256 of each plugin executable ("kind/name") that
	// the directory's lock file records; see PinnedSHA256.
	locked map[string]string
}

// Hub holds hub-wide settings.
type Hub struct {
	// ReplyWindow: at most one automatic reply per thread within it.
	ReplyWindow time.Duration
	// Breaker stops a workflow that sends more than Limit replies within Per.
	Breaker Breaker
	// DefaultLanguage is the template variant used when a message's
	// language has none of its own.
	DefaultLanguage string

	// Service settings of `switchboard serve`.
	// Database is a postgres:// URL; empty keeps SQLite in the data directory.
	Database string
	// DatabaseSchema is the PostgreSQL schema of the tables; empty uses the
	// connection's search_path. Load refuses it with SQLite.
	DatabaseSchema string
	// NATSURL names an external NATS cluster; empty runs one embedded.
	NATSURL string
	// NATSStream is the JetStream stream name; DefaultNATSStream unless the
	// hub block sets nats_stream.
	NATSStream string
	// Listen is the HTTP address; empty means 127.0.0.1:8080.
	Listen string
	// APITokens are the bearer tokens the HTTP API accepts; with none,
	// the /v1 API answers 401 to everyone (webhooks, health and metrics
	// need no token).
	APITokens []string
	// MetricsTokens, when there are any, are the bearer tokens /metrics
	// accepts; with none, /metrics needs no token.
	MetricsTokens []string
	// PollInterval is how long connectors rest between polls; 0 is 30s.
	PollInterval time.Duration
	// MessageRetention is how long messages are kept once their work is
	// finished; 0 keeps them for ever.
	MessageRetention time.Duration
}

// Breaker is a circuit breaker's limit.
type Breaker struct {
	Limit int
	Per   time.Duration
}

// Plugin is a plugin block: where a plugin's binary is and its pin.
type Plugin struct {
	Kind      sdk.Kind
	Name      string
	Path      string
	SHA256    string
	Env       map[string]string
	DeclRange hcl.Range
}

// Connector is a configured connector instance: connector "<type>" "<name>".
type Connector struct {
	Type   string
	Name   string
	Schema *sdk.Schema
	// Config is the body decoded with the plugin's schema; sensitive parts
	// are marked.
	Config       cty.Value
	Body         hcl.Body
	PollInterval time.Duration
	DeclRange    hcl.Range
}

// Action is a configured action plugin instance: action "<type>" "<name>".
type Action struct {
	Type      string
	Name      string
	Schema    *sdk.Schema
	Config    cty.Value
	Body      hcl.Body
	DeclRange hcl.Range
}

// Channel is a "connector.channel" and its capabilities.
type Channel struct {
	Connector    string
	Name         string
	Capabilities sdk.Capabilities
	// DeclRange is where a test file declared it; empty when it comes from
	// a plugin schema.
	DeclRange hcl.Range
}

// Key is "connector.channel".
func (c *Channel) Key() string { return c.Connector + "." + c.Name }

// Schedule is a named schedule block.
type Schedule struct {
	Name string
	*schedule.Schedule
	DeclRange hcl.Range
}

// Template is a named reply text with variants per language. A template
// with one plain text has the single variant "".
type Template struct {
	Name     string
	Variants map[string]hcl.Expression
	// Default is the variant used when the message's language has none.
	Default   string
	DeclRange hcl.Range
}

// Mode says which received messages a workflow triggers on.
type Mode int

const (
	// EveryMessage: every buyer message.
	EveryMessage Mode = iota
	// FirstMessage: the first buyer message of a thread.
	FirstMessage
	// FirstContactMessage: the first message from a contact on any
	// thread, and again after Idle without messages from them when set.
	FirstContactMessage
)

var modeNames = map[string]Mode{
	"every_message":         EveryMessage,
	"first_message":         FirstMessage,
	"first_contact_message": FirstContactMessage,
}

func (m Mode) String() string {
	for name, v := range modeNames {
		if v == m {
			return name
		}
	}
	return "unknown"
}

// Source is a connector and optionally one of its channels ("" is all).
type Source struct {
	Connector string
	Channel   string
}

func (s Source) String() string {
	if s.Channel == "" {
		return s.Connector
	}
	return s.Connector + "." + s.Channel
}

// Matches reports whether a message from connector/channel is in the source.
func (s Source) Matches(connector, channel string) bool {
	return s.Connector == connector && (s.Channel == "" || s.Channel == channel)
}

// Trigger says which messages start a workflow.
type Trigger struct {
	Mode        Mode
	Idle        time.Duration
	Sources     []Source
	NotSources  []Source
	Accounts    []string
	NotAccounts []string
}

// Workflow is a workflow block.
type Workflow struct {
	Name        string
	Description string
	Enabled     bool
	Priority    int
	// Stop ends evaluation of lower-priority workflows when this one fires.
	Stop    bool
	Trigger Trigger
	// Condition is nil when the workflow has none.
	Condition hcl.Expression
	// ReplyWindow overrides the hub's when non-zero.
	ReplyWindow time.Duration
	Steps       []*Step
	DeclRange   hcl.Range
}

// Replies reports whether any step sends an automatic reply.
func (w *Workflow) Replies() bool {
	for _, s := range w.Steps {
		if s.Kind == StepReply {
			return true
		}
	}
	return false
}

// OnlyReplies reports whether every step sends an automatic reply (waits
// aside), so that withholding the replies leaves nothing to do.
func (w *Workflow) OnlyReplies() bool {
	for _, s := range w.Steps {
		if s.Kind != StepReply && s.Kind != StepWait {
			return false
		}
	}
	return true
}

// ActsBefore reports whether an action step comes before the step named
// step, so that its outputs may be referenced.
func (w *Workflow) ActsBefore(step string) bool {
	for _, s := range w.Steps {
		if s.Name == step {
			return false
		}
		if s.Action != nil {
			return true
		}
	}
	return false
}

// Built-in step kinds; any other kind names an action plugin type.
const (
	StepReply  = "reply"
	StepTag    = "tag"
	StepStatus = "status"
	StepAssign = "assign"
	StepWait   = "wait"
)

// Step is one step "<kind>" "<name>" of a workflow.
type Step struct {
	Kind string
	Name string
	// Offset is when the step falls due after the triggering message: the
	// waits before it plus its own delay.
	Offset time.Duration
	Delay  time.Duration

	// reply: either Template or Text.
	Template       *Template
	Text           hcl.Expression
	UnlessAnswered bool

	// tag
	Tags []string
	// status
	Status string
	// assign
	Assignee string
	// wait
	Wait time.Duration

	// action steps: the configured instance and the arguments, decoded at
	// the step's due time so they can use earlier steps' outputs.
	Action    *Action
	Arguments hcl.Body

	DeclRange hcl.Range
}
