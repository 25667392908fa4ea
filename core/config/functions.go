package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/switchboard-hub/switchboard/core/schedule"
	"github.com/switchboard-hub/switchboard/sdk"
)

// scheduleType is the type of `schedule.<name>` values: a capsule around
// the compiled schedule, so functions receive it without a lookup.
var scheduleType = cty.Capsule("schedule", reflectType[schedule.Schedule]())

func scheduleVal(s *schedule.Schedule) cty.Value { return cty.CapsuleVal(scheduleType, s) }

func scheduleOf(v cty.Value) *schedule.Schedule { return v.EncapsulatedValue().(*schedule.Schedule) }

// stdFunctions are the go-cty standard library functions, by their usual HCL names.
func stdFunctions() map[string]function.Function {
	return map[string]function.Function{
		"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "chomp": stdlib.ChompFunc,
		"coalesce": stdlib.CoalesceFunc, "coalescelist": stdlib.CoalesceListFunc, "compact": stdlib.CompactFunc,
		"concat": stdlib.ConcatFunc, "contains": stdlib.ContainsFunc, "distinct": stdlib.DistinctFunc,
		"element": stdlib.ElementFunc, "flatten": stdlib.FlattenFunc, "floor": stdlib.FloorFunc,
		"format": stdlib.FormatFunc, "formatdate": stdlib.FormatDateFunc, "formatlist": stdlib.FormatListFunc,
		"indent": stdlib.IndentFunc, "join": stdlib.JoinFunc, "jsondecode": stdlib.JSONDecodeFunc,
		"jsonencode": stdlib.JSONEncodeFunc, "keys": stdlib.KeysFunc, "length": stdlib.LengthFunc,
		"lookup": stdlib.LookupFunc, "lower": stdlib.LowerFunc, "max": stdlib.MaxFunc, "merge": stdlib.MergeFunc,
		"min": stdlib.MinFunc, "parseint": stdlib.ParseIntFunc, "range": stdlib.RangeFunc,
		"regex": stdlib.RegexFunc, "regexall": stdlib.RegexAllFunc, "replace": stdlib.ReplaceFunc,
		"reverse": stdlib.ReverseListFunc, "setintersection": stdlib.SetIntersectionFunc,
		"setunion": stdlib.SetUnionFunc, "slice": stdlib.SliceFunc, "sort": stdlib.SortFunc,
		"split": stdlib.SplitFunc, "strrev": stdlib.ReverseFunc, "substr": stdlib.SubstrFunc,
		"timeadd": stdlib.TimeAddFunc, "title": stdlib.TitleFunc, "tonumber": stdlib.MakeToFunc(cty.Number),
		"tostring": stdlib.MakeToFunc(cty.String), "tobool": stdlib.MakeToFunc(cty.Bool),
		"tolist": stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)), "tomap": stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"trim": stdlib.TrimFunc, "trimprefix": stdlib.TrimPrefixFunc, "trimspace": stdlib.TrimSpaceFunc,
		"trimsuffix": stdlib.TrimSuffixFunc, "upper": stdlib.UpperFunc, "values": stdlib.ValuesFunc,
		"zipmap": stdlib.ZipmapFunc, "can": tryfunc.CanFunc, "try": tryfunc.TryFunc,
	}
}

// EnvLookup finds an environment variable for env(). When Strict is false
// (validate and test), an unset variable is an unknown, sensitive string
// rather than an error, so configs can be checked without their secrets.
type EnvLookup struct {
	Lookup func(string) (string, bool)
	Strict bool
}

func envFunc(env EnvLookup) function.Function {
	return function.New(&function.Spec{
		Description: "The value of an environment variable, marked sensitive.",
		Params:      []function.Parameter{{Name: "name", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			name := args[0].AsString()
			lookup := env.Lookup
			if lookup == nil {
				lookup = os.LookupEnv
			}
			v, ok := lookup(name)
			if !ok {
				if env.Strict {
					return cty.NilVal, fmt.Errorf("environment variable %s is not set; set it or remove what uses it", name)
				}
				return cty.UnknownVal(cty.String).Mark(sdk.Sensitive), nil
			}
			return cty.StringVal(v).Mark(sdk.Sensitive), nil
		},
	})
}

// fileFunc reads a file below dir; paths that leave it are refused.
func fileFunc(dir string) function.Function {
	return function.New(&function.Spec{
		Description: "The contents of a file in the configuration directory.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			if filepath.IsAbs(p) {
				return cty.NilVal, fmt.Errorf("file(%q): the path must be relative to the configuration directory", p)
			}
			clean := filepath.Clean(p)
			if clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
				return cty.NilVal, fmt.Errorf("file(%q): the path leaves the configuration directory", p)
			}
			b, err := os.ReadFile(filepath.Join(dir, clean))
			if err != nil {
				return cty.NilVal, fmt.Errorf("file(%q): %v", p, err)
			}
			return cty.StringVal(string(b)), nil
		},
	})
}

// hasKeywordFunc reports whether text contains any of the words or phrases
// as whole words, ignoring case: "zwrot" matches "Zwrot towaru?" but not
// "zwrotnica".
var hasKeywordFunc = newHasKeyword()

// newHasKeyword makes has_keyword; the copy made for each evaluation
// remembers the last text it lowered, since every workflow's condition asks
// about the same message text.
func newHasKeyword() function.Function {
	var lastText, lastLower string
	return function.New(&function.Spec{
		Description: "Whether text contains any of the keywords as whole words, ignoring case.",
		Params: []function.Parameter{
			{Name: "text", Type: cty.String},
			{Name: "keywords", Type: cty.List(cty.String)},
		},
		Type: function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			text := args[0].AsString()
			if text != lastText || lastLower == "" {
				lastText, lastLower = text, strings.ToLower(text)
			}
			for it := args[1].ElementIterator(); it.Next(); {
				_, kw := it.Element()
				if kw.IsNull() {
					continue
				}
				if containsWord(lastLower, strings.ToLower(kw.AsString())) {
					return cty.True, nil
				}
			}
			return cty.False, nil
		},
	})
}

// ContainsWord reports whether word occurs in text as a whole word; both
// are expected in lower case.
func ContainsWord(text, word string) bool { return containsWord(text, word) }

func containsWord(text, word string) bool {
	if word == "" {
		return false
	}
	for i := 0; i < len(text); {
		j := strings.Index(text[i:], word)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(word)
		before, _ := utf8.DecodeLastRuneInString(text[:start])
		after, _ := utf8.DecodeRuneInString(text[end:])
		if !isWordRune(before) && !isWordRune(after) {
			return true
		}
		_, size := utf8.DecodeRuneInString(text[start:])
		i = start + size
	}
	return false
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func reflectType[T any]() reflect.Type { return reflect.TypeOf((*T)(nil)).Elem() }

// regexCache keeps compiled patterns: conditions run the same few patterns
// on every message.
var regexCache sync.Map

// CompileRegex compiles a pattern once and keeps it.
func CompileRegex(p string) (*regexp.Regexp, error) { return compileRegex(p) }

func compileRegex(p string) (*regexp.Regexp, error) {
	if re, ok := regexCache.Load(p); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("invalid regular expression %q: %v", p, err)
	}
	regexCache.Store(p, re)
	return re, nil
}

var matchesFunc = function.New(&function.Spec{
	Description: "Whether text matches the regular expression (RE2 syntax; (?i) ignores case).",
	Params: []function.Parameter{
		{Name: "text", Type: cty.String},
		{Name: "pattern", Type: cty.String},
	},
	Type: function.StaticReturnType(cty.Bool),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		re, err := compileRegex(args[1].AsString())
		if err != nil {
			return cty.NilVal, function.NewArgError(1, err)
		}
		return cty.BoolVal(re.MatchString(args[0].AsString())), nil
	},
})

// timecmpFunc compares two RFC 3339 timestamps: -1, 0 or 1, as Terraform's
// timecmp does, so `timecmp(now, "2027-01-07T00:00:00+01:00") < 0` reads
// "before the 7th of January in Warsaw".
var timecmpFunc = function.New(&function.Spec{
	Description: "Compares two RFC 3339 timestamps: -1 if the first is earlier, 0 if equal, 1 if later.",
	Params: []function.Parameter{
		{Name: "a", Type: cty.String},
		{Name: "b", Type: cty.String},
	},
	Type: function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		var ts [2]time.Time
		for i, a := range args {
			t, err := time.Parse(time.RFC3339, a.AsString())
			if err != nil {
				return cty.NilVal, function.NewArgErrorf(i, "%q is not an RFC 3339 timestamp such as \"2027-01-07T00:00:00+01:00\"", a.AsString())
			}
			ts[i] = t
		}
		return cty.NumberIntVal(int64(ts[0].Compare(ts[1]))), nil
	},
})

// defaultFunc returns value unless it is null or empty, else fallback:
// "${default(contact.name, "Customer")}".
var defaultFunc = function.New(&function.Spec{
	Description: "value, or fallback when value is null or an empty string.",
	Params: []function.Parameter{
		{Name: "value", Type: cty.String, AllowNull: true},
		{Name: "fallback", Type: cty.String},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		if args[0].IsNull() || args[0].AsString() == "" {
			return args[1], nil
		}
		return args[0], nil
	},
})

var weekdays = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func locationArg(v cty.Value) (*time.Location, error) {
	loc, err := time.LoadLocation(v.AsString())
	if err != nil {
		return nil, function.NewArgErrorf(0, "unknown time zone %q; use an IANA name such as \"Europe/Warsaw\"", v.AsString())
	}
	return loc, nil
}

// TimeFunctions are the functions that read the evaluation's clock: they are
// made per evaluation, in a child of the static context.
func TimeFunctions(now time.Time) map[string]function.Function {
	return map[string]function.Function{
		"has_keyword": newHasKeyword(),
		"open_now": function.New(&function.Spec{
			Description: "Whether the schedule is open at the moment of evaluation, or at the moment given.",
			Params:      []function.Parameter{{Name: "schedule", Type: scheduleType}},
			VarParam:    &function.Parameter{Name: "at", Type: cty.String},
			Type:        function.StaticReturnType(cty.Bool),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				at, err := momentOf(now, args[1:])
				if err != nil {
					return cty.NilVal, err
				}
				return cty.BoolVal(scheduleOf(args[0]).Open(at)), nil
			},
		}),
		"next_open": function.New(&function.Spec{
			Description: "When the schedule next opens from the moment of evaluation, or from the moment given (that moment, if open), as an RFC 3339 timestamp in the schedule's time zone.",
			Params:      []function.Parameter{{Name: "schedule", Type: scheduleType}},
			VarParam:    &function.Parameter{Name: "at", Type: cty.String},
			Type:        function.StaticReturnType(cty.String),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				at, err := momentOf(now, args[1:])
				if err != nil {
					return cty.NilVal, err
				}
				s := scheduleOf(args[0])
				t, ok := s.NextOpen(at)
				if !ok {
					return cty.NilVal, fmt.Errorf("the schedule never opens")
				}
				return cty.StringVal(t.In(s.Location()).Format(time.RFC3339)), nil
			},
		}),
		"today": zonedFunc(now, `The date ("2026-11-20") in a time zone at the moment of evaluation.`, cty.String,
			func(t time.Time) cty.Value { return cty.StringVal(t.Format(time.DateOnly)) }),
		"weekday": zonedFunc(now, `The weekday ("mon" … "sun") in a time zone at the moment of evaluation.`, cty.String,
			func(t time.Time) cty.Value { return cty.StringVal(weekdays[t.Weekday()]) }),
		"hour": zonedFunc(now, "The hour (0–23) in a time zone at the moment of evaluation.", cty.Number,
			func(t time.Time) cty.Value { return cty.NumberIntVal(int64(t.Hour())) }),
	}
}

// momentOf is the optional moment argument of open_now and next_open (an
// RFC 3339 timestamp, such as message.received_at), else now.
func momentOf(now time.Time, extra []cty.Value) (time.Time, error) {
	switch len(extra) {
	case 0:
		return now, nil
	case 1:
		t, err := time.Parse(time.RFC3339, extra[0].AsString())
		if err != nil {
			return time.Time{}, function.NewArgErrorf(1, "%q is not an RFC 3339 timestamp; give one such as message.received_at or \"2026-11-20T19:00:00+01:00\"", extra[0].AsString())
		}
		return t, nil
	}
	return time.Time{}, function.NewArgErrorf(2, "give the schedule and at most one moment")
}

// zonedFunc makes a function of one time zone argument that reads the
// evaluation's moment in that zone.
func zonedFunc(now time.Time, description string, ret cty.Type, read func(time.Time) cty.Value) function.Function {
	return function.New(&function.Spec{
		Description: description,
		Params:      []function.Parameter{{Name: "timezone", Type: cty.String}},
		Type:        function.StaticReturnType(ret),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			loc, err := locationArg(args[0])
			if err != nil {
				return cty.NilVal, err
			}
			return read(now.In(loc)), nil
		},
	})
}

// typecheckTimeFunctions are declared in the static context too (returning
// unknown values) so that type-checking sees them.
func typecheckTimeFunctions() map[string]function.Function {
	out := map[string]function.Function{}
	for name, f := range TimeFunctions(time.Time{}) {
		params := f.Params()
		ret, _ := f.ReturnType(paramTypes(params))
		out[name] = function.New(&function.Spec{
			Description: f.Description(),
			Params:      params,
			VarParam:    f.VarParam(),
			Type: func(args []cty.Value) (cty.Type, error) {
				// The optional moment of open_now and next_open: one at
				// most, and a timestamp when written in place.
				if extra := args[len(params):]; len(extra) > 0 {
					if len(extra) > 1 {
						return cty.NilType, function.NewArgErrorf(len(params)+1, "give the schedule and at most one moment")
					}
					if v := extra[0]; v.IsKnown() && !v.IsNull() && v.Type() == cty.String {
						if _, err := momentOf(time.Time{}, extra); err != nil {
							return cty.NilType, err
						}
					}
				}
				return ret, nil
			},
			Impl: func(_ []cty.Value, t cty.Type) (cty.Value, error) {
				return cty.UnknownVal(t), nil
			},
		})
	}
	return out
}

func paramTypes(ps []function.Parameter) []cty.Type {
	out := make([]cty.Type, len(ps))
	for i, p := range ps {
		out[i] = p.Type
	}
	return out
}
