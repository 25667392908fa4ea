package config

import (
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// detectLanguageFunc is detect_language(text): the ISO 639-1 code of the
// text's language, or "" when the detector is unsure. The detector is
// injected (Options.Detect) so that this package does not carry language
// models; without one the function answers "".
func detectLanguageFunc(detect func(string) string) function.Function {
	return function.New(&function.Spec{
		Description: `The language of a text as an ISO 639-1 code such as "pl", or "" when unsure.`,
		Params:      []function.Parameter{{Name: "text", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if detect == nil {
				return cty.StringVal(""), nil
			}
			return cty.StringVal(detect(args[0].AsString())), nil
		},
	})
}
