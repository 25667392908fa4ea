package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
	"github.com/switchboard-hub/switchboard/sdk/vendorhttp"
)

// request is what a test receiver saw.
type request struct {
	method, path string
	header       http.Header
	body         []byte
}

// receiver starts a server that records each request and answers with
// answer, and returns an action configured to call it with extra config
// attributes.
func receiver(t *testing.T, answer http.HandlerFunc, attrs map[string]cty.Value) (*action, <-chan request) {
	t.Helper()
	seen := make(chan request, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen <- request{r.Method, r.URL.RequestURI(), r.Header.Clone(), body}
		answer(w, r)
	}))
	t.Cleanup(srv.Close)
	all := map[string]cty.Value{"url": cty.StringVal(srv.URL + "/notify?token=t0p")}
	for k, v := range attrs {
		all[k] = v
	}
	return configured(t, all), seen
}

func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func executeOne(t *testing.T, a *action, it sdk.ExecuteItem) sdk.ExecuteResult {
	t.Helper()
	res, err := a.Execute(t.Context(), []sdk.ExecuteItem{it})
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if len(res) != 1 {
		t.Fatalf("Execute returned %d results for 1 item", len(res))
	}
	return res[0]
}

func step(t *testing.T, body string, more ...string) sdk.ExecuteItem {
	t.Helper()
	attrs := map[string]cty.Value{"body": cty.StringVal(body)}
	if len(more) == 1 {
		attrs["content_type"] = cty.StringVal(more[0])
	}
	it := testItem()
	it.Arguments = args(t, attrs)
	return it
}

func TestExecuteRequest(t *testing.T) {
	t.Parallel()
	a, seen := receiver(t, answer(201, `{"ticket": "T-7"}`), map[string]cty.Value{
		"method":  cty.StringVal("put"),
		"secret":  cty.StringVal("k"),
		"headers": cty.MapVal(map[string]cty.Value{"Authorization": cty.StringVal("Bearer abc")}),
	})
	res := executeOne(t, a, step(t, `{"buyer": {{json .Contact.Name}}, "text": {{json .Message.Text}}}`))
	if res.Err != nil {
		t.Fatalf("Execute: %v", res.Err)
	}
	want := cty.ObjectVal(map[string]cty.Value{"status": cty.NumberIntVal(201), "body": cty.StringVal(`{"ticket": "T-7"}`)})
	if !res.Outputs.RawEquals(want) {
		t.Errorf("outputs = %#v, want %#v", res.Outputs, want)
	}
	if errs := res.Outputs.Type().TestConformance(outputsType); len(errs) > 0 {
		t.Errorf("outputs do not conform to the declared type: %v", errs)
	}
	r := <-seen
	if r.method != "PUT" || r.path != "/notify?token=t0p" {
		t.Errorf("request = %s %s, want PUT /notify?token=t0p", r.method, r.path)
	}
	if got, want := string(r.body), `{"buyer": "Anna Nowak", "text": "Where is it?\nIt's <late> & I'm \"upset\"."}`; got != want {
		t.Errorf("body =\n%s\nwant\n%s", got, want)
	}
	for name, want := range map[string]string{
		"Content-Type":            "application/json",
		"Idempotency-Key":         "step-1",
		"X-Switchboard-Signature": vendorhttp.Sign([]byte("k"), r.body),
		"Authorization":           "Bearer abc",
		"User-Agent":              userAgent,
	} {
		if got := r.header.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
}

func TestExecuteContentType(t *testing.T) {
	t.Parallel()
	a, seen := receiver(t, answer(204, ""), nil)
	res := executeOne(t, a, step(t, "New message from {{.Contact.Name}}: {{.Message.Text}}", "text/plain; charset=utf-8"))
	if res.Err != nil {
		t.Fatalf("Execute: %v", res.Err)
	}
	if got := res.Outputs.GetAttr("body").AsString(); got != "" {
		t.Errorf("output body = %q, want empty", got)
	}
	r := <-seen
	if got := r.header.Get("Content-Type"); got != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := r.header.Get("X-Switchboard-Signature"); got != "" {
		t.Errorf("unsigned request carries a signature %q", got)
	}
}

func TestExecuteTruncatesResponse(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("ż", maxResponseBytes) // two bytes each: twice the limit
	a, _ := receiver(t, answer(200, big), nil)
	res := executeOne(t, a, step(t, `{}`))
	if res.Err != nil {
		t.Fatalf("Execute: %v", res.Err)
	}
	body := res.Outputs.GetAttr("body").AsString()
	if len(body) != maxResponseBytes || !strings.HasPrefix(big, body) {
		t.Errorf("output body has %d bytes, want the first %d of the response", len(body), maxResponseBytes)
	}
}

func TestExecuteRefusesBeforeSending(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		item func(t *testing.T) sdk.ExecuteItem
		want string
	}{
		{"unparsable template", func(t *testing.T) sdk.ExecuteItem { return step(t, `{"text": {{json .Message.Text}`) },
			"arguments.body: the body template cannot be parsed: template: body:1: bad character U+007D '}'"},
		{"unknown field", func(t *testing.T) sdk.ExecuteItem { return step(t, `{"text": {{json .Message.Body}}}`) },
			"arguments.body: the body template failed: template: body:1:24: executing \"body\" at <.Message.Body>: can't evaluate field Body"},
		{"range over a number", func(t *testing.T) sdk.ExecuteItem { return step(t, `{{range 100000000000}}{{end}}{}`) },
			"arguments.body: the body template cannot be used: body:1:8: {{range 100000000000}} ranges over the number 100000000000"},
		{"unquoted value in JSON", func(t *testing.T) sdk.ExecuteItem { return step(t, `{"text": "{{.Message.Text}}"}`) },
			"arguments.body: the rendered body is not valid JSON (content_type is application/json): invalid character '\\n' in string literal at byte 23; quote values with the json function"},
		{"unquoted value in +json", func(t *testing.T) sdk.ExecuteItem { return step(t, `{{.Message.Text}}`, "application/vnd.api+json") },
			"the rendered body is not valid JSON (content_type is application/vnd.api+json)"},
		{"bad content_type", func(t *testing.T) sdk.ExecuteItem { return step(t, `{}`, "json please") },
			`step arguments: content_type: content_type is not a media type: "json please" cannot be sent as Content-Type`},
		{"no body", func(t *testing.T) sdk.ExecuteItem {
			it := testItem()
			it.Arguments = cty.EmptyObjectVal
			return it
		}, "step arguments: body: body is missing"},
		{"null arguments", func(t *testing.T) sdk.ExecuteItem { return testItem() }, "step arguments: body: body is missing"},
		{"arguments of the wrong type", func(t *testing.T) sdk.ExecuteItem {
			it := testItem()
			it.Arguments = cty.StringVal("body")
			return it
		}, "step arguments: value is not an object"},
		{"no idempotency key", func(t *testing.T) sdk.ExecuteItem {
			it := step(t, `{}`)
			it.IdempotencyKey = ""
			return it
		}, "the step has no idempotency key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, seen := receiver(t, answer(200, ""), nil)
			res := executeOne(t, a, tt.item(t))
			if sdk.KindOf(res.Err) != sdk.KindPermanent || !strings.Contains(res.Err.Error(), tt.want) {
				t.Errorf("error = %v, want a permanent error containing %q", res.Err, tt.want)
			}
			if len(seen) != 0 {
				t.Error("the request was sent anyway")
			}
		})
	}
}

// TestExecuteStatus checks how answers reach a step's result. The full
// classification is vendorhttp's (its TestClassify); these rows check the
// action's use of it: each kind and its retry-after arrive, the message
// names the request without the URL's query, and a redirect says what to fix.
func TestExecuteStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		kind       sdk.ErrorKind // KindUnspecified: success
		retryAfter time.Duration
		msg        string
	}{
		{name: "200", status: 200, body: "ok"},
		{name: "400", status: 400, body: `{"error": "bad customer"}`, kind: sdk.KindPermanent, msg: `POST http://127.0.0.1`},
		{name: "403", status: 403, body: "forbidden", kind: sdk.KindPermanent, msg: "/notify: the receiver answered 403 Forbidden: forbidden"},
		{name: "408", status: 408, kind: sdk.KindRetryable, msg: "408 Request Timeout"},
		{name: "504", status: 504, kind: sdk.KindRetryable, msg: "504 Gateway Timeout"},
		{name: "429 seconds", status: 429, header: map[string]string{"Retry-After": "3"}, kind: sdk.KindRateLimited, retryAfter: 3 * time.Second},
		{name: "429 bad header", status: 429, header: map[string]string{"Retry-After": "later"}, kind: sdk.KindRateLimited, msg: "no usable Retry-After header"},
		{name: "301", status: 301, header: map[string]string{"Location": "https://crm.example.com/v2?token=x"}, kind: sdk.KindPermanent, msg: `set url to the final address "https://crm.example.com/v2"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, _ := receiver(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}, nil)
			res := executeOne(t, a, step(t, `{}`))
			if tt.kind == sdk.KindUnspecified {
				if res.Err != nil {
					t.Fatalf("Execute: %v", res.Err)
				}
				if got := res.Outputs.GetAttr("status"); !got.RawEquals(cty.NumberIntVal(int64(tt.status))) {
					t.Errorf("status output = %#v, want %d", got, tt.status)
				}
				return
			}
			if got := sdk.KindOf(res.Err); got != tt.kind {
				t.Fatalf("error = %v (kind %s), want kind %s", res.Err, got, tt.kind)
			}
			if got := sdk.RetryAfter(res.Err); got != tt.retryAfter {
				t.Errorf("retry after = %s, want %s", got, tt.retryAfter)
			}
			if msg := res.Err.Error(); !strings.Contains(msg, tt.msg) || strings.Contains(msg, "t0p") || strings.Contains(msg, "token=x") {
				t.Errorf("error = %q, want it to contain %q and no URL query", msg, tt.msg)
			}
		})
	}
}

func TestExecuteTransportErrors(t *testing.T) {
	t.Parallel()
	t.Run("receiver down", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		a := configured(t, map[string]cty.Value{"url": cty.StringVal(url + "/notify?token=t0p")})
		res := executeOne(t, a, step(t, `{}`))
		if sdk.KindOf(res.Err) != sdk.KindRetryable || !strings.Contains(res.Err.Error(), "POST "+url+"/notify: ") || strings.Contains(res.Err.Error(), "t0p") {
			t.Errorf("error = %v, want a retryable error naming POST %s/notify without the query", res.Err, url)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		a, _ := receiver(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			map[string]cty.Value{"timeout": cty.StringVal("50ms")})
		res := executeOne(t, a, step(t, `{}`))
		if sdk.KindOf(res.Err) != sdk.KindRetryable || !strings.Contains(res.Err.Error(), "no answer within 50ms") {
			t.Errorf("error = %v, want a retryable timeout", res.Err)
		}
	})
	t.Run("host cancels", func(t *testing.T) {
		t.Parallel()
		a, _ := receiver(t, answer(200, ""), nil)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		res, err := a.Execute(ctx, []sdk.ExecuteItem{step(t, `{}`)})
		if err != nil || sdk.KindOf(res[0].Err) != sdk.KindRetryable || !strings.Contains(res[0].Err.Error(), "stopped by Switchboard") {
			t.Errorf("Execute with a canceled context = %+v, %v; want a retryable item error", res, err)
		}
	})
}

func TestExecuteBatchKeepsGoing(t *testing.T) {
	t.Parallel()
	a, seen := receiver(t, answer(200, "ok"), nil)
	first, bad, last := step(t, `{"n": 1}`), step(t, `{{.Nope}}`), step(t, `{"n": 3}`)
	last.IdempotencyKey = "step-3"
	res, err := a.Execute(t.Context(), []sdk.ExecuteItem{first, bad, last})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || sdk.KindOf(res[1].Err) != sdk.KindPermanent || res[2].Err != nil {
		t.Errorf("results = %+v, want the middle one failed permanently and the others done", res)
	}
	if n := len(seen); n != 2 {
		t.Errorf("receiver got %d requests, want 2", n)
	}
}

func TestSchema(t *testing.T) {
	t.Parallel()
	s, err := newAction().Schema(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if !s.Outputs.Equals(outputsType) {
		t.Errorf("outputs = %s", s.Outputs.FriendlyName())
	}
}

func TestConfigure(t *testing.T) {
	t.Parallel()
	str := cty.StringVal
	url := str("https://crm.example.com/hook")
	tests := []struct {
		name  string
		attrs map[string]cty.Value
		path  cty.Path
		msg   string
	}{
		{"missing url", map[string]cty.Value{"method": str("POST")}, cty.GetAttrPath("url"), `Set url to the address to notify`},
		{"relative url", map[string]cty.Value{"url": str("crm.example.com/hook")}, cty.GetAttrPath("url"), `"crm.example.com/hook" must start with http:// or https://`},
		{"url without host", map[string]cty.Value{"url": str("http://")}, cty.GetAttrPath("url"), "has no host"},
		{"GET", map[string]cty.Value{"url": url, "method": str("GET")}, cty.GetAttrPath("method"), `"GET" cannot carry the body this action sends; use POST, PUT or PATCH`},
		{"bad timeout", map[string]cty.Value{"url": url, "timeout": str("5 minutes")}, cty.GetAttrPath("timeout"), `"5 minutes" cannot be read as a duration`},
		{"timeout too long", map[string]cty.Value{"url": url, "timeout": str("1m")}, cty.GetAttrPath("timeout"), "1m0s is too long for the 1m0s Switchboard gives a step call"},
		{"negative timeout", map[string]cty.Value{"url": url, "timeout": str("-5s")}, cty.GetAttrPath("timeout"), "timeout must be positive"},
		{"empty secret", map[string]cty.Value{"url": url, "secret": str("")}, cty.GetAttrPath("secret"), "secret is empty"},
		{"reserved header", map[string]cty.Value{"url": url, "headers": cty.MapVal(map[string]cty.Value{"content-type": str("text/plain")})}, cty.GetAttrPath("headers").Index(str("content-type")), "content_type argument"},
		{"bad header name", map[string]cty.Value{"url": url, "headers": cty.MapVal(map[string]cty.Value{"X:Y": str("1")})}, cty.GetAttrPath("headers").Index(str("X:Y")), "header name is not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Called directly, without the schema's coercion, so that the
			// action's own checks are what is tested.
			diags, err := newAction().Configure(t.Context(), sdk.ConfigureRequest{Config: cty.ObjectVal(tt.attrs)})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range diags {
				if d.Severity == sdk.SeverityError && d.Attribute.Equals(tt.path) && strings.Contains(d.Summary+": "+d.Detail, tt.msg) {
					return
				}
			}
			t.Errorf("diagnostics = %v; want an error at %s containing %q", diags.Err(), sdk.PathString(tt.path), tt.msg)
		})
	}
}

func TestConfigureDefaults(t *testing.T) {
	t.Parallel()
	a := configured(t, map[string]cty.Value{"url": cty.StringVal("https://crm.example.com/hook")})
	cfg := a.cfg.Load()
	if cfg.method != "POST" || cfg.client.Timeout != defaultTimeout || cfg.secret != nil {
		t.Errorf("defaults: method %s, timeout %s, secret %q", cfg.method, cfg.client.Timeout, cfg.secret)
	}
}

func TestConfigureLongestTimeout(t *testing.T) {
	t.Parallel()
	a := configured(t, map[string]cty.Value{"url": cty.StringVal("https://crm.example.com/hook"), "timeout": cty.StringVal("50s")})
	if got := a.cfg.Load().timeout; got != maxTimeout {
		t.Errorf("timeout = %s, want %s", got, maxTimeout)
	}
}

func TestNotConfigured(t *testing.T) {
	t.Parallel()
	if _, err := newAction().Execute(t.Context(), []sdk.ExecuteItem{testItem()}); !errors.Is(err, errNotConfigured) || sdk.KindOf(err) != sdk.KindPermanent {
		t.Errorf("Execute before Configure = %v, want permanent %v", err, errNotConfigured)
	}
}
