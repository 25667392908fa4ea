package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/switchboard-hub/switchboard/sdk"
)

// Options tune loading.
type Options struct {
	// Env resolves env(); by default from the process, lenient (validate).
	Env EnvLookup
	// Schemas finds plugin schemas. Default: the lock file in the
	// directory, then the plugins themselves (see PluginDir).
	Schemas SchemaSource
	// PluginDir is where plugins without a plugin block's path are found
	// when the lock file does not know them; empty asks only plugins whose
	// plugin block names a path.
	PluginDir string
	// Channels declared by test files stand in for connector schemas that
	// are not available; where a schema is known, they must agree with it.
	Channels []*Channel
	// Parser is shared so that diagnostics can print source lines; a new
	// one is made when nil.
	Parser *hclparse.Parser
	// Detect is the language detector behind detect_language(); nil makes
	// it answer "" (never a guess).
	Detect func(text string) string
}

// SchemaSource finds a plugin's schema by kind and name.
type SchemaSource interface {
	Schema(kind sdk.Kind, name string) (*sdk.Schema, error)
}

var rootSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "hub"},
	{Type: "locals"},
	{Type: "plugin", LabelNames: []string{"kind", "name"}},
	{Type: "connector", LabelNames: []string{"type", "name"}},
	{Type: "action", LabelNames: []string{"type", "name"}},
	{Type: "schedule", LabelNames: []string{"name"}},
	{Type: "template", LabelNames: []string{"name"}},
	{Type: "workflow", LabelNames: []string{"name"}},
}}

// ConfigFiles lists the *.hcl files of dir that are configuration (not tests).
func ConfigFiles(dir string) ([]string, error) {
	all, err := filepath.Glob(filepath.Join(dir, "*.hcl"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range all {
		if !strings.HasSuffix(f, ".test.hcl") {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out, nil
}

// loader carries what the phases share.
type loader struct {
	dir     string
	opts    Options
	cfg     *Config
	diags   hcl.Diagnostics
	blocks  map[string]hcl.Blocks
	static  *hcl.EvalContext // functions and load-time variables
	typeCtx *hcl.EvalContext // static plus unknown runtime variables

	brokenSchedules map[string]bool // declared, but with errors
}

// Load reads and decodes the configuration in dir.
func Load(dir string, opts Options) (*Config, hcl.Diagnostics) {
	if opts.Parser == nil {
		opts.Parser = hclparse.NewParser()
	}
	l := &loader{dir: dir, opts: opts, blocks: map[string]hcl.Blocks{}, brokenSchedules: map[string]bool{}, cfg: &Config{
		Dir:       dir,
		Schedules: map[string]*Schedule{},
		Templates: map[string]*Template{},
		Locals:    map[string]cty.Value{},
		Channels:  map[string]*Channel{},
	}}
	// The lock file, read once, gives schemas and pins the executables
	// whose schemas it holds.
	lock := lockOf(dir)
	if l.opts.Schemas == nil {
		l.opts.Schemas = chain{lock, &pluginSchemas{dir: opts.PluginDir, plugins: l.cfg.Plugin}}
	}
	l.cfg.locked = lock.pins()
	files, err := ConfigFiles(dir)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read configuration directory", Detail: err.Error()}}
	}
	if len(files) == 0 {
		if _, err := os.Stat(dir); err != nil {
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read configuration directory", Detail: err.Error()}}
		}
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No configuration files",
			Detail: fmt.Sprintf("%s has no *.hcl files (files ending in .test.hcl are tests, not configuration).", dir)}}
	}
	for _, name := range files {
		f, diags := opts.Parser.ParseHCLFile(name)
		l.diags = append(l.diags, diags...)
		if f == nil {
			continue
		}
		content, diags := f.Body.Content(rootSchema)
		l.diags = append(l.diags, diags...)
		for _, b := range content.Blocks {
			l.blocks[b.Type] = append(l.blocks[b.Type], b)
		}
	}
	l.static = &hcl.EvalContext{Functions: l.functions(), Variables: map[string]cty.Value{}}

	// Phase 1: settings and names that everything else refers to.
	l.decodeLocals()
	l.decodeHub()
	l.decodePlugins()
	l.decodeSchedules()
	l.static.Variables["schedule"] = l.scheduleObject()
	l.typeCtx = l.static.NewChild()
	l.typeCtx.Variables = runtimeVars()
	l.typeCtx.Functions = typecheckTimeFunctions()
	l.decodeTemplates()
	// Phase 2: plugin bodies, with specs built from each schema.
	l.decodeConnectors()
	l.decodeActions()
	l.collectChannels()
	// Phase 3: workflows, which refer to all of the above.
	l.decodeWorkflows()
	l.checkOverlaps()
	l.cfg.Eval = l.static
	return l.cfg, distinct(l.diags)
}

func (l *loader) functions() map[string]function.Function {
	fs := stdFunctions()
	fs["env"] = envFunc(l.opts.Env)
	fs["file"] = fileFunc(l.dir)
	fs["has_keyword"] = hasKeywordFunc
	fs["matches"] = matchesFunc
	fs["default"] = defaultFunc
	fs["timecmp"] = timecmpFunc
	fs["detect_language"] = detectLanguageFunc(l.opts.Detect)
	return fs
}

// errorf appends an error diagnostic.
func (l *loader) errorf(rng *hcl.Range, summary, detail string, args ...any) {
	l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(detail, args...), Subject: rng})
}

func (l *loader) warnf(rng *hcl.Range, summary, detail string, args ...any) {
	l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Detail: fmt.Sprintf(detail, args...), Subject: rng})
}

// duplicate reports a second definition, naming both places.
func (l *loader) duplicate(what, name string, first, second hcl.Range) {
	l.errorf(second.Ptr(), fmt.Sprintf("Duplicate %s %q", what, name),
		"%s %q is also defined at %s. Names must be unique; rename or remove one of them.", upperFirst(what), name, first)
}

// distinct drops repeats of a diagnostic (same severity, place, summary and
// detail), keeping the first. A template is type-checked with every
// workflow that replies with it, so a mistake in it would otherwise be
// reported once per workflow.
func distinct(diags hcl.Diagnostics) hcl.Diagnostics {
	type key struct {
		severity        hcl.DiagnosticSeverity
		subject         string
		summary, detail string
	}
	seen := map[key]bool{}
	out := diags[:0:0]
	for _, d := range diags {
		k := key{severity: d.Severity, summary: d.Summary, detail: d.Detail}
		if d.Subject != nil {
			k.subject = d.Subject.String()
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, d)
	}
	return out
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
