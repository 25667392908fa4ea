package config

import (
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

var templateSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "text", Required: true},
	{Name: "default_language"},
}}

// decodeTemplates reads template blocks. text is one template string or an
// object of them by language: text = { pl = "…", en = "…" }.
func (l *loader) decodeTemplates() {
	for _, b := range l.blocks["template"] {
		name := b.Labels[0]
		if prev, ok := l.cfg.Templates[name]; ok {
			l.duplicate("template", name, prev.DeclRange, b.DefRange)
			continue
		}
		c := l.content(b.Body, templateSchema)
		t := &Template{Name: name, Variants: map[string]hcl.Expression{}, DeclRange: b.DefRange}
		text := c.Attributes["text"]
		if text == nil {
			continue
		}
		if pairs, diags := hcl.ExprMap(text.Expr); !diags.HasErrors() {
			for _, kv := range pairs {
				lang := hcl.ExprAsKeyword(kv.Key)
				if lang == "" {
					if v, diags := kv.Key.Value(nil); !diags.HasErrors() && v.Type() == cty.String {
						lang = v.AsString()
					}
				}
				if !isLanguageTag(lang) {
					l.errorf(kv.Key.Range().Ptr(), "Invalid language", "Variants are keyed by a language code such as pl, en or de; %q is not one.", lang)
					continue
				}
				t.Variants[lang] = kv.Value
			}
		} else {
			t.Variants[""] = text.Expr
		}
		if lang, ok := l.str(c.Attributes["default_language"]); ok {
			if _, exists := t.Variants[lang]; !exists {
				l.errorf(c.Attributes["default_language"].Expr.Range().Ptr(), "Unknown default language",
					"template %q has no %q variant.%s", name, lang, Suggestion(lang, keys(t.Variants)))
			}
			t.Default = lang
		} else if _, one := t.Variants[""]; !one {
			t.Default = l.cfg.Hub.DefaultLanguage
			if _, exists := t.Variants[t.Default]; !exists {
				l.errorf(text.Expr.Range().Ptr(), "No default variant",
					"template %q has no variant for the hub's default language %q; add one or set default_language to one of %v.",
					name, t.Default, keys(t.Variants))
			}
		}
		l.cfg.Templates[name] = t
	}
}

// variantNames lists a template's languages, sorted.
func (t *Template) variantNames() []string {
	out := keys(t.Variants)
	sort.Strings(out)
	return out
}

// Variant picks the text for a message's language.
func (t *Template) Variant(lang string) hcl.Expression {
	if e, ok := t.Variants[lang]; ok {
		return e
	}
	if e, ok := t.Variants[t.Default]; ok {
		return e
	}
	return t.Variants[""]
}

func isLanguageTag(s string) bool {
	if len(s) < 2 || len(s) > 8 {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || r == '-' || 'A' <= r && r <= 'Z') {
			return false
		}
	}
	return true
}
