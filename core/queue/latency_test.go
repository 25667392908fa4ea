package queue

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
	"time"
)

// A consumer whose server is far away (240 ms there and back) takes every
// message at its first delivery: one the server sends at the end of a pull
// is still taken, not dropped by a client that stopped listening, to come
// back only after AckWait.
func TestAFarServerLosesNoDeliveryAtTheEndOfAPull(t *testing.T) {
	t.Parallel()
	o := backend{}.options(t)
	near := o
	o.URL = latencyProxy(t, o.URL, 120*time.Millisecond)
	o.AckWait = 5 * time.Second
	q := open(t, o)
	ctx := testContext(t)
	type seen struct {
		id      string
		attempt int
	}
	got := make(chan seen, 100)
	consume(t, q, "steps", "execute", func(ctx context.Context, d Delivery) {
		got <- seen{d.DedupID, d.Attempt}
		_ = d.Ack()
	}, KeepInProgress())
	// Another node publishes at moments that fall anywhere in the pulls.
	pub := open(t, near)
	const n = 30
	go func() {
		for i := range n {
			time.Sleep(time.Duration(rand.IntN(400)) * time.Millisecond)
			if err := pub.Publish(ctx, "steps", fmt.Sprint("m", i), []byte("x")); err != nil {
				t.Error(err)
			}
		}
	}()
	for range n {
		if s := receive(t, ctx, got, "a delivery"); s.attempt > 1 {
			t.Errorf("%s was first handled at attempt %d: an earlier delivery was dropped", s.id, s.attempt)
		}
	}
}

// latencyProxy forwards TCP connections to target, each way oneWay later.
func latencyProxy(t *testing.T, target string, oneWay time.Duration) string {
	t.Helper()
	addr := target
	if u := len("nats://"); len(addr) > u && addr[:u] == "nats://" {
		addr = addr[u:]
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", addr)
			if err != nil {
				c.Close()
				continue
			}
			go delayed(s, c, oneWay)
			go delayed(c, s, oneWay)
		}
	}()
	return "nats://" + ln.Addr().String()
}

// delayed copies src to dst, each read oneWay later, in order.
func delayed(dst, src net.Conn, oneWay time.Duration) {
	type chunk struct {
		at time.Time
		b  []byte
	}
	ch := make(chan chunk, 4096)
	go func() {
		defer dst.Close()
		for c := range ch {
			time.Sleep(time.Until(c.at))
			if _, err := dst.Write(c.b); err != nil {
				return
			}
		}
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			ch <- chunk{time.Now().Add(oneWay), append([]byte(nil), buf[:n]...)}
		}
		if err != nil {
			close(ch)
			return
		}
	}
}
