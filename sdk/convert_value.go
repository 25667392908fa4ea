package sdk

import (
	"fmt"
	"sync"
	"sync/atomic"

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

// valueEncoder encodes values, remembering the last type's JSON: the values
// of a batch (every item's arguments or outputs) share one type, and
// encoding the type costs as much as encoding a small value.
type valueEncoder struct {
	lastType cty.Type
	lastJSON string
}

func (e *valueEncoder) encode(v cty.Value) (*wire.Value, error) {
	if v == cty.NilVal {
		return nil, nil
	}
	var pvm []cty.PathValueMarks
	if v.ContainsMarked() {
		v, pvm = v.UnmarkDeepWithPaths()
	}
	ty := v.Type()
	if e.lastType == cty.NilType || !ty.Equals(e.lastType) {
		tj, err := ctyjson.MarshalType(ty)
		if err != nil {
			return nil, fmt.Errorf("encode type: %w", err)
		}
		e.lastType, e.lastJSON = ty, string(tj)
	}
	mp, err := msgpack.Marshal(v, ty)
	if err != nil {
		return nil, fmt.Errorf("encode value: %w", err)
	}
	w := &wire.Value{Type: e.lastJSON, Msgpack: mp}
	for _, p := range pvm {
		if _, ok := p.Marks[Sensitive]; ok {
			w.Sensitive = append(w.Sensitive, pathToWire(p.Path))
		}
	}
	return w, nil
}

func valueFromWire(w *wire.Value) (cty.Value, error) {
	if w == nil {
		return cty.NilVal, nil
	}
	ty, err := typeFromWire(w.Type)
	if err != nil {
		return cty.NilVal, fmt.Errorf("decode type: %w", err)
	}
	v, err := msgpack.Unmarshal(w.Msgpack, ty)
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
	if s == "" {
		return cty.NilType, nil
	}
	if t, ok := typeCache.Load(s); ok {
		return t.(cty.Type), nil
	}
	t, err := ctyjson.UnmarshalType([]byte(s))
	if err != nil {
		return cty.NilType, err
	}
	// The types on the wire are the few a schema declares, repeated on every
	// value of a batch, and parsing them dominates decoding a small value.
	if typeCacheSize.Add(1) <= maxCachedTypes {
		typeCache.Store(s, t)
	}
	return t, nil
}

const maxCachedTypes = 4096

var (
	typeCache     sync.Map // JSON type notation → cty.Type
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
