package config

import (
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/switchboard-hub/switchboard/core/pluginconfig"
	"github.com/switchboard-hub/switchboard/sdk"
)

var workflowSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "description", Required: true},
		{Name: "enabled"},
		{Name: "priority"},
		{Name: "stop"},
		{Name: "condition"},
		{Name: "reply_window"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "trigger"},
		{Type: "step", LabelNames: []string{"type", "name"}},
	},
}

var triggerSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "event"},
	{Name: "mode"},
	{Name: "idle"},
	{Name: "sources"},
	{Name: "not_sources"},
	{Name: "accounts"},
	{Name: "not_accounts"},
}}

// Step schemas by built-in kind; action steps use their plugin's schema.
var stepSchemas = map[string]*hcl.BodySchema{
	StepReply: {Attributes: []hcl.AttributeSchema{
		{Name: "template"}, {Name: "text"}, {Name: "delay"}, {Name: "unless_answered"},
	}},
	StepTag:    {Attributes: []hcl.AttributeSchema{{Name: "tags", Required: true}, {Name: "delay"}}},
	StepStatus: {Attributes: []hcl.AttributeSchema{{Name: "status", Required: true}, {Name: "delay"}}},
	StepAssign: {Attributes: []hcl.AttributeSchema{{Name: "to", Required: true}, {Name: "delay"}}},
	StepWait:   {Attributes: []hcl.AttributeSchema{{Name: "duration", Required: true}}},
}

var actionStepMeta = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "action"}, {Name: "delay"}}}

func (l *loader) decodeWorkflows() {
	seen := map[string]*Workflow{}
	for _, b := range l.blocks["workflow"] {
		name := b.Labels[0]
		if prev, ok := seen[name]; ok {
			l.duplicate("workflow", name, prev.DeclRange, b.DefRange)
			continue
		}
		w := l.decodeWorkflow(b)
		seen[name] = w
		l.cfg.Workflows = append(l.cfg.Workflows, w)
	}
	l.checkUnusedTemplates()
	sort.SliceStable(l.cfg.Workflows, func(i, j int) bool {
		a, b := l.cfg.Workflows[i], l.cfg.Workflows[j]
		if a.Priority != b.Priority {
			return a.Priority > b.Priority
		}
		return a.Name < b.Name
	})
}

func (l *loader) decodeWorkflow(b *hcl.Block) *Workflow {
	w := &Workflow{Name: b.Labels[0], Enabled: true, DeclRange: b.DefRange}
	if !identifier(w.Name) {
		l.errorf(b.LabelRanges[0].Ptr(), "Invalid workflow name", "%q: use letters, digits and underscores, starting with a letter.", w.Name)
	}
	c := l.content(b.Body, workflowSchema)
	if d, ok := l.str(c.Attributes["description"]); ok {
		w.Description = strings.TrimSpace(d)
		if w.Description == "" {
			l.errorf(c.Attributes["description"].Expr.Range().Ptr(), "Empty description",
				"Say what workflow %q is for: the description is what teammates see in the workflow list.", w.Name)
		}
	}
	w.Enabled = l.boolean(c.Attributes["enabled"], true)
	w.Priority = l.integer(c.Attributes["priority"], 0)
	w.Stop = l.boolean(c.Attributes["stop"], false)
	if a := c.Attributes["reply_window"]; a != nil {
		if d := l.duration(a, -1); d >= 0 { // -1: not a duration, reported
			w.ReplyWindow = d
			l.checkReplyWindow(a, d)
		}
	}
	if a := c.Attributes["condition"]; a != nil {
		l.typecheck(a.Expr, cty.Bool, "condition", nil)
		w.Condition = l.fold(a.Expr)
	}
	var triggers, steps hcl.Blocks
	for _, blk := range c.Blocks {
		if blk.Type == "trigger" {
			triggers = append(triggers, blk)
		} else {
			steps = append(steps, blk)
		}
	}
	switch len(triggers) {
	case 0:
		l.errorf(b.DefRange.Ptr(), "Missing trigger", "workflow %q needs a trigger block saying which messages start it.", w.Name)
	default:
		for _, extra := range triggers[1:] {
			l.duplicate("trigger of workflow", w.Name, triggers[0].DefRange, extra.DefRange)
		}
		w.Trigger = l.decodeTrigger(triggers[0])
	}
	if len(steps) == 0 {
		l.errorf(b.DefRange.Ptr(), "No steps", "workflow %q does nothing; add a step such as step \"reply\" \"ack\" { … }.", w.Name)
	}
	l.decodeSteps(w, steps)
	l.checkMinDelays(w)
	return w
}

func identifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		letter := 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
		if !(letter || i > 0 && (r == '_' || '0' <= r && r <= '9')) {
			return false
		}
	}
	return true
}

func (l *loader) decodeTrigger(b *hcl.Block) Trigger {
	c := l.content(b.Body, triggerSchema)
	var t Trigger
	if ev, ok := l.str(c.Attributes["event"]); ok && ev != "message_received" {
		l.errorf(c.Attributes["event"].Expr.Range().Ptr(), "Unknown event",
			"The only event is \"message_received\".%s", Suggestion(ev, []string{"message_received"}))
	}
	if m, ok := l.str(c.Attributes["mode"]); ok {
		mode, known := modeNames[m]
		if !known {
			l.errorf(c.Attributes["mode"].Expr.Range().Ptr(), "Unknown trigger mode",
				"mode is one of %s, not %q.%s", strings.Join(keys(modeNames), ", "), m, Suggestion(m, keys(modeNames)))
		}
		t.Mode = mode
	}
	if a := c.Attributes["idle"]; a != nil {
		t.Idle = l.duration(a, 0)
		if t.Mode != FirstContactMessage {
			l.errorf(a.NameRange.Ptr(), "idle needs first_contact_message",
				"idle re-triggers a workflow after a contact was silent that long; it applies only to mode = \"first_contact_message\".")
		}
	}
	t.Sources = l.sources(c.Attributes["sources"])
	t.NotSources = l.sources(c.Attributes["not_sources"])
	t.Accounts = l.accounts(c.Attributes["accounts"])
	t.NotAccounts = l.accounts(c.Attributes["not_accounts"])
	return t
}

// sources reads "connector" or "connector.channel" strings and checks them
// against the known channels.
func (l *loader) sources(a *hcl.Attribute) []Source {
	list, ok := l.strList(a)
	if !ok {
		return nil
	}
	var out []Source
	for _, s := range list {
		conn, ch, _ := strings.Cut(s, ".")
		src := Source{Connector: conn, Channel: ch}
		if ch == "*" {
			src.Channel = ""
		}
		if !l.knownSource(src) {
			known := map[string]bool{}
			for _, c := range l.cfg.Channels {
				known[c.Key()] = true
				known[c.Connector] = true
			}
			l.errorf(a.Expr.Range().Ptr(), "Unknown source",
				"%q is not a known connector channel.%s Sources are written \"connector.channel\", e.g. \"allegro.discussions\"; "+
					"the channels are those of the configured connectors (connector blocks) or, in tests, of channel blocks.",
				s, Suggestion(s, keys(known)))
			continue
		}
		out = append(out, src)
	}
	return out
}

func (l *loader) knownSource(s Source) bool {
	for _, c := range l.cfg.Channels {
		if s.Matches(c.Connector, c.Name) {
			return true
		}
	}
	return false
}

func (l *loader) accounts(a *hcl.Attribute) []string {
	list, ok := l.strList(a)
	if !ok {
		return nil
	}
	return list
}

// decodeSteps reads the steps in order: their offsets add up the waits, and
// each step may refer to the outputs of the action steps before it.
func (l *loader) decodeSteps(w *Workflow, blocks hcl.Blocks) {
	seen := map[string]*Step{}
	outputs := map[string]cty.Value{} // step name → unknown outputs, for type-checking
	var waited time.Duration
	for _, b := range blocks {
		s := &Step{Kind: b.Labels[0], Name: b.Labels[1], DeclRange: b.DefRange}
		if prev, ok := seen[s.Name]; ok {
			l.duplicate("step of workflow "+w.Name, s.Name, prev.DeclRange, b.DefRange)
			continue
		}
		seen[s.Name] = s
		ctx := l.typeCtx.NewChild()
		ctx.Variables = map[string]cty.Value{VarStep: cty.ObjectVal(copyMap(outputs))}
		if schema, builtin := stepSchemas[s.Kind]; builtin {
			c := l.content(b.Body, schema)
			s.Delay = l.duration(c.Attributes["delay"], 0)
			l.decodeBuiltinStep(w, s, c, ctx)
		} else {
			l.decodeActionStep(w, s, b, ctx)
			if s.Action != nil && s.Action.Schema.Outputs != cty.NilType {
				outputs[s.Name] = cty.UnknownVal(s.Action.Schema.Outputs)
			}
		}
		if s.Kind == StepWait {
			waited += s.Wait
		}
		s.Offset = waited + s.Delay
		w.Steps = append(w.Steps, s)
	}
}

func copyMap(m map[string]cty.Value) map[string]cty.Value {
	out := make(map[string]cty.Value, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (l *loader) decodeBuiltinStep(w *Workflow, s *Step, c *hcl.BodyContent, ctx *hcl.EvalContext) {
	switch s.Kind {
	case StepReply:
		s.UnlessAnswered = l.boolean(c.Attributes["unless_answered"], true)
		tmpl, text := c.Attributes["template"], c.Attributes["text"]
		switch {
		case tmpl != nil && text != nil:
			l.errorf(text.NameRange.Ptr(), "Both template and text", "A reply step has either template = template.<name> or text = \"…\", not both.")
		case tmpl != nil:
			s.Template = l.templateRef(tmpl)
			if s.Template != nil {
				for _, lang := range s.Template.variantNames() {
					l.typecheck(s.Template.Variants[lang], cty.String, "template "+s.Template.Name, ctx)
				}
			}
		case text != nil:
			l.typecheck(text.Expr, cty.String, "text", ctx)
			s.Text = l.fold(text.Expr)
		default:
			l.errorf(s.DeclRange.Ptr(), "Missing reply text", "A reply step needs template = template.<name> or text = \"…\".")
		}
	case StepTag:
		s.Tags, _ = l.strList(c.Attributes["tags"])
	case StepStatus:
		s.Status, _ = l.str(c.Attributes["status"])
	case StepAssign:
		s.Assignee, _ = l.str(c.Attributes["to"])
	case StepWait:
		s.Wait = l.duration(c.Attributes["duration"], 0)
	}
}

// checkUnusedTemplates type-checks the templates no reply step uses, so
// that a mistake in one waits for no workflow to reveal it. Any step output
// is accepted: the template cannot know which steps will precede it.
func (l *loader) checkUnusedTemplates() {
	used := map[string]bool{}
	for _, w := range l.cfg.Workflows {
		for _, s := range w.Steps {
			if s.Template != nil {
				used[s.Template.Name] = true
			}
		}
	}
	for _, name := range keys(l.cfg.Templates) {
		if used[name] {
			continue
		}
		t := l.cfg.Templates[name]
		ctx := l.typeCtx.NewChild()
		ctx.Variables = map[string]cty.Value{VarStep: cty.DynamicVal}
		for _, lang := range t.variantNames() {
			l.typecheck(t.Variants[lang], cty.String, "template "+name, ctx)
		}
	}
}

// templateRef resolves template = template.<name>.
func (l *loader) templateRef(a *hcl.Attribute) *Template {
	trav, diags := hcl.AbsTraversalForExpr(a.Expr)
	if diags.HasErrors() || len(trav) != 2 || trav.RootName() != "template" {
		l.errorf(a.Expr.Range().Ptr(), "Invalid template reference", "Write template = template.<name>, naming a template block.")
		return nil
	}
	name := trav[1].(hcl.TraverseAttr).Name
	t, ok := l.cfg.Templates[name]
	if !ok {
		l.errorf(a.Expr.Range().Ptr(), "Unknown template", "There is no template %q.%s", name, Suggestion(name, keys(l.cfg.Templates)))
		return nil
	}
	return t
}

func (l *loader) decodeActionStep(w *Workflow, s *Step, b *hcl.Block, ctx *hcl.EvalContext) {
	meta, rest, diags := b.Body.PartialContent(actionStepMeta)
	l.diags = append(l.diags, diags...)
	s.Delay = l.duration(meta.Attributes["delay"], 0)
	schema, err := l.opts.Schemas.Schema(sdk.KindAction, s.Kind)
	if err != nil {
		kinds := append(keys(stepSchemas), l.actionTypes()...)
		l.errorf(b.LabelRanges[0].Ptr(), "Unknown step type",
			"%q is neither a built-in step (%s) nor a known action plugin.%s (%s)",
			s.Kind, strings.Join(keys(stepSchemas), ", "), Suggestion(s.Kind, kinds), err)
		return
	}
	s.Action = l.actionInstance(s, schema, meta.Attributes["action"])
	s.Arguments = rest
	_, d := pluginconfig.Decode(rest, &schema.Arguments, ctx)
	l.diags = append(l.diags, d...)
	l.checkTemplates(s, rest, &schema.Arguments)
}

// messageData are the variables that carry what buyers and marketplaces
// wrote. (Earlier steps' outputs come from systems the seller configured.)
var messageData = map[string]bool{VarMessage: true, VarThread: true, VarContact: true}

// checkTemplates refuses message data in the arguments a plugin reads as
// templates of its own (sdk.Attribute.Template): filled in before the
// plugin parses them, a buyer's "{{" would become template code.
func (l *loader) checkTemplates(s *Step, args hcl.Body, b *sdk.Block) {
	var names []hcl.AttributeSchema
	for _, a := range b.Attributes {
		if a.Template {
			names = append(names, hcl.AttributeSchema{Name: a.Name})
		}
	}
	if len(names) == 0 {
		return
	}
	content, _, _ := args.PartialContent(&hcl.BodySchema{Attributes: names})
	for _, a := range content.Attributes {
		for _, t := range a.Expr.Variables() {
			if !messageData[t.RootName()] {
				continue
			}
			l.errorf(t.SourceRange().Ptr(), "Message data in a template",
				"%s is the %s action's own template, filled in for each message; %s put into it with ${…} would become part of its code, and a \"{{\" a buyer wrote would break it. Use the fields the template offers instead (`switchboard plugins inspect %s` describes them), which the action escapes.",
				a.Name, s.Kind, t.RootName(), s.Kind)
		}
	}
}

func (l *loader) actionTypes() []string {
	var out []string
	for _, a := range l.cfg.Actions {
		out = append(out, a.Type)
	}
	return out
}

// actionInstance picks the configured action a step uses: the one named by
// `action`, the only one of its type, or — for plugins that need no
// configuration — an implicit one.
func (l *loader) actionInstance(s *Step, schema *sdk.Schema, ref *hcl.Attribute) *Action {
	var ofType []*Action
	for _, a := range l.cfg.Actions {
		if a.Type == s.Kind {
			ofType = append(ofType, a)
		}
	}
	if ref != nil {
		name, ok := l.str(ref)
		if !ok {
			return nil
		}
		var names []string
		for _, a := range ofType {
			if a.Name == name {
				return a
			}
			names = append(names, a.Name)
		}
		l.errorf(ref.Expr.Range().Ptr(), "Unknown action", "There is no action %q %q block.%s", s.Kind, name, Suggestion(name, names))
		return nil
	}
	switch len(ofType) {
	case 1:
		return ofType[0]
	case 0:
		cfg, err := schema.Config.Coerce(cty.EmptyObjectVal)
		if err != nil {
			l.errorf(s.DeclRange.Ptr(), "Action not configured",
				"step %q uses the %s action, which needs configuration (%s); add an action %q \"<name>\" { … } block.", s.Name, s.Kind, err, s.Kind)
			return nil
		}
		a := &Action{Type: s.Kind, Name: s.Kind, Schema: schema, Config: cfg, DeclRange: s.DeclRange}
		l.cfg.Actions = append(l.cfg.Actions, a)
		return a
	}
	var names []string
	for _, a := range ofType {
		names = append(names, a.Name)
	}
	l.errorf(s.DeclRange.Ptr(), "Ambiguous action", "Several %s actions are configured (%s); choose one with action = \"<name>\".", s.Kind, strings.Join(names, ", "))
	return nil
}

// typecheck evaluates expr with unknown runtime values: misspelled
// variables and attributes, wrong function arguments and wrong result
// types are reported now rather than when a buyer writes.
func (l *loader) typecheck(expr hcl.Expression, want cty.Type, what string, ctx *hcl.EvalContext) {
	if ctx == nil {
		ctx = l.typeCtx
	}
	if !l.checkTraversals(expr, ctx) {
		return
	}
	l.checkConstantArguments(expr)
	v, diags := expr.Value(ctx)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return
	}
	if want == cty.Bool && v.Type() != cty.Bool && v.Type() != cty.DynamicPseudoType {
		l.errorf(expr.Range().Ptr(), "Wrong type", "The %s must be true or false, but it is a %s.", what, v.Type().FriendlyName())
		return
	}
	if _, err := convert.Convert(v, want); err != nil {
		l.errorf(expr.Range().Ptr(), "Wrong type", "The %s must be %s: %s.", what, want.FriendlyName(), err)
	}
}

// fold precomputes the constant parts of an expression (see fold).
func (l *loader) fold(expr hcl.Expression) hcl.Expression {
	return fold(expr, l.static, runtimeNames)
}

var runtimeNames = map[string]bool{VarMessage: true, VarThread: true, VarContact: true, VarAccount: true, VarStep: true, VarNow: true}

// checkTraversals follows every variable reference through the types of
// the runtime variables, so that `message.txt` is reported with the
// attribute it probably means. HCL itself does not suggest names on
// unknown values.
func (l *loader) checkTraversals(expr hcl.Expression, ctx *hcl.EvalContext) bool {
	ok := true
	for _, trav := range expr.Variables() {
		root := trav.RootName()
		var ty cty.Type
		for c := ctx; c != nil; c = c.Parent() {
			if v, found := c.Variables[root]; found {
				ty = v.Type()
				break
			}
		}
		if ty == cty.NilType {
			continue // HCL reports unknown variables itself, with suggestions
		}
		path := root
		for _, step := range trav[1:] {
			attr, isAttr := step.(hcl.TraverseAttr)
			if !isAttr || !ty.IsObjectType() {
				break
			}
			if !ty.HasAttribute(attr.Name) {
				l.errorf(attr.SrcRange.Ptr(), "Unsupported attribute", "%s has no attribute %q.%s",
					path, attr.Name, Suggestion(attr.Name, keys(ty.AttributeTypes())))
				ok = false
				break
			}
			path += "." + attr.Name
			ty = ty.AttributeType(attr.Name)
		}
	}
	return ok
}

// checkMinDelays warns about replies due sooner than a source channel allows.
func (l *loader) checkMinDelays(w *Workflow) {
	for _, s := range w.Steps {
		if s.Kind != StepReply {
			continue
		}
		for _, ch := range l.sourceChannels(w.Trigger) {
			if min := ch.Capabilities.MinReplyDelay; s.Offset < min {
				l.warnf(s.DeclRange.Ptr(), "Reply sooner than the channel allows",
					"step %q replies %s after the message, but %s replies are never sent sooner than %s; the hub will hold it until then. Set delay = %q to say so.",
					s.Name, FormatDuration(s.Offset), ch.Key(), FormatDuration(min), FormatDuration(min))
			}
		}
	}
}

// sourceChannels lists the known channels a trigger listens to.
func (l *loader) sourceChannels(t Trigger) []*Channel {
	var out []*Channel
	for _, k := range keys(l.cfg.Channels) {
		c := l.cfg.Channels[k]
		if t.Listens(c.Connector, c.Name) {
			out = append(out, c)
		}
	}
	return out
}

// Listens reports whether the trigger's sources include connector.channel.
func (t Trigger) Listens(connector, channel string) bool {
	in := len(t.Sources) == 0
	for _, s := range t.Sources {
		if s.Matches(connector, channel) {
			in = true
			break
		}
	}
	for _, s := range t.NotSources {
		if s.Matches(connector, channel) {
			return false
		}
	}
	return in
}

// Accepts reports whether the trigger's accounts include account.
func (t Trigger) Accepts(account string) bool {
	for _, a := range t.NotAccounts {
		if a == account {
			return false
		}
	}
	if len(t.Accounts) == 0 {
		return true
	}
	for _, a := range t.Accounts {
		if a == account {
			return true
		}
	}
	return false
}

// checkOverlaps warns about enabled workflows that can both reply to one
// message: the per-thread window lets only the first reply through, which is
// rarely what the author meant.
func (l *loader) checkOverlaps() {
	ws := l.cfg.Workflows
	for i, a := range ws {
		if !a.Enabled || !a.Replies() {
			continue
		}
		for _, b := range ws[i+1:] {
			if !b.Enabled || !b.Replies() || a.Stop { // workflows are in evaluation order
				continue
			}
			// Conditions and modes may keep them apart; only a plain
			// overlap is certain.
			if a.Condition != nil || b.Condition != nil || a.Trigger.Mode != b.Trigger.Mode {
				continue
			}
			if ch := l.sharedChannel(a.Trigger, b.Trigger); ch != "" {
				l.warnf(b.DeclRange.Ptr(), "Two workflows can reply to the same message",
					"workflows %q and %q both reply to %s messages. Give one a higher priority with stop = true, or narrow sources, accounts or conditions so they cannot both match.",
					a.Name, b.Name, ch)
			}
		}
	}
}

func (l *loader) sharedChannel(a, b Trigger) string {
	for _, k := range keys(l.cfg.Channels) {
		c := l.cfg.Channels[k]
		if a.Listens(c.Connector, c.Name) && b.Listens(c.Connector, c.Name) && accountsOverlap(a, b) {
			return k
		}
	}
	return ""
}

// accountsOverlap reports whether some account is accepted by both.
func accountsOverlap(a, b Trigger) bool {
	switch {
	case len(a.Accounts) > 0:
		for _, x := range a.Accounts {
			if b.Accepts(x) {
				return true
			}
		}
		return false
	case len(b.Accounts) > 0:
		return accountsOverlap(b, a)
	}
	return true // both accept all accounts but a few: some account is left
}
