package main

import (
	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hub/switchboard/core/config"
)

// restartOnly are the hub settings serve reads once, at start: they choose
// the listener, the store and the queue (and the pollers' default
// interval), which a reload does not reopen.
var restartOnly = []struct {
	name  string
	value func(config.Hub) string
	// secret settings may hold credentials in their URL: the log names
	// them without their values.
	secret bool
}{
	{name: "listen", value: func(h config.Hub) string { return h.Listen }},
	{name: "database", value: func(h config.Hub) string { return h.Database }, secret: true},
	{name: "database_schema", value: func(h config.Hub) string { return h.DatabaseSchema }},
	{name: "nats_url", value: func(h config.Hub) string { return h.NATSURL }, secret: true},
	{name: "nats_stream", value: func(h config.Hub) string { return h.NATSStream }},
	{name: "poll_interval", value: func(h config.Hub) string {
		if h.PollInterval == 0 {
			return "" // not set: the hub's default
		}
		return config.FormatDuration(h.PollInterval)
	}},
}

// restartOnlyChange is a restart-only setting that a reloaded configuration
// sets differently from the one the hub started with.
type restartOnlyChange struct {
	name                string
	running, configured string
	secret              bool
}

// restartOnlyChanges compares a reloaded hub block with the one serve
// started with (not the previous reload: a change stays pending until a
// restart, and each reload says so again). listenFlag is true when -listen
// overrides the block's listen, whose changes then mean nothing.
func restartOnlyChanges(started, reloaded config.Hub, listenFlag bool) []restartOnlyChange {
	var out []restartOnlyChange
	for _, s := range restartOnly {
		if s.name == "listen" && listenFlag {
			continue
		}
		if was, now := s.value(started), s.value(reloaded); was != now {
			out = append(out, restartOnlyChange{name: s.name, running: was, configured: now, secret: s.secret})
		}
	}
	return out
}

func (c restartOnlyChange) warn(log hclog.Logger) {
	msg := c.name + " changed; restart to apply"
	if c.secret {
		log.Warn(msg)
		return
	}
	log.Warn(msg, "running", c.running, "configured", c.configured)
}
