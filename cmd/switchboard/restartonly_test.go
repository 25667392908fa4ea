package main

import (
	"slices"
	"testing"
	"time"

	"github.com/switchboard-hub/switchboard/core/config"
	"github.com/switchboard-hub/switchboard/core/queue"
)

func TestRestartOnlyChanges(t *testing.T) {
	base := config.Hub{
		Listen: "127.0.0.1:8080", Database: "postgres://u:secret@db/hub", DatabaseSchema: "shop",
		NATSURL: "nats://u:secret@nats:4222", NATSStream: "SWITCHBOARD", PollInterval: 0,
		APITokens: []string{"token-0123456789abcdef"}, ReplyWindow: time.Hour, DefaultLanguage: "en",
	}
	tests := map[string]struct {
		change     func(h *config.Hub)
		listenFlag bool
		want       []string
	}{
		"nothing":        {change: func(*config.Hub) {}},
		"reloadable":     {change: func(h *config.Hub) { h.APITokens = nil; h.ReplyWindow = 2 * time.Hour; h.DefaultLanguage = "pl" }},
		"listen":         {change: func(h *config.Hub) { h.Listen = "0.0.0.0:8080" }, want: []string{"listen"}},
		"listen flagged": {change: func(h *config.Hub) { h.Listen = "0.0.0.0:8080" }, listenFlag: true},
		"database":       {change: func(h *config.Hub) { h.Database = "" }, want: []string{"database"}},
		"schema":         {change: func(h *config.Hub) { h.DatabaseSchema = "" }, want: []string{"database_schema"}},
		"nats_url":       {change: func(h *config.Hub) { h.NATSURL = "" }, want: []string{"nats_url"}},
		"stream":         {change: func(h *config.Hub) { h.NATSStream = "OTHER" }, want: []string{"nats_stream"}},
		"poll_interval":  {change: func(h *config.Hub) { h.PollInterval = time.Minute }, want: []string{"poll_interval"}},
		"several": {change: func(h *config.Hub) { h.NATSStream, h.DatabaseSchema, h.Listen = "OTHER", "other", ":9" },
			want: []string{"listen", "database_schema", "nats_stream"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			next := base
			tt.change(&next)
			var got []string
			for _, c := range restartOnlyChanges(base, next, tt.listenFlag) {
				got = append(got, c.name)
				if c.secret != (c.name == "database" || c.name == "nats_url") {
					t.Errorf("%s: secret = %v", c.name, c.secret)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("changes %v, want %v", got, tt.want)
			}
		})
	}
}

// The hub block's default stream is the queue's, so that a hub upgraded to
// a build with nats_stream keeps its stream.
func TestDefaultStreamIsTheQueues(t *testing.T) {
	if config.DefaultNATSStream != queue.DefaultStream {
		t.Errorf("config.DefaultNATSStream = %q, queue.DefaultStream = %q", config.DefaultNATSStream, queue.DefaultStream)
	}
}
