package sdk

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// State is durable key-value state of one plugin instance, kept by the host
// in its store: it survives restarts of the plugin and of the host. Use it
// for what the vendor forces a plugin to remember, such as a rotating OAuth
// refresh token — never for delivery state, which the host owns.
//
// A key is UTF-8 text of 1 to MaxStateKeyLen (1,024) bytes; keep NUL bytes
// out of it too, as the hub's database cannot hold them. The host refuses
// any other key with a permanent error (see CheckStateKey), since retrying
// cannot help: to name a value after something long, hash it.
type State interface {
	// Get returns the value and whether the key exists.
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Put(ctx context.Context, key string, value []byte) error
	Delete(ctx context.Context, key string) error
}

// MaxStateKeyLen is the longest State key, in bytes: the hub's database
// keys a value by it, and PostgreSQL refuses index entries of more than
// about 2.7 kB.
const MaxStateKeyLen = 1024

// CheckStateKey returns a permanent error when key is not a valid State key:
// empty, longer than MaxStateKeyLen bytes, or not UTF-8 (which the wire
// cannot carry). A State implementation calls it first in Get, Put and
// Delete; a plugin may call it to check a key it builds.
func CheckStateKey(key string) error {
	switch {
	case key == "":
		return Permanent(fmt.Errorf("state key is empty; name the value with a key of 1 to %d bytes", MaxStateKeyLen))
	case len(key) > MaxStateKeyLen:
		return Permanent(fmt.Errorf("state key %q… is %d bytes, over the limit of %d; use a shorter key, such as a hash of this one",
			key[:32], len(key), MaxStateKeyLen))
	case !utf8.ValidString(key):
		return Permanent(fmt.Errorf("state key %q is not UTF-8 text; encode it, with hex for instance", key))
	case strings.ContainsRune(key, 0):
		return Permanent(fmt.Errorf("state key %q holds a NUL byte, which the hub's database cannot store; leave it out", key))
	}
	return nil
}
