package hub

import (
	"encoding/json"
	"fmt"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// Action outputs are kept in the store as JSON with their type, so that a
// later step, perhaps on another node after a restart, reads the same value.

type storedValue struct {
	Type  json.RawMessage `json:"type"`
	Value json.RawMessage `json:"value"`
}

func encodeOutputs(v cty.Value) ([]byte, error) {
	if v == cty.NilVal {
		return nil, nil
	}
	v, _ = v.UnmarkDeep()
	t, err := ctyjson.MarshalType(v.Type())
	if err != nil {
		return nil, err
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return nil, err
	}
	return json.Marshal(storedValue{Type: t, Value: b})
}

func decodeOutputs(b []byte) (cty.Value, error) {
	var sv storedValue
	if err := json.Unmarshal(b, &sv); err != nil {
		return cty.NilVal, fmt.Errorf("stored outputs: %w", err)
	}
	t, err := ctyjson.UnmarshalType(sv.Type)
	if err != nil {
		return cty.NilVal, fmt.Errorf("stored outputs: %w", err)
	}
	return ctyjson.Unmarshal(sv.Value, t)
}
