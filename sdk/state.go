package sdk

import (
	"context"
	"fmt"
	"strings"
	"time"
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
	// Lock waits until the instance's lock named key is free, then holds
	// it until unlock is called or ttl has passed, whichever comes first.
	// The lock is shared by every process of the instance: during a
	// reload the old process finishes its calls beside the new one, and
	// every hub that shares a database runs a process of its own for each
	// instance. Take it around what two of them must not do at once, such
	// as refreshing an OAuth token whose refresh token the vendor rotates,
	// and read what you keep in State again once you hold it: another
	// process may have changed it meanwhile.
	//
	// ctx bounds the wait; when it ends first, Lock returns a retryable
	// error. ttl, from a millisecond to MaxLockTTL, frees the lock of a
	// process that died holding it: make it longer than the work it
	// guards (an HTTP client's timeout, say), or another process may take
	// the lock while that work goes on. Unlocking a lock that ttl has
	// freed does nothing. Lock names are keys of their own: a lock and a
	// value may have the same key.
	Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(context.Context) error, err error)
}

// MaxLockTTL is the longest a State lock may be held.
const MaxLockTTL = 10 * time.Minute

// CheckLockTTL returns a permanent error when ttl is not a valid State lock
// time: under a millisecond, or over MaxLockTTL.
func CheckLockTTL(ttl time.Duration) error {
	if ttl < time.Millisecond || ttl > MaxLockTTL {
		return Permanent(fmt.Errorf("state lock time %s is out of range; hold a lock from 1ms to %s, a little longer than the work it guards", ttl, MaxLockTTL))
	}
	return nil
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
