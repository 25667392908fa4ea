package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
)

const (
	pluginName         = "http"
	pluginVersion      = "0.1.0"
	defaultContentType = "application/json"
)

// outputsType is what a step returns for later steps: the response status
// and the start of the response body.
var outputsType = cty.Object(map[string]cty.Type{
	"status": cty.Number,
	"body":   cty.String,
})

// action implements sdk.Action. Its only state is the configuration,
// swapped atomically so that a step running during a reconfiguration sees
// either the old or the new one, never a mix.
type action struct {
	cfg atomic.Pointer[config]
	// now is the clock used to read Retry-After dates; tests replace it.
	now func() time.Time
}

func newAction() *action {
	return &action{now: time.Now}
}

var errNotConfigured = errors.New("http action is not configured yet; Switchboard calls Configure first, so this is a bug in the host")

func (a *action) Schema(context.Context) (*sdk.Schema, error) {
	return &sdk.Schema{
		Kind:        sdk.KindAction,
		Name:        pluginName,
		Version:     pluginVersion,
		Description: "Notifies another system with a signed HTTP request whose body is a template over the message, its thread and its contact.",
		Config: sdk.Block{
			Attributes: []sdk.Attribute{
				{
					Name:        "url",
					Type:        cty.String,
					Required:    true,
					Description: "Absolute http or https URL every step of this action sends its request to.",
				},
				{
					Name:        "method",
					Type:        cty.String,
					Optional:    true,
					Default:     cty.StringVal(defaultMethod),
					Description: "HTTP method: POST, PUT or PATCH.",
				},
				{
					Name:        "secret",
					Type:        cty.String,
					Optional:    true,
					Sensitive:   true,
					Description: "HMAC-SHA256 key. When set, every request carries X-Switchboard-Signature: sha256=<hex HMAC of the body>, so the receiver can check it comes from Switchboard.",
				},
				{
					Name:        "headers",
					Type:        cty.Map(cty.String),
					Optional:    true,
					Description: "Extra headers on every request, such as an Authorization token the receiver expects.",
				},
				{
					Name:        "timeout",
					Type:        cty.String,
					Optional:    true,
					Default:     cty.StringVal(defaultTimeout.String()),
					Description: "How long one request may take, as a duration such as \"10s\", at most \"" + maxTimeout.String() + "\"; a request that takes longer is retried. A request is started only while its whole timeout fits before the deadline of the step call.",
				},
			},
		},
		Arguments: sdk.Block{
			Attributes: []sdk.Attribute{
				{
					Name:        "body",
					Type:        cty.String,
					Required:    true,
					Template:    true,
					Description: "Request body: a Go text/template over .Message, .Thread, .Contact and .IdempotencyKey. Quote values for JSON with the json function: {{json .Message.Text}}.",
				},
				{
					Name:        "content_type",
					Type:        cty.String,
					Optional:    true,
					Default:     cty.StringVal(defaultContentType),
					Description: "Content-Type of the request. With a JSON type the rendered body is checked to be valid JSON before it is sent.",
				},
			},
		},
		Outputs: outputsType,
	}, nil
}

func (a *action) Configure(_ context.Context, req sdk.ConfigureRequest) (sdk.Diagnostics, error) {
	cfg, diags := parseConfig(req.Config)
	if diags.HasErrors() {
		// Keep the previous configuration: invalid config never half-starts.
		return diags, nil
	}
	cfg.logger = req.Logger
	if cfg.logger == nil {
		cfg.logger = hclog.NewNullLogger()
	}
	a.cfg.Store(cfg)
	return diags, nil
}

// maxConcurrentRequests bounds the requests one Execute has in flight. The
// host sends batches of up to 100 items under one deadline; one after the
// other, a slow receiver would make the batch overrun it.
const maxConcurrentRequests = 8

// Execute sends one request per item, up to maxConcurrentRequests at a time,
// starting them in item order, and returns the results in item order. A
// failure of one item is reported in its result and does not stop the
// others: each has its own idempotency key, so the host retries exactly the
// ones that failed.
//
// The whole batch shares the call's deadline, and Execute answers
// deadlineMargin before it: an answer that came too late would make the
// host kill the plugin as hung and send every item again, those already
// delivered included. So a request whose timeout no longer fits is not
// started (roomFor) and its item fails as retryable.
func (a *action) Execute(ctx context.Context, items []sdk.ExecuteItem) ([]sdk.ExecuteResult, error) {
	cfg := a.cfg.Load()
	if cfg == nil {
		return nil, sdk.Permanent(errNotConfigured)
	}
	if d, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-deadlineMargin))
		defer cancel()
	}
	todo := make(chan int, len(items)) // item indexes, taken in order
	for i := range items {
		todo <- i
	}
	close(todo)
	results := make([]sdk.ExecuteResult, len(items))
	var wg sync.WaitGroup
	for range min(maxConcurrentRequests, len(items)) {
		wg.Go(func() {
			for i := range todo {
				results[i] = a.execute(ctx, cfg, items[i])
			}
		})
	}
	wg.Wait()
	if n := countNotAttempted(results); n > 0 {
		cfg.logger.Warn("requests not started for want of time before the call's deadline; the host retries them",
			"not_attempted", n, "items", len(items), "timeout", cfg.timeout)
	}
	return results, nil
}

func (a *action) execute(ctx context.Context, cfg *config, it sdk.ExecuteItem) sdk.ExecuteResult {
	fail := func(err error) sdk.ExecuteResult { return sdk.ExecuteResult{Err: err} }
	if it.IdempotencyKey == "" {
		return fail(sdk.Permanent(errors.New("the step has no idempotency key, so the receiver could not drop a repeat; this is a bug in the host")))
	}
	args, err := parseArguments(it.Arguments)
	if err != nil {
		return fail(sdk.Permanent(err))
	}
	body, err := render(ctx, args.body, newTemplateData(it))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			// The template ran out of the call's time rather than into a
			// fault of its own: another call may have enough.
			return fail(notAttempted(cfg, fmt.Sprintf("stopped by Switchboard while rendering the body template (%v)", ctxErr)))
		}
		return fail(sdk.Permanent(fmt.Errorf("arguments.body: %w", err)))
	}
	if args.json && !json.Valid([]byte(body)) {
		return fail(sdk.Permanent(fmt.Errorf("arguments.body: the rendered body is not valid JSON (content_type is %s): %s; "+
			"quote values with the json function, as in {\"text\": {{json .Message.Text}}}", args.contentType, jsonProblem(body))))
	}
	if err := roomFor(ctx, cfg); err != nil {
		return fail(err)
	}
	status, respBody, err := a.deliver(ctx, cfg, it.IdempotencyKey, args.contentType, []byte(body))
	if err != nil {
		return fail(err)
	}
	return sdk.ExecuteResult{Outputs: cty.ObjectVal(map[string]cty.Value{
		"status": cty.NumberIntVal(int64(status)),
		"body":   cty.StringVal(strings.ToValidUTF8(string(respBody), "\uFFFD")),
	})}
}

// arguments are one step's validated arguments.
type arguments struct {
	body        string
	contentType string
	json        bool // the content type is JSON, so the body must parse
}

func parseArguments(v cty.Value) (*arguments, error) {
	r := sdk.ReadAttrs(v)
	args := &arguments{contentType: defaultContentType}
	r.Require("body", "Give the step a body template.")
	args.body, _ = r.String("body")
	if s, ok := r.String("content_type"); ok {
		mt, _, err := mime.ParseMediaType(s)
		if err != nil || strings.ContainsAny(s, "\r\n") {
			r.AddError("content_type", "content_type is not a media type", fmt.Sprintf("%q cannot be sent as Content-Type; write one such as \"application/json\" or \"text/plain; charset=utf-8\".", s))
		}
		args.contentType = s
		args.json = mt == "application/json" || strings.HasSuffix(mt, "+json")
	} else {
		args.json = true
	}
	if err := r.Diagnostics().Err(); err != nil {
		return nil, fmt.Errorf("step arguments: %w", err)
	}
	return args, nil
}

// jsonProblem says where a rendered body stops being JSON.
func jsonProblem(body string) string {
	var v any
	err := json.Unmarshal([]byte(body), &v)
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("%v at byte %d", syn, syn.Offset)
	}
	return fmt.Sprint(err)
}
