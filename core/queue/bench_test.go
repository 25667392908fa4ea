package queue

import (
	"context"
	"fmt"
	"testing"
)

// payload is the size of what the queue carries: an id of a stored fact.
var payload = make([]byte, 64)

func BenchmarkPublish(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name+"/sync", func(b *testing.B) {
			q := open(b, be.options(b))
			ctx := testContext(b)
			i := 0
			for b.Loop() {
				if err := q.Publish(ctx, "messages", fmt.Sprint("id-", i), payload); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "msgs/s")
		})
		for _, size := range []int{100, 1000} {
			b.Run(fmt.Sprintf("%s/batch%d", be.name, size), func(b *testing.B) {
				q := open(b, be.options(b))
				ctx := testContext(b)
				batch := make([]Message, size)
				n := 0
				for b.Loop() {
					for j := range batch {
						batch[j] = Message{Subject: "messages", DedupID: fmt.Sprint("id-", n), Data: payload}
						n++
					}
					if err := q.PublishBatch(ctx, batch); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
			})
		}
	}
}

// BenchmarkRoundTrip is one message at a time from Publish to a confirmed
// Ack: the latency a single piece of work sees through an idle queue.
func BenchmarkRoundTrip(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			q := open(b, be.options(b))
			ctx := testContext(b)
			acked := make(chan error, 1)
			consume(b, q, "steps", "execute", func(ctx context.Context, d Delivery) {
				acked <- d.Ack()
			})
			i := 0
			for b.Loop() {
				if err := q.Publish(ctx, "steps", fmt.Sprint("id-", i), payload); err != nil {
					b.Fatal(err)
				}
				if err := receive(b, ctx, acked, "the ack"); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkThroughput publishes in batches while a consumer with the
// default concurrency acks: sustained work through the queue.
func BenchmarkThroughput(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			q := open(b, be.options(b))
			ctx := testContext(b)
			acked := make(chan struct{}, 1024)
			consume(b, q, "messages", "evaluate", func(ctx context.Context, d Delivery) {
				if err := d.Ack(); err != nil {
					b.Error(err)
				}
				acked <- struct{}{}
			})
			const size = 500
			batch := make([]Message, size)
			n := 0
			for b.Loop() {
				for j := range batch {
					batch[j] = Message{Subject: "messages", DedupID: fmt.Sprint("id-", n), Data: payload}
					n++
				}
				if err := q.PublishBatch(ctx, batch); err != nil {
					b.Fatal(err)
				}
				for range size {
					receive(b, ctx, acked, "an ack")
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
