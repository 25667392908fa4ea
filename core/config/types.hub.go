package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

var hubSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "reply_window"},
		{Name: "default_language"},
		{Name: "database"},
		{Name: "database_schema"},
		{Name: "nats_url"},
		{Name: "nats_stream"},
		{Name: "listen"},
		{Name: "api_tokens"},
		{Name: "metrics_tokens"},
		{Name: "poll_interval"},
		{Name: "message_retention"},
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
	// DefaultNATSStream is the JetStream stream of a hub block without
	// nats_stream; it is the queue package's default too.
	DefaultNATSStream = "SWITCHBOARD"
)

func (l *loader) decodeHub() {
	h := &l.cfg.Hub
	h.ReplyWindow = DefaultReplyWindow
	h.Breaker = Breaker{Limit: DefaultBreakerLimit, Per: DefaultBreakerPer}
	h.DefaultLanguage = DefaultDefaultLanguage
	h.NATSStream = DefaultNATSStream
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
		db, dbOK := l.str(c.Attributes["database"])
		h.Database = db
		if a := c.Attributes["database"]; a != nil && dbOK {
			if err := CheckDatabase(db); err != nil {
				l.errorf(a.Expr.Range().Ptr(), "Unsupported database", "%s.", err)
			}
		}
		if a := c.Attributes["database_schema"]; a != nil {
			if schema, ok := l.str(a); ok {
				h.DatabaseSchema = schema
				// An env() that validate cannot see leaves database unknown.
				l.checkDatabaseSchema(a, schema, db, c.Attributes["database"] == nil || dbOK)
			}
		}
		h.NATSURL, _ = l.str(c.Attributes["nats_url"])
		if a := c.Attributes["nats_stream"]; a != nil {
			if name, ok := l.str(a); ok {
				h.NATSStream = name
				if err := checkStreamName(name); err != "" {
					l.errorf(a.Expr.Range().Ptr(), "Invalid NATS stream name", "%s", err)
				}
			}
		}
		if a := c.Attributes["listen"]; a != nil {
			if addr, ok := l.str(a); ok {
				h.Listen = addr
				if err := CheckListen(addr); err != nil {
					l.errorf(a.Expr.Range().Ptr(), "Invalid listen address", "listen %s.", err)
				}
			}
		}
		h.PollInterval = l.duration(c.Attributes["poll_interval"], 0)
		h.APITokens = l.tokens(c.Attributes["api_tokens"], "API token")
		h.MetricsTokens = l.tokens(c.Attributes["metrics_tokens"], "Metrics token")
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
		if a := c.Attributes["message_retention"]; a != nil {
			h.MessageRetention = l.duration(a, -1)
			l.checkRetention(a, h)
		}
	}
}

// tokens reads a list of bearer tokens, each at least 16 characters.
func (l *loader) tokens(a *hcl.Attribute, what string) []string {
	if a == nil {
		return nil
	}
	tokens, _ := l.strList(a)
	for _, t := range tokens {
		if len(t) < 16 {
			l.errorf(a.Expr.Range().Ptr(), what+" too short",
				"Each of %s must be at least 16 characters; generate one with `openssl rand -hex 24` and pass it with env().", a.Name)
			break
		}
	}
	return tokens
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

// MinMessageRetention is the shortest message_retention: vendors repeat
// messages (a webhook delivered again, a poll that overlaps), and a message
// pruned before its repeat comes would be stored and answered again.
const MinMessageRetention = 7 * 24 * time.Hour

// checkRetention refuses a retention that would prune what the hub still
// reads: a vendor's repeats, and the replies the breaker counts.
func (l *loader) checkRetention(a *hcl.Attribute, h *Hub) {
	if h.MessageRetention < 0 {
		h.MessageRetention = 0 // not a duration: reported
		return
	}
	floor := max(MinMessageRetention, h.ReplyWindow, h.Breaker.Per)
	if h.MessageRetention <= floor {
		l.errorf(a.Expr.Range().Ptr(), "Message retention too short",
			"message_retention is %s; make it longer than %s (a week, the hub's reply_window and its breaker period, so that a vendor's repeats are still known and recent replies still counted), or leave it out to keep messages for ever.",
			FormatDuration(h.MessageRetention), FormatDuration(floor))
	}
}

// checkStreamName applies the queue's rule for stream names (JetStream puts
// them in API subjects and file names) so that a bad nats_stream is
// reported at its place in the file rather than when serve opens the
// queue. It returns what is wrong, or "".
func checkStreamName(name string) string {
	const hint = "Use letters, digits, '-' and '_', such as \"SWITCHBOARD_SHOP2\"; leave nats_stream out for the default \"" + DefaultNATSStream + "\"."
	if name == "" {
		return "nats_stream is empty. " + hint
	}
	if len(name) > 200 {
		return fmt.Sprintf("nats_stream is %d bytes long; keep it under 200.", len(name))
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Sprintf("nats_stream %q contains %q. %s", name, r, hint)
		}
	}
	return ""
}

// checkDatabaseSchema reports a database_schema that PostgreSQL cannot
// take, or one given to a hub on SQLite, which has no schemas. dbKnown is
// false when database comes from an env() that validate cannot see.
func (l *loader) checkDatabaseSchema(a *hcl.Attribute, schema, database string, dbKnown bool) {
	rng := a.Expr.Range().Ptr()
	switch {
	case schema == "":
		l.errorf(rng, "Empty database schema",
			"database_schema is empty; name a PostgreSQL schema, or leave it out to use the connection's search_path (usually public).")
	case len(schema) > 63 || strings.ContainsRune(schema, 0):
		l.errorf(rng, "Invalid database schema",
			"database_schema %q is not a valid PostgreSQL name: at most 63 bytes, without NUL characters.", schema)
	case dbKnown && !IsPostgres(database):
		why := "this hub uses SQLite in the data directory (database is not set)"
		if database != "" {
			why = "database is not a postgres:// URL"
		}
		l.errorf(rng, "Database schema without PostgreSQL",
			"database_schema is a PostgreSQL setting, and %s. Set database to a postgres:// URL, or remove database_schema.", why)
	}
}

// CheckListen says what is wrong with an HTTP address for the hub, or
// returns nil: it must be host:port, as net.Listen takes it, with an empty
// host meaning every interface. serve checks its -listen flag with it too.
func CheckListen(addr string) error {
	const example = `write it as host:port, such as "127.0.0.1:8080" (this machine only) or ":8080" (every interface)`
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		if _, nerr := strconv.Atoi(addr); nerr == nil {
			return fmt.Errorf("%q is a port without a host; write \"127.0.0.1:%s\" to listen on this machine only, or \":%s\" on every interface", addr, addr, addr)
		}
		return fmt.Errorf("%q is not host:port (%v); %s", addr, err, example)
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return fmt.Errorf("%q has port %q, not a number from 0 to 65535; %s", addr, port, example)
	}
	return nil
}

// CheckDatabase says what is wrong with a hub block's database URL, or
// returns nil. It holds the store's rule (store.Open): postgres:// and
// postgresql:// are PostgreSQL, sqlite://PATH or a bare path is SQLite,
// and any other scheme is refused; checked here, a wrong one is reported
// at its place in the file before serve opens anything. The URL may hold a
// password, so the error names only its scheme.
func CheckDatabase(url string) error {
	const use = "use a PostgreSQL URL (postgres://user@host:5432/db), a SQLite file (sqlite:///var/lib/switchboard/hub.db, or a bare path), or leave database out for SQLite in the data directory"
	switch {
	case IsPostgres(url):
		return nil
	case strings.HasPrefix(url, "sqlite://"):
		if path, _, _ := strings.Cut(strings.TrimPrefix(url, "sqlite://"), "?"); path == "" {
			return fmt.Errorf("database %q names no SQLite file; %s", url, use)
		}
	case strings.Contains(url, "://"):
		scheme, _, _ := strings.Cut(url, "://")
		return fmt.Errorf("database is a %s:// URL, which the hub cannot use; %s", scheme, use)
	}
	return nil
}

// IsPostgres reports whether a database URL names PostgreSQL.
func IsPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}
