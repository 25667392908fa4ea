package sdktest

import (
	"testing"

	"github.com/switchboard-hub/switchboard/sdk"
)

// ConnectorSuite names a connector under test.
type ConnectorSuite struct {
	// New returns a fresh, unconfigured connector. The suite serves it
	// in-process over the real gRPC path.
	New func() sdk.Connector
	// Binary, when set, is the path of the built plugin; the suite runs every
	// check again against it as a subprocess.
	Binary string
	// Fixture returns a fresh fake vendor for each check.
	Fixture func(t testing.TB) ConnectorFixture
}

// ActionSuite names an action under test.
type ActionSuite struct {
	New     func() sdk.Action
	Binary  string
	Fixture func(t testing.TB) ActionFixture
}
