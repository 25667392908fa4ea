package config

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestHubServiceSettings(t *testing.T) {
	cfg, diags := load(t, map[string]string{"hub.hcl": `
hub {
  listen          = "0.0.0.0:9090"
  api_tokens      = ["token-0123456789abcdef"]
  metrics_tokens  = ["scrape-0123456789abcdef"]
  database        = "postgres://hub@db:5432/switchboard"
  database_schema = "shop_2"
  nats_url        = "nats://nats-1:4222"
  nats_stream     = "SWITCHBOARD_shop-2"
  poll_interval   = "45s"
  message_retention = "90d"
}
`})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	h := cfg.Hub
	if h.Listen != "0.0.0.0:9090" || h.Database != "postgres://hub@db:5432/switchboard" || h.DatabaseSchema != "shop_2" ||
		h.NATSURL != "nats://nats-1:4222" || h.NATSStream != "SWITCHBOARD_shop-2" || h.PollInterval != 45*time.Second || h.MessageRetention != 90*24*time.Hour {
		t.Errorf("hub settings: %+v", h)
	}
	if len(h.APITokens) != 1 || h.APITokens[0] != "token-0123456789abcdef" {
		t.Errorf("api_tokens: %q", h.APITokens)
	}
	if len(h.MetricsTokens) != 1 || h.MetricsTokens[0] != "scrape-0123456789abcdef" {
		t.Errorf("metrics_tokens: %q", h.MetricsTokens)
	}

	cfg, diags = load(t, map[string]string{"hub.hcl": `hub {}`})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if h := cfg.Hub; h.NATSStream != DefaultNATSStream || h.DatabaseSchema != "" || h.Database != "" || h.NATSURL != "" || h.MessageRetention != 0 {
		t.Errorf("defaults: %+v", h)
	}
	cfg, diags = load(t, map[string]string{"main.hcl": office})
	if diags.HasErrors() || cfg.Hub.NATSStream != DefaultNATSStream {
		t.Errorf("no hub block: stream %q, %v", cfg.Hub.NATSStream, diags)
	}
}

// TestHubSettingDiagnostics checks that a bad service setting is reported
// at its value, with what to do.
func TestHubSettingDiagnostics(t *testing.T) {
	tests := map[string]struct {
		src  string
		want []string
		not  []string // such as a password in a database URL
		line int
		col  int
	}{
		"listen without a host": {
			src:  "hub {\n  listen = \"8080\"\n}\n",
			want: []string{"Invalid listen address", `listen "8080" is a port without a host`, `"127.0.0.1:8080"`, `":8080"`},
			line: 2, col: 12,
		},
		"listen without a port": {
			src:  "hub {\n  listen = \"localhost\"\n}\n",
			want: []string{"Invalid listen address", `"localhost" is not host:port`, "missing port"},
			line: 2, col: 12,
		},
		"listen on a port out of range": {
			src:  "hub {\n  listen = \"127.0.0.1:99999\"\n}\n",
			want: []string{"Invalid listen address", `port "99999", not a number from 0 to 65535`},
			line: 2, col: 12,
		},
		"database of an unknown kind": {
			src:  "hub {\n  database = \"mysql://hub:s3cret@db/hub\"\n}\n",
			want: []string{"Unsupported database", "database is a mysql:// URL", "postgres://", "sqlite://", "leave database out"},
			not:  []string{"s3cret"},
			line: 2, col: 14,
		},
		"SQLite URL without a file": {
			src:  "hub {\n  database = \"sqlite://?synchronous=full\"\n}\n",
			want: []string{"Unsupported database", "names no SQLite file"},
			line: 2, col: 14,
		},
		"short API token": {
			src:  "hub {\n  api_tokens = [\"0123456789abcdef\", \"short\"]\n}\n",
			want: []string{"API token too short", "Each of api_tokens must be at least 16 characters", "openssl rand -hex 24"},
			line: 2, col: 16,
		},
		"short metrics token": {
			src:  "hub {\n  metrics_tokens = [\"short\"]\n}\n",
			want: []string{"Metrics token too short", "Each of metrics_tokens must be at least 16 characters"},
			line: 2, col: 20,
		},
		"stream with a dot": {
			src:  "hub {\n  nats_stream = \"shop.two\"\n}\n",
			want: []string{"Invalid NATS stream name", `"shop.two" contains '.'`, "letters, digits, '-' and '_'"},
			line: 2, col: 17,
		},
		"stream with a space": {
			src:  "hub {\n  nats_stream = \"shop two\"\n}\n",
			want: []string{"Invalid NATS stream name", `contains ' '`},
			line: 2, col: 17,
		},
		"stream with a wildcard": {
			src:  "hub {\n  nats_stream = \"SHOP*\"\n}\n",
			want: []string{"Invalid NATS stream name", `contains '*'`},
			line: 2, col: 17,
		},
		"empty stream": {
			src:  "hub {\n  nats_stream = \"\"\n}\n",
			want: []string{"Invalid NATS stream name", "nats_stream is empty", `default "SWITCHBOARD"`},
			line: 2, col: 17,
		},
		"long stream": {
			src:  "hub {\n  nats_stream = \"" + strings.Repeat("S", 201) + "\"\n}\n",
			want: []string{"Invalid NATS stream name", "201 bytes long"},
			line: 2, col: 17,
		},
		"stream not a string": {
			src:  "hub {\n  nats_stream = [\"A\"]\n}\n",
			want: []string{"Incorrect attribute value type", "nats_stream must be string"},
			line: 2, col: 17,
		},
		"schema with SQLite by default": {
			src:  "hub {\n  database_schema = \"shop\"\n}\n",
			want: []string{"Database schema without PostgreSQL", "SQLite in the data directory (database is not set)", "remove database_schema"},
			line: 2, col: 21,
		},
		"schema with a SQLite file": {
			src:  "hub {\n  database        = \"sqlite:///var/lib/hub.db\"\n  database_schema = \"shop\"\n}\n",
			want: []string{"Database schema without PostgreSQL", "not a postgres:// URL"},
			line: 3, col: 21,
		},
		"empty schema": {
			src:  "hub {\n  database        = \"postgres://db/hub\"\n  database_schema = \"\"\n}\n",
			want: []string{"Empty database schema", "leave it out"},
			line: 3, col: 21,
		},
		"retention under a week": {
			src:  "hub {\n  message_retention = \"72h\"\n}\n",
			want: []string{"Message retention too short", "message_retention is 3d; make it longer than 7d", "leave it out to keep messages for ever"},
			line: 2, col: 23,
		},
		"retention within the reply window": {
			src:  "hub {\n  reply_window      = \"30d\"\n  message_retention = \"14d\"\n}\n",
			want: []string{"Message retention too short", "message_retention is 14d; make it longer than 30d"},
			line: 3, col: 23,
		},
		"retention not a duration": {
			src:  "hub {\n  message_retention = \"a year\"\n}\n",
			want: []string{"Invalid duration", "message_retention"},
			line: 2, col: 23,
		},
		"long schema": {
			src:  "hub {\n  database        = \"postgres://db/hub\"\n  database_schema = \"" + strings.Repeat("s", 64) + "\"\n}\n",
			want: []string{"Invalid database schema", "at most 63 bytes"},
			line: 3, col: 21,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, diags := load(t, map[string]string{"hub.hcl": tt.src})
			if !diags.HasErrors() {
				t.Fatalf("no error; diagnostics: %v", diags)
			}
			text := render(diags)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("diagnostics lack %q:\n%s", w, text)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(text, n) {
					t.Errorf("diagnostics show %q:\n%s", n, text)
				}
			}
			first := firstError(diags)
			if first.Subject == nil || first.Subject.Start.Line != tt.line || first.Subject.Start.Column != tt.col {
				t.Errorf("first error at %v, want %d:%d:\n%s", first.Subject, tt.line, tt.col, text)
			}
		})
	}
}

// A database from an env() that validate cannot see may well be
// PostgreSQL: its schema is not refused until serve knows.
func TestDatabaseSchemaWithUnsetEnv(t *testing.T) {
	cfg, diags := load(t, map[string]string{"hub.hcl": `
hub {
  database        = env("UNSET")
  database_schema = "shop"
}
`})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if cfg.Hub.DatabaseSchema != "shop" {
		t.Errorf("schema %q", cfg.Hub.DatabaseSchema)
	}
}

// Every address net.Listen takes and every database the store opens is
// accepted.
func TestHubAcceptsWhatServeOpens(t *testing.T) {
	for _, listen := range []string{"127.0.0.1:8080", ":8080", "[::1]:8080", "localhost:http", "0.0.0.0:0"} {
		for _, db := range []string{"postgres://hub@db/hub", "postgresql://db/hub?sslmode=disable", "sqlite:///var/lib/hub.db", "sqlite://hub.db?synchronous=full", "/var/lib/hub.db", "hub.db"} {
			_, diags := load(t, map[string]string{"hub.hcl": fmt.Sprintf("hub {\n  listen   = %q\n  database = %q\n}\n", listen, db)})
			if diags.HasErrors() {
				t.Errorf("listen %q, database %q: %s", listen, db, render(diags))
			}
		}
	}
}
