package vendorhttp_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/switchboard-hub/switchboard/sdk"
	"github.com/switchboard-hub/switchboard/sdk/vendorhttp"
)

func TestExtraHeaders(t *testing.T) {
	t.Parallel()
	reserved := func(h string) string {
		if h == "Content-Type" || h == "X-Signature" {
			return h + " is set on every request by the connector; remove it from headers."
		}
		return ""
	}
	headers := func(kv ...string) cty.Value {
		m := map[string]cty.Value{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = cty.StringVal(kv[i+1])
		}
		return cty.ObjectVal(map[string]cty.Value{"headers": cty.MapVal(m)})
	}
	at := func(key string) cty.Path { return cty.GetAttrPath("headers").Index(cty.StringVal(key)) }
	tests := []struct {
		name string
		v    cty.Value
		want map[string]string
		path cty.Path // of the one error; nil for none
		msg  string
	}{
		{"absent", cty.EmptyObjectVal, nil, nil, ""},
		{"valid", headers("Authorization", "Bearer abc", "x-shop", "pl"), map[string]string{"Authorization": "Bearer abc", "x-shop": "pl"}, nil, ""},
		{"space in name", headers("X Shop", "1", "A", "b"), map[string]string{"A": "b"}, at("X Shop"), `header name is not valid: "X Shop" has characters`},
		{"colon in name", headers("X:Y", "1"), map[string]string{}, at("X:Y"), "header name is not valid"},
		{"non-ASCII name", headers("X-Żółw", "1"), map[string]string{}, at("X-Żółw"), "header name is not valid"},
		{"reserved in other case", headers("content-type", "text/plain"), map[string]string{}, at("content-type"),
			"header is set by the plugin: Content-Type is set on every request by the connector"},
		{"reserved signature", headers("x-signature", "forged"), map[string]string{}, at("x-signature"), "X-Signature is set on every request"},
		{"line break", headers("X-Shop", "a\r\nEvil: 1"), map[string]string{}, at("X-Shop"), "header value has a line break"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := sdk.ReadAttrs(tt.v)
			got := vendorhttp.ExtraHeaders(r, "headers", reserved)
			if !cmp.Equal(got, tt.want) {
				t.Errorf("headers = %v, want %v", got, tt.want)
			}
			diags := r.Diagnostics()
			switch {
			case tt.path == nil && len(diags) > 0:
				t.Errorf("diagnostics = %v", diags.Err())
			case tt.path != nil && (len(diags) != 1 || !diags[0].Attribute.Equals(tt.path) || !strings.Contains(diags[0].Summary+": "+diags[0].Detail, tt.msg)):
				t.Errorf("diagnostics = %v; want one error at %s containing %q", diags.Err(), sdk.PathString(tt.path), tt.msg)
			}
		})
	}
}

func TestValidHeaderName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"Authorization": true, "X-Shop-Id": true, "x_custom.v2": true, "!#$%&'*+-.^_`|~": true,
		"": false, "X Shop": false, "X:Y": false, "X-Sig:": false, "(x)": false, "A\tB": false, "Ä": false, "X\x7f": false,
	} {
		if got := vendorhttp.ValidHeaderName(name); got != want {
			t.Errorf("ValidHeaderName(%q) = %t, want %t", name, got, want)
		}
	}
}

func TestNewClientHandsRedirectsBack(t *testing.T) {
	t.Parallel()
	srv := answering(t, http.StatusFound, map[string]string{"Location": "/elsewhere"}, "")
	resp, err := vendorhttp.NewClient(0).Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("status = %d, want the redirect itself", resp.StatusCode)
	}
}

// TestNewClientKeepsConnectionsForConcurrentSends sends two waves of
// concurrent requests; the second must reuse the first's connections
// (net/http's default transport keeps only two idle per host).
func TestNewClientKeepsConnectionsForConcurrentSends(t *testing.T) {
	const n = 16
	var (
		mu      sync.Mutex
		opened  int
		arrived sync.WaitGroup
	)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Done()
		arrived.Wait() // every request of the wave is in flight at once
		fmt.Fprint(w, "{}")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			opened++
			mu.Unlock()
		}
	}
	srv.Start()
	defer srv.Close()
	client := vendorhttp.NewClient(10 * time.Second)
	wave := func() {
		arrived.Add(n)
		var done sync.WaitGroup
		for range n {
			done.Add(1)
			go func() {
				defer done.Done()
				resp, err := client.Post(srv.URL, "application/json", strings.NewReader("{}"))
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}()
		}
		done.Wait()
	}
	wave()
	mu.Lock()
	first := opened
	mu.Unlock()
	wave()
	mu.Lock()
	defer mu.Unlock()
	if first != n || opened != n {
		t.Errorf("opened %d connections for the first wave of %d and %d for the second; want %d and none", first, n, opened-first, n)
	}
}
