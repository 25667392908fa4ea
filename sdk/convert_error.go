package sdk

import (
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/switchboard-hub/switchboard/sdk/internal/wire"
)

func errorToWire(err error) *wire.Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		w := &wire.Error{Kind: wire.Error_Kind(e.Kind), Message: e.Message}
		if e.RetryAfter > 0 {
			w.RetryAfter = durationpb.New(e.RetryAfter)
		}
		return w
	}
	return &wire.Error{Kind: wire.Error_KIND_UNSPECIFIED, Message: err.Error()}
}

func errorFromWire(w *wire.Error) error {
	if w == nil {
		return nil
	}
	return &Error{Kind: ErrorKind(w.Kind), Message: w.Message, RetryAfter: w.RetryAfter.AsDuration()}
}

// statusError turns a plugin's error into a gRPC status carrying the kind.
func statusError(err error) error {
	if err == nil {
		return nil
	}
	w := errorToWire(err)
	code := codes.Unknown
	switch w.Kind {
	case wire.Error_KIND_PERMANENT:
		code = codes.FailedPrecondition
	case wire.Error_KIND_RETRYABLE:
		code = codes.Unavailable
	case wire.Error_KIND_RATE_LIMITED:
		code = codes.ResourceExhausted
	}
	st, derr := status.New(code, w.Message).WithDetails(w)
	if derr != nil {
		return status.Error(code, w.Message)
	}
	return st.Err()
}

// errorFromStatus turns a call's error back into an *Error when the plugin
// sent one; transport failures (the plugin died, a deadline passed) come back
// as they are, so the host can tell them apart with IsPluginError.
func errorFromStatus(method string, err error) error {
	if err == nil {
		return nil
	}
	if st, ok := status.FromError(err); ok {
		for _, d := range st.Details() {
			if w, ok := d.(*wire.Error); ok {
				return errorFromWire(w)
			}
		}
	}
	return fmt.Errorf("%s: %w", method, err)
}

// IsPluginError reports whether err was returned by the plugin itself (with
// a kind), as opposed to a failure to reach it (a crash, a deadline).
func IsPluginError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

func diagnosticsToWire(d Diagnostics) []*wire.Diagnostic {
	if len(d) == 0 {
		return nil
	}
	out := make([]*wire.Diagnostic, len(d))
	for i, x := range d {
		out[i] = &wire.Diagnostic{Severity: wire.Diagnostic_Severity(x.Severity), Summary: x.Summary,
			Detail: x.Detail, Attribute: pathToWire(x.Attribute)}
	}
	return out
}

func diagnosticsFromWire(ws []*wire.Diagnostic) (Diagnostics, error) {
	if len(ws) == 0 {
		return nil, nil
	}
	out := make(Diagnostics, len(ws))
	for i, w := range ws {
		p, err := pathFromWire(w.Attribute)
		if err != nil {
			return nil, err
		}
		sev := Severity(w.Severity)
		if sev != SeverityWarning {
			sev = SeverityError
		}
		out[i] = Diagnostic{Severity: sev, Summary: w.Summary, Detail: w.Detail, Attribute: p}
	}
	return out, nil
}
