package sdk

import (
	"bytes"
	"errors"
	"io"
	"maps"
	"math"
	"math/big"
	"slices"
	"sync"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
	"github.com/zclconf/go-cty/cty"
)

// cty's msgpack package walks a value generically and allocates an encoder,
// a reader and a path for every value; on a batched Execute that was the
// largest cost on both sides of the hop. A layout writes and reads the very
// same bytes with the same msgpack library and the same calls cty makes, but
// knows the type's shape in advance and reuses its encoder, decoder and
// buffer, for the values batches carry: known and unmarked, of types without
// dynamic parts. Whatever it does not handle (unknown values, marks, dynamic
// types, an encoding that cty's encoder would not have written) goes to
// cty's msgpack package whole, so the bytes on the wire stay cty's format
// and either implementation reads what the other wrote.

type layoutKind uint8

const (
	layoutString layoutKind = iota
	layoutNumber
	layoutBool
	layoutList
	layoutSet
	layoutMap
	layoutTuple
	layoutObject
)

// layout is the msgpack shape of one cty type, worked out once per type so
// that encoding a value does not sort attribute names again.
type layout struct {
	ty   cty.Type
	kind layoutKind
	// names are an object's attribute names in the order cty writes them
	// (sorted); elems are the layouts of those attributes, of a tuple's
	// elements, or (just one) of a collection's element type.
	names []string
	elems []*layout
}

// newLayout returns the layout of ty, or nil when values of ty always go
// through cty's msgpack package (types with dynamic or capsule parts).
func newLayout(ty cty.Type) *layout {
	l := &layout{ty: ty}
	switch {
	case ty == cty.String:
		l.kind = layoutString
	case ty == cty.Number:
		l.kind = layoutNumber
	case ty == cty.Bool:
		l.kind = layoutBool
	case ty.IsListType():
		l.kind, l.elems = layoutList, []*layout{newLayout(ty.ElementType())}
	case ty.IsSetType():
		l.kind, l.elems = layoutSet, []*layout{newLayout(ty.ElementType())}
	case ty.IsMapType():
		l.kind, l.elems = layoutMap, []*layout{newLayout(ty.ElementType())}
	case ty.IsTupleType():
		l.kind = layoutTuple
		for _, et := range ty.TupleElementTypes() {
			l.elems = append(l.elems, newLayout(et))
		}
	case ty.IsObjectType():
		l.kind = layoutObject
		atys := ty.AttributeTypes()
		l.names = slices.Sorted(maps.Keys(atys))
		for _, name := range l.names {
			l.elems = append(l.elems, newLayout(atys[name]))
		}
	default:
		return nil
	}
	if slices.Contains(l.elems, nil) {
		return nil
	}
	return l
}

// matches reports whether ty is the layout's type, as ty.Equals would, but
// without iterating over maps: the encoder asks it for every value of a
// batch, and the values' types are new objects each time.
func (l *layout) matches(ty cty.Type) bool {
	switch l.kind {
	case layoutString, layoutNumber, layoutBool:
		return ty == l.ty
	case layoutList:
		return ty.IsListType() && l.elems[0].matches(ty.ElementType())
	case layoutSet:
		return ty.IsSetType() && l.elems[0].matches(ty.ElementType())
	case layoutMap:
		return ty.IsMapType() && l.elems[0].matches(ty.ElementType())
	case layoutTuple:
		if !ty.IsTupleType() || ty.Length() != len(l.elems) {
			return false
		}
		for i, et := range ty.TupleElementTypes() {
			if !l.elems[i].matches(et) {
				return false
			}
		}
		return true
	default:
		if !ty.IsObjectType() || len(ty.AttributeTypes()) != len(l.names) {
			return false
		}
		if len(ty.OptionalAttributes()) > 0 || len(l.ty.OptionalAttributes()) > 0 {
			return ty.Equals(l.ty) // only type constraints have optional attributes
		}
		atys := ty.AttributeTypes()
		for i, name := range l.names {
			if at, ok := atys[name]; !ok || !l.elems[i].matches(at) {
				return false
			}
		}
		return true
	}
}

// errForCty says that the layout does not handle what it was given: a
// value cty's encoder must write (unknown or marked somewhere), or anything
// cty's encoder would not have written for a known value (unknown values,
// other encodings, bad input), which is left to cty's decoder.
var errForCty = errors.New("not a layout's encoding")

// errTruncated is input that counts more elements than it has bytes left.
// It is an error here rather than cty's to find: cty's decoder first makes
// room for all the elements, and a corrupt count would exhaust the memory.
var errTruncated = errors.New("msgpack data ends before the elements it counts")

// errNaN is a float that cty cannot hold; its constructor would panic.
var errNaN = errors.New("NaN is not a number")

// newEncoder returns an encoder set up as cty's Marshal sets up its own:
// compact integers, and floats always as float64.
func newEncoder(w io.Writer) *msgpack.Encoder {
	enc := msgpack.NewEncoder(w)
	enc.UseCompactInts(true)
	enc.UseCompactFloats(false)
	return enc
}

// writeValue writes v, a value of the layout's type, as cty's Marshal does.
// It returns errForCty when v is unknown or marked somewhere, which cty's
// encoder (after unmarking) must handle; the caller then discards what it
// wrote so far.
func (l *layout) writeValue(enc *msgpack.Encoder, v cty.Value) error {
	if v.IsMarked() || !v.IsKnown() {
		return errForCty
	}
	if v.IsNull() {
		return enc.EncodeNil()
	}
	switch l.kind {
	case layoutString:
		return enc.EncodeString(v.AsString())
	case layoutNumber:
		return writeNumber(enc, v.AsBigFloat())
	case layoutBool:
		return enc.EncodeBool(v.True())
	case layoutObject:
		if err := enc.EncodeMapLen(len(l.names)); err != nil {
			return err
		}
		for i, name := range l.names {
			if err := enc.EncodeString(name); err != nil {
				return err
			}
			if err := l.elems[i].writeValue(enc, v.GetAttr(name)); err != nil {
				return err
			}
		}
		return nil
	case layoutMap:
		if err := enc.EncodeMapLen(v.LengthInt()); err != nil {
			return err
		}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if err := enc.EncodeString(k.AsString()); err != nil {
				return err
			}
			if err := l.elems[0].writeValue(enc, e); err != nil {
				return err
			}
		}
		return nil
	default: // list, set, tuple
		if err := enc.EncodeArrayLen(v.LengthInt()); err != nil {
			return err
		}
		i := 0
		for it := v.ElementIterator(); it.Next(); i++ {
			_, e := it.Element()
			el := l.elems[0]
			if l.kind == layoutTuple {
				el = l.elems[i]
			}
			if err := el.writeValue(enc, e); err != nil {
				return err
			}
		}
		return nil
	}
}

// writeNumber writes a number with the calls cty's Marshal makes: an
// integer when it is one and fits in 64 bits, a float64 when that is exact,
// else its decimal text.
func writeNumber(enc *msgpack.Encoder, f *big.Float) error {
	if f.IsInf() {
		return enc.EncodeFloat64(math.Inf(f.Sign()))
	}
	if i, acc := f.Int64(); acc == big.Exact {
		return enc.EncodeInt(i)
	}
	if x, acc := f.Float64(); acc == big.Exact && !f.IsInt() {
		return enc.EncodeFloat64(x)
	}
	return enc.EncodeString(f.Text('f', -1))
}

// valueReader is a decoder over an in-memory value. The reader is kept
// beside the decoder to tell how many bytes are left, and both are pooled:
// valueFromWire is called once a value, with no batch to hold them.
// bytes.Reader is an io.ByteScanner, so the decoder reads it unbuffered.
type valueReader struct {
	r    bytes.Reader
	dec  *msgpack.Decoder
	name []byte // an attribute name read to compare
}

// maxPooledInput bounds the values whose reader goes back to the pool: the
// decoder keeps a scratch buffer as long as the longest string it read.
const maxPooledInput = 64 << 10

var valueReaders = sync.Pool{New: func() any {
	vr := new(valueReader)
	vr.dec = msgpack.NewDecoder(&vr.r)
	return vr
}}

// readValue reads a value of the layout's type from the front of b and
// returns the rest of b.
func (l *layout) readValue(b []byte) (cty.Value, []byte, error) {
	vr := valueReaders.Get().(*valueReader)
	vr.r.Reset(b)
	vr.dec.Reset(&vr.r)
	v, err := l.decode(vr)
	rest := b[len(b)-vr.r.Len():]
	vr.r.Reset(nil) // the pool must not keep b alive
	if len(b) <= maxPooledInput {
		valueReaders.Put(vr)
	}
	if err != nil {
		return cty.NilVal, nil, err
	}
	return v, rest, nil
}

// decode reads a value as cty's Unmarshal does, and reports errForCty for
// anything cty's Marshal would not have written for a known value of the
// type, including input the decoder cannot read: cty then reads it, or
// reports what is wrong in its own words.
func (l *layout) decode(vr *valueReader) (cty.Value, error) {
	dec := vr.dec
	c, err := dec.PeekCode()
	switch {
	case err != nil || msgpcode.IsExt(c): // cty's unknown values are extensions
		return cty.NilVal, errForCty
	case c == msgpcode.Nil:
		if err := dec.DecodeNil(); err != nil {
			return cty.NilVal, errForCty
		}
		return cty.NullVal(l.ty), nil
	}
	switch l.kind {
	case layoutString:
		if !msgpcode.IsString(c) { // cty also reads bin, but never writes it
			return cty.NilVal, errForCty
		}
		s, err := dec.DecodeString()
		if err != nil {
			return cty.NilVal, errForCty
		}
		return cty.StringVal(s), nil
	case layoutNumber:
		return decodeNumber(dec, c)
	case layoutBool:
		b, err := dec.DecodeBool()
		if err != nil {
			return cty.NilVal, errForCty
		}
		return cty.BoolVal(b), nil
	case layoutObject:
		n, err := dec.DecodeMapLen()
		if err != nil || n != len(l.names) {
			return cty.NilVal, errForCty
		}
		if n == 0 {
			return cty.EmptyObjectVal, nil
		}
		attrs := make(map[string]cty.Value, n)
		for i, name := range l.names {
			if !vr.decodeName(name) {
				return cty.NilVal, errForCty // attributes out of cty's order, or not an attribute
			}
			v, err := l.elems[i].decode(vr)
			if err != nil {
				return cty.NilVal, err
			}
			attrs[name] = v
		}
		return cty.ObjectVal(attrs), nil
	case layoutMap:
		n, err := dec.DecodeMapLen()
		switch {
		case err != nil:
			return cty.NilVal, errForCty
		case n > vr.r.Len():
			return cty.NilVal, errTruncated
		case n == 0:
			return cty.MapValEmpty(l.elems[0].ty), nil
		}
		elems := make(map[string]cty.Value, n)
		for range n {
			key, err := decodeKey(dec)
			if err != nil {
				return cty.NilVal, err
			}
			v, err := l.elems[0].decode(vr)
			if err != nil {
				return cty.NilVal, err
			}
			elems[key] = v
		}
		return cty.MapVal(elems), nil
	default: // list, set, tuple
		n, err := dec.DecodeArrayLen()
		switch {
		case err != nil || (l.kind == layoutTuple && n != len(l.elems)):
			return cty.NilVal, errForCty
		case n > vr.r.Len():
			return cty.NilVal, errTruncated
		case n == 0 && l.kind == layoutList:
			return cty.ListValEmpty(l.elems[0].ty), nil
		case n == 0 && l.kind == layoutSet:
			return cty.SetValEmpty(l.elems[0].ty), nil
		case n == 0:
			return cty.EmptyTupleVal, nil
		}
		elems := make([]cty.Value, n)
		for i := range elems {
			el := l.elems[0]
			if l.kind == layoutTuple {
				el = l.elems[i]
			}
			v, err := el.decode(vr)
			if err != nil {
				return cty.NilVal, err
			}
			elems[i] = v
		}
		switch l.kind {
		case layoutList:
			return cty.ListVal(elems), nil
		case layoutSet:
			return cty.SetVal(elems), nil
		}
		return cty.TupleVal(elems), nil
	}
}

// decodeKey reads a map key, which cty writes as a msgpack string.
func decodeKey(dec *msgpack.Decoder) (string, error) {
	c, err := dec.PeekCode()
	if err != nil || !msgpcode.IsString(c) {
		return "", errForCty
	}
	s, err := dec.DecodeString()
	if err != nil {
		return "", errForCty
	}
	return s, nil
}

// decodeName reads an attribute name and reports whether it is name. It
// compares the bytes instead of decoding a string, which would allocate
// one for every attribute of every value.
func (vr *valueReader) decodeName(name string) bool {
	c, err := vr.dec.PeekCode()
	if err != nil || !msgpcode.IsString(c) {
		return false
	}
	n, err := vr.dec.DecodeBytesLen()
	if err != nil || n != len(name) {
		return false
	}
	vr.name = slices.Grow(vr.name[:0], n)[:n]
	return vr.dec.ReadFull(vr.name) == nil && string(vr.name) == name
}

// decodeNumber reads a number, whose first byte is c, with the calls cty's
// Unmarshal makes for it and builds the value with the same constructor.
func decodeNumber(dec *msgpack.Decoder, c byte) (cty.Value, error) {
	switch {
	case msgpcode.IsFixedNum(c), c == msgpcode.Int8, c == msgpcode.Int16, c == msgpcode.Int32, c == msgpcode.Int64:
		n, err := dec.DecodeInt64()
		if err != nil {
			return cty.NilVal, errForCty
		}
		return cty.NumberIntVal(n), nil
	case c == msgpcode.Uint8, c == msgpcode.Uint16, c == msgpcode.Uint32, c == msgpcode.Uint64:
		n, err := dec.DecodeUint64()
		if err != nil {
			return cty.NilVal, errForCty
		}
		return cty.NumberUIntVal(n), nil
	case c == msgpcode.Float, c == msgpcode.Double:
		x, err := dec.DecodeFloat64()
		switch {
		case err != nil:
			return cty.NilVal, errForCty
		case math.IsNaN(x):
			return cty.NilVal, errNaN
		}
		return cty.NumberFloatVal(x), nil
	case msgpcode.IsString(c):
		s, err := dec.DecodeString()
		if err != nil {
			return cty.NilVal, errForCty
		}
		v, err := cty.ParseNumberVal(s)
		if err != nil {
			return cty.NilVal, errForCty
		}
		return v, nil
	}
	return cty.NilVal, errForCty
}
