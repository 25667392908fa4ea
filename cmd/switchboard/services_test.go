package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-hub/switchboard/core/store/storetest"
)

// The PostgreSQL server (storetest.Postgres) and the NATS JetStream server
// that the store and queue tests use too, found the same way: SWITCHBOARD_TEST_POSTGRES and
// SWITCHBOARD_TEST_NATS, else the local servers. As there, an unreachable
// server fails the test; it is never skipped. Each test takes a schema and
// a stream of its own, removed when it ends, so tests and packages can share
// the servers.

const defaultTestNATS = "nats://127.0.0.1:4222"

func testNATSURL() string {
	if u := os.Getenv("SWITCHBOARD_TEST_NATS"); u != "" {
		return u
	}
	return defaultTestNATS
}

// testJetStream connects to the test NATS server and checks that JetStream
// answers.
func testJetStream(t *testing.T) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(testNATSURL(), nats.Timeout(5*time.Second))
	if err == nil {
		t.Cleanup(nc.Close)
		var js jetstream.JetStream
		if js, err = jetstream.New(nc); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err = js.AccountInfo(ctx); err == nil {
				return js
			}
		}
	}
	t.Fatalf("NATS with JetStream at %s is unreachable, and this test needs it (it is never skipped): %v\n"+
		"Start it (nats-server -js), or set SWITCHBOARD_TEST_NATS to one, e.g. %s", storetest.Redact(testNATSURL()), err, defaultTestNATS)
	return nil
}

// testStream names a new JetStream stream and deletes it when the test ends.
func testStream(t *testing.T, js jetstream.JetStream) string {
	t.Helper()
	// nats-server 2.9 removes an account's store directory when its last
	// stream is deleted, racing with a stream created at that moment in
	// another test. core/queue's tests keep an anchor stream for that;
	// make sure it exists, with their exact settings, so this test's
	// deletion never removes the last stream.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        "SWITCHBOARD_TEST_ANCHOR",
		Description: "keeps the account's store directory for core/queue tests; safe to delete when no test runs",
		Subjects:    []string{"switchboard_test_anchor"},
		Storage:     jetstream.FileStorage,
		MaxMsgs:     1,
	}); err != nil {
		t.Fatalf("anchor stream: %v", err)
	}
	stream := "SERVETEST_" + randomHex(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := js.DeleteStream(ctx, stream); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			t.Errorf("delete stream %s: %v", stream, err)
		}
	})
	return stream
}

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
