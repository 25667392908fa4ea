package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-hub/switchboard/core/workflow"
)

// The explanation is stored as JSON in a shape of its own, so that a
// change to the engine's types does not make stored explanations
// unreadable. A workflow that did not fire keeps its reason as rendered
// text (WorkflowResult.Why): the engine's compact reason codes are not
// exported, and the text is what people read.
type explanationJSON struct {
	MessageID string               `json:"message_id"`
	Source    string               `json:"source"`
	Account   string               `json:"account"`
	Workflows []workflowResultJSON `json:"workflows"`
}

type workflowResultJSON struct {
	Workflow string        `json:"workflow"`
	Fired    bool          `json:"fired"`
	Reason   string        `json:"reason,omitempty"`
	Steps    []plannedJSON `json:"steps,omitempty"`
}

type plannedJSON struct {
	Key       string    `json:"key"`
	MessageID string    `json:"message_id"`
	Workflow  string    `json:"workflow"`
	Step      string    `json:"step"`
	DueAt     time.Time `json:"due_at"`
}

func encodeExplanation(x workflow.Explanation) (string, error) {
	j := explanationJSON{MessageID: x.MessageID, Source: x.Source, Account: x.Account, Workflows: make([]workflowResultJSON, len(x.Workflows))}
	for i, w := range x.Workflows {
		r := workflowResultJSON{Workflow: w.Workflow, Fired: w.Fired, Reason: w.Reason}
		if !w.Fired {
			r.Reason = w.Why(&x)
		}
		for _, p := range w.Steps {
			r.Steps = append(r.Steps, plannedJSON(p))
		}
		j.Workflows[i] = r
	}
	b, err := json.Marshal(j)
	if err != nil {
		return "", fmt.Errorf("encode explanation: %w", err)
	}
	return string(b), nil
}

func decodeExplanation(s string) (*workflow.Explanation, error) {
	var j explanationJSON
	if err := json.Unmarshal([]byte(s), &j); err != nil {
		return nil, fmt.Errorf("decode explanation: %w", err)
	}
	x := &workflow.Explanation{MessageID: j.MessageID, Source: j.Source, Account: j.Account, Workflows: make([]workflow.WorkflowResult, len(j.Workflows))}
	for i, w := range j.Workflows {
		r := workflow.WorkflowResult{Workflow: w.Workflow, Fired: w.Fired, Reason: w.Reason}
		for _, p := range w.Steps {
			r.Steps = append(r.Steps, workflow.Planned(p))
		}
		x.Workflows[i] = r
	}
	return x, nil
}

func (s *sqlStore) Explanation(ctx context.Context, messageID string) (*workflow.Explanation, error) {
	var x *workflow.Explanation
	err := s.read(ctx, "explanation of message "+messageID, func(t *tx) error {
		var body string
		err := t.queryRow(ctx, "SELECT body FROM explanations WHERE message_id = ?", messageID).Scan(&body)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		x, err = decodeExplanation(body)
		return err
	})
	if err != nil {
		return nil, err
	}
	return x, nil
}
