package pluginhost

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
)

// SHA256File returns the hex sha256 of the file at path.
func SHA256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ChecksumError is a plugin binary that does not match its pin.
type ChecksumError struct {
	Path   string
	Pinned string
	Actual string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("plugin %s has sha256 %s, but the configuration pins %s; refusing to start it. "+
		"Put back the pinned binary, or, if this build is the one you trust, update the pin: the plugin block's sha256, "+
		"or the lock file (switchboard plugins lock)", e.Path, e.Actual, e.Pinned)
}

func decodePin(pin string) ([]byte, error) {
	b, err := hex.DecodeString(pin)
	if err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("sha256 pin %q is not 64 hexadecimal digits", pin)
	}
	return b, nil
}

func newSHA256() hash.Hash { return sha256.New() }
