package queue

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/nats-io/nats.go"
)

// Defaults applied by Open to zero Options fields.
const (
	DefaultStream          = "SWITCHBOARD"
	DefaultReplicas        = 1
	DefaultDuplicateWindow = 2 * time.Minute
	DefaultAckWait         = 60 * time.Second
	DefaultMaxDeliver      = 20
	DefaultConcurrency     = 8
)

// Options configure a Queue. Every zero field takes the default it documents.
type Options struct {
	// URL of an external NATS server or cluster ("nats://a:4222,nats://b:4222").
	// Empty runs an embedded nats-server with JetStream inside the process:
	// file storage in DataDir, no port opened (DontListen) and an in-process
	// connection.
	URL string

	// DataDir holds the embedded server's store, in DataDir/jetstream.
	// Required when URL is empty; must be empty when URL is set.
	DataDir string

	// Stream is the JetStream stream name; default "SWITCHBOARD". Letters,
	// digits, '-' and '_' only. Subjects are published as
	// <lower-case stream>.<subject>, so two streams never share subjects as
	// long as their names differ in more than case.
	Stream string

	// Subjects are the logical subjects the stream carries, e.g. "messages",
	// "steps". Publish and Consume accept only these. At least one is required.
	Subjects []string

	// Replicas is the stream's replica count on an external cluster; default 1.
	// The embedded server always uses 1.
	Replicas int

	// DuplicateWindow is JetStream's de-duplication window for publish ids;
	// default 2m. It absorbs bursts; the store de-duplicates for good.
	DuplicateWindow time.Duration

	// AckWait is how long a delivery may stay unsettled before JetStream
	// redelivers it; default 60s. Long handlers call Delivery.InProgress,
	// or are consumed with KeepInProgress.
	AckWait time.Duration

	// MaxDeliver is how many times a message is delivered to handlers before
	// the queue gives up on it; default 20. See Delivery.Final and OnExhausted.
	MaxDeliver int

	// Concurrency is how many handlers a consumer runs at once, unless
	// Consume is given WithConcurrency; default 8.
	Concurrency int

	// Backoff gives the redelivery delay for a delivery that the handler
	// returned without settling, or that OnExhausted failed to dead-letter.
	// attempt counts from 1. Default: 1s doubling up to 5m.
	Backoff func(attempt int) time.Duration

	// SyncAlways makes the embedded server fsync every write before it acks
	// a publish, so acknowledged messages survive a power loss too, at a
	// large cost in publish throughput. Without it they survive the process
	// being killed (writes reach the OS before the ack), and the server
	// fsyncs every two minutes. Embedded only; an external server follows its
	// own configuration.
	SyncAlways bool

	// ConnectOptions are extra options for the connection to an external
	// server (credentials, TLS, ...). Not used when embedded.
	ConnectOptions []nats.Option

	// Logger receives the queue's and the embedded server's logs; optional.
	Logger hclog.Logger
}

// DefaultBackoff doubles from one second up to five minutes.
func DefaultBackoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 10 {
		return 5 * time.Minute
	}
	return min(time.Second<<(attempt-1), 5*time.Minute)
}

func (o Options) withDefaults() Options {
	if o.Stream == "" {
		o.Stream = DefaultStream
	}
	if o.Replicas == 0 {
		o.Replicas = DefaultReplicas
	}
	if o.URL == "" {
		o.Replicas = 1
	}
	if o.DuplicateWindow == 0 {
		o.DuplicateWindow = DefaultDuplicateWindow
	}
	if o.AckWait == 0 {
		o.AckWait = DefaultAckWait
	}
	if o.MaxDeliver == 0 {
		o.MaxDeliver = DefaultMaxDeliver
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Backoff == nil {
		o.Backoff = DefaultBackoff
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	return o
}

func (o Options) validate() error {
	var errs []error
	if o.URL == "" && o.DataDir == "" {
		errs = append(errs, errors.New("queue: DataDir is empty; the embedded server needs a directory for its store (or set URL for an external server)"))
	}
	if o.URL != "" && o.DataDir != "" {
		errs = append(errs, fmt.Errorf("queue: DataDir %q is set together with URL %q; DataDir is for the embedded server only, remove one of them", o.DataDir, o.URL))
	}
	if err := checkName("stream", o.Stream); err != nil {
		errs = append(errs, err)
	}
	if len(o.Subjects) == 0 {
		errs = append(errs, errors.New(`queue: Subjects is empty; name the subjects the stream carries, e.g. "messages", "steps"`))
	}
	seen := map[string]bool{}
	for _, s := range o.Subjects {
		if err := checkSubject(s); err != nil {
			errs = append(errs, err)
		}
		if seen[s] {
			errs = append(errs, fmt.Errorf("queue: subject %q is listed twice in Subjects", s))
		}
		seen[s] = true
	}
	if o.Replicas < 1 || o.Replicas > 5 {
		errs = append(errs, fmt.Errorf("queue: Replicas is %d; JetStream allows 1 to 5", o.Replicas))
	}
	if o.DuplicateWindow < 0 {
		errs = append(errs, fmt.Errorf("queue: DuplicateWindow is %s; it must be positive", o.DuplicateWindow))
	}
	if o.AckWait < 0 {
		errs = append(errs, fmt.Errorf("queue: AckWait is %s; it must be positive", o.AckWait))
	}
	if o.MaxDeliver < 1 {
		errs = append(errs, fmt.Errorf("queue: MaxDeliver is %d; it must be at least 1", o.MaxDeliver))
	}
	if o.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("queue: Concurrency is %d; it must be at least 1", o.Concurrency))
	}
	return errors.Join(errs...)
}

// checkName validates a stream or consumer name: JetStream puts it in API
// subjects and file names, so only a safe alphabet is accepted.
func checkName(what, name string) error {
	if name == "" {
		return fmt.Errorf("queue: %s name is empty", what)
	}
	if len(name) > 200 {
		return fmt.Errorf("queue: %s name %q is %d bytes long; keep it under 200", what, name, len(name))
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("queue: %s name %q contains %q; use letters, digits, '-' and '_'", what, name, r)
		}
	}
	return nil
}

// checkSubject validates a logical subject: dot-separated tokens without
// wildcards or whitespace.
func checkSubject(s string) error {
	if s == "" {
		return errors.New("queue: a subject is empty")
	}
	for tok := range strings.SplitSeq(s, ".") {
		if tok == "" {
			return fmt.Errorf("queue: subject %q has an empty token; separate tokens with single dots", s)
		}
		if strings.ContainsAny(tok, "*> \t\r\n") {
			return fmt.Errorf("queue: subject %q contains a wildcard or whitespace; name one concrete subject", s)
		}
	}
	return nil
}
