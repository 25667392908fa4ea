package sdk_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyDirection holds the architecture's one rule: cmd → core →
// sdk and plugins → sdk. The SDK and every plugin must build without the host.
func TestDependencyDirection(t *testing.T) {
	const module = "github.com/switchboard-hub/switchboard/"
	for _, pattern := range []string{"./...", "../plugins/..."} {
		cmd := exec.Command("go", "list", "-deps", "-test", pattern)
		out, err := cmd.CombinedOutput()
		if err != nil {
			if strings.Contains(string(out), "matched no packages") {
				continue
			}
			t.Fatalf("go list %s: %v\n%s", pattern, err, out)
		}
		for _, pkg := range strings.Fields(string(out)) {
			for _, banned := range []string{module + "core", module + "cmd"} {
				if pkg == banned || strings.HasPrefix(pkg, banned+"/") {
					t.Errorf("%s depends on %s; the SDK and plugins may import only the SDK", pattern, pkg)
				}
			}
		}
	}
}
