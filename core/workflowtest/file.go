package workflowtest

import (
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"

	"github.com/switchboard-hub/switchboard/core/config"
)

// File is a parsed *.test.hcl file.
type File struct {
	Path     string
	Channels []*config.Channel
	Tests    []*Test
}

// Test is one test block.
type Test struct {
	Name      string
	Start     time.Time
	Horizon   time.Duration
	Events    []*Event
	Expects   []*Expect
	DeclRange hcl.Range
}

// EventKind is what happens in a test.
type EventKind int

const (
	Receive EventKind = iota + 1
	AgentReply
)

// String is the event's block type.
func (k EventKind) String() string {
	if k == AgentReply {
		return "agent_reply"
	}
	return "receive"
}

// Event is a receive or agent_reply block.
type Event struct {
	Kind      EventKind
	At        time.Duration
	Connector string
	Account   string
	Channel   string
	Thread    string
	From      string
	Name      string
	Contact   string
	Subject   string
	Text      string
	Language  string
	OrderRef  string
	Headers   map[string]string
	Auto      bool
	DeclRange hcl.Range
	// AtRange, ConnectorRange and ChannelRange are where the attributes
	// are written (DeclRange when absent), so that checks made after the
	// configuration loads can point at them.
	AtRange, ConnectorRange, ChannelRange hcl.Range
}

// ExpectKind is what an expectation checks.
type ExpectKind int

const (
	ExpectSent ExpectKind = iota + 1
	ExpectNotSent
	ExpectTags
	ExpectStatus
	ExpectAssignee
)

// Expect is one expect_* block.
type Expect struct {
	Kind   ExpectKind
	Thread string
	// From and To bound when (as offsets from start); for expect_sent with
	// at, From == To. HasRange is false when no time was given.
	From, To time.Duration
	HasRange bool
	Contains string
	Equals   string
	Count    int
	Tags     []string
	NotTags  []string
	Status   string
	Assignee string

	DeclRange hcl.Range
}

const defaultHorizon = 30 * 24 * time.Hour

var fileSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "channel", LabelNames: []string{"name"}},
	{Type: "test", LabelNames: []string{"name"}},
}}

var channelSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "min_reply_delay"}, {Name: "service_window"}, {Name: "max_text_length"},
}}

var testSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "start", Required: true}, {Name: "horizon"}},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "receive"}, {Type: "agent_reply"},
		{Type: "expect_sent"}, {Type: "expect_not_sent"}, {Type: "expect_tags"}, {Type: "expect_status"}, {Type: "expect_assignee"},
	},
}

var receiveSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "at"}, {Name: "connector", Required: true}, {Name: "account"}, {Name: "channel", Required: true},
	{Name: "thread", Required: true}, {Name: "from", Required: true}, {Name: "name"}, {Name: "contact"},
	{Name: "subject"}, {Name: "text", Required: true}, {Name: "language"}, {Name: "order_ref"}, {Name: "headers"}, {Name: "auto_generated"},
}}

var agentReplySchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "at"}, {Name: "thread", Required: true},
}}

var expectSchemas = map[string]*hcl.BodySchema{
	"expect_sent": {Attributes: []hcl.AttributeSchema{
		{Name: "thread", Required: true}, {Name: "at"}, {Name: "between"},
		{Name: "contains"}, {Name: "equals"}, {Name: "count"},
	}},
	"expect_not_sent": {Attributes: []hcl.AttributeSchema{{Name: "thread", Required: true}, {Name: "between"}}},
	"expect_tags":     {Attributes: []hcl.AttributeSchema{{Name: "thread", Required: true}, {Name: "tags"}, {Name: "not_tags"}}},
	"expect_status":   {Attributes: []hcl.AttributeSchema{{Name: "thread", Required: true}, {Name: "status", Required: true}}},
	"expect_assignee": {Attributes: []hcl.AttributeSchema{{Name: "thread", Required: true}, {Name: "assignee", Required: true}}},
}

// TestFiles lists the *.test.hcl files of dir.
func TestFiles(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.test.hcl"))
	sort.Strings(files)
	return files, err
}

// ParseFile reads one test file.
func ParseFile(p *hclparse.Parser, path string) (*File, hcl.Diagnostics) {
	hf, diags := p.ParseHCLFile(path)
	if hf == nil {
		return nil, diags
	}
	d := &decoder{diags: diags}
	f := &File{Path: path}
	content := d.content(hf.Body, fileSchema)
	seen := map[string]hcl.Range{}
	for _, b := range content.Blocks {
		name := b.Labels[0]
		key := b.Type + " " + name
		if prev, ok := seen[key]; ok {
			d.errorf(b.DefRange.Ptr(), "Duplicate "+b.Type+" "+fmt.Sprintf("%q", name), "It is also defined at %s.", prev)
			continue
		}
		seen[key] = b.DefRange
		switch b.Type {
		case "channel":
			f.Channels = append(f.Channels, d.channel(b))
		case "test":
			f.Tests = append(f.Tests, d.test(b))
		}
	}
	return f, d.diags
}

// CheckChannels reports every receive on a channel the configuration does
// not know. The engine applies a channel's minimum reply delay, service
// window and maximum length only to channels it knows, so a test on a
// misspelled channel would pass without them.
func CheckChannels(cfg *config.Config, files []*File) hcl.Diagnostics {
	if cfg == nil {
		return nil
	}
	var (
		diags hcl.Diagnostics
		known []string
	)
	connectors := map[string]bool{}
	for key, ch := range cfg.Channels {
		known = append(known, key)
		connectors[ch.Connector] = true
	}
	for _, f := range files {
		for _, t := range f.Tests {
			for _, e := range t.Events {
				key := e.Connector + "." + e.Channel
				// A missing connector or channel is reported where it is parsed.
				if e.Kind != Receive || e.Connector == "" || e.Channel == "" || cfg.Channels[key] != nil {
					continue
				}
				rng := e.ChannelRange
				if !connectors[e.Connector] {
					rng = e.ConnectorRange
				}
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Unknown channel",
					Detail: fmt.Sprintf("receive: %q is not a known connector channel.%s A receive must be on a channel of a configured "+
						"connector (connector blocks) or on one a test file declares with a channel block.",
						key, config.Suggestion(key, known)),
					Subject: rng.Ptr(),
				})
			}
		}
	}
	return diags
}

type decoder struct {
	diags hcl.Diagnostics
}

func (d *decoder) errorf(rng *hcl.Range, summary, detail string, args ...any) {
	d.diags = append(d.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(detail, args...), Subject: rng})
}

func (d *decoder) content(body hcl.Body, schema *hcl.BodySchema) *hcl.BodyContent {
	c, diags := body.Content(schema)
	d.diags = append(d.diags, diags...)
	return c
}

// value decodes an attribute into target (a pointer), with no variables.
func (d *decoder) value(a *hcl.Attribute, ty cty.Type, target any) bool {
	if a == nil {
		return false
	}
	v, diags := a.Expr.Value(nil)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() {
		return false
	}
	v, err := convert.Convert(v, ty)
	if err == nil {
		err = gocty.FromCtyValue(v, target)
	}
	if err != nil {
		d.errorf(a.Expr.Range().Ptr(), "Invalid value", "%s must be %s: %s.", a.Name, ty.FriendlyName(), err)
		return false
	}
	return true
}

func (d *decoder) str(a *hcl.Attribute) string {
	var s string
	d.value(a, cty.String, &s)
	return s
}

func (d *decoder) duration(a *hcl.Attribute) time.Duration {
	s := d.str(a)
	if s == "" {
		return 0
	}
	v, err := config.ParseDuration(s)
	if err != nil {
		d.errorf(a.Expr.Range().Ptr(), "Invalid duration", "%s: %s", a.Name, err)
	}
	return v
}

// moment reads a point in a test: an offset from start ("10m", "2d3h") or
// an RFC 3339 time, which DST tests find easier to write.
func (d *decoder) moment(a *hcl.Attribute, start time.Time) time.Duration {
	s := d.str(a)
	if s == "" {
		return 0
	}
	off, err := offsetOrTime(s, start)
	if err != nil {
		d.errorf(a.Expr.Range().Ptr(), "Invalid time", "%s: %s", a.Name, err)
	}
	return off
}

func offsetOrTime(s string, start time.Time) (time.Duration, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		if t.Before(start) {
			return 0, fmt.Errorf("%s is before the test's start %s", s, start.Format(time.RFC3339))
		}
		return t.Sub(start), nil
	}
	off, err := config.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is neither an offset from start (\"10m\", \"2d3h\") nor an RFC 3339 time", s)
	}
	return off, nil
}

func (d *decoder) channel(b *hcl.Block) *config.Channel {
	conn, name, ok := cutDot(b.Labels[0])
	if !ok {
		d.errorf(b.LabelRanges[0].Ptr(), "Invalid channel name", "Name a channel \"connector.channel\", e.g. \"amazon.buyer_messages\".")
	}
	c := d.content(b.Body, channelSchema)
	ch := &config.Channel{Connector: conn, Name: name, DeclRange: b.DefRange}
	ch.Capabilities.Poll, ch.Capabilities.Send = true, true
	ch.Capabilities.MinReplyDelay = d.duration(c.Attributes["min_reply_delay"])
	ch.Capabilities.ServiceWindow = d.duration(c.Attributes["service_window"])
	d.value(c.Attributes["max_text_length"], cty.Number, &ch.Capabilities.MaxTextLength)
	return ch
}

// exprRange is where an attribute's value is written, or def when the
// attribute is absent.
func exprRange(a *hcl.Attribute, def hcl.Range) hcl.Range {
	if a == nil {
		return def
	}
	return a.Expr.Range()
}

func cutDot(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return s[:i], s[i+1:], i > 0 && i < len(s)-1
		}
	}
	return s, "", false
}

func (d *decoder) test(b *hcl.Block) *Test {
	t := &Test{Name: b.Labels[0], Horizon: defaultHorizon, DeclRange: b.DefRange}
	c := d.content(b.Body, testSchema)
	if a := c.Attributes["start"]; a != nil {
		s := d.str(a)
		var err error
		if t.Start, err = time.Parse(time.RFC3339, s); err != nil {
			d.errorf(a.Expr.Range().Ptr(), "Invalid start", "start is an RFC 3339 time with an offset, such as \"2026-11-20T19:00:00+01:00\"; %q is not.", s)
		}
	}
	horizonOK := true
	if a := c.Attributes["horizon"]; a != nil {
		before := len(d.diags)
		t.Horizon = d.duration(a)
		horizonOK = !d.diags[before:].HasErrors()
	}
	for _, blk := range c.Blocks {
		switch blk.Type {
		case "receive":
			t.Events = append(t.Events, d.receive(blk, t.Start))
		case "agent_reply":
			ec := d.content(blk.Body, agentReplySchema)
			t.Events = append(t.Events, &Event{Kind: AgentReply, At: d.moment(ec.Attributes["at"], t.Start),
				AtRange: exprRange(ec.Attributes["at"], blk.DefRange),
				Thread:  d.str(ec.Attributes["thread"]), DeclRange: blk.DefRange})
		default:
			t.Expects = append(t.Expects, d.expect(blk, t.Start))
		}
	}
	// The run ends at the horizon, so a later event would never happen and
	// the expectations about it would be judged without it.
	if horizonOK {
		for _, e := range t.Events {
			if e.At > t.Horizon {
				d.errorf(e.AtRange.Ptr(), "Event after the horizon",
					"This %s is at %s, after the test's horizon of %s, so it would never happen. Raise the test's horizon to at least that (horizon = %q), or move the %s earlier.",
					e.Kind, config.FormatDuration(e.At), config.FormatDuration(t.Horizon), config.FormatDuration(e.At), e.Kind)
			}
		}
	}
	sort.SliceStable(t.Events, func(i, j int) bool { return t.Events[i].At < t.Events[j].At })
	return t
}

func (d *decoder) receive(b *hcl.Block, start time.Time) *Event {
	c := d.content(b.Body, receiveSchema)
	e := &Event{Kind: Receive, DeclRange: b.DefRange, Account: "test"}
	e.At = d.moment(c.Attributes["at"], start)
	e.AtRange = exprRange(c.Attributes["at"], b.DefRange)
	e.Connector = d.str(c.Attributes["connector"])
	e.ConnectorRange = exprRange(c.Attributes["connector"], b.DefRange)
	if a := c.Attributes["account"]; a != nil {
		e.Account = d.str(a)
	}
	e.Channel = d.str(c.Attributes["channel"])
	e.ChannelRange = exprRange(c.Attributes["channel"], b.DefRange)
	e.Thread = d.str(c.Attributes["thread"])
	e.From = d.str(c.Attributes["from"])
	e.Name = d.str(c.Attributes["name"])
	e.Contact = d.str(c.Attributes["contact"])
	e.Subject = d.str(c.Attributes["subject"])
	e.Text = d.str(c.Attributes["text"])
	e.Language = d.str(c.Attributes["language"])
	e.OrderRef = d.str(c.Attributes["order_ref"])
	d.value(c.Attributes["headers"], cty.Map(cty.String), &e.Headers)
	d.value(c.Attributes["auto_generated"], cty.Bool, &e.Auto)
	return e
}

func (d *decoder) expect(b *hcl.Block, start time.Time) *Expect {
	c := d.content(b.Body, expectSchemas[b.Type])
	x := &Expect{Thread: d.str(c.Attributes["thread"]), DeclRange: b.DefRange, Count: 1}
	switch b.Type {
	case "expect_sent":
		x.Kind = ExpectSent
		x.Contains = d.str(c.Attributes["contains"])
		x.Equals = d.str(c.Attributes["equals"])
		if a := c.Attributes["count"]; a != nil {
			d.value(a, cty.Number, &x.Count)
		}
		if a := c.Attributes["at"]; a != nil {
			x.From = d.moment(a, start)
			x.To, x.HasRange = x.From, true
			if c.Attributes["between"] != nil {
				d.errorf(a.NameRange.Ptr(), "Both at and between", "Give either at (an exact time) or between (a range).")
			}
		}
	case "expect_not_sent":
		x.Kind = ExpectNotSent
	case "expect_tags":
		x.Kind = ExpectTags
		d.value(c.Attributes["tags"], cty.List(cty.String), &x.Tags)
		d.value(c.Attributes["not_tags"], cty.List(cty.String), &x.NotTags)
		if len(x.Tags) == 0 && len(x.NotTags) == 0 {
			d.errorf(b.DefRange.Ptr(), "Nothing to expect", "Give tags (the thread must have them), not_tags (it must not), or both.")
		}
	case "expect_assignee":
		x.Kind = ExpectAssignee
		x.Assignee = d.str(c.Attributes["assignee"])
	case "expect_status":
		x.Kind = ExpectStatus
		x.Status = d.str(c.Attributes["status"])
	}
	if a := c.Attributes["between"]; a != nil {
		var r []string
		if d.value(a, cty.List(cty.String), &r) {
			if len(r) != 2 {
				d.errorf(a.Expr.Range().Ptr(), "Invalid range", "between is [from, to], such as [\"9m\", \"11m\"].")
			} else if from, err := offsetOrTime(r[0], start); err != nil {
				d.errorf(a.Expr.Range().Ptr(), "Invalid range", "%s", err)
			} else if to, err := offsetOrTime(r[1], start); err != nil {
				d.errorf(a.Expr.Range().Ptr(), "Invalid range", "%s", err)
			} else if from > to {
				d.errorf(a.Expr.Range().Ptr(), "Invalid range", "between starts after it ends: %q is later than %q.", r[0], r[1])
			} else {
				x.From, x.To, x.HasRange = from, to, true
			}
		}
	}
	return x
}
