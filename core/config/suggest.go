package config

import (
	"fmt"
	"sort"

	"github.com/agext/levenshtein"
)

// Suggestion returns ` Did you mean "x"?` for the known name closest to
// given, or "" when none is close.
func Suggestion(given string, known []string) string {
	best, bestDist := "", 4
	sorted := append([]string(nil), known...)
	sort.Strings(sorted)
	for _, k := range sorted {
		if d := levenshtein.Distance(given, k, nil); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
