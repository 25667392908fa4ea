package config

import (
	"path/filepath"

	"github.com/hashicorp/hcl/v2"

	"github.com/switchboard-hub/switchboard/sdk"
)

var pluginSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "path"},
	{Name: "sha256"},
	{Name: "env"},
}}

// decodePlugins reads plugin "<kind>" "<name>" blocks: where a plugin's
// binary is, its sha256 pin, and the environment it is given.
func (l *loader) decodePlugins() {
	seen := map[string]*Plugin{}
	for _, b := range l.blocks["plugin"] {
		kind, name := b.Labels[0], b.Labels[1]
		p := &Plugin{Name: name, DeclRange: b.DefRange}
		switch kind {
		case "connector":
			p.Kind = sdk.KindConnector
		case "action":
			p.Kind = sdk.KindAction
		default:
			l.errorf(b.LabelRanges[0].Ptr(), "Invalid plugin kind",
				"The first label of a plugin block is \"connector\" or \"action\", not %q.%s", kind, Suggestion(kind, []string{"connector", "action"}))
			continue
		}
		key := kind + "." + name
		if prev, ok := seen[key]; ok {
			l.duplicate("plugin", key, prev.DeclRange, b.DefRange)
			continue
		}
		seen[key] = p
		c := l.content(b.Body, pluginSchema)
		if path, ok := l.str(c.Attributes["path"]); ok {
			if !filepath.IsAbs(path) {
				path = filepath.Join(l.dir, path)
			}
			p.Path = path
		}
		if sum, ok := l.str(c.Attributes["sha256"]); ok {
			if !isHexSHA256(sum) {
				l.errorf(c.Attributes["sha256"].Expr.Range().Ptr(), "Invalid sha256",
					"sha256 is 64 hexadecimal digits, as `switchboard plugins list` prints them.")
			}
			p.SHA256 = sum
		}
		if env, ok := l.strMap(c.Attributes["env"]); ok {
			p.Env = env
		}
		l.cfg.Plugins = append(l.cfg.Plugins, p)
	}
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F') {
			return false
		}
	}
	return true
}

// PinnedSHA256 is the sha256 a plugin's executable must have: its plugin
// block's sha256, else the one the lock file (switchboard.lock.json)
// recorded for the plugin directory's executable, unless the block points
// at another (path); "" when nothing pins it.
func (c *Config) PinnedSHA256(kind sdk.Kind, name string) string {
	if p := c.Plugin(kind, name); p != nil && (p.SHA256 != "" || p.Path != "") {
		return p.SHA256
	}
	return c.locked[kind.String()+"/"+name]
}

// Plugin returns the plugin block of that kind and name, or nil.
func (c *Config) Plugin(kind sdk.Kind, name string) *Plugin {
	for _, p := range c.Plugins {
		if p.Kind == kind && p.Name == name {
			return p
		}
	}
	return nil
}
