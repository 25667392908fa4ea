package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
	"github.com/switchboard-hub/switchboard/sdk/sdktest"
	"github.com/switchboard-hub/switchboard/sdk/vendorhttp"
)

func TestConformance(t *testing.T) {
	var binary string
	if dir := os.Getenv("SWITCHBOARD_PLUGIN_DIR"); dir != "" {
		binary = filepath.Join(dir, "switchboard-action-http")
	}
	sdktest.RunAction(t, sdktest.ActionSuite{
		New:     func() sdk.Action { return newAction() },
		Binary:  binary,
		Fixture: func(t testing.TB) sdktest.ActionFixture { return newFakeService(t) },
	})
}

const (
	testSecret        = "service-secret"
	testAuthorization = "Bearer service-token"
)

// fakeService is the system the action notifies, behaving as
// docs/plugins/http.md asks a receiver to: it checks the signature and the
// Idempotency-Key header, and answers a repeated key with its first answer
// without acting on the request again.
type fakeService struct {
	srv *httptest.Server

	mu       sync.Mutex
	received []sdktest.Sent
	idForKey map[string]string
	failNext func(w http.ResponseWriter)
}

func newFakeService(t testing.TB) *fakeService {
	f := &fakeService{idForKey: map[string]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// refuse answers a request that breaks the contract with 4xx, so that the
// step fails with the reason in its error.
func refuse(w http.ResponseWriter, code int, format string, args ...any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": fmt.Sprintf(format, args...)})
}

func (f *fakeService) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		refuse(w, http.StatusBadRequest, "read body: %v", err)
		return
	}
	switch {
	case r.Method != http.MethodPost:
		refuse(w, http.StatusMethodNotAllowed, "method %s", r.Method)
		return
	case r.URL.Path != "/notify":
		refuse(w, http.StatusNotFound, "wrong address %s", r.URL.Path)
		return
	case r.Header.Get("Content-Type") != "application/json":
		refuse(w, http.StatusUnsupportedMediaType, "Content-Type is %q", r.Header.Get("Content-Type"))
		return
	case r.Header.Get("Authorization") != testAuthorization:
		refuse(w, http.StatusForbidden, "Authorization header from config.headers is missing")
		return
	}
	if err := vendorhttp.Verify([]byte(testSecret), body, r.Header, signatureHeader); err != nil {
		refuse(w, http.StatusUnauthorized, "%v", err)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		refuse(w, http.StatusBadRequest, "Idempotency-Key header is missing")
		return
	}
	var note struct {
		Text   *string `json:"text"`
		Thread string  `json:"thread"`
	}
	if err := json.Unmarshal(body, &note); err != nil || note.Text == nil {
		refuse(w, http.StatusBadRequest, "body %s has no text: %v", body, err)
		return
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	if fail := f.failNext; fail != nil {
		f.failNext = nil
		fail(w)
		return
	}
	id, seen := f.idForKey[key]
	if !seen {
		id = fmt.Sprintf("T-%d", len(f.received)+1)
		f.idForKey[key] = id
		f.received = append(f.received, sdktest.Sent{IdempotencyKey: key, Text: *note.Text, ExternalID: id})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]string{"ticket": id})
}

func (f *fakeService) Config() cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"url":     cty.StringVal(f.srv.URL + "/notify"),
		"secret":  cty.StringVal(testSecret),
		"headers": cty.MapVal(map[string]cty.Value{"Authorization": cty.StringVal(testAuthorization)}),
		"timeout": cty.StringVal("5s"),
	})
}

func (f *fakeService) BadConfigs() []sdktest.BadConfig {
	str := cty.StringVal
	return []sdktest.BadConfig{
		{Name: "relative url", Config: cty.ObjectVal(map[string]cty.Value{"url": str("/notify")}), Attribute: cty.GetAttrPath("url")},
		{Name: "ftp url", Config: cty.ObjectVal(map[string]cty.Value{"url": str("ftp://example.com/notify")}), Attribute: cty.GetAttrPath("url")},
		{Name: "GET", Config: cty.ObjectVal(map[string]cty.Value{"url": str(f.srv.URL), "method": str("GET")}), Attribute: cty.GetAttrPath("method")},
		{Name: "bad timeout", Config: cty.ObjectVal(map[string]cty.Value{"url": str(f.srv.URL), "timeout": str("ten seconds")}), Attribute: cty.GetAttrPath("timeout")},
		{Name: "empty secret", Config: cty.ObjectVal(map[string]cty.Value{"url": str(f.srv.URL), "secret": str("")}), Attribute: cty.GetAttrPath("secret")},
		{
			Name:      "header overrides the signature",
			Config:    cty.ObjectVal(map[string]cty.Value{"url": str(f.srv.URL), "headers": cty.MapVal(map[string]cty.Value{signatureHeader: str("x")})}),
			Attribute: cty.GetAttrPath("headers").Index(str(signatureHeader)),
		},
	}
}

// Arguments carries text as a string constant in the template, so that no
// text can be mistaken for template syntax.
func (f *fakeService) Arguments(text string) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"body": cty.StringVal(`{"text": {{json ` + strconv.Quote(text) + `}}, "thread": {{json .Thread.ID}}}`),
	})
}

func (f *fakeService) Received() []sdktest.Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sdktest.Sent(nil), f.received...)
}

func (f *fakeService) FailNextExecute(kind sdk.ErrorKind) bool {
	var fail func(w http.ResponseWriter)
	switch kind {
	case sdk.KindPermanent:
		fail = func(w http.ResponseWriter) { refuse(w, http.StatusUnprocessableEntity, "unknown customer") }
	case sdk.KindRetryable:
		fail = func(w http.ResponseWriter) { refuse(w, http.StatusBadGateway, "upstream is down") }
	case sdk.KindRateLimited:
		fail = func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "12")
			refuse(w, http.StatusTooManyRequests, "slow down")
		}
	default:
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNext = fail
	return true
}

func (f *fakeService) DedupsKeys() bool { return true }

// configured returns an action configured with attrs, the way the host would
// pass them (defaults filled in, secrets marked).
func configured(t *testing.T, attrs map[string]cty.Value) *action {
	t.Helper()
	a := newAction()
	diags := configure(t, a, attrs)
	if diags.HasErrors() {
		t.Fatalf("Configure: %v", diags.Err())
	}
	a.now = func() time.Time { return fixedClock }
	return a
}

func configure(t *testing.T, a *action, attrs map[string]cty.Value) sdk.Diagnostics {
	t.Helper()
	s, err := a.Schema(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Config.Coerce(cty.ObjectVal(attrs))
	if err != nil {
		t.Fatalf("config does not fit the schema: %v", err)
	}
	diags, err := a.Configure(t.Context(), sdk.ConfigureRequest{Instance: "crm", Config: v})
	if err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return diags
}

// args builds step arguments the way the host would pass them.
func args(t *testing.T, attrs map[string]cty.Value) cty.Value {
	t.Helper()
	s, err := newAction().Schema(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Arguments.Coerce(cty.ObjectVal(attrs))
	if err != nil {
		t.Fatalf("arguments do not fit the schema: %v", err)
	}
	return v
}

// fixedClock is the time tests read Retry-After dates against.
var fixedClock = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
