package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/switchboard-hub/switchboard/core/pluginhost"
	"github.com/switchboard-hub/switchboard/sdk"
)

// MaxWebhookBody bounds what a vendor may post to a webhook.
const MaxWebhookBody = 10 << 20

// Webhooks serves /hooks/<connector>/<account>[/…]: the connector verifies
// and parses the request, the hub stores what it found, and only then
// answers the vendor. A request the hub could not store is answered 503,
// so that the vendor delivers it again; nothing is acknowledged and lost.
// So is one whose body would take the bodies held at once past
// Options.WebhookMemory.
func (h *Hub) Webhooks() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest := strings.TrimPrefix(r.URL.Path, "/hooks/")
		parts := strings.SplitN(rest, "/", 3)
		if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
			http.Error(w, "webhook address is /hooks/<connector>/<account>", http.StatusNotFound)
			return
		}
		typ, account := parts[0], parts[1]
		if _, ok := h.gen.Load().plugins.connector(typ, account); !ok {
			http.Error(w, "no connector "+typ+" "+account+" is configured", http.StatusNotFound)
			return
		}
		held := h.bodies.reader(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
		defer held.release()
		body, err := io.ReadAll(held)
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			http.Error(w, "body larger than 10 MiB", http.StatusRequestEntityTooLarge)
			return
		case errors.Is(err, errWebhooksBusy):
			h.log.Warn("webhook refused: the hub holds as many webhook bodies as it may; the vendor will retry", "connector", typ, "account", account)
			w.Header().Set("Retry-After", "1")
			http.Error(w, errWebhooksBusy.Error(), http.StatusServiceUnavailable)
			return
		case err != nil:
			http.Error(w, "body unreadable: "+err.Error(), http.StatusBadRequest)
			return
		}
		path := "/"
		if len(parts) == 3 {
			path += parts[2]
		}
		// Once read, the request is handled to its end even if the vendor
		// hangs up: what it brought is stored (a delivery again is stored
		// once), and a connector that hangs is caught by its call deadline
		// and restarted, not left hanging for a caller that gave up.
		ctx := context.WithoutCancel(r.Context())
		res, err := h.handleWebhook(ctx, typ, account, &sdk.WebhookRequest{
			Method: r.Method, Path: path, RawQuery: r.URL.RawQuery, Header: r.Header, Body: body, RemoteAddr: r.RemoteAddr,
		})
		if err != nil {
			status := http.StatusServiceUnavailable // the vendor retries
			var ce *pluginhost.CallError
			if sdk.KindOf(err) == sdk.KindPermanent && !errors.As(err, &ce) {
				status = http.StatusBadRequest
			}
			h.log.Warn("webhook failed", "connector", typ, "account", account, "error", err)
			http.Error(w, http.StatusText(status), status)
			return
		}
		status := res.Status
		if status == 0 {
			status = http.StatusOK
		}
		if status >= 200 && status < 300 && len(res.Messages) > 0 {
			if _, err := h.Ingest(ctx, typ, account, res.Messages, nil); err != nil {
				h.log.Error("webhook: storing messages failed; the vendor will retry", "connector", typ, "account", account, "error", err)
				http.Error(w, "could not store the messages; try again", http.StatusServiceUnavailable)
				return
			}
		}
		for k, vs := range res.Header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		w.WriteHeader(status)
		_, _ = w.Write(res.Body)
	})
}

// handleWebhook passes a request to the account's connector, holding the
// plugins for the call only: not while the body is read, nor while the
// messages are stored.
func (h *Hub) handleWebhook(ctx context.Context, typ, account string, req *sdk.WebhookRequest) (*sdk.WebhookResponse, error) {
	g, err := h.use()
	if err != nil {
		return nil, err
	}
	defer g.plugins.done()
	conn, ok := g.plugins.connector(typ, account)
	if !ok { // removed by a reload since the request came
		return nil, sdk.Permanent(fmt.Errorf("no connector %s %s is configured any more", typ, account))
	}
	return conn.HandleWebhook(ctx, req)
}
