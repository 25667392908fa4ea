package sdk

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"

	vmsgpack "github.com/vmihailenco/msgpack/v5"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	"github.com/zclconf/go-cty/cty/msgpack"

	"github.com/switchboard-hub/switchboard/sdk/internal/wire"
)

// Values travel as cty msgpack (which keeps null and unknown apart) with
// their type, and the paths of their sensitive parts.

func valueToWire(v cty.Value) (*wire.Value, error) {
	var enc valueEncoder
	return enc.encode(v)
}

// valueEncoder encodes values, remembering the last type's JSON and
// layout: the values of a batch (every item's arguments or outputs) share
// one type, and encoding the type costs as much as encoding a small value.
// The encodings of a batch share one buffer, written by one msgpack
// encoder.
type valueEncoder struct {
	lastType   cty.Type
	lastJSON   string
	lastLayout *layout
	buf        bytes.Buffer
	enc        *vmsgpack.Encoder // writes to buf, made at the first value
	count      int               // values in the batch, 0 when unknown
}

// batchEncoder returns an encoder for a batch of count values.
func batchEncoder(count int) *valueEncoder {
	return &valueEncoder{count: count}
}

// maxReserve bounds the room the encoder makes for a batch at once, in case
// the first value is much larger than the rest.
const maxReserve = 1 << 20

func (e *valueEncoder) encode(v cty.Value) (*wire.Value, error) {
	if v == cty.NilVal {
		return nil, nil
	}
	ty := v.Type()
	if !e.sameType(ty) {
		tj, err := ctyjson.MarshalType(ty)
		if err != nil {
			return nil, fmt.Errorf("encode type: %w", err)
		}
		e.lastType, e.lastJSON, e.lastLayout = ty, string(tj), newLayout(ty)
	}
	if mp, ok := e.appendValue(v); ok {
		return &wire.Value{Type: e.lastJSON, Msgpack: mp}, nil
	}
	// Marks travel beside the value; the value itself goes unmarked.
	var pvm []cty.PathValueMarks
	mp, ok := []byte(nil), false
	if v.ContainsMarked() {
		v, pvm = v.UnmarkDeepWithPaths()
		mp, ok = e.appendValue(v)
	}
	if !ok {
		var err error
		if mp, err = msgpack.Marshal(v, ty); err != nil {
			return nil, fmt.Errorf("encode value: %w", err)
		}
	}
	w := &wire.Value{Type: e.lastJSON, Msgpack: mp}
	for _, p := range pvm {
		if _, ok := p.Marks[Sensitive]; ok {
			w.Sensitive = append(w.Sensitive, pathToWire(p.Path))
		}
	}
	return w, nil
}

// sameType reports whether ty is the last type, without cty's Equals when
// the layout can tell.
func (e *valueEncoder) sameType(ty cty.Type) bool {
	switch {
	case e.lastType == cty.NilType:
		return false
	case e.lastLayout != nil:
		return e.lastLayout.matches(ty)
	}
	return ty.Equals(e.lastType)
}

// appendValue encodes v (of the last type) at the end of the shared buffer
// and returns its encoding, capped so that later values cannot overwrite it.
func (e *valueEncoder) appendValue(v cty.Value) ([]byte, bool) {
	if e.lastLayout == nil {
		return nil, false
	}
	if e.enc == nil {
		e.enc = newEncoder(&e.buf)
	}
	start := e.buf.Len()
	if err := e.lastLayout.writeValue(e.enc, v); err != nil {
		// Left to cty, which also reports an error, if there is one.
		e.buf.Truncate(start)
		return nil, false
	}
	b := e.buf.Bytes()
	mp := b[start:len(b):len(b)]
	if start == 0 && e.count > 1 {
		// Room for the rest of the batch at once, guessed from the first
		// value, instead of growing the buffer step by step. Nothing reads
		// from buf, so neither writing nor growing it touches the bytes
		// that mp holds.
		e.buf.Grow(min(len(mp)*(e.count-1), maxReserve))
	}
	return mp, true
}

// unmarshalCty is cty's msgpack decoder, with its panics turned into
// errors: it panics on some bytes no encoder writes (a NaN inside a value
// of dynamic type), and those bytes come from another process.
func unmarshalCty(b []byte, ty cty.Type) (v cty.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = cty.NilVal, fmt.Errorf("malformed msgpack for %s: %v", ty.FriendlyName(), r)
		}
	}()
	return msgpack.Unmarshal(b, ty)
}

func valueFromWire(w *wire.Value) (cty.Value, error) {
	if w == nil {
		return cty.NilVal, nil
	}
	ty, err := parseWireType(w.Type)
	if err != nil {
		return cty.NilVal, fmt.Errorf("decode type: %w", err)
	}
	var v cty.Value
	var rest []byte
	err = errForCty
	if ty.layout != nil {
		v, rest, err = ty.layout.readValue(w.Msgpack)
	}
	// What the layout does not read goes to cty, and so does a value with
	// bytes after it, which cty ignores.
	if err == errForCty || (err == nil && len(rest) > 0) {
		v, err = unmarshalCty(w.Msgpack, ty.ty)
	}
	if err != nil {
		return cty.NilVal, fmt.Errorf("decode value: %w", err)
	}
	if len(w.Sensitive) == 0 {
		return v, nil
	}
	pvm := make([]cty.PathValueMarks, 0, len(w.Sensitive))
	for _, p := range w.Sensitive {
		path, err := pathFromWire(p)
		if err != nil {
			return cty.NilVal, err
		}
		pvm = append(pvm, cty.PathValueMarks{Path: path, Marks: cty.NewValueMarks(Sensitive)})
	}
	return v.MarkWithPaths(pvm), nil
}

// Types travel as cty's JSON type notation, e.g. ["list","string"], which
// also keeps lock files readable.
func typeToWire(t cty.Type) (string, error) {
	if t == cty.NilType {
		return "", nil
	}
	b, err := ctyjson.MarshalType(t)
	return string(b), err
}

func typeFromWire(s string) (cty.Type, error) {
	t, err := parseWireType(s)
	if err != nil {
		return cty.NilType, err
	}
	return t.ty, nil
}

// wireType is a type read from the wire, with the layout of its values.
type wireType struct {
	ty     cty.Type
	layout *layout
}

func parseWireType(s string) (*wireType, error) {
	if s == "" {
		return &wireType{ty: cty.NilType}, nil
	}
	if t, ok := typeCache.Load(s); ok {
		return t.(*wireType), nil
	}
	ty, err := ctyjson.UnmarshalType([]byte(s))
	if err != nil {
		return nil, err
	}
	t := &wireType{ty: ty, layout: newLayout(ty)}
	// The types on the wire are the few a schema declares, repeated on every
	// value of a batch, and parsing them dominates decoding a small value.
	if typeCacheSize.Add(1) <= maxCachedTypes {
		typeCache.Store(s, t)
	}
	return t, nil
}

const maxCachedTypes = 4096

var (
	typeCache     sync.Map // JSON type notation → *wireType
	typeCacheSize atomic.Int64
)

func pathToWire(p cty.Path) *wire.Path {
	if len(p) == 0 {
		return nil
	}
	w := &wire.Path{Steps: make([]*wire.Path_Step, 0, len(p))}
	for _, s := range p {
		switch s := s.(type) {
		case cty.GetAttrStep:
			w.Steps = append(w.Steps, &wire.Path_Step{Step: &wire.Path_Step_Attribute{Attribute: s.Name}})
		case cty.IndexStep:
			if s.Key.Type() == cty.String {
				w.Steps = append(w.Steps, &wire.Path_Step{Step: &wire.Path_Step_Key{Key: s.Key.AsString()}})
			} else if s.Key.Type() == cty.Number {
				i, _ := s.Key.AsBigFloat().Int64()
				w.Steps = append(w.Steps, &wire.Path_Step{Step: &wire.Path_Step_Index{Index: i}})
			}
		}
	}
	return w
}

func pathFromWire(w *wire.Path) (cty.Path, error) {
	if w == nil {
		return nil, nil
	}
	p := make(cty.Path, 0, len(w.Steps))
	for _, s := range w.Steps {
		switch s := s.Step.(type) {
		case *wire.Path_Step_Attribute:
			p = p.GetAttr(s.Attribute)
		case *wire.Path_Step_Key:
			p = p.Index(cty.StringVal(s.Key))
		case *wire.Path_Step_Index:
			p = p.Index(cty.NumberIntVal(s.Index))
		default:
			return nil, fmt.Errorf("decode path: empty step")
		}
	}
	return p, nil
}
