package workflow

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hub/switchboard/core/config"
	"github.com/switchboard-hub/switchboard/sdk"
)

var channels = []*config.Channel{
	{Connector: "allegro", Name: "discussions", Capabilities: sdk.Capabilities{Poll: true, Send: true}},
	{Connector: "allegro", Name: "message_center", Capabilities: sdk.Capabilities{Poll: true, Send: true}},
	{Connector: "amazon", Name: "buyer_messages", Capabilities: sdk.Capabilities{Poll: true, Send: true, MinReplyDelay: 10 * time.Minute}},
}

// engineFor loads src as a configuration.
func engineFor(tb testing.TB, src string) *Engine {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		tb.Fatal(err)
	}
	cfg, diags := config.Load(dir, config.Options{Channels: channels})
	if diags.HasErrors() {
		tb.Fatal(diags.Error())
	}
	return New(cfg)
}

// workflows writes n workflows the way a large seller's config looks:
// sources, keyword conditions and office hours, replies and tags.
func workflows(n int) string {
	var b strings.Builder
	b.WriteString(`schedule "office" {
  timezone = "Europe/Warsaw"
  hours    = { mon_fri = "09:00-17:00", sat = "10:00-14:00" }
  public_holidays = ["PL"]
}
`)
	sources := []string{`"allegro.discussions"`, `"allegro.message_center"`, `"amazon"`}
	for i := range n {
		fmt.Fprintf(&b, `workflow "w%d" {
  description = "Workflow %d"
  priority    = %d
  trigger { sources = [%s] }
  condition = !open_now(schedule.office) && has_keyword(message.text, ["keyword%d", "zwrot"])
  step "reply" "r" {
    text  = "Reply %d to ${message.sender.name}"
    delay = "10m"
  }
  step "tag" "t" { tags = ["w%d"] }
}
`, i, i, i%7, sources[i%3], i, i, i)
	}
	return b.String()
}

func inbound(text string) *Inbound {
	at := time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)
	return &Inbound{
		Message: sdk.Message{ID: "m1", ExternalID: "e1", Connector: "allegro", Account: "shop", Channel: "discussions",
			Thread: "t1", Direction: sdk.Inbound, Sender: sdk.Party{ID: "b1", Name: "Jan"}, Text: text},
		ReceivedAt: at,
		Thread:     Thread{ID: "th1", ExternalID: "t1", Messages: 1, FirstMessageID: "m1", FirstInboundAt: at, LastInboundAt: at},
		Contact:    Contact{ID: "c1", Name: "Jan", Messages: 1},
	}
}

func TestEvaluateExplains(t *testing.T) {
	e := engineFor(t, workflows(3))
	d := e.Evaluate(inbound("Chcę zrobić zwrot"))
	got := d.Explanation.String()
	for _, want := range []string{"w0: fired", "w1: did not fire: source: allegro.discussions is not among its sources", "w2: did not fire: source"} {
		if !strings.Contains(got, want) {
			t.Errorf("explanation lacks %q:\n%s", want, got)
		}
	}
	if len(d.Steps) != 2 || d.Steps[0].DueAt.Sub(inbound("").ReceivedAt) != 10*time.Minute {
		t.Errorf("steps: %+v", d.Steps)
	}
	if d.Steps[0].Key != "m1.w0.r" {
		t.Errorf("key %q", d.Steps[0].Key)
	}
	if d := e.Evaluate(inbound("Dzień dobry")); !strings.Contains(d.Explanation.String(), "w0: did not fire: condition is false") {
		t.Errorf("explanation: %s", d.Explanation)
	}
}

// A run-time override wins over a workflow's enabled attribute, both ways.
func TestOverridesWinOverTheEnabledAttribute(t *testing.T) {
	e := engineFor(t, `workflow "off" {
  description = "Off in the file"
  enabled     = false
  trigger {}
  step "tag" "t" { tags = ["off"] }
}
workflow "on" {
  description = "On in the file"
  trigger {}
  step "tag" "t" { tags = ["on"] }
}
`)
	fired := func(e *Engine) []string {
		var out []string
		for _, w := range e.Evaluate(inbound("hello")).Explanation.Workflows {
			if w.Fired {
				out = append(out, w.Workflow)
			}
		}
		return out
	}
	for _, tc := range []struct {
		overrides map[string]bool
		want      []string
	}{
		{nil, []string{"on"}},
		{map[string]bool{"off": true}, []string{"off", "on"}},
		{map[string]bool{"on": false}, nil},
		{map[string]bool{"off": true, "on": false}, []string{"off"}},
	} {
		if got := fired(e.WithOverrides(tc.overrides)); !slices.Equal(got, tc.want) {
			t.Errorf("overrides %v: fired %v, want %v", tc.overrides, got, tc.want)
		}
	}
}

// An automatic message is nobody's first message: a workflow of either
// first mode does not fire for it, even one that only tags; every_message
// does.
func TestAnAutomaticMessageIsNobodysFirst(t *testing.T) {
	e := engineFor(t, `workflow "welcome" {
  description = "w"
  trigger { mode = "first_message" }
  step "tag" "new" { tags = ["new-thread"] }
}
workflow "greet" {
  description = "g"
  trigger { mode = "first_contact_message" }
  step "tag" "first" { tags = ["first-contact"] }
}
workflow "all" {
  description = "a"
  trigger {}
  step "tag" "seen" { tags = ["seen"] }
}
`)
	in := inbound("I am out of office until Monday")
	in.Thread.FirstMessageID, in.Thread.FirstInboundAt = "", time.Time{} // automatic messages set neither
	in.Message.Headers = map[string]string{"Auto-Submitted": "auto-replied"}
	d := e.Evaluate(in)
	got := d.Explanation.String()
	for _, want := range []string{
		"welcome: did not fire: mode first_message: an automatic message is nobody's first message (Auto-Submitted: auto-replied)",
		"greet: did not fire: mode first_contact_message: an automatic message is nobody's first message",
		"all: fired",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("explanation lacks %q:\n%s", want, got)
		}
	}
	if len(d.Steps) != 1 || d.Steps[0].Workflow != "all" {
		t.Errorf("planned %+v, want the every_message workflow's step alone", d.Steps)
	}
	// The first message a person writes is still the first.
	in.Message.Headers = nil
	if d := e.Evaluate(in); len(d.Steps) != 3 {
		t.Errorf("a person's first message planned %d steps, want 3:\n%s", len(d.Steps), d.Explanation.String())
	}
}

// A reply's text that validate accepts (anything that converts to a
// string) is sent as that string.
func TestAReplyTextConvertsToAString(t *testing.T) {
	e := engineFor(t, `workflow "count" {
  description = "c"
  trigger {}
  step "reply" "n" { text = contact.messages }
}
`)
	in := inbound("hello")
	d := e.Evaluate(in)
	if len(d.Steps) != 1 {
		t.Fatalf("planned %+v", d.Steps)
	}
	o, err := e.Resolve(context.Background(), &Due{Step: d.Steps[0], Message: in, Thread: in.Thread, Contact: in.Contact, Now: d.Steps[0].DueAt}, NewMemClaims())
	if err != nil || o.Kind != Send || o.Reply.Text != "1" {
		t.Fatalf("resolve: %+v, %v; want the text \"1\"", o, err)
	}
	// Marked as automatic (RFC 3834), so that the buyer's robots let it be.
	if got := o.Reply.Headers["Auto-Submitted"]; got != "auto-replied" {
		t.Errorf("the reply's Auto-Submitted header: %q, want auto-replied", got)
	}
}

// open_now and next_open answer for the moment given, else for the moment
// of evaluation; a moment that is no timestamp is a clear error.
func TestScheduleFunctionsTakeAMoment(t *testing.T) {
	e := engineFor(t, `schedule "office" {
  timezone = "Europe/Warsaw"
  hours    = { mon_fri = "10:00-18:00" }
}
workflow "w" {
  description = "w"
  trigger {}
  condition = !open_now(schedule.office, message.received_at)
  step "reply" "r" {
    delay = "1h"
    text  = "From ${next_open(schedule.office, message.received_at)}, not ${next_open(schedule.office)}"
  }
}
workflow "bad" {
  description = "b"
  trigger {}
  condition = open_now(schedule.office, message.text)
  step "tag" "t" { tags = ["x"] }
}
`)
	in := inbound("yesterday")
	in.ReceivedAt = time.Date(2026, 11, 23, 8, 30, 0, 0, time.UTC) // Monday 09:30 in Warsaw
	d := e.Evaluate(in)
	if !strings.Contains(d.Explanation.String(), `bad: did not fire: condition failed: `) || !strings.Contains(d.Explanation.String(), `"yesterday" is not an RFC 3339 timestamp`) {
		t.Errorf("explanation:\n%s", d.Explanation.String())
	}
	if len(d.Steps) != 1 {
		t.Fatalf("planned %+v", d.Steps)
	}
	o, err := e.Resolve(context.Background(), &Due{Step: d.Steps[0], Message: in, Thread: in.Thread, Contact: in.Contact, Now: d.Steps[0].DueAt}, NewMemClaims())
	if err != nil || o.Reply == nil || o.Reply.Text != "From 2026-11-23T10:00:00+01:00, not 2026-11-23T10:30:00+01:00" {
		t.Fatalf("resolve: %+v, %v", o, err)
	}
}

func TestResolveAfterConfigChange(t *testing.T) {
	e := engineFor(t, workflows(1))
	in := inbound("zwrot")
	d := e.Evaluate(in)
	changed := engineFor(t, workflows(0)+`
workflow "other" {
  description = "d"
  trigger {}
  step "tag" "t" { tags = ["x"] }
}`)
	o, err := changed.Resolve(context.Background(), &Due{Step: d.Steps[0], Message: in, Thread: in.Thread, Now: d.Steps[0].DueAt}, NewMemClaims())
	if err != nil || o.Kind != Skip || !strings.Contains(o.Reason, "no longer exists") {
		t.Errorf("outcome %+v, %v", o, err)
	}
}

func TestStepKeyIsBoundedAndStable(t *testing.T) {
	long := strings.Repeat("x", 200)
	k1, k2 := StepKey("m1", long, "s"), StepKey("m1", long, "s")
	if k1 != k2 || len(k1) > 100 || !strings.HasPrefix(k1, "m1.") {
		t.Errorf("key %q", k1)
	}
	if StepKey("m1", long, "s") == StepKey("m1", long, "t") {
		t.Error("different steps share a key")
	}
}

func FuzzEvaluate(f *testing.F) {
	e := engineFor(f, workflows(5))
	f.Add("zwrot keyword1", "Auto-Submitted", "auto-replied", "discussions")
	f.Add("", "", "", "")
	f.Fuzz(func(t *testing.T, text, header, value, channel string) {
		in := inbound(text)
		in.Message.Channel = channel
		in.Message.Headers = map[string]string{header: value}
		d := e.Evaluate(in)
		for _, p := range d.Steps {
			if _, err := e.Resolve(context.Background(), &Due{Step: p, Message: in, Thread: in.Thread, Now: p.DueAt}, NewMemClaims()); err != nil && sdk.KindOf(err) != sdk.KindPermanent {
				t.Fatalf("resolve: %v", err)
			}
		}
	})
}

// BenchmarkEvaluate measures the first half per message for 1, 100 and
// 1,000 workflows; ns/workflow is the cost per workflow per message.
func BenchmarkEvaluate(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("workflows=%d", n), func(b *testing.B) {
			e := engineFor(b, workflows(n))
			in := inbound("Dzień dobry, chcę zrobić zwrot towaru z zamówienia")
			b.ReportAllocs()
			for b.Loop() {
				e.Evaluate(in)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/workflow")
		})
	}
}

// BenchmarkResolve measures the second half of a reply step whose text
// reads one attribute of the message, as the pipeline benchmark's does.
func BenchmarkResolve(b *testing.B) {
	e := engineFor(b, `workflow "ack" {
  description = "Acknowledge every message"
  trigger {}
  step "reply" "ack" { text = "Thanks for ${message.external_id}" }
}
`)
	in := inbound("Where is my order?")
	d := e.Evaluate(in)
	if len(d.Steps) != 1 {
		b.Fatalf("%d steps planned, want 1", len(d.Steps))
	}
	claims := NewMemClaims()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := d.Steps[0]
		p.Key = strconv.Itoa(i)
		i++
		in.Thread.ID = p.Key // a thread of its own: no reply window
		// A second apart: within the default breaker's limit.
		now := p.DueAt.Add(time.Duration(i) * time.Second)
		o, err := e.Resolve(context.Background(), &Due{Step: p, Message: in, Thread: in.Thread, Now: now}, claims)
		if err != nil || o.Kind != Send {
			b.Fatalf("resolve: %+v, %v", o, err)
		}
	}
}
