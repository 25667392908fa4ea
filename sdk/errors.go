package sdk

import (
	"errors"
	"fmt"
	"time"
)

// ErrorKind tells the host what to do with a failure.
type ErrorKind int

const (
	// KindUnspecified is an error the plugin did not classify; the host
	// retries it with backoff, like KindRetryable.
	KindUnspecified ErrorKind = iota
	// KindPermanent means retrying cannot help (a bad recipient, a closed
	// thread): the host dead-letters the work with the message.
	KindPermanent
	// KindRetryable is transient (a timeout, a 5xx): retry with backoff.
	KindRetryable
	// KindRateLimited means the vendor throttles: retry after RetryAfter.
	KindRateLimited
)

func (k ErrorKind) String() string {
	switch k {
	case KindPermanent:
		return "permanent"
	case KindRetryable:
		return "retryable"
	case KindRateLimited:
		return "rate-limited"
	}
	return "unspecified"
}

// Error is a failure with a kind. It survives the wire: the host receives
// an *Error with the same kind, message and retry-after.
type Error struct {
	Kind       ErrorKind
	Message    string
	RetryAfter time.Duration
	err        error
}

func (e *Error) Error() string {
	if e.Kind == KindRateLimited && e.RetryAfter > 0 {
		return fmt.Sprintf("%s (%s, retry after %s)", e.Message, e.Kind, e.RetryAfter)
	}
	return fmt.Sprintf("%s (%s)", e.Message, e.Kind)
}

func (e *Error) Unwrap() error { return e.err }

// Permanent marks err as one that retrying cannot fix.
func Permanent(err error) error { return wrap(KindPermanent, err, 0) }

// Retryable marks err as transient.
func Retryable(err error) error { return wrap(KindRetryable, err, 0) }

// RateLimited marks err as the vendor's throttling; the host waits at least
// retryAfter before trying again.
func RateLimited(err error, retryAfter time.Duration) error {
	return wrap(KindRateLimited, err, retryAfter)
}

func wrap(kind ErrorKind, err error, retryAfter time.Duration) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: kind, Message: err.Error(), RetryAfter: retryAfter, err: err}
}

// KindOf returns the kind of err, or KindUnspecified when it has none.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindUnspecified
}

// RetryAfter returns how long to wait before retrying err (zero when the
// error does not say).
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// ErrUnsupported is returned (as a permanent error) by connectors for calls
// their channels do not support, such as Poll on a webhook-only connector.
var ErrUnsupported = errors.New("not supported by this plugin")
