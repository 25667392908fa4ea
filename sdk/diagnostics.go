package sdk

import (
	"errors"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// Severity of a diagnostic.
type Severity int

const (
	SeverityError Severity = iota + 1
	SeverityWarning
)

func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// Diagnostic is a problem a plugin found, usually in its configuration.
// Attribute names where: the host turns the path into the user's
// file:line:col, so plugins should set it whenever one attribute is at fault.
type Diagnostic struct {
	Severity  Severity
	Summary   string
	Detail    string
	Attribute cty.Path
}

// Diagnostics is a list of problems; it may mix errors and warnings.
type Diagnostics []Diagnostic

// AddError appends an error about the attribute at path (nil for the whole
// block) and returns the longer list.
func (d Diagnostics) AddError(path cty.Path, summary, detail string) Diagnostics {
	return append(d, Diagnostic{Severity: SeverityError, Summary: summary, Detail: detail, Attribute: path})
}

// HasErrors reports whether any diagnostic is an error. A diagnostic whose
// Severity was left unset counts as an error, on both sides of the wire.
func (d Diagnostics) HasErrors() bool {
	for _, x := range d {
		if x.Severity != SeverityWarning {
			return true
		}
	}
	return false
}

// Err returns the errors as one error, or nil when there are none.
func (d Diagnostics) Err() error {
	var msgs []string
	for _, x := range d {
		if x.Severity == SeverityWarning {
			continue
		}
		m := x.Summary
		if len(x.Attribute) > 0 {
			m = PathString(x.Attribute) + ": " + m
		}
		if x.Detail != "" {
			m += ": " + x.Detail
		}
		msgs = append(msgs, m)
	}
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "; "))
}
