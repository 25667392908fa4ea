package sdk

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Coerce turns a partial object into a complete value of the block's type,
// the way the host's HCL decoding does: omitted optional attributes take
// their default or null, values are converted to the declared types, missing
// required attributes are errors, and sensitive attributes are marked. Tests
// use it to build configurations and arguments by hand.
func (b *Block) Coerce(v cty.Value) (cty.Value, error) {
	return b.coerce(v, nil)
}

func (b *Block) coerce(v cty.Value, path cty.Path) (cty.Value, error) {
	if v == cty.NilVal || v.IsNull() {
		v = cty.EmptyObjectVal
	}
	v, marks := v.Unmark()
	if !v.Type().IsObjectType() && !v.Type().IsMapType() {
		return cty.NilVal, fmt.Errorf("%s: want an object, got %s", where(path), v.Type().FriendlyName())
	}
	declared := map[string]bool{}
	out := make(map[string]cty.Value, len(b.Attributes)+len(b.Blocks))
	for _, a := range b.Attributes {
		declared[a.Name] = true
		p := path.GetAttr(a.Name)
		av, ok := attr(v, a.Name)
		if !ok || av.IsNull() {
			switch {
			case a.Required:
				return cty.NilVal, fmt.Errorf("%s: required attribute is missing", where(p))
			case a.Default != cty.NilVal:
				av = a.Default
			default:
				av = cty.NullVal(a.Type)
			}
		}
		cv, err := convert.Convert(av, a.Type)
		if err != nil {
			return cty.NilVal, fmt.Errorf("%s: %s", where(p), err)
		}
		if a.Sensitive {
			cv = cv.Mark(Sensitive)
		}
		out[a.Name] = cv
	}
	for _, nb := range b.Blocks {
		declared[nb.TypeName] = true
		p := path.GetAttr(nb.TypeName)
		bt := nb.Block.ImpliedType()
		bv, ok := attr(v, nb.TypeName)
		if !ok || bv.IsNull() {
			switch nb.Nesting {
			case NestingList:
				bv = cty.ListValEmpty(bt)
			case NestingMap:
				bv = cty.MapValEmpty(bt)
			default:
				bv = cty.NullVal(bt)
			}
			if nb.MinItems > 0 {
				return cty.NilVal, fmt.Errorf("%s: at least %d block(s) required", where(p), nb.MinItems)
			}
			out[nb.TypeName] = bv
			continue
		}
		switch nb.Nesting {
		case NestingSingle:
			cv, err := nb.Block.coerce(bv, p)
			if err != nil {
				return cty.NilVal, err
			}
			out[nb.TypeName] = cv
		case NestingList, NestingMap:
			if !bv.CanIterateElements() {
				return cty.NilVal, fmt.Errorf("%s: want a collection of blocks, got %s", where(p), bv.Type().FriendlyName())
			}
			n := bv.LengthInt()
			if n < nb.MinItems || (nb.MaxItems > 0 && n > nb.MaxItems) {
				return cty.NilVal, fmt.Errorf("%s: %d block(s), want between %d and %d", where(p), n, nb.MinItems, nb.MaxItems)
			}
			list := make([]cty.Value, 0, n)
			m := make(map[string]cty.Value, n)
			for it := bv.ElementIterator(); it.Next(); {
				k, ev := it.Element()
				cv, err := nb.Block.coerce(ev, p.Index(k))
				if err != nil {
					return cty.NilVal, err
				}
				list = append(list, cv)
				if k.Type() == cty.String {
					m[k.AsString()] = cv
				}
			}
			switch {
			case nb.Nesting == NestingMap && len(m) == 0:
				out[nb.TypeName] = cty.MapValEmpty(bt)
			case nb.Nesting == NestingMap:
				out[nb.TypeName] = cty.MapVal(m)
			case len(list) == 0:
				out[nb.TypeName] = cty.ListValEmpty(bt)
			default:
				out[nb.TypeName] = cty.ListVal(list)
			}
		}
	}
	for it := v.ElementIterator(); it.Next(); {
		k, _ := it.Element()
		if !declared[k.AsString()] {
			return cty.NilVal, fmt.Errorf("%s: unsupported attribute", where(path.GetAttr(k.AsString())))
		}
	}
	return cty.ObjectVal(out).WithMarks(marks), nil
}

func attr(v cty.Value, name string) (cty.Value, bool) {
	if v.Type().IsObjectType() {
		if !v.Type().HasAttribute(name) {
			return cty.NilVal, false
		}
		return v.GetAttr(name), true
	}
	k := cty.StringVal(name)
	if v.HasIndex(k).True() {
		return v.Index(k), true
	}
	return cty.NilVal, false
}

func where(p cty.Path) string {
	if len(p) == 0 {
		return "block"
	}
	return PathString(p)
}
