package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// renderWithin renders tmpl over the test item, failing the test when it
// takes longer than limit: without the guards these templates never end.
func renderWithin(t *testing.T, ctx context.Context, limit time.Duration, tmpl string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := render(ctx, tmpl, newTemplateData(testItem()))
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		t.Fatalf("render(%q) still runs after %s", tmpl, limit)
		return nil
	}
}

func TestRenderRefusesConstantRanges(t *testing.T) {
	t.Parallel()
	tests := []struct{ tmpl, want string }{
		{`{{range 100000000000}}{{end}}{}`, `body:1:8: {{range 100000000000}} ranges over the number 100000000000, not over the message's data`},
		{`{{range $i := 3}}{{$i}}{{end}}`, `{{range $i := 3}} ranges over the number 3`},
		{`{{range 0x7fffffff}}{{end}}`, `ranges over the number 0x7fffffff`},
		{`{{range 'a'}}{{end}}`, `ranges over the number 'a'`},
		{`{{range (100000000000)}}{{end}}`, `{{range (100000000000)}} ranges over a value computed from constants`},
		{`{{range len "a long string"}}{{end}}`, `ranges over a value computed from constants`},
		// Nested in other statements and in templates, called or not.
		{"{{range .Thread.Tags}}\n  {{range 10}}{{end}}{{end}}", `body:2:10: {{range 10}}`},
		{`{{range .Thread.Tags}}{{else}}{{range 10}}{{end}}{{end}}`, `{{range 10}}`},
		{`{{if .Message.Text}}{{with .Contact}}{{range 10}}{{end}}{{end}}{{end}}`, `{{range 10}}`},
		{`{{if false}}{{else}}{{range 10}}{{end}}{{end}}`, `{{range 10}}`},
		{`{{define "spin"}}{{range 100000000000}}{{end}}{{end}}{}`, `{{range 100000000000}}`},
		{`{{block "b" .}}{{range 9}}{{end}}{{end}}`, `{{range 9}}`},
		// The first in the text is named.
		{`{{define "z"}}{{range 2}}{{end}}{{end}}{{range 1}}{{end}}`, `body:1:22: {{range 2}}`},
		{`{{range 1}}{{end}}{{define "z"}}{{range 2}}{{end}}{{end}}`, `body:1:8: {{range 1}}`},
	}
	for _, tt := range tests {
		err := renderWithin(t, t.Context(), 5*time.Second, tt.tmpl)
		if err == nil || !strings.Contains(err.Error(), "the body template cannot be used: ") ||
			!strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "range over a list from the data instead") {
			t.Errorf("render(%q) error = %v, want it refused, naming %q", tt.tmpl, err, tt.want)
		}
	}
}

// neverEnds tells a template the guard stopped from one it did not stop.
// The guard's maxRepetitions take a few seconds under -race, more on a
// busy machine: the recursion below, with the most work per repetition,
// takes about 2.5 s alone and over 10 s beside the other subtests and
// another package's tests on two cores. Unguarded, each would run at least
// 17,000 times as long (the Unix time counts to 1.7 billion, the recursion
// makes 2^31 calls): hours. So the limit is a hang's, not a speed check;
// the errors show that the count stopped each template.
const neverEnds = 2 * time.Minute

func TestRenderStopsLoopsOverData(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, tmpl, want string }{
		{"unix time", `{{range .Message.SentAt.Unix}}{{end}}`, `body:1:8: {{range .Message.SentAt.Unix}}: the template was stopped after 100000 repetitions`},
		{"nested", `{{range .Thread.Tags}}{{range $.Message.SentAt.UnixNano}}{{end}}{{end}}`, `{{range $.Message.SentAt.UnixNano}}: the template was stopped`},
		{"variable", `{{$n := 100000000000}}{{range $n}}{{end}}`, `{{range $n}}: the template was stopped`},
		{"dot", `{{with 100000000000}}{{range .}}{{end}}{{end}}`, `{{range .}}: the template was stopped`},
		// A template that calls itself twice: 2^31 calls, 30 deep.
		{"recursion", `{{define "x"}}{{if lt (len .) 30}}{{template "x" (printf "%sa" .)}}{{template "x" (printf "%sb" .)}}{{end}}{{end}}{{template "x" ""}}`,
			`{{template "x"}}: the template was stopped after 100000 repetitions`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := renderWithin(t, t.Context(), neverEnds, tt.tmpl)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "range over a list from the data instead") {
				t.Errorf("render(%q) error = %v, want it stopped, naming %q", tt.tmpl, err, tt.want)
			}
		})
	}
}

func TestRenderStopsWhenContextDone(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	// Each turn formats a megabyte and writes nothing, so neither the
	// output cap nor, for minutes, the repetition count stops it.
	err := renderWithin(t, ctx, 2*time.Second, `{{range .Message.SentAt.Unix}}{{$x := printf "%0999999d" 0}}{{end}}`)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "{{range .Message.SentAt.Unix}}: still repeating when the call's time ran out") {
		t.Errorf("error = %v, want the range stopped by the context", err)
	}
}
