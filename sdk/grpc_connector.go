package sdk

import (
	"context"
	"fmt"
	"net/http"

	"github.com/switchboard-hub/switchboard/sdk/internal/wire"
)

// connectorServer runs in the plugin: it calls the author's Connector.
type connectorServer struct {
	wire.UnimplementedConnectorServer
	impl   Connector
	plugin pluginSide
}

func (s *connectorServer) Schema(ctx context.Context, _ *wire.SchemaRequest) (*wire.SchemaResponse, error) {
	return schemaResponse(s.impl.Schema(ctx))
}

func (s *connectorServer) Configure(ctx context.Context, r *wire.ConfigureRequest) (*wire.ConfigureResponse, error) {
	req, err := s.plugin.configureRequest(r)
	if err != nil {
		return nil, statusError(Permanent(err))
	}
	return configureResponse(s.impl.Configure(ctx, req))
}

func (s *connectorServer) Poll(ctx context.Context, r *wire.PollRequest) (*wire.PollResponse, error) {
	res, err := s.impl.Poll(ctx, PollRequest{Cursor: r.Cursor, Limit: int(r.Limit)})
	if err != nil {
		return nil, statusError(err)
	}
	if res == nil {
		return nil, statusError(fmt.Errorf("plugin bug: Poll returned neither a result nor an error"))
	}
	return &wire.PollResponse{Messages: messagesToWire(res.Messages), NextCursor: res.NextCursor, More: res.More}, nil
}

func (s *connectorServer) HandleWebhook(ctx context.Context, r *wire.WebhookRequest) (*wire.WebhookResponse, error) {
	res, err := s.impl.HandleWebhook(ctx, &WebhookRequest{
		Method: r.Method, Path: r.Path, RawQuery: r.RawQuery, Header: headerFromWire(r.Headers),
		Body: r.Body, RemoteAddr: r.RemoteAddr,
	})
	if err != nil {
		return nil, statusError(err)
	}
	if res == nil {
		return nil, statusError(fmt.Errorf("plugin bug: HandleWebhook returned neither a response nor an error"))
	}
	return &wire.WebhookResponse{Status: int32(res.Status), Headers: headerToWire(res.Header), Body: res.Body,
		Messages: messagesToWire(res.Messages)}, nil
}

func (s *connectorServer) Send(ctx context.Context, r *wire.SendRequest) (*wire.SendResponse, error) {
	items := make([]SendItem, len(r.Items))
	for i, it := range r.Items {
		items[i] = SendItem{IdempotencyKey: it.IdempotencyKey, Message: outboundFromWire(it.Message)}
	}
	res, err := s.impl.Send(ctx, items)
	if err != nil {
		return nil, statusError(err)
	}
	if len(res) != len(items) {
		return nil, statusError(fmt.Errorf("plugin bug: Send returned %d results for %d items", len(res), len(items)))
	}
	out := &wire.SendResponse{Results: make([]*wire.SendResult, len(res))}
	for i, x := range res {
		out.Results[i] = &wire.SendResult{ExternalId: x.ExternalID, SentAt: timeToWire(x.SentAt), Error: errorToWire(x.Err)}
	}
	return out, nil
}

func (s *connectorServer) LookupSend(ctx context.Context, r *wire.LookupSendRequest) (*wire.LookupSendResponse, error) {
	res, err := s.impl.LookupSend(ctx, LookupRequest{IdempotencyKey: r.IdempotencyKey, Channel: r.Channel, Thread: r.Thread})
	if err != nil {
		return nil, statusError(err)
	}
	if res == nil {
		res = &LookupResult{}
	}
	return &wire.LookupSendResponse{Outcome: lookupOutcomeToWire(res.Outcome), ExternalId: res.ExternalID,
		SentAt: timeToWire(res.SentAt)}, nil
}

func (s *connectorServer) Check(ctx context.Context, _ *wire.CheckRequest) (*wire.CheckResponse, error) {
	d, err := s.impl.Check(ctx)
	if err != nil {
		return nil, statusError(err)
	}
	return &wire.CheckResponse{Diagnostics: diagnosticsToWire(d)}, nil
}

// connectorClient runs in the host: it is a Connector over gRPC.
type connectorClient struct {
	rpc  wire.ConnectorClient
	host hostSide
}

func (c *connectorClient) Schema(ctx context.Context) (*Schema, error) {
	r, err := c.rpc.Schema(ctx, &wire.SchemaRequest{})
	if err != nil {
		return nil, errorFromStatus("schema", err)
	}
	return schemaFromWire(r.Schema)
}

func (c *connectorClient) Configure(ctx context.Context, req ConfigureRequest) (Diagnostics, error) {
	w, err := c.host.configureRequest(req)
	if err != nil {
		return nil, err
	}
	r, err := c.rpc.Configure(ctx, w)
	if err != nil {
		return nil, errorFromStatus("configure", err)
	}
	return diagnosticsFromWire(r.Diagnostics)
}

func (c *connectorClient) Poll(ctx context.Context, req PollRequest) (*PollResult, error) {
	r, err := c.rpc.Poll(ctx, &wire.PollRequest{Cursor: req.Cursor, Limit: int32(req.Limit)})
	if err != nil {
		return nil, errorFromStatus("poll", err)
	}
	return &PollResult{Messages: messagesFromWire(r.Messages), NextCursor: r.NextCursor, More: r.More}, nil
}

func (c *connectorClient) HandleWebhook(ctx context.Context, req *WebhookRequest) (*WebhookResponse, error) {
	r, err := c.rpc.HandleWebhook(ctx, &wire.WebhookRequest{
		Method: req.Method, Path: req.Path, RawQuery: req.RawQuery, Headers: headerToWire(req.Header),
		Body: req.Body, RemoteAddr: req.RemoteAddr,
	})
	if err != nil {
		return nil, errorFromStatus("webhook", err)
	}
	return &WebhookResponse{Status: int(r.Status), Header: headerFromWire(r.Headers), Body: r.Body,
		Messages: messagesFromWire(r.Messages)}, nil
}

func (c *connectorClient) Send(ctx context.Context, items []SendItem) ([]SendResult, error) {
	w := &wire.SendRequest{Items: make([]*wire.SendItem, len(items))}
	for i := range items {
		w.Items[i] = &wire.SendItem{IdempotencyKey: items[i].IdempotencyKey, Message: outboundToWire(&items[i].Message)}
	}
	r, err := c.rpc.Send(ctx, w)
	if err != nil {
		return nil, errorFromStatus("send", err)
	}
	if len(r.Results) != len(items) {
		return nil, fmt.Errorf("send: plugin returned %d results for %d items", len(r.Results), len(items))
	}
	out := make([]SendResult, len(r.Results))
	for i, x := range r.Results {
		out[i] = SendResult{ExternalID: x.ExternalId, SentAt: timeFromWire(x.SentAt), Err: errorFromWire(x.Error)}
	}
	return out, nil
}

func (c *connectorClient) LookupSend(ctx context.Context, req LookupRequest) (*LookupResult, error) {
	r, err := c.rpc.LookupSend(ctx, &wire.LookupSendRequest{IdempotencyKey: req.IdempotencyKey, Channel: req.Channel, Thread: req.Thread})
	if err != nil {
		return nil, errorFromStatus("lookup send", err)
	}
	return &LookupResult{Outcome: lookupOutcomeFromWire(r.Outcome), ExternalID: r.ExternalId, SentAt: timeFromWire(r.SentAt)}, nil
}

func (c *connectorClient) Check(ctx context.Context) (Diagnostics, error) {
	r, err := c.rpc.Check(ctx, &wire.CheckRequest{})
	if err != nil {
		return nil, errorFromStatus("check", err)
	}
	return diagnosticsFromWire(r.Diagnostics)
}

func schemaResponse(s *Schema, err error) (*wire.SchemaResponse, error) {
	if err != nil {
		return nil, statusError(err)
	}
	if s == nil {
		return nil, statusError(Permanent(fmt.Errorf("plugin bug: Schema returned neither a schema nor an error")))
	}
	w, err := schemaToWire(s)
	if err != nil {
		return nil, statusError(Permanent(fmt.Errorf("plugin bug: schema cannot be encoded: %w", err)))
	}
	return &wire.SchemaResponse{Schema: w}, nil
}

func configureResponse(d Diagnostics, err error) (*wire.ConfigureResponse, error) {
	if err != nil {
		return nil, statusError(err)
	}
	return &wire.ConfigureResponse{Diagnostics: diagnosticsToWire(d)}, nil
}

func lookupOutcomeToWire(o LookupOutcome) wire.LookupSendResponse_Outcome {
	switch o {
	case LookupSent:
		return wire.LookupSendResponse_OUTCOME_SENT
	case LookupNotSent:
		return wire.LookupSendResponse_OUTCOME_NOT_SENT
	}
	return wire.LookupSendResponse_OUTCOME_UNKNOWN
}

func lookupOutcomeFromWire(o wire.LookupSendResponse_Outcome) LookupOutcome {
	switch o {
	case wire.LookupSendResponse_OUTCOME_SENT:
		return LookupSent
	case wire.LookupSendResponse_OUTCOME_NOT_SENT:
		return LookupNotSent
	}
	return LookupUnknown
}

func headerToWire(h http.Header) map[string]*wire.HeaderValues {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]*wire.HeaderValues, len(h))
	for k, v := range h {
		out[k] = &wire.HeaderValues{Values: v}
	}
	return out
}

func headerFromWire(h map[string]*wire.HeaderValues) http.Header {
	out := make(http.Header, len(h))
	for k, v := range h {
		out[k] = v.Values
	}
	return out
}
