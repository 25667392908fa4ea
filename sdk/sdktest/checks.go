package sdktest

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboard-hub/switchboard/sdk"
)

type configureFunc func(context.Context, sdk.ConfigureRequest) (sdk.Diagnostics, error)

// secretish names attributes that hold secrets and so must be sensitive.
var secretish = []string{"secret", "password", "token", "api_key", "private_key"}

func checkSchema(t *testing.T, s *sdk.Schema, kind sdk.Kind) {
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.Kind != kind {
		t.Errorf("schema kind = %s, want %s", s.Kind, kind)
	}
	checkSecrets(t, &s.Config, "config")
	checkSecrets(t, &s.Arguments, "arguments")
	// The schema must survive the lock file's encoding unchanged.
	b, err := sdk.MarshalSchemaJSON(s)
	if err != nil {
		t.Fatalf("schema cannot be encoded for the lock file: %v", err)
	}
	back, err := sdk.UnmarshalSchemaJSON(b)
	if err != nil {
		t.Fatalf("schema's lock file encoding cannot be read back: %v", err)
	}
	if b2, _ := sdk.MarshalSchemaJSON(back); string(b2) != string(b) {
		t.Errorf("schema changes through the lock file's encoding:\n%s\nvs\n%s", b, b2)
	}
}

func checkSecrets(t *testing.T, b *sdk.Block, where string) {
	for _, a := range b.Attributes {
		for _, w := range secretish {
			if strings.Contains(a.Name, w) && !a.Sensitive {
				t.Errorf("%s.%s looks like a secret but is not Sensitive; mark it so the host never logs it", where, a.Name)
			}
		}
	}
	for _, nb := range b.Blocks {
		checkSecrets(t, &nb.Block, where+"."+nb.TypeName)
	}
}

// checkRejected expects Configure to reject bc with an error diagnostic at
// bc.Attribute. A configuration the schema itself refuses counts as rejected:
// the host never passes it to the plugin.
func checkRejected(t *testing.T, call configureFunc, b *sdk.Block, bc BadConfig) {
	t.Helper()
	v, err := b.Coerce(bc.Config)
	if err != nil {
		t.Logf("the schema already rejects it: %v", err)
		return
	}
	diags, err := call(ctx(t), sdk.ConfigureRequest{Instance: "conformance", Config: v, State: newMemState()})
	if err != nil {
		t.Fatalf("Configure returned an error instead of diagnostics: %v", err)
	}
	if !diags.HasErrors() {
		t.Fatal("Configure accepted it; want an error diagnostic")
	}
	if bc.Attribute == nil {
		return
	}
	for _, d := range diags {
		if d.Severity == sdk.SeverityError && d.Attribute.Equals(bc.Attribute) {
			return
		}
	}
	t.Errorf("no error diagnostic points at %s (the host maps it to the user's file:line); got %v", sdk.PathString(bc.Attribute), diags.Err())
}

// failKind arms the fake's failure of its next call with the first kind it
// supports.
func failKind(failNext func(sdk.ErrorKind) bool) (sdk.ErrorKind, bool) {
	for _, kind := range []sdk.ErrorKind{sdk.KindPermanent, sdk.KindRetryable, sdk.KindRateLimited} {
		if failNext(kind) {
			return kind, true
		}
	}
	return sdk.KindUnspecified, false
}

// sentByKey indexes what a fake received by idempotency key, keeping the
// first call with each key.
func sentByKey(sent []Sent) map[string]Sent {
	m := make(map[string]Sent, len(sent))
	for _, x := range sent {
		if _, ok := m[x.IdempotencyKey]; !ok {
			m[x.IdempotencyKey] = x
		}
	}
	return m
}

// checkFailedItem checks a batch in which the fake failed one call: an item
// the fake received must succeed, and an item it did not receive (the one it
// failed, and any the plugin then gave up on) must fail. Telling the items
// apart by what the fake received, rather than by position, keeps the check
// right for a plugin that calls the vendor concurrently. It checks nothing
// when it cannot tell: the fake received every item, because the plugin
// retried or the fixture also records the calls it failed.
func checkFailedItem(t *testing.T, kind sdk.ErrorKind, keys []string, errs []error, received map[string]Sent) {
	t.Helper()
	missing := 0
	for _, k := range keys {
		if _, ok := received[k]; !ok {
			missing++
		}
	}
	if missing == 0 {
		t.Logf("the fake received every item of a batch although it failed one call (%s); the suite cannot tell which item failed", kind)
		return
	}
	for i, k := range keys {
		_, ok := received[k]
		switch {
		case ok && errs[i] != nil:
			t.Errorf("batch with one failed call, item %d (key %s): the vendor took it, yet its result is an error: %v; return one result per item, in the items' order", i, k, errs[i])
		case !ok && errs[i] == nil:
			t.Errorf("batch with one failed call, item %d (key %s): the vendor never took it, yet its result is a success; return one result per item, in the items' order", i, k)
		}
	}
}
