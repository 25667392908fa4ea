// Package api serves the hub's HTTP API v1 (JSON; described in
// docs/openapi.yaml): threads and their messages, manual replies, workflows
// (list, enable, disable), explanations, dead letters, health and metrics.
// Every /v1 route needs a bearer token from the hub block's api_tokens;
// /metrics needs one of its metrics_tokens when it sets any.
package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/switchboard-hub/switchboard/core/hub"
	"github.com/switchboard-hub/switchboard/core/store"
	"github.com/switchboard-hub/switchboard/sdk"
)

// Options configure the API.
type Options struct {
	Hub   *hub.Hub
	Store store.Store
	// Tokens returns the accepted bearer tokens. It is called for every
	// /v1 request, so a reload that changes api_tokens applies to the next
	// request; serve passes the hub's current configuration. Nil, or no
	// tokens, answers 401 to every /v1 request.
	Tokens func() []string
	// MetricsTokens returns the bearer tokens /metrics accepts, called for
	// every scrape; nil, or no tokens, serves /metrics to anyone.
	MetricsTokens func() []string
	Registry      *prometheus.Registry
	// Ready reports whether the hub can take work (store and queue up).
	Ready  func(context.Context) error
	Logger hclog.Logger
	Now    func() time.Time
}

// Handler returns the API's routes, webhooks included.
func Handler(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	a := &api{o: o}
	mux := http.NewServeMux()
	mux.Handle("/hooks/", o.Hub.Webhooks())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", a.ready)
	metrics := promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{})
	mux.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tokens := tokensOf(o.MetricsTokens); len(tokens) > 0 && !authorized(w, r, tokens, "metrics_tokens") {
			return
		}
		metrics.ServeHTTP(w, r)
	}))
	v1 := http.NewServeMux()
	v1.HandleFunc("GET /v1/threads", a.threads)
	v1.HandleFunc("GET /v1/threads/{id}", a.thread)
	v1.HandleFunc("POST /v1/threads/{id}/replies", a.reply)
	v1.HandleFunc("GET /v1/workflows", a.workflows)
	v1.HandleFunc("POST /v1/workflows/{name}/enable", a.setEnabled(true))
	v1.HandleFunc("POST /v1/workflows/{name}/disable", a.setEnabled(false))
	v1.HandleFunc("GET /v1/messages/{id}/explanation", a.explanation)
	v1.HandleFunc("GET /v1/dead-letters", a.deadLetters)
	v1.HandleFunc("POST /v1/dead-letters/{key}/retry", a.retryDead)
	mux.Handle("/v1/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !authorized(w, r, tokensOf(o.Tokens), "api_tokens") {
			return
		}
		if what := notText(r); what != "" {
			writeError(w, http.StatusBadRequest, what+" is not UTF-8 text without NUL bytes; ids, keys and filters are text")
			return
		}
		v1.ServeHTTP(w, r)
	}))
	return mux
}

type api struct{ o Options }

// maxIdempotencyKey bounds a manual reply's Idempotency-Key, which the store
// keys the reply by.
const maxIdempotencyKey = 255

// notText names the part of a request that is not UTF-8 text without NUL
// bytes, which no id, key or filter is (PostgreSQL refuses to compare such
// bytes at all), or returns "".
func notText(r *http.Request) string {
	text := func(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }
	if !text(r.URL.Path) {
		return "the path"
	}
	for k, vs := range r.URL.Query() {
		for _, v := range vs {
			if !text(k) || !text(v) {
				return "the query parameter " + strconv.Quote(k)
			}
		}
	}
	if !text(r.Header.Get("Idempotency-Key")) {
		return "the Idempotency-Key header"
	}
	return ""
}

func tokensOf(f func() []string) []string {
	if f == nil {
		return nil
	}
	return f()
}

// authorized reports whether the request's bearer token is one of tokens,
// the hub block's attribute named attr; if not, it answers 401. Comparing
// digests keeps the time independent of where a guess differs and of the
// tokens' lengths.
func authorized(w http.ResponseWriter, r *http.Request, tokens []string, attr string) bool {
	scheme, given, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || given == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="switchboard"`)
		writeError(w, http.StatusUnauthorized, "send Authorization: Bearer <token>, a token from the hub block's "+attr)
		return false
	}
	sum := sha256.Sum256([]byte(given))
	match := 0
	for _, t := range tokens {
		s := sha256.Sum256([]byte(t))
		match |= subtle.ConstantTimeCompare(sum[:], s[:])
	}
	if match != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="switchboard", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "the token is not one of the hub's "+attr)
		return false
	}
	return true
}

func (a *api) ready(w http.ResponseWriter, r *http.Request) {
	if a.o.Ready != nil {
		if err := a.o.Ready(r.Context()); err != nil {
			writeError(w, http.StatusServiceUnavailable, err.Error())
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (a *api) threads(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.ThreadFilter{
		Connector: q.Get("connector"), Account: q.Get("account"), Status: q.Get("status"), Tag: q.Get("tag"),
		Unanswered: q.Get("unanswered") == "true", Before: q.Get("before"), Limit: 50,
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			writeError(w, http.StatusBadRequest, "limit is a number from 1 to 500")
			return
		}
		f.Limit = n
	}
	ts, err := a.o.Store.Threads(r.Context(), f)
	if err != nil {
		a.fail(w, err)
		return
	}
	out := make([]threadJSON, len(ts))
	for i := range ts {
		out[i] = toThreadJSON(&ts[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{"threads": out})
}

func (a *api) thread(w http.ResponseWriter, r *http.Request) {
	t, msgs, err := a.o.Store.Thread(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, err)
		return
	}
	out := make([]messageJSON, len(msgs))
	for i := range msgs {
		out[i] = toMessageJSON(&msgs[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{"thread": toThreadJSON(t), "messages": out})
}

func (a *api) reply(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Text string `json:"text"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil || strings.TrimSpace(body.Text) == "" {
		writeError(w, http.StatusBadRequest, `send {"text": "…"} with the reply's text`)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		writeError(w, http.StatusBadRequest, "send an Idempotency-Key header (any unique string, the same on retries) so that a retried request is not sent twice")
		return
	}
	if len(key) > maxIdempotencyKey {
		writeError(w, http.StatusBadRequest, "the Idempotency-Key header is "+strconv.Itoa(len(key))+" bytes long; send at most "+strconv.Itoa(maxIdempotencyKey)+" (a UUID is 36)")
		return
	}
	id, err := a.o.Hub.Reply(r.Context(), r.PathValue("id"), body.Text, key)
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"external_id": id})
}

func (a *api) workflows(w http.ResponseWriter, r *http.Request) {
	ws, err := a.o.Hub.Workflows(r.Context())
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"workflows": ws})
}

func (a *api) setEnabled(enabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := a.o.Hub.SetWorkflowEnabled(r.Context(), r.PathValue("name"), enabled); err != nil {
			a.fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"name": r.PathValue("name"), "enabled": enabled})
	}
}

func (a *api) explanation(w http.ResponseWriter, r *http.Request) {
	x, err := a.o.Store.Explanation(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, err)
		return
	}
	type result struct {
		Workflow string   `json:"workflow"`
		Fired    bool     `json:"fired"`
		Reason   string   `json:"reason,omitempty"`
		Steps    []string `json:"steps,omitempty"`
	}
	out := make([]result, len(x.Workflows))
	for i, wr := range x.Workflows {
		out[i] = result{Workflow: wr.Workflow, Fired: wr.Fired, Reason: wr.Why(x)}
		for _, s := range wr.Steps {
			out[i].Steps = append(out[i].Steps, s.Step+" at "+s.DueAt.UTC().Format(time.RFC3339Nano))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"message_id": x.MessageID, "workflows": out})
}

func (a *api) deadLetters(w http.ResponseWriter, r *http.Request) {
	steps, err := a.o.Store.DeadLetters(r.Context(), 200)
	if err != nil {
		a.fail(w, err)
		return
	}
	type dead struct {
		Key       string    `json:"key"`
		MessageID string    `json:"message_id"`
		Workflow  string    `json:"workflow"`
		Step      string    `json:"step"`
		Attempts  int       `json:"attempts"`
		Error     string    `json:"error"`
		At        time.Time `json:"at"`
	}
	out := make([]dead, len(steps))
	for i, s := range steps {
		out[i] = dead{s.Key, s.MessageID, s.Workflow, s.Step, s.Attempts, s.LastError, s.UpdatedAt}
	}
	writeJSON(w, http.StatusOK, map[string]any{"dead_letters": out})
}

func (a *api) retryDead(w http.ResponseWriter, r *http.Request) {
	if err := a.o.Hub.RetryDead(r.Context(), r.PathValue("key")); err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"key": r.PathValue("key"), "state": "queued"})
}

// fail maps errors to statuses: not found, a plugin's permanent error (the
// request cannot succeed), anything else a 5xx the client may retry.
func (a *api) fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, store.ErrNotClaimable):
		writeError(w, http.StatusConflict, err.Error())
	case errors.Is(err, hub.ErrReplyInProgress):
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusConflict, err.Error())
	case sdk.KindOf(err) == sdk.KindPermanent:
		writeError(w, http.StatusUnprocessableEntity, err.Error())
	case sdk.KindOf(err) == sdk.KindRateLimited:
		w.Header().Set("Retry-After", strconv.Itoa(int(sdk.RetryAfter(err).Seconds())+1))
		writeError(w, http.StatusTooManyRequests, err.Error())
	default:
		a.o.Logger.Error("api request failed", "error", err)
		writeError(w, http.StatusServiceUnavailable, err.Error())
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
