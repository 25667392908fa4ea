package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hub/switchboard/core/api"
	"github.com/switchboard-hub/switchboard/core/clock"
	"github.com/switchboard-hub/switchboard/core/config"
	"github.com/switchboard-hub/switchboard/core/hub"
	"github.com/switchboard-hub/switchboard/core/queue"
	"github.com/switchboard-hub/switchboard/core/store"
)

// These tests serve api.Handler over a real hub assembled in-process: SQLite
// in a temporary directory, the embedded JetStream queue, the webhook
// connector plugin as a real process, and a fake clock. Messages come in
// through the webhook, as a vendor delivers them, and replies go out to a
// shop system played by an httptest server. Each test reads what it
// checks against docs/openapi.yaml.

const (
	token      = "api-token-0123456789abcdef"
	otherToken = "second-token-0123456789abcdef"
)

var (
	// pluginDir holds the webhook connector: `make test` names the built
	// plugins in SWITCHBOARD_PLUGIN_DIR; a bare `go test` builds it here.
	pluginDir string
	start     = time.Date(2026, 11, 20, 19, 0, 0, 0, time.UTC)
)

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	pluginDir = os.Getenv("SWITCHBOARD_PLUGIN_DIR")
	if pluginDir == "" {
		tmp, err := os.MkdirTemp("", "switchboard-plugins")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		defer os.RemoveAll(tmp)
		out, err := exec.Command("go", "build", "-o", filepath.Join(tmp, "switchboard-connector-webhook"), "../../plugins/connectors/webhook").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "build the webhook connector: %v\n%s", err, out)
			return 2
		}
		pluginDir = tmp
	}
	return m.Run()
}

// The configuration every test runs: two accounts of the webhook connector,
// a triage workflow that tags and escalates urgent messages of one account
// at once, and an acknowledgement ten minutes after every message (unless
// a person answered first, the default of unless_answered).
const hubConfig = `hub {
  api_tokens = [%q, %q]
}

connector "webhook" "shop" {
  send_url = "%[3]s/replies"
}

connector "webhook" "other" {
  send_url = "%[3]s/replies"
}
`

const workflowsConfig = `workflow "triage" {
  description = "Tag and escalate urgent messages of the shop"
  priority    = 10
  condition   = has_keyword(message.text, ["urgent"])
  trigger {
    sources  = ["webhook"]
    accounts = ["shop"]
  }
  step "tag" "urgent" {
    tags = ["urgent"]
  }
  step "status" "escalate" {
    status = "escalated"
  }
}

workflow "ack" {
  description = "Acknowledge every message after ten minutes"
  condition   = !has_keyword(message.text, ["quiet"])
  trigger {}
  step "reply" "later" {
    text  = "Thanks for ${message.external_id}"
    delay = "10m"
  }
}
`

// shop is the system behind send_url. It records every request and answers
// 200 with an id of its own, or as fail says.
type shop struct {
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []shopRequest
	status int // 0: accept
	header http.Header
	body   string
}

type shopRequest struct {
	Key            string `json:"-"` // the Idempotency-Key header
	Status         int    `json:"-"` // what the shop answered
	IdempotencyKey string `json:"idempotency_key"`
	Channel        string `json:"channel"`
	Thread         string `json:"thread"`
	Text           string `json:"text"`
	InReplyTo      string `json:"in_reply_to"`
	Recipients     []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"recipients"`
}

func newShop(t *testing.T) *shop {
	s := &shop{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req shopRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || r.URL.Path != "/replies" {
			http.Error(w, "not a reply", http.StatusNotFound)
			return
		}
		req.Key = r.Header.Get("Idempotency-Key")
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.status != 0 {
			req.Status = s.status
			s.reqs = append(s.reqs, req)
			for k, v := range s.header {
				w.Header()[k] = v
			}
			http.Error(w, s.body, s.status)
			return
		}
		req.Status = http.StatusOK
		s.reqs = append(s.reqs, req)
		fmt.Fprintf(w, `{"id":"shop-%d"}`, len(s.reqs))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// fail makes the shop answer status with header and body; 0 makes it
// accept again.
func (s *shop) fail(status int, header http.Header, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.header, s.body = status, header, body
}

// accepted returns the requests with key that the shop accepted.
func (s *shop) accepted(key string) []shopRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []shopRequest
	for _, r := range s.reqs {
		if r.Key == key && r.Status == http.StatusOK {
			out = append(out, r)
		}
	}
	return out
}

func (s *shop) requests() []shopRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

// env is a running hub with the API in front of it.
type env struct {
	clock *clock.Fake
	store store.Store
	hub   *hub.Hub
	reg   *prometheus.Registry
	shop  *shop
	srv   *httptest.Server
	dir   string // the configuration directory
	ready atomic.Pointer[error]

	mu       sync.Mutex
	observed map[string]bool // "METHOD /concrete/path STATUS" of every answer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{clock: clock.NewFake(start), shop: newShop(t), dir: t.TempDir(), reg: prometheus.NewRegistry()}
	writeFile(t, e.dir, "hub.hcl", fmt.Sprintf(hubConfig, token, otherToken, e.shop.srv.URL))
	writeFile(t, e.dir, "workflows.hcl", workflowsConfig)
	cfg := e.load(t)

	logs := &lockedBuffer{}
	logger := hclog.New(&hclog.LoggerOptions{Name: "hub", Level: hclog.Debug, Output: logs})
	ctx, cancel := context.WithCancel(context.Background())
	data := t.TempDir()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(data, "switchboard.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	q, err := queue.Open(ctx, queue.Options{DataDir: data, Subjects: []string{store.SubjectMessages, store.SubjectSteps}})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	h, err := hub.New(ctx, cfg, hub.Options{Store: st, Queue: hub.JetStream(q), PluginDir: pluginDir, Clock: e.clock, Logger: logger, Registry: e.reg})
	if err != nil {
		q.Close()
		st.Close()
		t.Fatal(err)
	}
	e.store, e.hub = st, h
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	e.srv = httptest.NewServer(api.Handler(api.Options{
		Hub: h, Store: st, Tokens: func() []string { return h.Config().Hub.APITokens },
		MetricsTokens: func() []string { return h.Config().Hub.MetricsTokens }, Registry: e.reg, Logger: logger.Named("api"), Now: e.clock.Now,
		Ready: func(context.Context) error {
			if err := e.ready.Load(); err != nil {
				return *err
			}
			return nil
		},
	}))
	t.Cleanup(func() {
		e.checkStatuses(t)
		e.srv.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		q.Close()
		st.Close()
		if t.Failed() {
			t.Logf("hub log:\n%s", logs.String())
		}
	})
	return e
}

func (e *env) load(t *testing.T) *config.Config {
	t.Helper()
	cfg, diags := config.Load(e.dir, config.Options{PluginDir: pluginDir})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return cfg
}

func writeFile(t *testing.T, dir, name, src string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// response is one answer of the API.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.status, bytes.TrimSpace(r.body)) }

// decode reads a JSON answer into v, checking that it is JSON.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json (%s)", ct, r)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r, err)
	}
}

// errorText reads the documented error object, {"error": "…"}, and nothing
// else.
func (r response) errorText(t *testing.T) string {
	t.Helper()
	var obj map[string]any
	r.decode(t, &obj)
	msg, ok := obj["error"].(string)
	if !ok || msg == "" || len(obj) != 1 {
		t.Fatalf("not an error object: %s", r)
	}
	return msg
}

// do sends a request as is; header values replace the defaults.
func (e *env) do(t *testing.T, method, path, body string, header map[string]string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	e.mu.Lock()
	if e.observed == nil {
		e.observed = map[string]bool{}
	}
	e.observed[fmt.Sprintf("%s %s %d", method, req.URL.Path, resp.StatusCode)] = true
	e.mu.Unlock()
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// checkStatuses holds every status the test saw to the contract: each is
// documented for its route and method. Requests to undocumented paths or
// with undocumented methods are the router's business, tested by
// TestServiceRoutes.
func (e *env) checkStatuses(t *testing.T) {
	t.Helper()
	c := readContract(t)
	e.mu.Lock()
	defer e.mu.Unlock()
	for seen := range e.observed {
		f := strings.Fields(seen)
		method, path, status := f[0], f[1], f[2]
		for route, statuses := range c.responses {
			rm, pattern, _ := strings.Cut(route, " ")
			if rm != method || !routePattern(pattern).MatchString(path) {
				continue
			}
			if !statuses[status] && !statuses["default"] {
				t.Errorf("%s %s answered %s, which docs/openapi.yaml does not document for %s", method, path, status, route)
			}
		}
	}
}

// routePattern matches the concrete paths of a documented one.
func routePattern(documented string) *regexp.Regexp {
	parts := strings.Split(documented, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, "{") {
			parts[i] = "[^/]+"
		} else {
			parts[i] = regexp.QuoteMeta(p)
		}
	}
	pattern := strings.Join(parts, "/")
	if strings.HasPrefix(documented, "/hooks/") {
		pattern += "(/.*)?" // any path below the account goes to the connector
	}
	return regexp.MustCompile("^" + pattern + "$")
}

// call sends a request with the API token.
func (e *env) call(t *testing.T, method, path, body string, header map[string]string) response {
	t.Helper()
	h := map[string]string{"Authorization": "Bearer " + token}
	for k, v := range header {
		h[k] = v
	}
	return e.do(t, method, path, body, h)
}

// get sends an authorized GET and decodes a 200 answer into v.
func (e *env) get(t *testing.T, path string, v any) {
	t.Helper()
	r := e.call(t, http.MethodGet, path, "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: %s", path, r)
	}
	r.decode(t, v)
}

// deliver posts one buyer message to the webhook, as a vendor would.
func (e *env) deliver(t *testing.T, account, id, thread, text string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"id": id, "thread": thread, "text": text,
		"from": map[string]string{"id": "buyer-" + thread, "name": "Anna Nowak"}})
	if r := e.do(t, http.MethodPost, "/hooks/webhook/"+account, string(body), nil); r.status != http.StatusOK {
		t.Fatalf("deliver %s: %s", id, r)
	}
}

// advance moves the hub's clock.
func (e *env) advance(d time.Duration) { e.clock.Advance(d) }

// eventually waits for the hub's goroutines to reach a state, polling it,
// and gives up after half a minute.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The documented JSON shapes, decoded as a client would.

type threadJSON struct {
	ID               string     `json:"id"`
	Connector        string     `json:"connector"`
	Account          string     `json:"account"`
	Channel          string     `json:"channel"`
	ExternalID       string     `json:"external_id"`
	ContactID        string     `json:"contact_id"`
	Status           string     `json:"status"`
	Tags             []string   `json:"tags"`
	Assignee         string     `json:"assignee"`
	Messages         int        `json:"messages"`
	FirstInboundAt   *time.Time `json:"first_inbound_at"`
	LastInboundAt    *time.Time `json:"last_inbound_at"`
	FirstResponseAt  *time.Time `json:"first_response_at"`
	LastHumanReplyAt *time.Time `json:"last_human_reply_at"`
	LastAutoReplyAt  *time.Time `json:"last_auto_reply_at"`
	AutoReplies      int        `json:"auto_replies"`
	Answered         bool       `json:"answered"`
}

type messageJSON struct {
	ID         string `json:"id"`
	ExternalID string `json:"external_id"`
	Channel    string `json:"channel"`
	Direction  string `json:"direction"`
	Sender     struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"sender"`
	Text          string `json:"text"`
	AutoGenerated bool   `json:"auto_generated"`
}

type explanationJSON struct {
	MessageID string `json:"message_id"`
	Workflows []struct {
		Workflow string   `json:"workflow"`
		Fired    bool     `json:"fired"`
		Reason   string   `json:"reason"`
		Steps    []string `json:"steps"`
	} `json:"workflows"`
}

type deadLetterJSON struct {
	Key       string    `json:"key"`
	MessageID string    `json:"message_id"`
	Workflow  string    `json:"workflow"`
	Step      string    `json:"step"`
	Attempts  int       `json:"attempts"`
	Error     string    `json:"error"`
	At        time.Time `json:"at"`
}

// threads lists threads with a query string.
func (e *env) threads(t *testing.T, query string) []threadJSON {
	t.Helper()
	var out struct {
		Threads []threadJSON `json:"threads"`
	}
	e.get(t, "/v1/threads"+query, &out)
	return out.Threads
}

func externalIDs(ts []threadJSON) []string {
	out := make([]string, len(ts))
	for i, th := range ts {
		out[i] = th.ExternalID
	}
	return out
}

// thread waits for the thread with the channel's id external to be stored,
// and returns it with its messages.
func (e *env) thread(t *testing.T, external string) (threadJSON, []messageJSON) {
	t.Helper()
	var id string
	eventually(t, "thread "+external, func() bool {
		for _, th := range e.threads(t, "?limit=500") {
			if th.ExternalID == external {
				id = th.ID
				return true
			}
		}
		return false
	})
	var out struct {
		Thread   threadJSON    `json:"thread"`
		Messages []messageJSON `json:"messages"`
	}
	e.get(t, "/v1/threads/"+id, &out)
	return out.Thread, out.Messages
}

// evaluated waits for the message to be evaluated and returns its
// explanation.
func (e *env) evaluated(t *testing.T, messageID string) explanationJSON {
	t.Helper()
	var x explanationJSON
	eventually(t, "message "+messageID+" to be evaluated", func() bool {
		r := e.call(t, http.MethodGet, "/v1/messages/"+messageID+"/explanation", "", nil)
		if r.status == http.StatusNotFound {
			return false
		}
		if r.status != http.StatusOK {
			t.Fatalf("explanation: %s", r)
		}
		r.decode(t, &x)
		return true
	})
	return x
}

// inbound delivers a message and waits until it is evaluated; it returns
// the hub's id of the message and of its thread.
func (e *env) inbound(t *testing.T, account, id, thread, text string) (messageID, threadID string) {
	t.Helper()
	e.deliver(t, account, id, thread, text)
	th, msgs := e.thread(t, thread)
	for _, m := range msgs {
		if m.ExternalID == id {
			messageID = m.ID
		}
	}
	if messageID == "" {
		t.Fatalf("message %s is not in thread %s", id, thread)
	}
	e.evaluated(t, messageID)
	return messageID, th.ID
}

// metric reads one series from /metrics: name with at least the labels
// given; ok is false when there is no such series.
func (e *env) metric(t *testing.T, name string, labels ...string) (v float64, ok bool) {
	t.Helper()
	r := e.do(t, http.MethodGet, "/metrics", "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("/metrics: %s", r)
	}
	sc := bufio.NewScanner(bytes.NewReader(r.body))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		series, value, found := strings.Cut(line, " ")
		if !found || (series != name && !strings.HasPrefix(series, name+"{")) {
			continue
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			match = match && strings.Contains(series, fmt.Sprintf("%s=%q", labels[i], labels[i+1]))
		}
		if match {
			f, err := strconv.ParseFloat(value, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", line, err)
			}
			return f, true
		}
	}
	return 0, false
}

// contract is what docs/openapi.yaml says, as far as the tests read it:
// the routes with their methods, the statuses each answers ("default" for
// any), and every schema's required fields.
type contract struct {
	routes    map[string][]string
	responses map[string]map[string]bool // by "METHOD /path/{param}"
	required  map[string][]string
}

var (
	contractOnce sync.Once
	theContract  contract
	contractErr  error
)

func readContract(t *testing.T) contract {
	t.Helper()
	contractOnce.Do(func() {
		f, err := os.Open("../../docs/openapi.yaml")
		if err != nil {
			contractErr = err
			return
		}
		defer f.Close()
		c := contract{routes: map[string][]string{}, responses: map[string]map[string]bool{}, required: map[string][]string{}}
		var (
			section, sub, path, schema, route string
			pathLine                          = regexp.MustCompile(`^  (/\S*):$`)
			methodLine                        = regexp.MustCompile(`^    (get|post|put|patch|delete):$`)
			statusLine                        = regexp.MustCompile(`^        ("\d{3}"|default):$`)
			schemaLine                        = regexp.MustCompile(`^    ([A-Za-z]\w*):$`)
			requiredLine                      = regexp.MustCompile(`^      required: \[(.*)\]$`)
		)
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := sc.Text()
			if line != "" && line[0] != ' ' && line[0] != '#' {
				section, _, _ = strings.Cut(line, ":")
				continue
			}
			switch section {
			case "paths":
				if m := pathLine.FindStringSubmatch(line); m != nil {
					path = m[1]
				} else if m := methodLine.FindStringSubmatch(line); m != nil {
					c.routes[path] = append(c.routes[path], strings.ToUpper(m[1]))
					route = strings.ToUpper(m[1]) + " " + path
					c.responses[route] = map[string]bool{}
				} else if m := statusLine.FindStringSubmatch(line); m != nil && route != "" {
					c.responses[route][strings.Trim(m[1], `"`)] = true
				}
			case "components":
				if strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") {
					sub = strings.TrimSuffix(strings.TrimSpace(line), ":")
					continue
				}
				if sub != "schemas" {
					continue
				}
				if m := schemaLine.FindStringSubmatch(line); m != nil {
					schema = m[1]
				} else if m := requiredLine.FindStringSubmatch(line); m != nil {
					for _, field := range strings.Split(m[1], ",") {
						c.required[schema] = append(c.required[schema], strings.TrimSpace(field))
					}
				}
			}
		}
		if contractErr = sc.Err(); contractErr == nil && (len(c.routes) == 0 || len(c.required) == 0) {
			contractErr = errors.New("docs/openapi.yaml: found no paths or no required fields; has its layout changed?")
		}
		theContract = c
	})
	if contractErr != nil {
		t.Fatal(contractErr)
	}
	return theContract
}

// conforms checks a JSON object of the API against a schema of the
// contract: every required field is present, and every time (a field
// named at or *_at) is RFC 3339 in UTC.
func conforms(t *testing.T, schema string, raw json.RawMessage) {
	t.Helper()
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		t.Fatalf("%s: not an object: %s", schema, raw)
	}
	required, ok := readContract(t).required[schema]
	if !ok {
		t.Fatalf("docs/openapi.yaml has no schema %s with required fields", schema)
	}
	for _, f := range required {
		if _, ok := obj[f]; !ok {
			t.Errorf("%s lacks required field %q: %s", schema, f, raw)
		}
	}
	for name, v := range obj {
		if name != "at" && !strings.HasSuffix(name, "_at") {
			continue
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			t.Errorf("%s.%s is not a string: %s", schema, name, v)
			continue
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil || !strings.HasSuffix(s, "Z") {
			t.Errorf("%s.%s = %q is not an RFC 3339 time in UTC", schema, name, s)
		}
	}
}

// each decodes the array field of a list answer, for conforms.
func each(t *testing.T, r response, field string) []json.RawMessage {
	t.Helper()
	var obj map[string]json.RawMessage
	r.decode(t, &obj)
	var list []json.RawMessage
	if err := json.Unmarshal(obj[field], &list); err != nil || list == nil {
		t.Fatalf("answer lacks the array %q: %s", field, r)
	}
	return list
}

func TestDocumentedRoutesAreServed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := readContract(t)
	placeholder := regexp.MustCompile(`\{[a-z]+\}`)
	n := 0
	for path, methods := range c.routes {
		if path == "/debug/clock" {
			continue // serve's, under its test clock only
		}
		concrete := placeholder.ReplaceAllString(path, "x")
		if strings.HasPrefix(path, "/hooks/") {
			concrete = "/hooks/webhook/shop"
		}
		for _, method := range methods {
			n++
			r := e.call(t, method, concrete, "", nil)
			// The router's own answers: 405 in plain text, and 404 with its
			// fixed body.
			if r.status == http.StatusMethodNotAllowed && strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") ||
				r.status == http.StatusNotFound && string(r.body) == "404 page not found\n" {
				t.Errorf("%s %s is documented but not served: %s", method, path, r)
			}
		}
	}
	if n < 12 {
		t.Errorf("read only %d documented routes from docs/openapi.yaml", n)
	}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	routes := []struct{ method, path string }{
		{"GET", "/v1/threads"},
		{"GET", "/v1/threads/x"},
		{"POST", "/v1/threads/x/replies"},
		{"GET", "/v1/workflows"},
		{"POST", "/v1/workflows/ack/enable"},
		{"POST", "/v1/workflows/ack/disable"},
		{"GET", "/v1/messages/x/explanation"},
		{"GET", "/v1/dead-letters"},
		{"POST", "/v1/dead-letters/x/retry"},
		{"GET", "/v1/nope"},
	}
	for _, rt := range routes {
		r := e.do(t, rt.method, rt.path, "", nil)
		if r.status != http.StatusUnauthorized {
			t.Errorf("%s %s without a token: %s", rt.method, rt.path, r)
			continue
		}
		if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="switchboard"` {
			t.Errorf("%s %s without a token: WWW-Authenticate %q", rt.method, rt.path, got)
		}
		if msg := r.errorText(t); msg != "send Authorization: Bearer <token>, a token from the hub block's api_tokens" {
			t.Errorf("%s %s without a token: %q", rt.method, rt.path, msg)
		}
	}
	// A refused request changes nothing.
	var ws struct {
		Workflows []struct {
			Name    string `json:"name"`
			Enabled bool   `json:"enabled"`
		} `json:"workflows"`
	}
	e.get(t, "/v1/workflows", &ws)
	for _, w := range ws.Workflows {
		if !w.Enabled {
			t.Errorf("workflow %s was disabled by a request without a token", w.Name)
		}
	}

	for name, tc := range map[string]struct {
		authorization string
		want          int
		msg           string
	}{
		"good token":         {"Bearer " + token, http.StatusOK, ""},
		"second token":       {"Bearer " + otherToken, http.StatusOK, ""},
		"lower-case scheme":  {"bearer " + token, http.StatusOK, ""},
		"upper-case scheme":  {"BEARER " + token, http.StatusOK, ""},
		"wrong token":        {"Bearer " + token + "x", http.StatusUnauthorized, "the token is not one of the hub's api_tokens"},
		"token prefix":       {"Bearer " + token[:16], http.StatusUnauthorized, "the token is not one of the hub's api_tokens"},
		"empty token":        {"Bearer ", http.StatusUnauthorized, "send Authorization: Bearer <token>, a token from the hub block's api_tokens"},
		"scheme only":        {"Bearer", http.StatusUnauthorized, "send Authorization: Bearer <token>, a token from the hub block's api_tokens"},
		"basic scheme":       {"Basic " + token, http.StatusUnauthorized, "send Authorization: Bearer <token>, a token from the hub block's api_tokens"},
		"token alone":        {token, http.StatusUnauthorized, "send Authorization: Bearer <token>, a token from the hub block's api_tokens"},
		"token in the realm": {`Bearer realm="switchboard"`, http.StatusUnauthorized, "the token is not one of the hub's api_tokens"},
	} {
		r := e.do(t, http.MethodGet, "/v1/threads", "", map[string]string{"Authorization": tc.authorization})
		if r.status != tc.want {
			t.Errorf("%s: %s, want %d", name, r, tc.want)
			continue
		}
		if tc.want == http.StatusUnauthorized {
			if msg := r.errorText(t); msg != tc.msg {
				t.Errorf("%s: error %q, want %q", name, msg, tc.msg)
			}
			if r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: a 401 without WWW-Authenticate", name)
			}
		}
	}

	// The service routes and the webhook ingress take no token.
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		if r := e.do(t, http.MethodGet, path, "", nil); r.status != http.StatusOK {
			t.Errorf("GET %s without a token: %s", path, r)
		}
	}
	e.deliver(t, "shop", "m1", "t1", "Hello")

	// A hub without api_tokens refuses every /v1/ request.
	closed := httptest.NewServer(api.Handler(api.Options{Hub: e.hub, Store: e.store, Registry: e.reg}))
	defer closed.Close()
	for _, authorization := range []string{"", "Bearer " + token, "Bearer "} {
		req, _ := http.NewRequest(http.MethodGet, closed.URL+"/v1/threads", nil)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("a hub without tokens answered %q with %d", authorization, resp.StatusCode)
		}
	}
}

// TestTokensFollowReload rotates a token the way operators do: add the new
// one, reload, move clients, remove the old one, reload. Each reload applies
// to the next request, without a restart.
func TestTokensFollowReload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const next = "next-token-0123456789abcdef"
	status := func(tok string) int {
		t.Helper()
		return e.do(t, http.MethodGet, "/v1/threads", "", map[string]string{"Authorization": "Bearer " + tok}).status
	}
	reload := func(tokens ...string) {
		t.Helper()
		quoted := make([]string, len(tokens))
		for i, tok := range tokens {
			quoted[i] = strconv.Quote(tok)
		}
		hcl := strings.Replace(fmt.Sprintf(hubConfig, token, otherToken, e.shop.srv.URL),
			fmt.Sprintf("api_tokens = [%q, %q]", token, otherToken), "api_tokens = ["+strings.Join(quoted, ", ")+"]", 1)
		writeFile(t, e.dir, "hub.hcl", hcl)
		if err := e.hub.Reload(context.Background(), e.load(t)); err != nil {
			t.Fatal(err)
		}
	}
	if got := status(next); got != http.StatusUnauthorized {
		t.Fatalf("a token not configured yet: %d", got)
	}

	reload(token, next)
	for tok, want := range map[string]int{token: http.StatusOK, next: http.StatusOK, otherToken: http.StatusUnauthorized} {
		if got := status(tok); got != want {
			t.Errorf("after adding %s and removing %s: %s answered %d, want %d", next, otherToken, tok, got, want)
		}
	}

	reload(next)
	for tok, want := range map[string]int{token: http.StatusUnauthorized, next: http.StatusOK} {
		if got := status(tok); got != want {
			t.Errorf("after removing %s: %s answered %d, want %d", token, tok, got, want)
		}
	}
}

// TestMetricsTokens: with metrics_tokens set, /metrics needs one of them,
// and an API token is not one; a reload sets and removes them.
func TestMetricsTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const scrape = "scrape-token-0123456789abcdef"
	status := func(authorization string) (int, string) {
		t.Helper()
		headers := map[string]string{}
		if authorization != "" {
			headers["Authorization"] = authorization
		}
		r := e.do(t, http.MethodGet, "/metrics", "", headers)
		msg := ""
		if r.status == http.StatusUnauthorized {
			msg = r.errorText(t)
		}
		return r.status, msg
	}
	reload := func(extra string) {
		t.Helper()
		hcl := strings.Replace(fmt.Sprintf(hubConfig, token, otherToken, e.shop.srv.URL), "hub {\n", "hub {\n"+extra, 1)
		writeFile(t, e.dir, "hub.hcl", hcl)
		if err := e.hub.Reload(context.Background(), e.load(t)); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := status(""); got != http.StatusOK {
		t.Fatalf("/metrics without metrics_tokens, without a token: %d", got)
	}
	reload(fmt.Sprintf("  metrics_tokens = [%q]\n", scrape))
	for _, tc := range []struct {
		authorization string
		want          int
		msg           string
	}{
		{"", http.StatusUnauthorized, "send Authorization: Bearer <token>, a token from the hub block's metrics_tokens"},
		{"Bearer " + token, http.StatusUnauthorized, "the token is not one of the hub's metrics_tokens"},
		{"Bearer " + scrape, http.StatusOK, ""},
	} {
		if got, msg := status(tc.authorization); got != tc.want || msg != tc.msg {
			t.Errorf("/metrics with %q: %d %q, want %d %q", tc.authorization, got, msg, tc.want, tc.msg)
		}
	}
	reload("")
	if got, _ := status(""); got != http.StatusOK {
		t.Errorf("/metrics after metrics_tokens were removed, without a token: %d", got)
	}
}

// Ids, keys and filters that are not UTF-8 text without NUL bytes are a
// 400 that names the part, on every store: PostgreSQL would refuse to
// compare them, and a 503 would tell the client to try again.
func TestRequestsThatAreNotText(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for path, want := range map[string]string{
		"/v1/threads?status=%00":       `the query parameter "status"`,
		"/v1/threads?before=%FF":       `the query parameter "before"`,
		"/v1/threads/%FF":              "the path",
		"/v1/messages/%00/explanation": "the path",
		"/v1/dead-letters/%00/retry":   "the path",
		"/v1/workflows/a%00b/enable":   "the path",
		"/v1/threads/t/replies":        "the Idempotency-Key header",
	} {
		method, header := http.MethodGet, map[string]string{}
		if strings.HasSuffix(path, "/retry") || strings.HasSuffix(path, "/enable") || strings.HasSuffix(path, "/replies") {
			method = http.MethodPost
		}
		if strings.HasSuffix(path, "/replies") {
			header["Idempotency-Key"] = "k\xff"
		}
		r := e.call(t, method, path, `{"text":"hi"}`, header)
		if r.status != http.StatusBadRequest || !strings.HasPrefix(r.errorText(t), want) {
			t.Errorf("%s %s: %s; want 400 naming %s", method, path, r, want)
		}
	}
}

func TestServiceRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	r := e.do(t, http.MethodGet, "/healthz", "", nil)
	var health map[string]string
	r.decode(t, &health)
	if r.status != http.StatusOK || health["status"] != "ok" || len(health) != 1 {
		t.Errorf("healthz: %s", r)
	}
	conforms(t, "Health", r.body)

	r = e.do(t, http.MethodGet, "/readyz", "", nil)
	var ready map[string]string
	r.decode(t, &ready)
	if r.status != http.StatusOK || ready["status"] != "ready" {
		t.Errorf("readyz: %s", r)
	}
	conforms(t, "Ready", r.body)
	notReady := errors.New("the queue is not connected")
	e.ready.Store(&notReady)
	r = e.do(t, http.MethodGet, "/readyz", "", nil)
	if r.status != http.StatusServiceUnavailable || r.errorText(t) != "the queue is not connected" {
		t.Errorf("readyz when not ready: %s", r)
	}
	e.ready.Store(nil)
	if r := e.do(t, http.MethodGet, "/readyz", "", nil); r.status != http.StatusOK {
		t.Errorf("readyz when ready again: %s", r)
	}

	// Methods a path does not take: Go's router answers in plain text with
	// Allow, on /v1/ only after the token was accepted.
	for _, tc := range []struct {
		method, path string
		auth         bool
	}{
		{http.MethodPost, "/healthz", false},
		{http.MethodDelete, "/readyz", false},
		{http.MethodPost, "/metrics", false},
		{http.MethodPost, "/v1/threads", true},
		{http.MethodDelete, "/v1/threads/x", true},
		{http.MethodGet, "/v1/threads/x/replies", true},
		{http.MethodGet, "/v1/workflows/ack/disable", true},
		{http.MethodPut, "/v1/dead-letters", true},
		{http.MethodGet, "/v1/dead-letters/x/retry", true},
	} {
		r := e.do(t, tc.method, tc.path, "", nil)
		if tc.auth {
			if r.status != http.StatusUnauthorized {
				t.Errorf("%s %s without a token: %s, want 401 before 405", tc.method, tc.path, r)
			}
			r = e.call(t, tc.method, tc.path, "", nil)
		}
		if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") == "" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
			t.Errorf("%s %s: %s (Allow %q, Content-Type %q), want a plain-text 405 with Allow",
				tc.method, tc.path, r, r.header.Get("Allow"), r.header.Get("Content-Type"))
		}
	}
	if r := e.call(t, http.MethodGet, "/v1/nope", "", nil); r.status != http.StatusNotFound || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Errorf("an unknown /v1/ path: %s", r)
	}

	// The webhook ingress: the connector answers, the hub answers for
	// addresses it does not know, in plain text.
	for _, tc := range []struct {
		method, path, body string
		want               int
		text               string
	}{
		{http.MethodPost, "/hooks/webhook/nope", `{"id":"a","text":"hi"}`, http.StatusNotFound, "no connector webhook nope is configured"},
		{http.MethodPost, "/hooks/allegro/shop", `{"id":"a","text":"hi"}`, http.StatusNotFound, "no connector allegro shop is configured"},
		{http.MethodPost, "/hooks/webhook", `{"id":"a","text":"hi"}`, http.StatusNotFound, "webhook address is /hooks/<connector>/<account>"},
		{http.MethodPost, "/hooks/webhook/", `{"id":"a","text":"hi"}`, http.StatusNotFound, "webhook address is /hooks/<connector>/<account>"},
		{http.MethodPost, "/hooks/webhook/shop", `{"id":"a"}`, http.StatusBadRequest, ""},
		{http.MethodGet, "/hooks/webhook/shop", "", http.StatusMethodNotAllowed, ""},
	} {
		r := e.do(t, tc.method, tc.path, tc.body, nil)
		if r.status != tc.want {
			t.Errorf("%s %s: %s, want %d", tc.method, tc.path, r, tc.want)
			continue
		}
		if tc.text != "" && (strings.TrimSpace(string(r.body)) != tc.text || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain")) {
			t.Errorf("%s %s: %q (%s), want the plain text %q", tc.method, tc.path, r.body, r.header.Get("Content-Type"), tc.text)
		}
	}
	if r := e.do(t, http.MethodGet, "/hooks/webhook/shop", "", nil); r.header.Get("Allow") != http.MethodPost {
		t.Errorf("the connector's 405 lost its Allow header: %v", r.header)
	}
	big := `{"id":"big","text":"` + strings.Repeat("x", hub.MaxWebhookBody) + `"}`
	if r := e.do(t, http.MethodPost, "/hooks/webhook/shop", big, nil); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over 10 MiB: %d", r.status)
	}
	if ts := e.threads(t, ""); len(ts) != 0 {
		t.Errorf("refused webhooks stored threads: %v", externalIDs(ts))
	}
}

func TestThreadsAndFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if r := e.call(t, http.MethodGet, "/v1/threads", "", nil); string(r.body) != "{\"threads\":[]}\n" {
		t.Errorf("no threads: %s, want an empty array", r)
	}
	e.inbound(t, "shop", "m-a", "t-a", "Hello, where is my parcel?")
	e.inbound(t, "shop", "m-b", "t-b", "This is URGENT, the parcel is broken")
	e.inbound(t, "other", "m-c", "t-c", "urgent: hello from the other shop")
	// The urgent thread of the shop is tagged and escalated at once; the
	// other account's is not (the workflow's accounts).
	eventually(t, "the triage steps", func() bool {
		th, _ := e.thread(t, "t-b")
		return th.Status == "escalated" && slices.Equal(th.Tags, []string{"urgent"})
	})

	for _, tc := range []struct {
		query string
		want  []string // newest first
	}{
		{"", []string{"t-c", "t-b", "t-a"}},
		{"?connector=webhook", []string{"t-c", "t-b", "t-a"}},
		{"?connector=allegro", nil},
		{"?account=shop", []string{"t-b", "t-a"}},
		{"?account=other", []string{"t-c"}},
		{"?connector=webhook&account=other", []string{"t-c"}},
		{"?status=escalated", []string{"t-b"}},
		{"?status=closed", nil},
		{"?tag=urgent", []string{"t-b"}},
		{"?tag=vip", nil},
		{"?tag=urgent&account=other", nil},
		{"?unanswered=true", []string{"t-c", "t-b", "t-a"}},
		{"?unanswered=false", []string{"t-c", "t-b", "t-a"}},
		{"?unanswered=yes", []string{"t-c", "t-b", "t-a"}},
		{"?connector=&account=&status=&tag=", []string{"t-c", "t-b", "t-a"}},
		{"?limit=1", []string{"t-c"}},
		{"?limit=500", []string{"t-c", "t-b", "t-a"}},
	} {
		if got := externalIDs(e.threads(t, tc.query)); !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("threads%s = %v, want %v", tc.query, got, tc.want)
		}
	}

	// Paging backwards with before.
	var pages [][]string
	before := ""
	for range 5 {
		q := "?limit=2"
		if before != "" {
			q += "&before=" + before
		}
		page := e.threads(t, q)
		if len(page) == 0 {
			break
		}
		pages = append(pages, externalIDs(page))
		before = page[len(page)-1].ID
	}
	if fmt.Sprint(pages) != "[[t-c t-b] [t-a]]" {
		t.Errorf("pages of two: %v", pages)
	}

	for _, limit := range []string{"0", "501", "-1", "ten", "1.5", "1e2", "%205", "5%20"} {
		r := e.call(t, http.MethodGet, "/v1/threads?limit="+limit, "", nil)
		if r.status != http.StatusBadRequest || r.errorText(t) != "limit is a number from 1 to 500" {
			t.Errorf("limit=%q: %s, want 400", limit, r)
		}
	}

	// A person answers t-a: it is answered, and no longer unanswered.
	thA, earlier := e.thread(t, "t-a")
	if r := e.call(t, http.MethodPost, "/v1/threads/"+thA.ID+"/replies", `{"text":"On its way"}`, map[string]string{"Idempotency-Key": "k1"}); r.status != http.StatusCreated {
		t.Fatalf("reply: %s", r)
	}
	if got := externalIDs(e.threads(t, "?unanswered=true")); !slices.Equal(got, []string{"t-c", "t-b"}) {
		t.Errorf("unanswered after a reply to t-a: %v", got)
	}
	if got := externalIDs(e.threads(t, "?unanswered=false")); len(got) != 3 {
		t.Errorf("unanswered=false filters: %v", got)
	}

	// Every thread conforms to the Thread schema; empty optional fields
	// are left out, tags are always an array.
	r := e.call(t, http.MethodGet, "/v1/threads", "", nil)
	var raws []json.RawMessage
	for _, raw := range each(t, r, "threads") {
		conforms(t, "Thread", raw)
		raws = append(raws, raw)
	}
	if len(raws) != 3 {
		t.Fatalf("threads: %s", r)
	}
	var c map[string]any
	_ = json.Unmarshal(raws[0], &c) // t-c: nothing happened to it but its message
	for _, absent := range []string{"status", "assignee", "first_response_at", "last_human_reply_at", "last_auto_reply_at"} {
		if _, ok := c[absent]; ok {
			t.Errorf("t-c has %q although it is empty: %s", absent, raws[0])
		}
	}
	if tags, ok := c["tags"].([]any); !ok || len(tags) != 0 {
		t.Errorf("t-c's tags are not an empty array: %s", raws[0])
	}

	// One thread with its messages.
	th, msgs := e.thread(t, "t-a")
	wantAt := start
	if th.Connector != "webhook" || th.Account != "shop" || th.Channel != "webhook" || th.ContactID == "" || th.Messages != 1 ||
		!th.Answered || th.AutoReplies != 0 || th.FirstInboundAt == nil || !th.FirstInboundAt.Equal(wantAt) ||
		th.LastInboundAt == nil || !th.LastInboundAt.Equal(wantAt) || th.LastHumanReplyAt == nil || th.FirstResponseAt == nil {
		t.Errorf("thread t-a: %+v", th)
	}
	if len(msgs) != 2 || len(earlier) != 1 {
		t.Fatalf("messages of t-a: %+v", msgs)
	}
	if m := msgs[0]; m.ExternalID != "m-a" || m.Direction != "inbound" || m.Channel != "webhook" || m.Text != "Hello, where is my parcel?" ||
		m.Sender.ID != "buyer-t-a" || m.Sender.Name != "Anna Nowak" || m.AutoGenerated {
		t.Errorf("the buyer's message: %+v", m)
	}
	if m := msgs[1]; m.Direction != "outbound" || m.Text != "On its way" || m.AutoGenerated || m.ExternalID == "" {
		t.Errorf("the person's reply: %+v", m)
	}
	r = e.call(t, http.MethodGet, "/v1/threads/"+th.ID, "", nil)
	var whole map[string]json.RawMessage
	r.decode(t, &whole)
	conforms(t, "ThreadWithMessages", r.body)
	conforms(t, "Thread", whole["thread"])
	for _, m := range each(t, r, "messages") {
		conforms(t, "Message", m)
	}

	r = e.call(t, http.MethodGet, "/v1/threads/01JD3X5Q8ZB7K2M4N6P8R0T2V4", "", nil)
	if r.status != http.StatusNotFound || !strings.Contains(r.errorText(t), "not found") {
		t.Errorf("an unknown thread: %s", r)
	}
}

func TestManualReply(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	msgID, threadID := e.inbound(t, "shop", "m-1", "order-1", "Hello, where is my parcel?")
	x := e.evaluated(t, msgID)
	if len(x.Workflows) != 2 || x.Workflows[1].Workflow != "ack" || !x.Workflows[1].Fired {
		t.Fatalf("the acknowledgement is not planned: %+v", x)
	}
	path := "/v1/threads/" + threadID + "/replies"

	r := e.call(t, http.MethodPost, path, `{"text":"Your parcel left this morning."}`, map[string]string{"Idempotency-Key": "3f9c2a7e"})
	if r.status != http.StatusCreated {
		t.Fatalf("reply: %s", r)
	}
	conforms(t, "ReplyCreated", r.body)
	var created struct {
		ExternalID string `json:"external_id"`
	}
	r.decode(t, &created)
	if created.ExternalID != "shop-1" {
		t.Errorf("external_id %q, want the shop's id shop-1", created.ExternalID)
	}
	got := e.shop.accepted("manual/" + threadID + "/3f9c2a7e")
	if len(got) != 1 {
		t.Fatalf("the shop got %+v", e.shop.requests())
	}
	if s := got[0]; s.IdempotencyKey != "manual/"+threadID+"/3f9c2a7e" || s.Thread != "order-1" || s.InReplyTo != "m-1" || s.Channel != "webhook" ||
		s.Text != "Your parcel left this morning." || len(s.Recipients) != 1 || s.Recipients[0].ID != "buyer-order-1" || s.Recipients[0].Name != "Anna Nowak" {
		t.Errorf("the reply the shop got: %+v", s)
	}

	th, msgs := e.thread(t, "order-1")
	if th.LastHumanReplyAt == nil || !th.LastHumanReplyAt.Equal(start) || th.FirstResponseAt == nil || !th.Answered || th.AutoReplies != 0 {
		t.Errorf("the thread after a manual reply: %+v", th)
	}
	if len(msgs) != 2 || msgs[1].Direction != "outbound" || msgs[1].ExternalID != "shop-1" || msgs[1].AutoGenerated {
		t.Errorf("messages after a manual reply: %+v", msgs)
	}

	// A retried request with the same key answers with the first reply's
	// id and sends nothing; another key is another reply.
	for _, retry := range []struct{ key, want string }{{"3f9c2a7e", "shop-1"}, {"3f9c2a7e", "shop-1"}, {"second", "shop-2"}} {
		r := e.call(t, http.MethodPost, path, `{"text":"Your parcel left this morning."}`, map[string]string{"Idempotency-Key": retry.key})
		if r.status != http.StatusCreated {
			t.Fatalf("reply with key %s: %s", retry.key, r)
		}
		r.decode(t, &created)
		if created.ExternalID != retry.want {
			t.Errorf("reply with key %s: external_id %q, want %q", retry.key, created.ExternalID, retry.want)
		}
	}
	if n := len(e.shop.accepted("manual/" + threadID + "/3f9c2a7e")); n != 1 {
		t.Errorf("the shop got the retried reply %d times in all, want once", n)
	}
	if _, msgs := e.thread(t, "order-1"); len(msgs) != 3 {
		t.Errorf("messages after a retried and a second reply: %+v, want the buyer's and two replies", msgs)
	}
	// The key is scoped to the thread: the same key in another thread is
	// another reply.
	_, otherThread := e.inbound(t, "shop", "m-9", "order-9", "Hello from elsewhere")
	r = e.call(t, http.MethodPost, "/v1/threads/"+otherThread+"/replies", `{"text":"Hi"}`, map[string]string{"Idempotency-Key": "3f9c2a7e"})
	if r.status != http.StatusCreated || len(e.shop.accepted("manual/"+otherThread+"/3f9c2a7e")) != 1 {
		t.Errorf("the same key in another thread: %s", r)
	}

	// Ten minutes later the acknowledgements fall due and stand down: a
	// person answered both threads.
	e.advance(10 * time.Minute)
	eventually(t, "the acknowledgements to be skipped", func() bool {
		v, _ := e.metric(t, "switchboard_workflow_skips_total", "workflow", "ack", "reason", "unless_answered")
		return v == 2
	})
	if reqs := e.shop.requests(); len(reqs) != 3 {
		t.Errorf("the shop got an automatic reply after a person answered: %+v", reqs)
	}
	if th, _ := e.thread(t, "order-1"); th.AutoReplies != 0 || th.LastAutoReplyAt != nil {
		t.Errorf("the thread counts an automatic reply: %+v", th)
	}
	if v, _ := e.metric(t, "switchboard_steps_pending"); v != 0 {
		t.Errorf("steps pending after the skip: %v", v)
	}

	// A thread nobody answered gets its acknowledgement.
	msg2, thread2 := e.inbound(t, "shop", "m-2", "order-2", "Hello?")
	e.advance(10 * time.Minute)
	key := msg2 + ".ack.later"
	eventually(t, "the acknowledgement of order-2", func() bool { return len(e.shop.accepted(key)) == 1 })
	if s := e.shop.accepted(key)[0]; s.Text != "Thanks for m-2" || s.Thread != "order-2" {
		t.Errorf("the acknowledgement: %+v", s)
	}
	eventually(t, "the acknowledgement to be recorded", func() bool {
		th, _ := e.thread(t, "order-2")
		return th.AutoReplies == 1 && th.LastAutoReplyAt != nil && !th.Answered
	})
	var whole struct {
		Messages []messageJSON `json:"messages"`
	}
	e.get(t, "/v1/threads/"+thread2, &whole)
	if n := len(whole.Messages); n != 2 || whole.Messages[1].Direction != "outbound" || !whole.Messages[1].AutoGenerated ||
		whole.Messages[1].Text != "Thanks for m-2" || whole.Messages[1].ExternalID == "" {
		t.Errorf("messages of order-2: %+v, want the buyer's and the automatic reply", whole.Messages)
	}
}

func TestManualReplyErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, threadID := e.inbound(t, "shop", "m-1", "order-1", "Hello")
	_, otherThread := e.inbound(t, "other", "m-2", "order-2", "Hello")
	path := "/v1/threads/" + threadID + "/replies"
	key := map[string]string{"Idempotency-Key": "k"}

	const noText = `send {"text": "…"} with the reply's text`
	const noKey = "send an Idempotency-Key header (any unique string, the same on retries) so that a retried request is not sent twice"
	for name, tc := range map[string]struct {
		body   string
		header map[string]string
		want   string
	}{
		"no body":           {"", key, noText},
		"not JSON":          {"text=hello", key, noText},
		"no text":           {`{"html":"<p>hi</p>"}`, key, noText},
		"blank text":        {`{"text":"  \n\t"}`, key, noText},
		"text not a string": {`{"text":42}`, key, noText},
		"too large":         {`{"text":"` + strings.Repeat("x", 1<<20) + `"}`, key, noText},
		"no key":            {`{"text":"hi"}`, nil, noKey},
		"empty key":         {`{"text":"hi"}`, map[string]string{"Idempotency-Key": ""}, noKey},
		"long key": {`{"text":"hi"}`, map[string]string{"Idempotency-Key": strings.Repeat("k", 256)},
			"the Idempotency-Key header is 256 bytes long; send at most 255 (a UUID is 36)"},
	} {
		r := e.call(t, http.MethodPost, path, tc.body, tc.header)
		if r.status != http.StatusBadRequest {
			t.Errorf("%s: %s, want 400", name, r)
			continue
		}
		if msg := r.errorText(t); msg != tc.want {
			t.Errorf("%s: %q, want %q", name, msg, tc.want)
		}
	}
	if reqs := e.shop.requests(); len(reqs) != 0 {
		t.Errorf("refused requests reached the shop: %+v", reqs)
	}

	r := e.call(t, http.MethodPost, "/v1/threads/01JD3X5Q8ZB7K2M4N6P8R0T2V4/replies", `{"text":"hi"}`, key)
	if r.status != http.StatusNotFound || !strings.Contains(r.errorText(t), "not found") {
		t.Errorf("an unknown thread: %s", r)
	}

	// The shop's answers, as the documented statuses.
	e.shop.fail(http.StatusBadRequest, nil, "thread order-1 is closed")
	r = e.call(t, http.MethodPost, path, `{"text":"hi"}`, key)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.errorText(t), "thread order-1 is closed") {
		t.Errorf("the shop refuses for good: %s, want 422", r)
	}
	e.shop.fail(http.StatusTooManyRequests, http.Header{"Retry-After": {"7"}}, "slow down")
	r = e.call(t, http.MethodPost, path, `{"text":"hi"}`, key)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "8" {
		t.Errorf("the shop throttles: %s, Retry-After %q; want 429 with 8 (7 s rounded down, plus one)", r, r.header.Get("Retry-After"))
	} else {
		r.errorText(t)
	}
	e.shop.fail(http.StatusBadGateway, nil, "upstream down")
	r = e.call(t, http.MethodPost, path, `{"text":"hi"}`, key)
	if r.status != http.StatusServiceUnavailable || !strings.Contains(r.errorText(t), "502") {
		t.Errorf("the shop fails for a while: %s, want 503", r)
	}
	e.shop.fail(0, nil, "")
	if th, _ := e.thread(t, "order-1"); th.Answered || th.LastHumanReplyAt != nil {
		t.Errorf("a reply that failed was recorded: %+v", th)
	}
	if r := e.call(t, http.MethodPost, path, `{"text":"hi"}`, key); r.status != http.StatusCreated {
		t.Errorf("the same request once the shop is back: %s", r)
	}

	// A thread whose connector is not configured any more: the connector
	// cannot send, and the request cannot succeed as it is.
	writeFile(t, e.dir, "hub.hcl", strings.Replace(fmt.Sprintf(hubConfig, token, otherToken, e.shop.srv.URL),
		`connector "webhook" "other"`, `connector "webhook" "elsewhere"`, 1))
	if err := e.hub.Reload(context.Background(), e.load(t)); err != nil {
		t.Fatal(err)
	}
	r = e.call(t, http.MethodPost, "/v1/threads/"+otherThread+"/replies", `{"text":"hi"}`, key)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.errorText(t), `no connector "webhook" "other" is configured for this thread`) {
		t.Errorf("a thread of a connector that is gone: %s, want 422", r)
	}
}

func TestWorkflows(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.call(t, http.MethodGet, "/v1/workflows", "", nil)
	raws := each(t, r, "workflows")
	for _, raw := range raws {
		conforms(t, "Workflow", raw)
	}
	if len(raws) != 2 || !strings.Contains(string(raws[1]), `"sources":null`) {
		t.Errorf("workflows: %s; want two, the second with null sources", r)
	}
	type workflowJSON struct {
		Name        string   `json:"name"`
		Description string   `json:"description"`
		Enabled     bool     `json:"enabled"`
		Priority    int      `json:"priority"`
		Mode        string   `json:"mode"`
		Sources     []string `json:"sources"`
		Steps       int      `json:"steps"`
	}
	list := func() []workflowJSON {
		var out struct {
			Workflows []workflowJSON `json:"workflows"`
		}
		e.get(t, "/v1/workflows", &out)
		return out.Workflows
	}
	ws := list()
	want := []workflowJSON{
		{Name: "triage", Description: "Tag and escalate urgent messages of the shop", Enabled: true, Priority: 10, Mode: "every_message", Sources: []string{"webhook"}, Steps: 2},
		{Name: "ack", Description: "Acknowledge every message after ten minutes", Enabled: true, Priority: 0, Mode: "every_message", Steps: 1},
	}
	if fmt.Sprintf("%+v", ws) != fmt.Sprintf("%+v", want) {
		t.Errorf("workflows:\n got %+v\nwant %+v", ws, want)
	}

	for _, action := range []string{"enable", "disable"} {
		r := e.call(t, http.MethodPost, "/v1/workflows/nope/"+action, "", nil)
		if r.status != http.StatusNotFound || r.errorText(t) != `not found: workflow "nope"` {
			t.Errorf("%s an unknown workflow: %s", action, r)
		}
	}

	setEnabled := func(name string, enabled bool) {
		t.Helper()
		action := map[bool]string{true: "enable", false: "disable"}[enabled]
		r := e.call(t, http.MethodPost, "/v1/workflows/"+name+"/"+action, "", nil)
		if r.status != http.StatusOK {
			t.Fatalf("%s %s: %s", action, name, r)
		}
		conforms(t, "WorkflowState", r.body)
		var state struct {
			Name    string `json:"name"`
			Enabled bool   `json:"enabled"`
		}
		r.decode(t, &state)
		if state.Name != name || state.Enabled != enabled {
			t.Errorf("%s %s: %s", action, name, r)
		}
	}
	setEnabled("ack", false)
	setEnabled("ack", false) // again: no change
	if ws := list(); !ws[0].Enabled || ws[1].Enabled {
		t.Errorf("after disabling ack: %+v", ws)
	}

	// A disabled workflow does not fire for a new message.
	m1, _ := e.inbound(t, "shop", "m-1", "t-1", "Hello")
	x := e.evaluated(t, m1)
	if ack := x.Workflows[1]; ack.Workflow != "ack" || ack.Fired || ack.Reason != "disabled" || len(ack.Steps) != 0 {
		t.Errorf("ack while disabled: %+v", ack)
	}

	// The override outlives a reload.
	if err := e.hub.Reload(context.Background(), e.load(t)); err != nil {
		t.Fatal(err)
	}
	if ws := list(); ws[1].Enabled {
		t.Errorf("ack is enabled again after a reload: %+v", ws)
	}

	setEnabled("ack", true)
	if ws := list(); !ws[1].Enabled {
		t.Errorf("after enabling ack: %+v", ws)
	}
	m2, _ := e.inbound(t, "shop", "m-2", "t-2", "Hello again")
	x = e.evaluated(t, m2)
	if ack := x.Workflows[1]; !ack.Fired || ack.Reason != "" || !slices.Equal(ack.Steps, []string{"later at 2026-11-20T19:10:00Z"}) {
		t.Errorf("ack once enabled: %+v", ack)
	}
	e.advance(10 * time.Minute)
	eventually(t, "the acknowledgement of m-2", func() bool { return len(e.shop.accepted(m2+".ack.later")) == 1 })
	for _, s := range e.shop.requests() {
		if s.Thread == "t-1" {
			t.Errorf("the message that came while ack was disabled was answered: %+v", s)
		}
	}

	// Disabling leaves steps already planned alone.
	m3, _ := e.inbound(t, "shop", "m-3", "t-3", "One more")
	setEnabled("ack", false)
	e.advance(10 * time.Minute)
	eventually(t, "the acknowledgement of m-3, planned before ack was disabled", func() bool {
		return len(e.shop.accepted(m3+".ack.later")) == 1
	})
}

func TestExplanation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	urgent, _ := e.inbound(t, "shop", "m-1", "t-1", "URGENT: the parcel is broken")
	quiet, _ := e.inbound(t, "shop", "m-2", "t-2", "quiet please")
	other, _ := e.inbound(t, "other", "m-3", "t-3", "urgent, from the other shop")

	type result struct {
		workflow string
		fired    bool
		reason   string
		steps    []string
	}
	for _, tc := range []struct {
		message string
		want    []result
	}{
		{urgent, []result{
			{"triage", true, "", []string{"urgent at 2026-11-20T19:00:00Z", "escalate at 2026-11-20T19:00:00Z"}},
			{"ack", true, "", []string{"later at 2026-11-20T19:10:00Z"}},
		}},
		{quiet, []result{
			{"triage", false, "condition is false", nil},
			{"ack", false, "condition is false", nil},
		}},
		{other, []result{
			{"triage", false, `account: "other" is not among its accounts`, nil},
			{"ack", true, "", []string{"later at 2026-11-20T19:10:00Z"}},
		}},
	} {
		r := e.call(t, http.MethodGet, "/v1/messages/"+tc.message+"/explanation", "", nil)
		conforms(t, "Explanation", r.body)
		for _, w := range each(t, r, "workflows") {
			conforms(t, "WorkflowResult", w)
			if strings.Contains(string(w), `"fired":true`) && strings.Contains(string(w), `"reason"`) ||
				strings.Contains(string(w), `"fired":false`) && strings.Contains(string(w), `"steps"`) {
				t.Errorf("%s: empty reason or steps are not left out: %s", tc.message, w)
			}
		}
		x := e.evaluated(t, tc.message)
		var got []result
		for _, w := range x.Workflows {
			got = append(got, result{w.Workflow, w.Fired, w.Reason, w.Steps})
		}
		if x.MessageID != tc.message || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("explanation of %s:\n got %+v\nwant %+v", tc.message, got, tc.want)
		}
	}
	r := e.call(t, http.MethodGet, "/v1/messages/01JD3X6A2C4E6G8J0K2M4P6R8T/explanation", "", nil)
	if r.status != http.StatusNotFound || !strings.Contains(r.errorText(t), "not found") {
		t.Errorf("the explanation of an unknown message: %s", r)
	}
}

func TestDeadLetters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	deadLetters := func() []deadLetterJSON {
		r := e.call(t, http.MethodGet, "/v1/dead-letters", "", nil)
		for _, raw := range each(t, r, "dead_letters") {
			conforms(t, "DeadLetter", raw)
		}
		var out struct {
			DeadLetters []deadLetterJSON `json:"dead_letters"`
		}
		r.decode(t, &out)
		return out.DeadLetters
	}
	if r := e.call(t, http.MethodGet, "/v1/dead-letters", "", nil); string(r.body) != "{\"dead_letters\":[]}\n" {
		t.Errorf("no dead letters: %s, want an empty array", r)
	}

	e.shop.fail(http.StatusBadRequest, nil, "thread order-1 is closed")
	msgID, _ := e.inbound(t, "shop", "m-1", "order-1", "Hello")
	key := msgID + ".ack.later"
	e.advance(10 * time.Minute)
	var dead []deadLetterJSON
	eventually(t, "the reply to be dead-lettered", func() bool { dead = deadLetters(); return len(dead) == 1 })
	due := start.Add(10 * time.Minute)
	if d := dead[0]; d.Key != key || d.MessageID != msgID || d.Workflow != "ack" || d.Step != "later" || d.Attempts != 1 ||
		!strings.Contains(d.Error, "400") || !strings.Contains(d.Error, "thread order-1 is closed") || !d.At.Equal(due) {
		t.Errorf("dead letter: %+v", d)
	}
	if v, _ := e.metric(t, "switchboard_dead_letters"); v != 1 {
		t.Errorf("switchboard_dead_letters = %v, want 1", v)
	}
	if v, _ := e.metric(t, "switchboard_dead_letters_total", "workflow", "ack"); v != 1 {
		t.Errorf("switchboard_dead_letters_total = %v, want 1", v)
	}

	retry := func(key string) response {
		t.Helper()
		return e.call(t, http.MethodPost, "/v1/dead-letters/"+key+"/retry", "", nil)
	}
	if r := retry("01JD3X6A2C4E6G8J0K2M4P6R8T.ack.later"); r.status != http.StatusNotFound || !strings.Contains(r.errorText(t), "not found") {
		t.Errorf("retry an unknown step: %s", r)
	}

	// Retried while the shop still refuses: one more attempt, dead again;
	// the attempt count is not reset.
	r := retry(key)
	if r.status != http.StatusAccepted {
		t.Fatalf("retry: %s", r)
	}
	conforms(t, "RetryQueued", r.body)
	var queued map[string]string
	r.decode(t, &queued)
	if queued["key"] != key || queued["state"] != "queued" {
		t.Errorf("retry: %s", r)
	}
	eventually(t, "the second attempt to be dead-lettered", func() bool {
		dead = deadLetters()
		return len(dead) == 1 && dead[0].Attempts == 2
	})

	// Once the shop takes replies, the retried step goes through, under
	// its original idempotency key.
	e.shop.fail(0, nil, "")
	if r := retry(key); r.status != http.StatusAccepted {
		t.Fatalf("retry: %s", r)
	}
	eventually(t, "the retried reply to reach the shop", func() bool { return len(e.shop.accepted(key)) == 1 })
	if s := e.shop.accepted(key)[0]; s.Text != "Thanks for m-1" || s.IdempotencyKey != key {
		t.Errorf("the retried reply: %+v", s)
	}
	eventually(t, "the retried reply to be recorded", func() bool {
		th, _ := e.thread(t, "order-1")
		return th.AutoReplies == 1 && len(deadLetters()) == 0
	})
	if n := len(e.shop.requests()); n != 3 {
		t.Errorf("the shop was asked %d times, want 3", n)
	}
	if v, _ := e.metric(t, "switchboard_dead_letters"); v != 0 {
		t.Errorf("switchboard_dead_letters = %v after the retry, want 0", v)
	}

	// The step is done: retrying it is a conflict.
	r = retry(key)
	if r.status != http.StatusConflict || !strings.Contains(r.errorText(t), "not dead") {
		t.Errorf("retry a step that is done: %s, want 409", r)
	}
	if n := len(e.shop.requests()); n != 3 {
		t.Errorf("retrying a done step reached the shop")
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.inbound(t, "shop", "m-1", "t-1", "Hello")
	e.inbound(t, "shop", "m-2", "t-2", "Hello")
	e.inbound(t, "other", "m-3", "t-3", "Hello")
	e.deliver(t, "shop", "m-1", "t-1", "Hello") // a redelivery is not counted

	r := e.do(t, http.MethodGet, "/metrics", "", nil)
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", r.status, r.header.Get("Content-Type"))
	}
	for _, help := range []string{
		"# TYPE switchboard_messages_in_total counter",
		"# TYPE switchboard_steps_pending gauge",
		"# TYPE switchboard_steps_queued gauge",
		"# TYPE switchboard_steps_running gauge",
		"# TYPE switchboard_dead_letters gauge",
		"# TYPE switchboard_outbox_rows gauge",
	} {
		if !bytes.Contains(r.body, []byte(help)) {
			t.Errorf("/metrics lacks %q", help)
		}
	}
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"switchboard_messages_in_total", []string{"connector", "webhook", "account", "shop"}, 2},
		{"switchboard_messages_in_total", []string{"connector", "webhook", "account", "other"}, 1},
		{"switchboard_workflow_fires_total", []string{"workflow", "ack"}, 3},
		{"switchboard_workflow_skips_total", []string{"workflow", "triage", "reason", "condition"}, 2},
		{"switchboard_steps_pending", nil, 3},
		{"switchboard_steps_queued", nil, 0},
		{"switchboard_steps_running", nil, 0},
		{"switchboard_dead_letters", nil, 0},
	} {
		// Counters move just after what they count is stored.
		eventually(t, fmt.Sprintf("%s%v to be %v", tc.name, tc.labels, tc.want), func() bool {
			v, ok := e.metric(t, tc.name, tc.labels...)
			return ok && v == tc.want
		})
	}
	eventually(t, "the outbox to be empty", func() bool {
		v, ok := e.metric(t, "switchboard_outbox_rows")
		return ok && v == 0
	})

	e.advance(10 * time.Minute)
	eventually(t, "the three acknowledgements to be counted", func() bool {
		shop, _ := e.metric(t, "switchboard_messages_out_total", "connector", "webhook", "account", "shop")
		other, _ := e.metric(t, "switchboard_messages_out_total", "connector", "webhook", "account", "other")
		latencies, _ := e.metric(t, "switchboard_reply_latency_seconds_count", "connector", "webhook")
		pending, _ := e.metric(t, "switchboard_steps_pending")
		return shop == 2 && other == 1 && latencies == 3 && pending == 0
	})
	if n := len(e.shop.requests()); n != 3 {
		t.Errorf("the shop got %d replies, want 3", n)
	}
}
