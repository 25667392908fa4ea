package hub

import "context"

// Workflows lists the running configuration's workflows with their
// run-time state.
func (h *Hub) Workflows(ctx context.Context) ([]WorkflowInfo, error) {
	g := h.gen.Load()
	overrides, err := h.store.WorkflowOverrides(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]WorkflowInfo, 0, len(g.cfg.Workflows))
	for _, w := range g.cfg.Workflows {
		enabled := w.Enabled
		if v, ok := overrides[w.Name]; ok {
			enabled = v
		}
		var sources []string
		for _, s := range w.Trigger.Sources {
			sources = append(sources, s.String())
		}
		out = append(out, WorkflowInfo{Name: w.Name, Description: w.Description, Enabled: enabled,
			Priority: w.Priority, Mode: w.Trigger.Mode.String(), Sources: sources, Steps: len(w.Steps)})
	}
	return out, nil
}

// WorkflowInfo is a workflow as the API lists it.
type WorkflowInfo struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Enabled     bool     `json:"enabled"`
	Priority    int      `json:"priority"`
	Mode        string   `json:"mode"`
	Sources     []string `json:"sources"`
	Steps       int      `json:"steps"`
}
