package config

import (
	"time"

	"github.com/hashicorp/hcl/v2"
)

var hubSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "reply_window"},
		{Name: "default_language"},
		{Name: "database"},
		{Name: "nats_url"},
		{Name: "listen"},
		{Name: "api_tokens"},
		{Name: "poll_interval"},
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
		if a := c.Attributes["reply_window"]; a != nil {
			h.ReplyWindow = l.duration(a, h.ReplyWindow)
			l.checkReplyWindow(a, h.ReplyWindow)
		}
		if lang, ok := l.str(c.Attributes["default_language"]); ok {
			h.DefaultLanguage = lang
		}
		h.Database, _ = l.str(c.Attributes["database"])
		h.NATSURL, _ = l.str(c.Attributes["nats_url"])
		h.Listen, _ = l.str(c.Attributes["listen"])
		h.PollInterval = l.duration(c.Attributes["poll_interval"], 0)
		if a := c.Attributes["api_tokens"]; a != nil {
			h.APITokens, _ = l.strList(a)
			for _, t := range h.APITokens {
				if len(t) < 16 {
					l.errorf(a.Expr.Range().Ptr(), "API token too short",
						"An API token must be at least 16 characters; generate one with `openssl rand -hex 24` and pass it with env().")
					break
				}
			}
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

// MinReplyWindow is the shortest per-thread reply window: the window is
// part of loop immunity and cannot be turned off.
const MinReplyWindow = time.Minute

func (l *loader) checkReplyWindow(a *hcl.Attribute, d time.Duration) {
	if d < MinReplyWindow {
		l.errorf(a.Expr.Range().Ptr(), "Reply window too short",
			"reply_window is at least %s: at most one automatic reply per thread within it is what keeps two robots from answering each other for ever.",
			FormatDuration(MinReplyWindow))
	}
}
