package sdk

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/switchboard-hub/switchboard/sdk/internal/wire"
)

// wireAction is a wire.ActionClient that hands requests to an actionServer
// through protobuf encoding, as gRPC would, but without a transport: it
// measures what the SDK itself costs on both sides of the hop.
type wireAction struct {
	wire.ActionClient
	srv *actionServer
}

func (w wireAction) Execute(ctx context.Context, in *wire.ExecuteRequest, _ ...grpc.CallOption) (*wire.ExecuteResponse, error) {
	req := new(wire.ExecuteRequest)
	if err := roundTripProto(in, req); err != nil {
		return nil, err
	}
	res, err := w.srv.Execute(ctx, req)
	if err != nil {
		return nil, err
	}
	out := new(wire.ExecuteResponse)
	return out, roundTripProto(res, out)
}

func roundTripProto(in, out proto.Message) error {
	b, err := proto.Marshal(in)
	if err != nil {
		return err
	}
	return proto.Unmarshal(b, out)
}

// lengthAction returns the length of each item's text argument, like the
// plugin host's test action.
type lengthAction struct{ Action }

func (lengthAction) Execute(_ context.Context, items []ExecuteItem) ([]ExecuteResult, error) {
	out := make([]ExecuteResult, len(items))
	for i, it := range items {
		text, ok := ReadAttrs(it.Arguments).String("text")
		if !ok {
			out[i].Err = Permanent(fmt.Errorf("item %d: no text", i))
			continue
		}
		out[i].Outputs = cty.ObjectVal(map[string]cty.Value{"length": cty.NumberIntVal(int64(len(text)))})
	}
	return out, nil
}

// BenchmarkExecuteWire is the SDK's share of BenchmarkBatch/execute in
// core/pluginhost: the same batch of 100 items with a 600-byte argument.
func BenchmarkExecuteWire(b *testing.B) {
	ctx := context.Background()
	c := &actionClient{rpc: wireAction{srv: &actionServer{impl: lengthAction{}}}}
	items := make([]ExecuteItem, 100)
	for i := range items {
		items[i] = ExecuteItem{IdempotencyKey: fmt.Sprintf("key-%d", i),
			Arguments: cty.ObjectVal(map[string]cty.Value{"text": cty.StringVal(strings.Repeat("x", 600))})}
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.Execute(ctx, items)
		if err != nil {
			b.Fatal(err)
		}
		if res[0].Err != nil {
			b.Fatal(res[0].Err)
		}
	}
	b.ReportMetric(float64(b.N*len(items))/b.Elapsed().Seconds(), "msgs/s")
}

// recordingAction keeps the items it was given and answers each with the
// outputs and error the test asked for.
type recordingAction struct {
	Action
	got     []ExecuteItem
	answers []ExecuteResult
}

func (a *recordingAction) Execute(_ context.Context, items []ExecuteItem) ([]ExecuteResult, error) {
	a.got = items
	return a.answers, nil
}

func TestExecuteCarriesItemsAndResults(t *testing.T) {
	msg := Message{ID: "01J", Channel: "chat", Direction: Inbound, Sender: Party{ID: "b1"}, Text: "hello",
		SentAt: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), Headers: map[string]string{"k": "v"}}
	items := []ExecuteItem{
		{IdempotencyKey: "plain", Arguments: cty.ObjectVal(map[string]cty.Value{"text": cty.StringVal("a")})},
		{IdempotencyKey: "with message", Message: msg, Thread: ThreadContext{ID: "t1", Tags: []string{"vip"}},
			Contact:   Contact{ID: "c1", Attributes: map[string]string{"tier": "gold"}},
			Arguments: cty.ObjectVal(map[string]cty.Value{"text": cty.NullVal(cty.String)})},
		{IdempotencyKey: "unknown", Arguments: cty.ObjectVal(map[string]cty.Value{"text": cty.UnknownVal(cty.String)})},
		{IdempotencyKey: "sensitive", Arguments: cty.ObjectVal(map[string]cty.Value{"text": cty.StringVal("s").Mark(Sensitive)})},
		{IdempotencyKey: "other type", Arguments: cty.ObjectVal(map[string]cty.Value{
			"list": cty.ListVal([]cty.Value{cty.MapVal(map[string]cty.Value{"k": cty.NumberIntVal(-1)})})})},
		{IdempotencyKey: "no arguments"},
	}
	answers := []ExecuteResult{
		{Outputs: cty.ObjectVal(map[string]cty.Value{"length": cty.NumberIntVal(1)})},
		{Outputs: cty.ObjectVal(map[string]cty.Value{"length": cty.NullVal(cty.Number)})},
		{Err: Retryable(fmt.Errorf("not yet"))},
		{Outputs: cty.ObjectVal(map[string]cty.Value{"token": cty.StringVal("t").Mark(Sensitive)})},
		{Outputs: cty.DynamicVal},
		{},
	}
	impl := &recordingAction{answers: answers}
	c := &actionClient{rpc: wireAction{srv: &actionServer{impl: impl}}}
	res, err := c.Execute(context.Background(), items)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range items {
		got := impl.got[i]
		if got.IdempotencyKey != want.IdempotencyKey || !reflect.DeepEqual(got.Message, want.Message) ||
			!reflect.DeepEqual(got.Thread, want.Thread) || !reflect.DeepEqual(got.Contact, want.Contact) {
			t.Errorf("item %d arrived as %+v, sent %+v", i, got, want)
		}
		if !got.Arguments.RawEquals(want.Arguments) {
			t.Errorf("item %d: arguments arrived as %#v, sent %#v", i, got.Arguments, want.Arguments)
		}
	}
	for i, want := range answers {
		wantOut := want.Outputs
		if wantOut == cty.NilVal {
			wantOut = cty.NullVal(cty.DynamicPseudoType)
		}
		if !res[i].Outputs.RawEquals(wantOut) {
			t.Errorf("result %d: outputs came back as %#v, sent %#v", i, res[i].Outputs, wantOut)
		}
		if (res[i].Err == nil) != (want.Err == nil) || (want.Err != nil && KindOf(res[i].Err) != KindOf(want.Err)) {
			t.Errorf("result %d: error came back as %v, sent %v", i, res[i].Err, want.Err)
		}
	}
}

// Execute leaves a zero message, thread or contact out of the request; the
// zero checks must see every field, or a field set alone would be lost.
func TestZeroChecksSeeEveryField(t *testing.T) {
	var (
		m  Message
		th ThreadContext
		c  Contact
	)
	checks := []struct {
		value  any // pointer to the value isZero looks at
		isZero func() bool
	}{
		{&m, func() bool { return messageIsZero(&m) }},
		{&th, func() bool { return threadIsZero(&th) }},
		{&c, func() bool { return contactIsZero(&c) }},
	}
	for _, ch := range checks {
		v := reflect.ValueOf(ch.value).Elem()
		if !ch.isZero() {
			t.Errorf("the zero %s is not zero", v.Type().Name())
		}
		for i := range v.NumField() {
			f := v.Field(i)
			setNonZero(t, f)
			if ch.isZero() {
				t.Errorf("%s with only %s set counts as zero: add the field to the zero check",
					v.Type().Name(), v.Type().Field(i).Name)
			}
			f.SetZero()
		}
	}
}

func setNonZero(t *testing.T, f reflect.Value) {
	switch f.Kind() {
	case reflect.String:
		f.SetString("x")
	case reflect.Bool:
		f.SetBool(true)
	case reflect.Int, reflect.Int64:
		f.SetInt(1)
	case reflect.Slice:
		f.Set(reflect.MakeSlice(f.Type(), 1, 1))
	case reflect.Map:
		m := reflect.MakeMap(f.Type())
		m.SetMapIndex(reflect.New(f.Type().Key()).Elem(), reflect.New(f.Type().Elem()).Elem())
		f.Set(m)
	case reflect.Struct:
		if f.Type() == reflect.TypeFor[time.Time]() {
			f.Set(reflect.ValueOf(time.Unix(1, 0)))
			return
		}
		setNonZero(t, f.Field(0))
	default:
		t.Fatalf("setNonZero: no non-zero %s; extend the test", f.Type())
	}
}
