package sdk

import "context"

// State is durable key-value state of one plugin instance, kept by the host
// in its store: it survives restarts of the plugin and of the host. Use it
// for what the vendor forces a plugin to remember, such as a rotating OAuth
// refresh token — never for delivery state, which the host owns.
type State interface {
	// Get returns the value and whether the key exists.
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Put(ctx context.Context, key string, value []byte) error
	Delete(ctx context.Context, key string) error
}
