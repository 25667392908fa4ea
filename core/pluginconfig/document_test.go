package pluginconfig

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
)

func TestDocument(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		schema *sdk.Schema
		want   string
	}{
		{"connector", testConnector(), connectorDoc},
		{"action", testAction(), actionDoc},
		{"bare action", &sdk.Schema{Kind: sdk.KindAction, Name: "noop", Version: "1.0.0", Description: "Does nothing."}, bareActionDoc},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Document(tt.schema)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Document (-want +got):\n%s\ngot:\n%s", diff, got)
			}
			if again := Document(tt.schema); again != got {
				t.Errorf("Document is not deterministic")
			}
		})
	}
}

func TestDocumentHidesSecrets(t *testing.T) {
	t.Parallel()
	s := testAction()
	s.Config.Attributes[0].Default = cty.StringVal("hunter2").Mark(sdk.Sensitive)
	s.Config.Attributes[0].Required, s.Config.Attributes[0].Optional = false, true
	for _, secret := range []string{"hunter2", "changeme"} {
		if doc := Document(s); strings.Contains(doc, secret) {
			t.Errorf("document shows the secret %q:\n%s", secret, doc)
		}
	}
}

func TestDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   time.Duration
		want string
	}{
		{24 * time.Hour, "24h"},
		{90 * time.Minute, "1h30m"},
		{5 * time.Minute, "5m"},
		{90 * time.Second, "1m30s"},
		{1500 * time.Millisecond, "1.5s"},
		{time.Hour + time.Second, "1h0m1s"},
	}
	for _, tt := range tests {
		if got := duration(tt.in); got != tt.want {
			t.Errorf("duration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLiteral(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   cty.Value
		want string
	}{
		{cty.StringVal("a \"b\" ${c}"), `"a \"b\" $${c}"`},
		{cty.NumberFloatVal(1.5), "1.5"},
		{cty.True, "true"},
		{cty.NullVal(cty.String), "null"},
		{cty.ListValEmpty(cty.String), "[]"},
		{cty.TupleVal([]cty.Value{cty.NumberIntVal(1), cty.StringVal("x")}), `[1, "x"]`},
		{cty.ObjectVal(map[string]cty.Value{"b": cty.NumberIntVal(2), "a b": cty.False}), `{ "a b" = false, b = 2 }`},
		{cty.MapValEmpty(cty.String), "{}"},
		{cty.UnknownVal(cty.String), "(known after configuration)"},
	}
	for _, tt := range tests {
		if got := literal(tt.in); got != tt.want {
			t.Errorf("literal(%#v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestTypeName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   cty.Type
		want string
	}{
		{cty.String, "string"},
		{cty.List(cty.Map(cty.Number)), "list of map of number"},
		{cty.DynamicPseudoType, "dynamic"},
		{cty.Tuple([]cty.Type{cty.String, cty.Bool}), "tuple [string, bool]"},
		{cty.ObjectWithOptionalAttrs(map[string]cty.Type{"a": cty.String, "b": cty.Set(cty.String)}, []string{"b"}), "object { a = string, b = optional set of string }"},
		{cty.EmptyObject, "object {}"},
	}
	for _, tt := range tests {
		if got := typeName(tt.in); got != tt.want {
			t.Errorf("typeName(%s) = %q, want %q", tt.in.GoString(), got, tt.want)
		}
	}
}

const connectorDoc = `webhook 1.2.0 (connector)
Receives messages over HTTP and sends them with a POST to a URL of your
choice, signed with a shared secret.

Channels:
  inbox
    Messages in and out over HTTP.
    poll               no
    webhook            yes
    send               yes
    threads            yes
    attachments        no
    max text length    4096 characters
    min reply delay    5m after the buyer's message
    service window     24h after the buyer's last message
    lookup send        no
    unverifiable send  at-least-once: retried, the buyer may see it twice
  archive
    Past messages, read only.
    poll               yes
    webhook            no
    send               no
    threads            no
    attachments        no
  orders
    poll               yes
    webhook            no
    send               yes
    threads            no
    attachments        yes
    max text length    no limit
    min reply delay    1h30m after the buyer's message
    service window     none, replies are allowed at any time
    lookup send        yes, a send interrupted by a crash is looked up
    unverifiable send  at-most-once: not retried, it may have been lost

Config:
  Where and how to deliver.
  send_url      string, required
    Where outbound messages are POSTed.
  secret        string, required, sensitive
    HMAC key of inbound requests.
  timeout       string, optional, default "30s"
    Time limit of one request.
  retries       number, optional, default 3
    Attempts before giving up.
  enabled       bool, optional
    Whether the connector runs.
  tags          list of string, optional
    Tags put on every message.
  headers       map of string, optional
    Extra request headers.
  limits        object { burst = number, per_minute = number }, optional
    Rate limits.
  tls           block, optional
    TLS client settings.
    cert  string, required
      PEM client certificate.
    key   string, required, sensitive
      PEM private key.
  rule          blocks, at most 2
    pattern  string, required
      Regular expression.
    reply    string, optional
      Text of the reply.
  route "name"  blocks by name, any number
    url    string, required
      Target URL.
    token  string, optional, sensitive
      Bearer token.
`

const actionDoc = `notify 0.3.0 (action)
Posts a notification to a chat channel.

Config:
  token        string, required, sensitive
    API token.
  channel      string, optional, default "#support"
    Default channel.
  signing_key  string, optional, default hidden, sensitive
    Key that signs posts.

Arguments:
  text      string, required, the plugin's own template: no message data through ${…}
    What to post.
  mentions  set of string, optional, default ["ops"]
    Who to mention.
  fields    map of string, optional, default { "Order id" = "none", shop = "pl" }
    Extra fields.
  button    blocks, 1 to 3
    label  string, required
      Button text.

Outputs:
  message_id  string
  posted_at   string
  reactions   list of string
`

const bareActionDoc = `noop 1.0.0 (action)
Does nothing.

Config:
  none

Arguments:
  none

Outputs:
  none
`
