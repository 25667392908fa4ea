package vendorhttp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/switchboard-hub/switchboard/sdk"
)

// TransportError describes a request that got no answer, or whose answer
// broke off, as a retryable error: the request may work in a moment, and a
// retry with the same idempotency key is safe. err is what http.Client.Do
// returned (always a *url.Error), or an error reading the answer's body;
// timeout is the client's, for the message.
//
// The message names the request without its query (net/http's errors repeat
// the whole URL, tokens included) and says what to do:
// "POST https://example.com/hook: no answer within 10s; check that Acme is
// up, or raise timeout if it is slow". When ctx is done, the host stopped
// the call, and the message says so instead. A nil err gives nil.
func (v Vendor) TransportError(ctx context.Context, req *http.Request, err error, timeout time.Duration) error {
	if err == nil {
		return nil
	}
	return sdk.Retryable(errors.New(prefixed(describe(req), v.problem(ctx, err, timeout))))
}

func (v Vendor) problem(ctx context.Context, err error, timeout time.Duration) string {
	var ue *url.Error
	reading := !errors.As(err, &ue)
	if ue != nil {
		err = ue.Err
	}
	var msg string
	var te interface{ Timeout() bool }
	switch {
	case ctx.Err() != nil:
		msg = fmt.Sprintf("stopped by Switchboard before %s answered: %v", v.name(), ctx.Err())
	case errors.As(err, &te) && te.Timeout():
		within := "in time"
		if timeout > 0 {
			within = "within " + timeout.String()
		}
		msg = fmt.Sprintf("no answer %s; check that %s is up, or raise %s if it is slow", within, v.name(), or(v.TimeoutAttribute, "the timeout"))
	default:
		msg = err.Error()
	}
	if reading {
		return "reading the answer: " + msg
	}
	return msg
}
