package config

import (
	"time"

	"github.com/hashicorp/hcl/v2"
)

var hubSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "reply_window"},
		{Name: "default_language"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "breaker"}},
}

var breakerSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "limit", Required: true},
	{Name: "per", Required: true},
}}

// Defaults of the hub block.
const (
	DefaultReplyWindow     = 24 * time.Hour
	DefaultBreakerLimit    = 300
	DefaultBreakerPer      = time.Minute
	DefaultDefaultLanguage = "en"
)

func (l *loader) decodeHub() {
	h := &l.cfg.Hub
	h.ReplyWindow = DefaultReplyWindow
	h.Breaker = Breaker{Limit: DefaultBreakerLimit, Per: DefaultBreakerPer}
	h.DefaultLanguage = DefaultDefaultLanguage
	blocks := l.blocks["hub"]
	for i, b := range blocks {
		if i > 0 {
			l.duplicate("hub block", "hub", blocks[0].DefRange, b.DefRange)
			continue
		}
		c := l.content(b.Body, hubSchema)
		h.ReplyWindow = l.duration(c.Attributes["reply_window"], h.ReplyWindow)
		if lang, ok := l.str(c.Attributes["default_language"]); ok {
			h.DefaultLanguage = lang
		}
		for j, bb := range c.Blocks {
			if j > 0 {
				l.duplicate("breaker block", "breaker", c.Blocks[0].DefRange, bb.DefRange)
				continue
			}
			bc := l.content(bb.Body, breakerSchema)
			h.Breaker.Limit = l.integer(bc.Attributes["limit"], h.Breaker.Limit)
			h.Breaker.Per = l.duration(bc.Attributes["per"], h.Breaker.Per)
			if h.Breaker.Limit < 1 || h.Breaker.Per <= 0 {
				l.errorf(bb.DefRange.Ptr(), "Invalid breaker", "limit must be at least 1 and per a positive duration.")
			}
		}
	}
}
