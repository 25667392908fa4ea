// Command testconn is a connector that misbehaves on request, for the plugin
// host's tests: it prints to stdout before its handshake, hangs, exits in
// the middle of a call, reports error kinds and its environment, answers
// webhooks without a status, and refreshes a rotating OAuth token under its
// State lock.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
)

func main() {
	if os.Getenv("TESTCONN_STDOUT") != "" {
		fmt.Println("hello from a plugin that prints before its handshake")
	}
	sdk.Serve(sdk.ServeOpts{Connector: &conn{}})
}

type conn struct {
	label string
	state sdk.State
}

func (c *conn) Schema(context.Context) (*sdk.Schema, error) {
	return &sdk.Schema{
		Kind:        sdk.KindConnector,
		Name:        "testconn",
		Version:     "0.0.1",
		Description: "Test connector for the plugin host.",
		Config: sdk.Block{Attributes: []sdk.Attribute{
			{Name: "label", Type: cty.String, Optional: true, Description: "Echoed by Check."},
			{Name: "token", Type: cty.String, Optional: true, Sensitive: true, Description: "A secret."},
		}},
		Channels: []sdk.Channel{{Name: "test", Capabilities: sdk.Capabilities{
			Poll: true, Send: true, UnverifiableSend: sdk.AtLeastOnce,
		}}},
	}, nil
}

// Configure hangs, ignoring its context, while the file TESTCONN_HANG_CONFIGURE
// names exists, and refuses with a permanent error while the one
// TESTCONN_REFUSE_CONFIGURE names does: a plugin stuck dialing its vendor, or
// one whose token the vendor revoked, when the host starts it again.
func (c *conn) Configure(_ context.Context, req sdk.ConfigureRequest) (sdk.Diagnostics, error) {
	if marker := os.Getenv("TESTCONN_HANG_CONFIGURE"); marker != "" {
		if _, err := os.Stat(marker); err == nil {
			select {}
		}
	}
	if marker := os.Getenv("TESTCONN_REFUSE_CONFIGURE"); marker != "" {
		if _, err := os.Stat(marker); err == nil {
			return nil, sdk.Permanent(fmt.Errorf("the vendor refused the token"))
		}
	}
	var cfg struct {
		Label *string `cty:"label"`
		Token *string `cty:"token"`
	}
	if err := sdk.Decode(req.Config, &cfg); err != nil {
		return nil, err
	}
	if cfg.Label != nil {
		c.label = *cfg.Label
	}
	c.state = req.State
	req.Logger.Info("configured", "label", c.label)
	return nil, nil
}

// Poll counts polls in the host's State and returns one message per poll.
func (c *conn) Poll(ctx context.Context, _ sdk.PollRequest) (*sdk.PollResult, error) {
	n := 0
	if b, ok, err := c.state.Get(ctx, "polls"); err != nil {
		return nil, err
	} else if ok {
		n, _ = strconv.Atoi(string(b))
	}
	n++
	if err := c.state.Put(ctx, "polls", []byte(strconv.Itoa(n))); err != nil {
		return nil, err
	}
	id := "poll-" + strconv.Itoa(n)
	return &sdk.PollResult{Messages: []sdk.Message{{ExternalID: id, Channel: "test", Direction: sdk.Inbound, Text: id}}, NextCursor: []byte(id)}, nil
}

// HandleWebhook takes the body as one message's text, and answers without
// a status, as a plugin may (the host answers 200). An empty body fails the
// call with a permanent error; the body "hang" never answers.
func (c *conn) HandleWebhook(_ context.Context, req *sdk.WebhookRequest) (*sdk.WebhookResponse, error) {
	if len(req.Body) == 0 {
		return nil, sdk.Permanent(sdk.ErrUnsupported)
	}
	if string(req.Body) == "hang" { // ignore the deadline entirely
		select {}
	}
	id := "hook-" + string(req.Body)
	return &sdk.WebhookResponse{Messages: []sdk.Message{{ExternalID: id, Channel: "test", Direction: sdk.Inbound, Text: string(req.Body)}}}, nil
}

// Send behaves as the text says.
func (c *conn) Send(ctx context.Context, items []sdk.SendItem) ([]sdk.SendResult, error) {
	out := make([]sdk.SendResult, len(items))
	for i, it := range items {
		switch it.Message.Text {
		case "hang": // ignore the deadline entirely
			select {}
		case "slow": // tell the host we are in the call, then wait for it to end
			if err := c.state.Put(ctx, "in-call", []byte(it.IdempotencyKey)); err != nil {
				return nil, err
			}
			<-ctx.Done()
			return nil, ctx.Err()
		case "exit":
			os.Exit(1)
		case "vendor-timeout", "vendor-fault":
			// The vendor takes it, but its answer never comes, or is an
			// error that the host takes as permanent.
			sent := "sent/" + it.IdempotencyKey
			if _, ok, err := c.state.Get(ctx, sent); err != nil {
				return nil, err
			} else if ok {
				out[i].Err = sdk.Permanent(fmt.Errorf("sent twice"))
				continue
			}
			if err := c.state.Put(ctx, sent, []byte("1")); err != nil {
				return nil, err
			}
			out[i].Err = fmt.Errorf("vendor timed out")
			if it.Message.Text == "vendor-fault" {
				out[i].Err = sdk.Permanent(fmt.Errorf("vendor fault"))
			}
		case "fail-once", "fail-once-lookup-fails":
			// Fails, and is sent when tried again; the second kind makes
			// the next lookup of its key fail once too.
			failed := "failed/" + it.IdempotencyKey
			if _, ok, err := c.state.Get(ctx, failed); err != nil {
				return nil, err
			} else if !ok {
				if err := c.state.Put(ctx, failed, []byte("1")); err != nil {
					return nil, err
				}
				if it.Message.Text == "fail-once-lookup-fails" {
					if err := c.state.Put(ctx, "lookup-fails/"+it.IdempotencyKey, []byte("1")); err != nil {
						return nil, err
					}
				}
				out[i].Err = fmt.Errorf("vendor busy")
				continue
			}
			out[i] = sdk.SendResult{ExternalID: "sent-" + it.IdempotencyKey}
		case "permanent":
			out[i].Err = sdk.Permanent(fmt.Errorf("recipient does not exist"))
		case "ratelimit":
			out[i].Err = sdk.RateLimited(fmt.Errorf("slow down"), 7*time.Second)
		default:
			out[i] = sdk.SendResult{ExternalID: "sent-" + it.IdempotencyKey}
		}
	}
	return out, nil
}

// LookupSend knows the sends the vendor took without answering; of others
// it cannot tell.
func (c *conn) LookupSend(ctx context.Context, req sdk.LookupRequest) (*sdk.LookupResult, error) {
	if c.state == nil { // not configured: the host's benchmarks call it bare
		return &sdk.LookupResult{Outcome: sdk.LookupUnknown}, nil
	}
	if _, ok, err := c.state.Get(ctx, "lookup-fails/"+req.IdempotencyKey); err != nil {
		return nil, err
	} else if ok {
		if err := c.state.Delete(ctx, "lookup-fails/"+req.IdempotencyKey); err != nil {
			return nil, err
		}
		return nil, sdk.Retryable(fmt.Errorf("vendor lookup unavailable"))
	}
	if _, ok, err := c.state.Get(ctx, "sent/"+req.IdempotencyKey); err != nil {
		return nil, err
	} else if ok {
		return &sdk.LookupResult{Outcome: sdk.LookupSent, ExternalID: "sent-" + req.IdempotencyKey}, nil
	}
	return &sdk.LookupResult{Outcome: sdk.LookupUnknown}, nil
}

// Check reports the label and the whole environment as warnings; with the
// label "check fails", an error at token too, as a vendor that refuses it.
// It waits, as for a slow vendor, while the file TESTCONN_HOLD_CHECK names
// exists, or until its context ends, having written that file's name with
// ".begun" added, to say it waits.
func (c *conn) Check(ctx context.Context) (sdk.Diagnostics, error) {
	if marker := os.Getenv("TESTCONN_HOLD_CHECK"); marker != "" {
		if err := os.WriteFile(marker+".begun", nil, 0o600); err != nil {
			return nil, err
		}
		for {
			if _, err := os.Stat(marker); err != nil {
				break
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	if vendor, ok := strings.CutPrefix(c.label, "oauth "); ok {
		return nil, c.refresh(ctx, vendor)
	}
	d := sdk.Diagnostics{{Severity: sdk.SeverityWarning, Summary: "label=" + c.label}}
	if c.label == "check fails" {
		d = d.AddError(cty.GetAttrPath("token"), "The vendor refused the token", "Give the account a token the vendor accepts.")
	}
	env := os.Environ()
	sort.Strings(env)
	for _, kv := range env {
		d = append(d, sdk.Diagnostic{Severity: sdk.SeverityWarning, Summary: "env " + kv})
	}
	return d, nil
}

// refresh swaps the refresh token kept in State ("r0" at first) for the
// one the vendor's URL answers with, holding the instance's lock: the
// vendor rotates tokens, so two processes that refreshed at once would
// each use one the other has killed.
func (c *conn) refresh(ctx context.Context, vendor string) error {
	unlock, err := c.state.Lock(ctx, "oauth", 30*time.Second)
	if err != nil {
		return err
	}
	defer unlock(context.WithoutCancel(ctx))
	token := "r0"
	if b, ok, err := c.state.Get(ctx, "refresh_token"); err != nil {
		return err
	} else if ok {
		token = string(b)
	}
	res, err := http.PostForm(vendor, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}})
	if err != nil {
		return sdk.Retryable(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return sdk.Permanent(fmt.Errorf("refresh with %s: %s %s", token, res.Status, body))
	}
	return c.state.Put(ctx, "refresh_token", body)
}
