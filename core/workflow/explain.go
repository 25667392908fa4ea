package workflow

import (
	"fmt"
	"strings"
	"time"
)

// Explanation says, for one message, what every workflow did and why.
type Explanation struct {
	MessageID string
	// Source and Account of the message, which most reasons name.
	Source    string
	Account   string
	Workflows []WorkflowResult
}

// WorkflowResult is one workflow's part in an explanation.
type WorkflowResult struct {
	Workflow string
	Fired    bool
	// Reason is the first thing that stopped the workflow; when it fired,
	// a note such as replies withheld by the loop guard. The common reasons are set as codes and rendered by Why, so
	// that explaining a thousand workflows costs no formatting.
	Reason string
	stop   stopCode
	Steps  []Planned
}

type stopCode int

const (
	stopNone stopCode = iota
	stopDisabled
	stopSource
	stopAccount
	stopCondition
)

// Why says why the workflow did not fire ("" when it did).
func (r WorkflowResult) Why(x *Explanation) string {
	switch r.stop {
	case stopDisabled:
		return "disabled"
	case stopSource:
		return fmt.Sprintf("source: %s is not among its sources", x.Source)
	case stopAccount:
		return fmt.Sprintf("account: %q is not among its accounts", x.Account)
	case stopCondition:
		return "condition is false"
	}
	return r.Reason
}

// String renders the explanation for people, one workflow a line.
func (x Explanation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "message %s:\n", x.MessageID)
	for _, w := range x.Workflows {
		if w.Fired {
			var steps []string
			for _, s := range w.Steps {
				steps = append(steps, s.Step+" at "+s.DueAt.Format(time.RFC3339))
			}
			fmt.Fprintf(&b, "  %s: fired; steps %s\n", w.Workflow, strings.Join(steps, ", "))
			if w.Reason != "" {
				fmt.Fprintf(&b, "    %s\n", w.Reason)
			}
			continue
		}
		fmt.Fprintf(&b, "  %s: did not fire: %s\n", w.Workflow, w.Why(&x))
	}
	return b.String()
}
