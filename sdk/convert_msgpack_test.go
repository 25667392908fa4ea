package sdk

import (
	"bytes"
	"io"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/msgpack"

	"github.com/switchboard-hub/switchboard/sdk/internal/wire"
)

// layoutValues are known, unmarked values of every shape a layout handles.
var layoutValues = map[string]cty.Value{
	"empty string":  cty.StringVal(""),
	"short string":  cty.StringVal("hello"),
	"str8":          cty.StringVal(strings.Repeat("x", 200)),
	"str16":         cty.StringVal(strings.Repeat("x", 600)),
	"str32":         cty.StringVal(strings.Repeat("x", 70000)),
	"unicode":       cty.StringVal("zażółć gęślą jaźń"),
	"true":          cty.True,
	"false":         cty.False,
	"null string":   cty.NullVal(cty.String),
	"zero":          cty.Zero,
	"fixint":        cty.NumberIntVal(127),
	"uint8":         cty.NumberIntVal(200),
	"uint16":        cty.NumberIntVal(600),
	"uint32":        cty.NumberIntVal(70000),
	"uint64":        cty.NumberIntVal(1 << 40),
	"max int64":     cty.NumberIntVal(math.MaxInt64),
	"negative fix":  cty.NumberIntVal(-32),
	"int8":          cty.NumberIntVal(-33),
	"int16":         cty.NumberIntVal(-300),
	"int32":         cty.NumberIntVal(-70000),
	"int64":         cty.NumberIntVal(math.MinInt64),
	"float":         cty.NumberFloatVal(1.5),
	"huge":          cty.NumberVal(new(big.Float).SetMantExp(big.NewFloat(1), 100)),
	"precise":       cty.MustParseNumberVal("0.1"),
	"+infinity":     cty.PositiveInfinity,
	"-infinity":     cty.NegativeInfinity,
	"empty list":    cty.ListValEmpty(cty.String),
	"list":          cty.ListVal([]cty.Value{cty.StringVal("a"), cty.NullVal(cty.String), cty.StringVal("c")}),
	"long list":     cty.ListVal(manyStrings(20)),
	"set":           cty.SetVal([]cty.Value{cty.NumberIntVal(3), cty.NumberIntVal(1), cty.NumberIntVal(2)}),
	"empty set":     cty.SetValEmpty(cty.Bool),
	"map":           cty.MapVal(map[string]cty.Value{"b": cty.StringVal("2"), "a": cty.StringVal("1")}),
	"empty map":     cty.MapValEmpty(cty.Number),
	"tuple":         cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.NumberIntVal(1), cty.True}),
	"empty tuple":   cty.EmptyTupleVal,
	"empty object":  cty.EmptyObjectVal,
	"null object":   cty.NullVal(cty.Object(map[string]cty.Type{"a": cty.String})),
	"null list":     cty.NullVal(cty.List(cty.Number)),
	"wide object":   cty.ObjectVal(manyAttrs(20)),
	"map of 20":     cty.MapVal(manyAttrs(20)),
	"list of lists": cty.ListVal([]cty.Value{cty.ListVal([]cty.Value{cty.Zero}), cty.ListValEmpty(cty.Number)}),
	"arguments": cty.ObjectVal(map[string]cty.Value{
		"url":     cty.StringVal("https://example.com/hook"),
		"retries": cty.NumberIntVal(3),
		"headers": cty.MapVal(map[string]cty.Value{"X-Key": cty.StringVal("k")}),
		"tags":    cty.SetVal([]cty.Value{cty.StringVal("vip")}),
		"body":    cty.NullVal(cty.String),
		"nested": cty.ObjectVal(map[string]cty.Value{
			"pair": cty.TupleVal([]cty.Value{cty.False, cty.NumberFloatVal(-2.25)}),
			"list": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"z": cty.Zero})}),
		}),
	}),
}

func manyStrings(n int) []cty.Value {
	vs := make([]cty.Value, n)
	for i := range vs {
		vs[i] = cty.StringVal(strings.Repeat("s", i))
	}
	return vs
}

func manyAttrs(n int) map[string]cty.Value {
	m := make(map[string]cty.Value, n)
	for i, v := range manyStrings(n) {
		m[string(rune('a'+i))] = v
	}
	return m
}

// The layout must write exactly what cty writes and read it back as cty
// does, so that either side of the hop may use either implementation.
func TestLayoutMatchesCtyMsgpack(t *testing.T) {
	for name, v := range layoutValues {
		t.Run(name, func(t *testing.T) {
			ty := v.Type()
			l := newLayout(ty)
			if l == nil {
				t.Fatalf("no layout for %s", ty.GoString())
			}
			want, err := msgpack.Marshal(v, ty)
			if err != nil {
				t.Fatal(err)
			}
			buf := bytes.NewBufferString("prefix")
			if err := l.writeValue(newEncoder(buf), v); err != nil {
				t.Fatalf("layout refused a known, unmarked value: %v", err)
			}
			if got := buf.Bytes()[len("prefix"):]; !bytes.Equal(got, want) {
				t.Fatalf("encoding differs from cty's:\n got %x\nwant %x", got, want)
			}
			back, rest, err := l.readValue(want)
			if err != nil || len(rest) != 0 {
				t.Fatalf("layout could not read cty's encoding (%v, %d bytes left)", err, len(rest))
			}
			ctyBack, err := msgpack.Unmarshal(want, ty)
			if err != nil {
				t.Fatal(err)
			}
			if !back.RawEquals(ctyBack) {
				t.Errorf("read %#v, cty reads %#v", back, ctyBack)
			}
			w, err := valueToWire(v)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := valueFromWire(w); err != nil || !got.RawEquals(ctyBack) {
				t.Errorf("through the wire: got %#v (%v), cty reads %#v", got, err, ctyBack)
			}
		})
	}
}

// Values a layout leaves to cty, and encodings it does not read, must still
// come through the wire unchanged.
func TestValueFallsBackToCty(t *testing.T) {
	obj := cty.Object(map[string]cty.Type{"a": cty.String, "b": cty.Number})
	encoded := map[string]struct {
		ty cty.Type
		mp []byte
	}{
		// Attributes out of cty's order, as another encoder may write them.
		"unsorted attributes": {obj, []byte{0x82, 0xa1, 'b', 0x01, 0xa1, 'a', 0xa1, 'x'}},
		// A string as msgpack bin, which cty's decoder also accepts.
		"bin string": {cty.String, []byte{0xc4, 0x02, 'h', 'i'}},
		// An unknown value inside a known object.
		"nested unknown": {obj, []byte{0x82, 0xa1, 'a', 0xd4, 0x00, 0x00, 0xa1, 'b', 0x01}},
		// Bytes after the value, which cty ignores.
		"trailing bytes": {cty.Bool, []byte{0xc3, 0xc0}},
		// An empty map for an object with attributes, which cty accepts.
		"empty object": {obj, []byte{0x80}},
	}
	for name, c := range encoded {
		t.Run(name, func(t *testing.T) {
			if _, rest, err := newLayout(c.ty).readValue(c.mp); err == nil && len(rest) == 0 {
				t.Fatal("the layout reads this itself, so the case does not test the fallback")
			}
			want, err := msgpack.Unmarshal(c.mp, c.ty)
			if err != nil {
				t.Fatal(err)
			}
			tj, err := typeToWire(c.ty)
			if err != nil {
				t.Fatal(err)
			}
			got, err := valueFromWire(&wire.Value{Type: tj, Msgpack: c.mp})
			if err != nil {
				t.Fatal(err)
			}
			if !got.RawEquals(want) {
				t.Errorf("got %#v, cty reads %#v", got, want)
			}
		})
	}

	values := map[string]cty.Value{
		"unknown":          cty.UnknownVal(cty.String),
		"refined unknown":  cty.UnknownVal(cty.String).Refine().NotNull().StringPrefix("ab").NewValue(),
		"unknown in list":  cty.ListVal([]cty.Value{cty.StringVal("a"), cty.UnknownVal(cty.String)}),
		"dynamic null":     cty.NullVal(cty.DynamicPseudoType),
		"dynamic unknown":  cty.DynamicVal,
		"list of dynamic":  cty.ListValEmpty(cty.DynamicPseudoType),
		"marked in a set":  cty.SetVal([]cty.Value{cty.StringVal("a").Mark(Sensitive), cty.StringVal("b")}),
		"marked map value": cty.MapVal(map[string]cty.Value{"k": cty.StringVal("v").Mark(Sensitive)}),
		"marked and unknown": cty.ObjectVal(map[string]cty.Value{
			"token": cty.StringVal("s3cr3t").Mark(Sensitive),
			"later": cty.UnknownVal(cty.Number),
			"tuple": cty.TupleVal([]cty.Value{cty.NullVal(cty.String).Mark(Sensitive), cty.True}),
		}),
		"marked whole": cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("x")}).Mark(Sensitive),
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			if l := newLayout(v.Type()); l != nil {
				if err := l.writeValue(newEncoder(io.Discard), v); err == nil {
					t.Fatal("the layout writes this itself, so the case does not test the fallback")
				}
			}
			w, err := valueToWire(v)
			if err != nil {
				t.Fatal(err)
			}
			got, err := valueFromWire(w)
			if err != nil {
				t.Fatal(err)
			}
			if !got.RawEquals(v) {
				t.Errorf("round trip: got %#v, want %#v", got, v)
			}
		})
	}
}

// Input that is not a value of the type must fail as cty fails, never panic.
func TestValueRejectsBadEncodings(t *testing.T) {
	textObj := cty.Object(map[string]cty.Type{"a": cty.String})
	numberObj := cty.Object(map[string]cty.Type{"n": cty.Number})
	tests := map[string]struct {
		ty cty.Type
		mp []byte
	}{
		"empty":            {cty.String, nil},
		"truncated string": {cty.String, []byte{0xa5, 'a', 'b'}},
		"truncated str16":  {cty.String, []byte{0xda, 0x01}},
		"truncated int":    {cty.Number, []byte{0xd2, 0x00}},
		"wrong type":       {cty.Bool, []byte{0xa1, 'x'}},
		"unknown attr":     {textObj, []byte{0x81, 0xa1, 'b', 0xa1, 'x'}},
		"huge list":        {cty.List(cty.String), []byte{0xdd, 0xff, 0xff, 0xff, 0xff}},
		"huge map":         {cty.Map(cty.String), []byte{0xdf, 0xff, 0xff, 0xff, 0xff}},
		"missing element":  {cty.List(cty.String), []byte{0x92, 0xa1, 'x'}},
		"bad number text":  {cty.Number, []byte{0xa1, 'x'}},
		"short tuple":      {cty.Tuple([]cty.Type{cty.String, cty.String}), []byte{0x91, 0xa1, 'x'}},
		"NaN":              {cty.Number, []byte{0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1}},
		"NaN in an object": {numberObj, []byte{0x81, 0xa1, 'n', 0xca, 0x7f, 0xc0, 0, 0}},
		// cty's own decoder panics on this one; it must be an error.
		"NaN of dynamic type": {cty.DynamicPseudoType, []byte{0x92, 0xc4, 0x08, '"', 'n', 'u', 'm', 'b', 'e', 'r', '"', 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1}},
	}
	for name, c := range tests {
		t.Run(name, func(t *testing.T) {
			tj, err := typeToWire(c.ty)
			if err != nil {
				t.Fatal(err)
			}
			if v, err := valueFromWire(&wire.Value{Type: tj, Msgpack: c.mp}); err == nil {
				t.Errorf("decoded %#v from bad input", v)
			}
		})
	}
}

// The values of a batch share one buffer; encoding a value must not touch
// the ones before it.
func TestBatchEncoderKeepsEarlierValues(t *testing.T) {
	values := []cty.Value{
		cty.ObjectVal(map[string]cty.Value{"text": cty.StringVal("one")}),
		cty.ObjectVal(map[string]cty.Value{"text": cty.StringVal(strings.Repeat("long ", 100))}),
		cty.StringVal("another type"),
		cty.ObjectVal(map[string]cty.Value{"text": cty.StringVal("x").Mark(Sensitive)}),
		cty.NilVal,
		cty.ObjectVal(map[string]cty.Value{"text": cty.NullVal(cty.String)}),
	}
	enc := batchEncoder(len(values))
	var ws []*wire.Value
	for _, v := range values {
		w, err := enc.encode(v)
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	for i, w := range ws {
		got, err := valueFromWire(w)
		if err != nil {
			t.Fatal(err)
		}
		if !got.RawEquals(values[i]) {
			t.Errorf("value %d: got %#v, want %#v", i, got, values[i])
		}
	}
}

// FuzzLayoutRead checks that whatever the layout reads, cty reads the same.
func FuzzLayoutRead(f *testing.F) {
	types := []cty.Type{
		cty.String, cty.Number, cty.Bool, cty.List(cty.String), cty.Set(cty.Number), cty.Map(cty.Bool),
		cty.Tuple([]cty.Type{cty.String, cty.Number}),
		cty.Object(map[string]cty.Type{"a": cty.String, "b": cty.List(cty.Number)}),
	}
	for _, v := range layoutValues {
		if mp, err := msgpack.Marshal(v, v.Type()); err == nil {
			f.Add(mp)
		}
	}
	f.Fuzz(func(t *testing.T, mp []byte) {
		for _, ty := range types {
			got, rest, err := newLayout(ty).readValue(mp)
			if err != nil {
				continue
			}
			want, err := msgpack.Unmarshal(mp, ty)
			if err != nil {
				t.Fatalf("%s: layout read %#v from %x, cty fails: %v", ty.GoString(), got, mp, err)
			}
			if len(rest) == 0 && !got.RawEquals(want) {
				t.Fatalf("%s: layout read %#v from %x, cty reads %#v", ty.GoString(), got, mp, want)
			}
		}
	})
}

// The encoder trusts matches to tell when a value's type differs from the
// one before; it must agree with cty's Equals on every pair.
func TestLayoutMatchesAgreesWithEquals(t *testing.T) {
	obj := func(m map[string]cty.Type) cty.Type { return cty.Object(m) }
	types := []cty.Type{
		cty.String, cty.Number, cty.Bool,
		cty.List(cty.String), cty.List(cty.Number), cty.Set(cty.String), cty.Map(cty.String),
		cty.List(cty.List(cty.String)), cty.Map(cty.List(cty.String)),
		cty.EmptyTuple, cty.Tuple([]cty.Type{cty.String}), cty.Tuple([]cty.Type{cty.Number}),
		cty.Tuple([]cty.Type{cty.String, cty.Number}),
		cty.EmptyObject,
		obj(map[string]cty.Type{"a": cty.String}),
		obj(map[string]cty.Type{"b": cty.String}),
		obj(map[string]cty.Type{"a": cty.Number}),
		obj(map[string]cty.Type{"a": cty.String, "b": cty.String}),
		obj(map[string]cty.Type{"a": obj(map[string]cty.Type{"x": cty.Bool})}),
		obj(map[string]cty.Type{"a": obj(map[string]cty.Type{"x": cty.String})}),
		cty.ObjectWithOptionalAttrs(map[string]cty.Type{"a": cty.String, "b": cty.String}, []string{"b"}),
		cty.ObjectWithOptionalAttrs(map[string]cty.Type{"a": cty.String, "b": cty.String}, []string{"a"}),
		cty.List(cty.DynamicPseudoType), cty.DynamicPseudoType,
	}
	for _, a := range types {
		l := newLayout(a)
		if l == nil {
			continue
		}
		for _, b := range types {
			if got, want := l.matches(b), a.Equals(b); got != want {
				t.Errorf("layout of %s matches %s: %v, Equals says %v", a.GoString(), b.GoString(), got, want)
			}
		}
	}
}
