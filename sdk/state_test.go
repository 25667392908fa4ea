package sdk_test

import (
	"strings"
	"testing"

	"github.com/switchboard-hub/switchboard/sdk"
)

func TestCheckStateKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		key  string
		want string // in the error; "" for a valid key
	}{
		{"one byte", "k", ""},
		{"at the limit", strings.Repeat("k", sdk.MaxStateKeyLen), ""},
		{"multi-byte text at the limit", strings.Repeat("ł", sdk.MaxStateKeyLen/2), ""},
		{"path-like", "../../escape", ""},
		{"empty", "", "state key is empty"},
		{"one byte over", strings.Repeat("k", sdk.MaxStateKeyLen+1), "is 1025 bytes, over the limit of 1024"},
		{"far over", strings.Repeat("k", 4096), "is 4096 bytes, over the limit of 1024"},
		{"not UTF-8", "k\xff", "not UTF-8"},
		{"NUL byte", "a\x00b", "NUL byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := sdk.CheckStateKey(tt.key)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckStateKey refused a valid key: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckStateKey accepted %q", tt.key)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to say %q", err, tt.want)
			}
			// The host retries an unclassified error for ever; no retry
			// can make the key valid.
			if k := sdk.KindOf(err); k != sdk.KindPermanent {
				t.Errorf("error kind = %s, want permanent", k)
			}
		})
	}
}
