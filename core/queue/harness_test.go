package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The external server the tests also run against. Unreachable is a failure,
// never a skip: the old 2.9 server is what a production cluster may run.
func externalURL() string {
	if u := os.Getenv("SWITCHBOARD_TEST_NATS"); u != "" {
		return u
	}
	return "nats://127.0.0.1:4222"
}

var externalCheck = sync.OnceValue(func() error {
	// CI starts the server in the background just before the tests: give
	// it a few seconds to listen.
	var nc *nats.Conn
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; {
		nc, err = nats.Connect(externalURL(), nats.Timeout(3*time.Second))
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err = js.AccountInfo(ctx); err != nil {
		return err
	}
	// nats-server 2.9 removes the account's store directory when its last
	// stream is deleted, racing with a stream being created at that moment
	// ("error creating store for stream", err_code 10049). Tests create and
	// delete streams in parallel, so an anchor stream that is never deleted
	// keeps the directory. It holds no messages.
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        "SWITCHBOARD_TEST_ANCHOR",
		Description: "keeps the account's store directory for core/queue tests; safe to delete when no test runs",
		Subjects:    []string{"switchboard_test_anchor"},
		Storage:     jetstream.FileStorage,
		MaxMsgs:     1,
	})
	return err
})

// backend is where a test's queue runs.
type backend struct {
	name     string
	embedded bool
}

var backends = []backend{{"embedded", true}, {"external", false}}

// forEachBackend runs f against the embedded server and the external one,
// in parallel.
func forEachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			f(t, b)
		})
	}
}

var nameUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// uniqueStream names a stream after the test, with a random suffix so
// reruns and parallel tests never share one.
func uniqueStream(t testing.TB) string {
	name := nameUnsafe.ReplaceAllString(t.Name(), "_")
	if len(name) > 60 {
		name = name[len(name)-60:]
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	return strings.Trim(name, "_") + "_" + hex.EncodeToString(b[:])
}

// options gives a test's Options: a unique stream, and a temp DataDir or
// the external URL.
func (b backend) options(t testing.TB) Options {
	t.Helper()
	o := Options{
		Stream:   uniqueStream(t),
		Subjects: []string{"messages", "steps"},
		Logger:   testLogger(t),
	}
	if b.embedded {
		o.DataDir = t.TempDir()
	} else {
		if err := externalCheck(); err != nil {
			t.Fatalf("external NATS with JetStream at %s is unreachable: %v; start it (nats-server -js) or point SWITCHBOARD_TEST_NATS at one", externalURL(), err)
		}
		o.URL = externalURL()
		t.Cleanup(func() { deleteStream(t, o.Stream) })
	}
	return o
}

// deleteStream removes a test's stream from the external server, over a
// connection of its own so it works whether or not the queue was closed.
func deleteStream(t testing.TB, stream string) {
	nc, err := nats.Connect(externalURL())
	if err != nil {
		t.Errorf("deleting stream %s: %v", stream, err)
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Errorf("deleting stream %s: %v", stream, err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := js.DeleteStream(ctx, stream); err != nil && err != jetstream.ErrStreamNotFound {
		t.Errorf("deleting stream %s: %v", stream, err)
	}
}

func testLogger(t testing.TB) hclog.Logger {
	level := hclog.Warn
	if os.Getenv("SWITCHBOARD_TEST_QUEUE_DEBUG") != "" {
		level = hclog.Debug
	}
	return hclog.New(&hclog.LoggerOptions{Name: t.Name(), Level: level, Output: testWriter{t}})
}

// testWriter sends log lines to t.Log, so they show with the failing test.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	defer func() { _ = recover() }() // a late log line after the test ended
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// open opens a queue that is closed when the test ends.
func open(t testing.TB, o Options) *Queue {
	t.Helper()
	q, err := Open(testContext(t), o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := q.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return q
}

// testContext ends a little before the test's deadline, so a stuck wait
// fails with a message instead of a panic dump.
func testContext(t testing.TB) context.Context {
	ctx := t.Context()
	if tt, ok := t.(*testing.T); ok {
		if dl, ok := tt.Deadline(); ok {
			c, cancel := context.WithDeadline(ctx, dl.Add(-5*time.Second))
			t.Cleanup(cancel)
			return c
		}
	}
	c, cancel := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// consume starts a consumer that is stopped when the test ends.
func consume(t testing.TB, q *Queue, subject, name string, h Handler, opts ...ConsumeOption) (stop func()) {
	t.Helper()
	stop, err := q.Consume(testContext(t), subject, name, h, opts...)
	if err != nil {
		t.Fatalf("Consume: %v", err)
	}
	t.Cleanup(stop)
	return stop
}

func publishN(t testing.TB, q *Queue, subject string, n int) {
	t.Helper()
	ctx := testContext(t)
	for i := range n {
		if err := q.Publish(ctx, subject, fmt.Sprintf("%s-%d", subject, i), fmt.Appendf(nil, "payload %d", i)); err != nil {
			t.Fatalf("Publish %d: %v", i, err)
		}
	}
}

// receive waits for one value or fails when the test's context ends.
func receive[T any](t testing.TB, ctx context.Context, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		t.Fatalf("waiting for %s: %v", what, ctx.Err())
		var zero T
		return zero
	}
}

// depth returns the subject's depth or fails.
func depth(t testing.TB, q *Queue, subject string) int {
	t.Helper()
	n, err := q.Depth(testContext(t), subject)
	if err != nil {
		t.Fatalf("Depth(%q): %v", subject, err)
	}
	return n
}

// consumerInfo is the server's view of a consumer.
func consumerInfo(t testing.TB, q *Queue, name string) *jetstream.ConsumerInfo {
	t.Helper()
	ctx := testContext(t)
	c, err := q.js.Consumer(ctx, q.opts.Stream, name)
	if err != nil {
		t.Fatalf("consumer %s: %v", name, err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatalf("consumer %s info: %v", name, err)
	}
	return info
}
