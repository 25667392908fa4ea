package sdk

import (
	"encoding/binary"
	"errors"
	"maps"
	"math"
	"math/big"
	"slices"

	"github.com/zclconf/go-cty/cty"
)

// cty's msgpack package walks a value generically and allocates an encoder,
// a reader and a path for every value; on a batched Execute that was the
// largest cost on both sides of the hop. A layout writes and reads the very
// same bytes directly, for the values batches carry: known and unmarked, of
// types without dynamic parts. Whatever it does not handle (unknown values,
// marks, dynamic types, an encoding that cty's encoder would not have
// written) goes to cty's msgpack package whole, so the bytes on the wire
// stay cty's format and either implementation reads what the other wrote.

// msgpack format codes (https://github.com/msgpack/msgpack/blob/master/spec.md).
const (
	mpNil      = 0xc0
	mpFalse    = 0xc2
	mpTrue     = 0xc3
	mpFloat32  = 0xca
	mpFloat64  = 0xcb
	mpUint8    = 0xcc
	mpUint16   = 0xcd
	mpUint32   = 0xce
	mpUint64   = 0xcf
	mpInt8     = 0xd0
	mpInt16    = 0xd1
	mpInt32    = 0xd2
	mpInt64    = 0xd3
	mpStr8     = 0xd9
	mpStr16    = 0xda
	mpStr32    = 0xdb
	mpArray16  = 0xdc
	mpArray32  = 0xdd
	mpMap16    = 0xde
	mpMap32    = 0xdf
	mpFixStr   = 0xa0 // to 0xbf, length in the low 5 bits
	mpFixArray = 0x90 // to 0x9f, length in the low 4 bits
	mpFixMap   = 0x80 // to 0x8f, length in the low 4 bits
	mpNegFix   = 0xe0 // to 0xff, -32 to -1
)

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

// appendValue appends the msgpack encoding of v, a value of the layout's
// type, to b. It returns false when v is unknown or marked somewhere, which
// cty's encoder (after unmarking) must handle.
func (l *layout) appendValue(b []byte, v cty.Value) ([]byte, bool) {
	if v.IsMarked() || !v.IsKnown() {
		return b, false
	}
	if v.IsNull() {
		return append(b, mpNil), true
	}
	switch l.kind {
	case layoutString:
		return appendString(b, v.AsString()), true
	case layoutNumber:
		return appendNumber(b, v.AsBigFloat()), true
	case layoutBool:
		if v.True() {
			return append(b, mpTrue), true
		}
		return append(b, mpFalse), true
	case layoutObject:
		b = appendHeader(b, mpFixMap, mpMap16, mpMap32, len(l.names))
		for i, name := range l.names {
			b = appendString(b, name)
			var ok bool
			if b, ok = l.elems[i].appendValue(b, v.GetAttr(name)); !ok {
				return b, false
			}
		}
		return b, true
	case layoutMap:
		b = appendHeader(b, mpFixMap, mpMap16, mpMap32, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			b = appendString(b, k.AsString())
			var ok bool
			if b, ok = l.elems[0].appendValue(b, e); !ok {
				return b, false
			}
		}
		return b, true
	default: // list, set, tuple
		b = appendHeader(b, mpFixArray, mpArray16, mpArray32, v.LengthInt())
		i := 0
		for it := v.ElementIterator(); it.Next(); i++ {
			_, e := it.Element()
			el := l.elems[0]
			if l.kind == layoutTuple {
				el = l.elems[i]
			}
			var ok bool
			if b, ok = el.appendValue(b, e); !ok {
				return b, false
			}
		}
		return b, true
	}
}

// appendNumber writes a number as cty does: an integer when it is one and
// fits in 64 bits, a float64 when that is exact, else its decimal text.
func appendNumber(b []byte, f *big.Float) []byte {
	if f.IsInf() {
		return appendFloat64(b, math.Inf(f.Sign()))
	}
	if i, acc := f.Int64(); acc == big.Exact {
		return appendInt(b, i)
	}
	if x, acc := f.Float64(); acc == big.Exact && !f.IsInt() {
		return appendFloat64(b, x)
	}
	return appendString(b, f.Text('f', -1))
}

// appendInt writes n in the fewest bytes, as msgpack's compact integers.
func appendInt(b []byte, n int64) []byte {
	switch {
	case n >= 0 && n <= math.MaxInt8:
		return append(b, byte(n))
	case n >= 0 && n <= math.MaxUint8:
		return append(b, mpUint8, byte(n))
	case n >= 0 && n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, mpUint16), uint16(n))
	case n >= 0 && n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, mpUint32), uint32(n))
	case n >= 0:
		return binary.BigEndian.AppendUint64(append(b, mpUint64), uint64(n))
	case n >= -32:
		return append(b, byte(n))
	case n >= math.MinInt8:
		return append(b, mpInt8, byte(n))
	case n >= math.MinInt16:
		return binary.BigEndian.AppendUint16(append(b, mpInt16), uint16(n))
	case n >= math.MinInt32:
		return binary.BigEndian.AppendUint32(append(b, mpInt32), uint32(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, mpInt64), uint64(n))
	}
}

func appendFloat64(b []byte, x float64) []byte {
	return binary.BigEndian.AppendUint64(append(b, mpFloat64), math.Float64bits(x))
}

func appendString(b []byte, s string) []byte {
	switch n := len(s); {
	case n < 32:
		b = append(b, mpFixStr|byte(n))
	case n <= math.MaxUint8:
		b = append(b, mpStr8, byte(n))
	case n <= math.MaxUint16:
		b = binary.BigEndian.AppendUint16(append(b, mpStr16), uint16(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, mpStr32), uint32(n))
	}
	return append(b, s...)
}

// appendHeader writes the length of an array or a map: fix is the code of
// the one-byte form, code16 and code32 those of the longer ones.
func appendHeader(b []byte, fix, code16, code32 byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, fix|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, code16), uint16(n))
	default:
		return binary.BigEndian.AppendUint32(append(b, code32), uint32(n))
	}
}

// errForCty says that the layout does not read what it was given: anything
// cty's encoder would not have written for a known value (unknown values,
// other encodings, bad input), which is left to cty's decoder.
var errForCty = errors.New("not a layout's encoding")

// errTruncated is input that counts more elements than it has bytes left.
// It is an error here rather than cty's to find: cty's decoder first makes
// room for all the elements, and a corrupt count would exhaust the memory.
var errTruncated = errors.New("msgpack data ends before the elements it counts")

// errNaN is a float that cty cannot hold; its constructor would panic.
var errNaN = errors.New("NaN is not a number")

// readValue reads a value of the layout's type from the front of b and
// returns the rest of b.
func (l *layout) readValue(b []byte) (cty.Value, []byte, error) {
	if len(b) == 0 {
		return cty.NilVal, nil, errForCty
	}
	if b[0] == mpNil {
		return cty.NullVal(l.ty), b[1:], nil
	}
	switch l.kind {
	case layoutString:
		s, rest, ok := readString(b)
		if !ok {
			return cty.NilVal, nil, errForCty
		}
		return cty.StringVal(string(s)), rest, nil
	case layoutNumber:
		return readNumber(b)
	case layoutBool:
		switch b[0] {
		case mpTrue:
			return cty.True, b[1:], nil
		case mpFalse:
			return cty.False, b[1:], nil
		}
		return cty.NilVal, nil, errForCty
	case layoutObject:
		n, rest, ok := readHeader(b, mpFixMap, mpMap16, mpMap32)
		if !ok || n != len(l.names) {
			return cty.NilVal, nil, errForCty
		}
		if n == 0 {
			return cty.EmptyObjectVal, rest, nil
		}
		attrs := make(map[string]cty.Value, n)
		for i, name := range l.names {
			key, after, ok := readString(rest)
			if !ok || string(key) != name {
				return cty.NilVal, nil, errForCty
			}
			v, after, err := l.elems[i].readValue(after)
			if err != nil {
				return cty.NilVal, nil, err
			}
			attrs[name], rest = v, after
		}
		return cty.ObjectVal(attrs), rest, nil
	case layoutMap:
		n, rest, ok := readHeader(b, mpFixMap, mpMap16, mpMap32)
		switch {
		case !ok:
			return cty.NilVal, nil, errForCty
		case n > len(rest):
			return cty.NilVal, nil, errTruncated
		case n == 0:
			return cty.MapValEmpty(l.elems[0].ty), rest, nil
		}
		elems := make(map[string]cty.Value, n)
		for range n {
			key, after, ok := readString(rest)
			if !ok {
				return cty.NilVal, nil, errForCty
			}
			v, after, err := l.elems[0].readValue(after)
			if err != nil {
				return cty.NilVal, nil, err
			}
			elems[string(key)], rest = v, after
		}
		return cty.MapVal(elems), rest, nil
	default: // list, set, tuple
		n, rest, ok := readHeader(b, mpFixArray, mpArray16, mpArray32)
		switch {
		case !ok || (l.kind == layoutTuple && n != len(l.elems)):
			return cty.NilVal, nil, errForCty
		case n > len(rest):
			return cty.NilVal, nil, errTruncated
		case n == 0 && l.kind == layoutList:
			return cty.ListValEmpty(l.elems[0].ty), rest, nil
		case n == 0 && l.kind == layoutSet:
			return cty.SetValEmpty(l.elems[0].ty), rest, nil
		case n == 0:
			return cty.EmptyTupleVal, rest, nil
		}
		elems := make([]cty.Value, n)
		for i := range elems {
			el := l.elems[0]
			if l.kind == layoutTuple {
				el = l.elems[i]
			}
			v, after, err := el.readValue(rest)
			if err != nil {
				return cty.NilVal, nil, err
			}
			elems[i], rest = v, after
		}
		switch l.kind {
		case layoutList:
			return cty.ListVal(elems), rest, nil
		case layoutSet:
			return cty.SetVal(elems), rest, nil
		}
		return cty.TupleVal(elems), rest, nil
	}
}

// readNumber reads the encodings cty's decoder accepts for a number and
// builds the value with the same constructor it uses.
func readNumber(b []byte) (cty.Value, []byte, error) {
	c := b[0]
	switch {
	case c <= math.MaxInt8 || c >= mpNegFix:
		return cty.NumberIntVal(int64(int8(c))), b[1:], nil
	case (c >= mpFixStr && c < mpFixStr+32) || (c >= mpStr8 && c <= mpStr32):
		s, rest, ok := readString(b)
		if !ok {
			return cty.NilVal, nil, errForCty
		}
		v, err := cty.ParseNumberVal(string(s))
		if err != nil {
			return cty.NilVal, nil, errForCty
		}
		return v, rest, nil
	}
	var size int
	switch c {
	case mpUint8, mpInt8:
		size = 1
	case mpUint16, mpInt16:
		size = 2
	case mpUint32, mpInt32, mpFloat32:
		size = 4
	case mpUint64, mpInt64, mpFloat64:
		size = 8
	default:
		return cty.NilVal, nil, errForCty
	}
	if len(b) < 1+size {
		return cty.NilVal, nil, errForCty
	}
	p, rest := b[1:1+size], b[1+size:]
	switch c {
	case mpUint8:
		return cty.NumberUIntVal(uint64(p[0])), rest, nil
	case mpUint16:
		return cty.NumberUIntVal(uint64(binary.BigEndian.Uint16(p))), rest, nil
	case mpUint32:
		return cty.NumberUIntVal(uint64(binary.BigEndian.Uint32(p))), rest, nil
	case mpUint64:
		return cty.NumberUIntVal(binary.BigEndian.Uint64(p)), rest, nil
	case mpInt8:
		return cty.NumberIntVal(int64(int8(p[0]))), rest, nil
	case mpInt16:
		return cty.NumberIntVal(int64(int16(binary.BigEndian.Uint16(p)))), rest, nil
	case mpInt32:
		return cty.NumberIntVal(int64(int32(binary.BigEndian.Uint32(p)))), rest, nil
	case mpInt64:
		return cty.NumberIntVal(int64(binary.BigEndian.Uint64(p))), rest, nil
	}
	var x float64
	if c == mpFloat32 {
		x = float64(math.Float32frombits(binary.BigEndian.Uint32(p)))
	} else {
		x = math.Float64frombits(binary.BigEndian.Uint64(p))
	}
	if math.IsNaN(x) {
		return cty.NilVal, nil, errNaN
	}
	return cty.NumberFloatVal(x), rest, nil
}

// readString reads a msgpack string and returns its bytes, which alias b.
func readString(b []byte) ([]byte, []byte, bool) {
	if len(b) == 0 {
		return nil, nil, false
	}
	var n, head int
	switch c := b[0]; {
	case c >= mpFixStr && c < mpFixStr+32:
		n, head = int(c&0x1f), 1
	case c == mpStr8 && len(b) >= 2:
		n, head = int(b[1]), 2
	case c == mpStr16 && len(b) >= 3:
		n, head = int(binary.BigEndian.Uint16(b[1:])), 3
	case c == mpStr32 && len(b) >= 5:
		n, head = int(binary.BigEndian.Uint32(b[1:])), 5
	default:
		return nil, nil, false
	}
	if len(b)-head < n {
		return nil, nil, false
	}
	return b[head : head+n], b[head+n:], true
}

// readHeader reads the length of an array or a map (see appendHeader).
func readHeader(b []byte, fix, code16, code32 byte) (int, []byte, bool) {
	if len(b) == 0 {
		return 0, nil, false
	}
	switch c := b[0]; {
	case c >= fix && c < fix+16:
		return int(c & 0x0f), b[1:], true
	case c == code16 && len(b) >= 3:
		return int(binary.BigEndian.Uint16(b[1:])), b[3:], true
	case c == code32 && len(b) >= 5:
		return int(binary.BigEndian.Uint32(b[1:])), b[5:], true
	}
	return 0, nil, false
}
