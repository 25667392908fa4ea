package pluginconfig

import (
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
)

// testConfig is a connector configuration with every kind of attribute and
// nested block.
func testConfig() sdk.Block {
	return sdk.Block{
		Description: "Where and how to deliver.",
		Attributes: []sdk.Attribute{
			{Name: "send_url", Type: cty.String, Required: true, Description: "Where outbound messages are POSTed."},
			{Name: "secret", Type: cty.String, Required: true, Sensitive: true, Description: "HMAC key of inbound requests."},
			{Name: "timeout", Type: cty.String, Optional: true, Default: cty.StringVal("30s"), Description: "Time limit of one request."},
			{Name: "retries", Type: cty.Number, Optional: true, Default: cty.NumberIntVal(3), Description: "Attempts before giving up."},
			{Name: "enabled", Type: cty.Bool, Optional: true, Description: "Whether the connector runs."},
			{Name: "tags", Type: cty.List(cty.String), Optional: true, Description: "Tags put on every message."},
			{Name: "headers", Type: cty.Map(cty.String), Optional: true, Description: "Extra request headers."},
			{Name: "limits", Type: cty.Object(map[string]cty.Type{"per_minute": cty.Number, "burst": cty.Number}), Optional: true, Description: "Rate limits."},
		},
		Blocks: []sdk.NestedBlock{
			{TypeName: "tls", Nesting: sdk.NestingSingle, Block: sdk.Block{
				Description: "TLS client settings.",
				Attributes: []sdk.Attribute{
					{Name: "cert", Type: cty.String, Required: true, Description: "PEM client certificate."},
					{Name: "key", Type: cty.String, Required: true, Sensitive: true, Description: "PEM private key."},
				},
			}},
			{TypeName: "rule", Nesting: sdk.NestingList, MaxItems: 2, Block: sdk.Block{
				Attributes: []sdk.Attribute{
					{Name: "pattern", Type: cty.String, Required: true, Description: "Regular expression."},
					{Name: "reply", Type: cty.String, Optional: true, Description: "Text of the reply."},
				},
			}},
			{TypeName: "route", Nesting: sdk.NestingMap, Block: sdk.Block{
				Attributes: []sdk.Attribute{
					{Name: "url", Type: cty.String, Required: true, Description: "Target URL."},
					{Name: "token", Type: cty.String, Optional: true, Sensitive: true, Description: "Bearer token."},
				},
			}},
		},
	}
}

func testConnector() *sdk.Schema {
	return &sdk.Schema{
		Kind:        sdk.KindConnector,
		Name:        "webhook",
		Version:     "1.2.0",
		Description: "Receives messages over HTTP and sends them with a POST to a URL of your choice, signed with a shared secret.",
		Config:      testConfig(),
		Channels: []sdk.Channel{
			{Name: "inbox", Description: "Messages in and out over HTTP.", Capabilities: sdk.Capabilities{
				Webhook: true, Send: true, Threads: true, MaxTextLength: 4096,
				MinReplyDelay: 5 * time.Minute, ServiceWindow: 24 * time.Hour,
				UnverifiableSend: sdk.AtLeastOnce,
			}},
			{Name: "archive", Description: "Past messages, read only.", Capabilities: sdk.Capabilities{Poll: true}},
			{Name: "orders", Capabilities: sdk.Capabilities{
				Poll: true, Send: true, Attachments: true, MinReplyDelay: 90 * time.Minute,
				LookupSend: true, UnverifiableSend: sdk.AtMostOnce,
			}},
		},
	}
}

func testAction() *sdk.Schema {
	return &sdk.Schema{
		Kind:        sdk.KindAction,
		Name:        "notify",
		Version:     "0.3.0",
		Description: "Posts a notification to a chat channel.",
		Config: sdk.Block{Attributes: []sdk.Attribute{
			{Name: "token", Type: cty.String, Required: true, Sensitive: true, Description: "API token."},
			{Name: "channel", Type: cty.String, Optional: true, Default: cty.StringVal("#support"), Description: "Default channel."},
			{Name: "signing_key", Type: cty.String, Optional: true, Sensitive: true, Default: cty.StringVal("changeme"), Description: "Key that signs posts."},
		}},
		Arguments: sdk.Block{
			Attributes: []sdk.Attribute{
				{Name: "text", Type: cty.String, Required: true, Template: true, Description: "What to post."},
				{Name: "mentions", Type: cty.Set(cty.String), Optional: true, Default: cty.SetVal([]cty.Value{cty.StringVal("ops")}), Description: "Who to mention."},
				{Name: "fields", Type: cty.Map(cty.String), Optional: true, Default: cty.MapVal(map[string]cty.Value{"Order id": cty.StringVal("none"), "shop": cty.StringVal("pl")}), Description: "Extra fields."},
			},
			Blocks: []sdk.NestedBlock{
				{TypeName: "button", Nesting: sdk.NestingList, MinItems: 1, MaxItems: 3, Block: sdk.Block{
					Attributes: []sdk.Attribute{{Name: "label", Type: cty.String, Required: true, Description: "Button text."}},
				}},
			},
		},
		Outputs: cty.Object(map[string]cty.Type{"message_id": cty.String, "posted_at": cty.String, "reactions": cty.List(cty.String)}),
	}
}

// parse parses src as HCL native syntax (or JSON when name ends in .json)
// and fails the test on syntax errors.
func parse(t *testing.T, name, src string) hcl.Body {
	t.Helper()
	p := hclparse.NewParser()
	var f *hcl.File
	var diags hcl.Diagnostics
	if len(name) > 5 && name[len(name)-5:] == ".json" {
		f, diags = p.ParseJSON([]byte(src), name)
	} else {
		f, diags = p.ParseHCL([]byte(src), name)
	}
	if diags.HasErrors() {
		t.Fatalf("parse %s: %s", name, diags.Error())
	}
	return f.Body
}
