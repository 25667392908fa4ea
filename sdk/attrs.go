package sdk

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Attrs reads the attributes of an object value (a configuration, a step's
// arguments, a nested block) into Go values, and collects a diagnostic at
// the attribute's path for everything it cannot read, so that the host can
// point at the user's file, line and column. Read every attribute, check
// what the types cannot say with AddError, and return Diagnostics:
//
//	r := sdk.ReadAttrs(req.Config)
//	r.Require("url", `Set url to the address to notify.`)
//	u, _ := r.URL("url")
//	timeout, _ := r.Duration("timeout")
//	if diags := r.Diagnostics(); diags.HasErrors() {
//		return diags, nil
//	}
//
// The host has already checked the value against the schema, but a plugin
// must never panic on its input, so Attrs tolerates anything: an absent or
// null attribute reads as not set (false, no diagnostic), and an unknown
// value or one of another type reads as not set with an error diagnostic.
// Sensitive marks are dropped: the plugin needs the secret to use it, and
// must keep it out of logs from then on.
type Attrs struct {
	obj   cty.Value // cty.NilVal when the value itself cannot be read
	path  cty.Path  // where obj is in the value ReadAttrs was given
	diags *Diagnostics
}

// ReadAttrs starts reading the object v. A null v reads as an object without
// attributes; an unknown one, or a value that is not an object, is an error
// diagnostic about the whole value, and every attribute then reads as not
// set.
func ReadAttrs(v cty.Value) *Attrs {
	r := &Attrs{diags: new(Diagnostics)}
	if v == cty.NilVal {
		v = cty.NullVal(cty.DynamicPseudoType)
	}
	if containsMarked(v) {
		v, _ = v.UnmarkDeep()
	}
	switch {
	case !v.IsKnown():
		r.AddError("", "value is not known yet", "Switchboard passed a value it has not computed; this is a bug in the host.")
	case v.IsNull():
		r.obj = cty.EmptyObjectVal
	case !v.Type().IsObjectType():
		r.AddError("", "value is not an object", "got "+v.Type().FriendlyName())
	default:
		r.obj = v
	}
	return r
}

// Diagnostics returns what was found so far, errors and warnings, in order.
func (r *Attrs) Diagnostics() Diagnostics {
	return slices.Clone(*r.diags)
}

// AddError records an error about the attribute name, or about the object
// itself when name is empty.
func (r *Attrs) AddError(name, summary, detail string) {
	r.AddErrorAt(attrPath(name), summary, detail)
}

// AddErrorAt records an error at path, relative to the object being read:
// cty.GetAttrPath("headers").Index(cty.StringVal("X-Key")) for a map key.
func (r *Attrs) AddErrorAt(path cty.Path, summary, detail string) {
	*r.diags = r.diags.AddError(r.at(path), summary, detail)
}

// AddWarning records a warning about the attribute name, or about the
// object itself when name is empty. Warnings are shown to the user but do
// not stop anything.
func (r *Attrs) AddWarning(name, summary, detail string) {
	*r.diags = append(*r.diags, Diagnostic{Severity: SeverityWarning, Summary: summary, Detail: detail, Attribute: r.at(attrPath(name))})
}

// Require records the error "<name> is missing", with detail saying what to
// write, when the attribute is absent or null, and returns whether it is
// set. It records nothing when the object itself could not be read, since
// that error is already there.
func (r *Attrs) Require(name, detail string) bool {
	if r.obj == cty.NilVal {
		return false
	}
	if r.obj.Type().HasAttribute(name) && !r.obj.GetAttr(name).IsNull() {
		return true
	}
	r.AddError(name, r.name(name)+" is missing", detail)
	return false
}

// String reads a string attribute.
func (r *Attrs) String(name string) (string, bool) {
	v, ok := r.get(name, cty.String)
	if !ok {
		return "", false
	}
	return v.AsString(), true
}

// Bool reads a bool attribute.
func (r *Attrs) Bool(name string) (bool, bool) {
	v, ok := r.get(name, cty.Bool)
	if !ok {
		return false, false
	}
	return v.True(), true
}

// Int reads a number attribute that must be a whole number within int.
func (r *Attrs) Int(name string) (int, bool) {
	v, ok := r.get(name, cty.Number)
	if !ok {
		return 0, false
	}
	f := v.AsBigFloat()
	if !f.IsInt() {
		r.AddError(name, r.name(name)+" is not a whole number", fmt.Sprintf("%s has a fraction; write a whole number.", f.Text('g', -1)))
		return 0, false
	}
	i, acc := f.Int64()
	if acc != big.Exact || i < math.MinInt || i > math.MaxInt {
		r.AddError(name, r.name(name)+" is out of range", fmt.Sprintf("%s is too large a number.", f.Text('g', -1)))
		return 0, false
	}
	return int(i), true
}

// Duration reads a string attribute written in Go's duration syntax, such
// as "10s" or "1m30s". It accepts any duration, zero and negative ones
// included; check the range the plugin needs.
func (r *Attrs) Duration(name string) (time.Duration, bool) {
	s, ok := r.String(name)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		r.AddError(name, r.name(name)+" is not a duration",
			fmt.Sprintf("%q cannot be read as a duration; write it like \"10s\" or \"1m30s\".", s))
		return 0, false
	}
	return d, true
}

// URL reads a string attribute that must be an absolute URL with a host and
// one of schemes (http and https when none are given), such as a vendor's
// base address or a receiver's endpoint.
func (r *Attrs) URL(name string, schemes ...string) (*url.URL, bool) {
	s, ok := r.String(name)
	if !ok {
		return nil, false
	}
	if len(schemes) == 0 {
		schemes = []string{"http", "https"}
	}
	example := schemes[0] + "://example.com/path"
	if slices.Contains(schemes, "https") {
		example = "https://example.com/path"
	}
	starts := make([]string, len(schemes))
	for i, sc := range schemes {
		starts[i] = sc + "://"
	}
	summary := fmt.Sprintf("%s is not an absolute %s URL", r.name(name), strings.Join(schemes, " or "))
	u, err := url.Parse(s)
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // url.Error repeats the whole value, which the detail already quotes
	}
	switch {
	case err != nil:
		r.AddError(name, summary, fmt.Sprintf("%q cannot be parsed (%v); write a full address such as %q", s, err, example))
	case !slices.Contains(schemes, u.Scheme):
		r.AddError(name, summary, fmt.Sprintf("%q must start with %s, such as %q", s, strings.Join(starts, " or "), example))
	case u.Host == "":
		r.AddError(name, summary, fmt.Sprintf("%q has no host; write a full address such as %q", s, example))
	default:
		return u, true
	}
	return nil, false
}

// StringList reads a list of strings (a set or tuple converts). A null
// element is an error at its index.
func (r *Attrs) StringList(name string) ([]string, bool) {
	v, ok := r.get(name, cty.List(cty.String))
	if !ok {
		return nil, false
	}
	list := make([]string, 0, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		i, e := it.Element()
		if e.IsNull() {
			r.AddErrorAt(cty.GetAttrPath(name).Index(i), "value is null", "Give every element a string value or remove it.")
			continue
		}
		list = append(list, e.AsString())
	}
	return list, true
}

// StringMap reads a map of strings (an object of strings converts). A null
// value is an error at its key.
func (r *Attrs) StringMap(name string) (map[string]string, bool) {
	v, ok := r.get(name, cty.Map(cty.String))
	if !ok {
		return nil, false
	}
	m := make(map[string]string, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if e.IsNull() {
			r.AddErrorAt(cty.GetAttrPath(name).Index(k), "value is null", "Give every entry a string value or remove it.")
			continue
		}
		m[k.AsString()] = e.AsString()
	}
	return m, true
}

// Object reads a nested object, such as a NestingSingle block, and returns
// a reader for its attributes. Its diagnostics are recorded here, at paths
// below name, so one Diagnostics call returns them all.
func (r *Attrs) Object(name string) (*Attrs, bool) {
	v, ok := r.get(name, cty.DynamicPseudoType)
	if !ok {
		return nil, false
	}
	if !v.Type().IsObjectType() {
		r.AddError(name, r.name(name)+" has the wrong type", "want an object, got "+v.Type().FriendlyName())
		return nil, false
	}
	return &Attrs{obj: v, path: r.at(cty.GetAttrPath(name)), diags: r.diags}, true
}

// get returns the attribute converted to ty, and false when it is absent,
// null or unusable (with a diagnostic for the last).
func (r *Attrs) get(name string, ty cty.Type) (cty.Value, bool) {
	if r.obj == cty.NilVal || !r.obj.Type().HasAttribute(name) {
		return cty.NilVal, false
	}
	v := r.obj.GetAttr(name)
	if v.IsNull() {
		return cty.NilVal, false
	}
	if !v.IsWhollyKnown() {
		r.AddError(name, r.name(name)+" is not known yet", "Switchboard passed a value it has not computed; this is a bug in the host.")
		return cty.NilVal, false
	}
	cv, err := convert.Convert(v, ty)
	if err != nil {
		r.AddError(name, r.name(name)+" has the wrong type", fmt.Sprintf("want %s: %v", ty.FriendlyName(), err))
		return cty.NilVal, false
	}
	return cv, true
}

// at turns a path relative to the object into one from the top.
func (r *Attrs) at(p cty.Path) cty.Path {
	if len(r.path) == 0 {
		return p
	}
	return append(slices.Clip(r.path), p...)
}

// name is how messages call the attribute: its full path, such as
// oauth.client_id in a nested block.
func (r *Attrs) name(name string) string {
	return PathString(r.at(cty.GetAttrPath(name)))
}

func attrPath(name string) cty.Path {
	if name == "" {
		return nil
	}
	return cty.GetAttrPath(name)
}
