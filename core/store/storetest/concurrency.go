package storetest

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hub/switchboard/core/store"
	"github.com/switchboard-hub/switchboard/core/workflow"
	"github.com/switchboard-hub/switchboard/sdk"
)

// The races the store must settle: every goroutine waits at a gate and all
// start together, as workers on several nodes would.
var concurrencyTests = []test{
	{"Lease/OneHolder", testLeaseOneHolder},
	{"Concurrent/ReleaseDue", testConcurrentRelease},
	{"Concurrent/BeginAttempt", testConcurrentBegin},
	{"Concurrent/ClaimReplyOneThread", testConcurrentClaimThread},
	{"Concurrent/ClaimReplySameKey", testConcurrentClaimSameKey},
	{"Concurrent/ClaimReplyBreaker", testConcurrentClaimBreaker},
	{"Concurrent/IngestSameBatch", testConcurrentIngestSame},
	{"Concurrent/IngestSharedContacts", testConcurrentIngestShared},
	{"Concurrent/PlanAndFinish", testConcurrentPlanFinish},
	{"Concurrent/Prune", testConcurrentPrune},
}

const workers = 8

// race runs fn on workers goroutines at once and waits for them.
func race(fn func(worker int)) {
	var (
		wg   sync.WaitGroup
		gate = make(chan struct{})
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			fn(w)
		}()
	}
	close(gate)
	wg.Wait()
}

func testConcurrentRelease(t *testing.T, s store.Store) {
	const steps = 120
	in := one(t, s, msg("e1", "t1", "anna"), t0)
	var all []workflow.Planned
	for i := range steps {
		all = append(all, planned(in.MessageID, "w", fmt.Sprintf("s%03d", i), at(time.Duration(i%10)*time.Minute)))
	}
	plan(t, s, in.MessageID, t0.Add(-time.Hour), all...)
	var (
		mu    sync.Mutex
		moved int
		errs  []error
	)
	race(func(int) {
		for {
			n, err := s.ReleaseDue(ctx(t), at(time.Hour), 7)
			mu.Lock()
			moved += n
			if err != nil {
				errs = append(errs, err)
			}
			mu.Unlock()
			if n == 0 || err != nil {
				return
			}
		}
	})
	if len(errs) > 0 {
		t.Fatalf("ReleaseDue failed: %v", errors.Join(errs...))
	}
	if moved != steps {
		t.Errorf("concurrent schedulers moved %d steps in all, want %d", moved, steps)
	}
	seen := map[string]bool{}
	for _, r := range drain(t, s) {
		if r.Subject != store.SubjectSteps {
			continue
		}
		if seen[r.DedupID] {
			t.Errorf("step queued twice: %s", r.DedupID)
		}
		seen[r.DedupID] = true
	}
	if len(seen) != steps {
		t.Errorf("outbox holds %d step rows, want %d", len(seen), steps)
	}
	diff(t, "stats", store.Stats{QueuedSteps: steps}, stats(t, s))
}

func testConcurrentBegin(t *testing.T, s store.Store) {
	for round := range 5 {
		_, key := queuedStep(t, s, "race", fmt.Sprint(round))
		// Round 0 races for a queued step; later rounds for one whose worker
		// died (its lease ended).
		now := t0
		if round > 0 {
			_, err := s.BeginAttempt(ctx(t), key, t0)
			must(t, "BeginAttempt", err)
			now = t0.Add(store.DefaultAttemptLease)
		}
		var (
			mu      sync.Mutex
			winners []*store.Step
			errs    []error
		)
		race(func(int) {
			st, err := s.BeginAttempt(ctx(t), key, now)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				winners = append(winners, st)
			case !errors.Is(err, store.ErrNotClaimable) && !errors.Is(err, store.ErrStepHeld):
				errs = append(errs, err)
			}
		})
		if len(errs) > 0 {
			t.Fatalf("round %d: BeginAttempt failed: %v", round, errors.Join(errs...))
		}
		if len(winners) != 1 {
			t.Fatalf("round %d: %d workers began the step, want exactly one", round, len(winners))
		}
		if w := winners[0]; w.WasAttempted != (round > 0) {
			t.Errorf("round %d: winner's WasAttempted = %t", round, w.WasAttempted)
		}
	}
}

func testConcurrentClaimThread(t *testing.T, s store.Store) {
	ids := threads(t, s, "claim", 3)
	for round, id := range ids {
		var (
			mu       sync.Mutex
			granted  []string
			verdicts = map[string]workflow.Verdict{}
			errs     []error
		)
		race(func(w int) {
			key := fmt.Sprintf("r%d-k%d", round, w)
			// Each worker claims twice with its key: the second answer must
			// repeat the first, marked Repeated.
			for range 2 {
				v, err := s.ClaimReply(ctx(t), workflow.ReplyClaim{ThreadID: id, Workflow: "w", Key: key, At: t0, Window: time.Hour})
				mu.Lock()
				prev, ok := verdicts[key]
				if err != nil {
					errs = append(errs, err)
				} else if v.Repeated != ok {
					errs = append(errs, fmt.Errorf("key %s: verdict %+v, when claimed before: %t", key, v, ok))
				} else if ok && (prev.OK != v.OK || prev.Reason != v.Reason) {
					errs = append(errs, fmt.Errorf("key %s: verdict %+v, then %+v", key, prev, v))
				} else if !ok {
					verdicts[key] = v
					if v.OK {
						granted = append(granted, key)
					}
				}
				mu.Unlock()
			}
		})
		if len(errs) > 0 {
			t.Fatalf("ClaimReply: %v", errors.Join(errs...))
		}
		if len(granted) != 1 {
			t.Errorf("round %d: %d claims granted for one thread within the window, want one: %v", round, len(granted), granted)
		}
	}
}

// Workers that claim with one key at once (a step delivered to several)
// all get the one verdict that is recorded, and the reply is counted once.
func testConcurrentClaimSameKey(t *testing.T, s store.Store) {
	ids := threads(t, s, "samekey", 2)
	var (
		mu       sync.Mutex
		verdicts []workflow.Verdict
		errs     []error
	)
	race(func(w int) {
		// Half of them claim for the step's thread, half for another one
		// (which locks another claim row).
		v, err := s.ClaimReply(ctx(t), workflow.ReplyClaim{ThreadID: ids[w%2], Workflow: "w", Key: "same", At: t0, Window: time.Hour,
			BreakerLimit: 100, BreakerPer: time.Hour})
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
			return
		}
		verdicts = append(verdicts, v)
	})
	if len(errs) > 0 {
		t.Fatalf("ClaimReply: %v", errors.Join(errs...))
	}
	first := 0
	for _, v := range verdicts {
		if !v.Repeated {
			first++
		}
		if v.OK != verdicts[0].OK || v.Reason != verdicts[0].Reason || !v.OK {
			t.Fatalf("verdicts for one key: %+v; want one granted verdict for all", verdicts)
		}
	}
	if first != 1 {
		t.Fatalf("%d of the verdicts for one key were given first (not Repeated); want 1: %+v", first, verdicts)
	}
	// One reply was counted: a limit of one more is reached by the next.
	v, err := s.ClaimReply(ctx(t), workflow.ReplyClaim{ThreadID: ids[1], Workflow: "w", Key: "other", At: t0.Add(2 * time.Hour),
		BreakerLimit: 1, BreakerPer: 3 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if v.OK {
		t.Errorf("a claim after the concurrent ones was granted under a limit of one: the first reply was not counted")
	}
	v, err = s.ClaimReply(ctx(t), workflow.ReplyClaim{ThreadID: ids[1], Workflow: "w", Key: "third", At: t0.Add(2 * time.Hour),
		BreakerLimit: 2, BreakerPer: 3 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK {
		t.Errorf("a claim under a limit of two was refused (%s): the concurrent claims counted more than one reply", v.Reason)
	}
}

func testConcurrentClaimBreaker(t *testing.T, s store.Store) {
	const limit = 3
	ids := threads(t, s, "breaker", workers)
	var (
		mu      sync.Mutex
		granted int
		errs    []error
	)
	race(func(w int) {
		v, err := s.ClaimReply(ctx(t), workflow.ReplyClaim{ThreadID: ids[w], Workflow: "runaway", Key: fmt.Sprintf("k%d", w), At: t0,
			Window: time.Hour, BreakerLimit: limit, BreakerPer: time.Hour})
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
		} else if v.OK {
			granted++
		}
	})
	if len(errs) > 0 {
		t.Fatalf("ClaimReply: %v", errors.Join(errs...))
	}
	if granted != limit {
		t.Errorf("the breaker let %d replies through at once, want its limit %d", granted, limit)
	}
}

// A poll and a webhook deliver the same messages at once: each is stored
// and counted once.
func testConcurrentIngestSame(t *testing.T, s store.Store) {
	var msgs []sdk.Message
	for i := range 20 {
		msgs = append(msgs, msg(fmt.Sprintf("e%d", i), fmt.Sprintf("t%d", i%4), fmt.Sprintf("buyer%d", i%3)))
	}
	var (
		mu    sync.Mutex
		ids   []string
		errs  []error
		first = map[string]bool{}
	)
	race(func(int) {
		got, err := s.Ingest(ctx(t), store.IngestBatch{Connector: connector, Account: account, Messages: msgs, ReceivedAt: t0})
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
		}
		for _, g := range got {
			ids = append(ids, g.MessageID)
			first[g.ThreadID] = true
		}
	})
	if len(errs) > 0 {
		t.Fatalf("Ingest: %v", errors.Join(errs...))
	}
	if len(ids) != len(msgs) {
		t.Fatalf("concurrent ingests returned %d new messages in all, want %d", len(ids), len(msgs))
	}
	if len(first) != 4 {
		t.Errorf("messages landed in %d threads, want 4", len(first))
	}
	if rows := drain(t, s); len(rows) != len(msgs) {
		t.Errorf("outbox holds %d rows, want %d", len(rows), len(msgs))
	}
	for id := range first {
		th, stored := thread(t, s, id)
		if th.Messages != 5 || len(stored) != 5 {
			t.Errorf("thread %s counts %d messages and holds %d, want 5", th.ExternalID, th.Messages, len(stored))
		}
	}
}

// Workers ingest different accounts of one connector whose buyers write
// on several of them: the contacts are shared, their counts add up.
func testConcurrentIngestShared(t *testing.T, s store.Store) {
	const perWorker = 30
	var (
		mu       sync.Mutex
		errs     []error
		contacts = map[string]bool{}
		last     = map[string]string{}
	)
	race(func(w int) {
		for i := range perWorker / 10 {
			var msgs []sdk.Message
			for j := range 10 {
				// Buyers in reverse order on odd workers, so that lock order
				// differs between batches.
				b := j
				if w%2 == 1 {
					b = 9 - j
				}
				msgs = append(msgs, msg(fmt.Sprintf("w%d-%d-%d", w, i, j), fmt.Sprintf("t%d", b), fmt.Sprintf("buyer%d", b)))
			}
			got, err := s.Ingest(ctx(t), store.IngestBatch{Connector: connector, Account: fmt.Sprintf("acct%d", w), Messages: msgs, ReceivedAt: at(time.Duration(i) * time.Minute)})
			mu.Lock()
			if err != nil {
				errs = append(errs, err)
			}
			for _, g := range got {
				contacts[g.ContactID] = true
				last[g.ContactID] = g.MessageID
			}
			mu.Unlock()
		}
	})
	if len(errs) > 0 {
		t.Fatalf("Ingest: %v", errors.Join(errs...))
	}
	if len(contacts) != 10 {
		t.Errorf("%d contacts for 10 buyers", len(contacts))
	}
	var counts []int
	for c := range contacts {
		counts = append(counts, inbound(t, s, last[c]).Contact.Messages)
	}
	sort.Ints(counts)
	for _, n := range counts {
		if n != workers*perWorker/10 {
			t.Errorf("contact message counts %v, want %d each", counts, workers*perWorker/10)
			break
		}
	}
}

// Workers plan one message at once (redelivered evaluations): each step is
// begun for one of them only. They run their steps at once too: replies
// and tags both write the thread, and nothing is lost.
func testConcurrentPlanFinish(t *testing.T, s store.Store) {
	in := one(t, s, msg("e1", "t1", "anna"), t0)
	var steps []workflow.Planned
	for w := range workers {
		steps = append(steps, planned(in.MessageID, "w", fmt.Sprintf("tag%d", w), t0), planned(in.MessageID, "w", fmt.Sprintf("reply%d", w), t0))
	}
	var (
		errs      []error
		begun     = map[string]int{}
		replanned int
		mu        sync.Mutex
	)
	race(func(w int) {
		fail := func(err error) {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
		mine, err := s.Plan(ctx(t), in.MessageID, workflow.Decision{Steps: steps}, t0)
		if errors.Is(err, store.ErrPlanned) {
			mu.Lock()
			replanned++ // planned by another worker
			mu.Unlock()
			return
		}
		if err != nil {
			fail(err)
			return
		}
		for _, st := range mine {
			mu.Lock()
			begun[st.Key]++
			mu.Unlock()
			r := store.Result{Kind: store.ResultSent, At: t0, ExternalID: "x-" + st.Step, Reply: &sdk.OutboundMessage{Text: "hi"}}
			if strings.HasPrefix(st.Step, "tag") {
				r = store.Result{Kind: store.ResultApplied, At: t0, Tags: []string{st.Step}}
			}
			if err := s.Finish(ctx(t), st.Key, 1, r); err != nil {
				fail(err)
			}
		}
	})
	if len(errs) > 0 {
		t.Fatalf("%v", errors.Join(errs...))
	}
	if replanned != workers-1 {
		t.Errorf("%d of %d workers were told the message was planned already, want all but one", replanned, workers)
	}
	for _, p := range steps {
		if begun[p.Key] != 1 {
			t.Errorf("step %s was begun for %d workers, want 1", p.Step, begun[p.Key])
		}
	}
	th, msgs := thread(t, s, in.ThreadID)
	if len(th.Tags) != workers || th.AutoReplies != workers || len(msgs) != 1+workers {
		t.Errorf("thread after %d workers: %d tags %v, %d auto replies, %d messages", workers, len(th.Tags), th.Tags, th.AutoReplies, len(msgs))
	}
	if rows := drain(t, s); len(rows) != 1 {
		t.Errorf("outbox holds %d rows, want 1 (the message; begun steps need no queue)", len(rows))
	}
}

// testLeaseOneHolder: of nodes asking for one lease at once, one wins; the
// holder renews it; others get it only once it expires or is released.
func testLeaseOneHolder(t *testing.T, s store.Store) {
	const ttl = time.Minute
	var (
		mu      sync.Mutex
		winners []string
	)
	race(func(i int) {
		holder := fmt.Sprintf("node-%d", i)
		ok, err := s.AcquireLease(ctx(t), "poll/allegro/shop", holder, t0, ttl)
		if err != nil {
			t.Errorf("AcquireLease: %v", err)
			return
		}
		if ok {
			mu.Lock()
			winners = append(winners, holder)
			mu.Unlock()
		}
	})
	if len(winners) != 1 {
		t.Fatalf("%d nodes won the lease at once: %v", len(winners), winners)
	}
	holder, other := winners[0], "node-other"
	if ok, _ := s.AcquireLease(ctx(t), "poll/allegro/shop", holder, at(30*time.Second), ttl); !ok {
		t.Error("the holder could not renew its lease")
	}
	if ok, _ := s.AcquireLease(ctx(t), "poll/allegro/shop", other, at(89*time.Second), ttl); ok {
		t.Error("another node took a renewed lease before it expired")
	}
	if ok, _ := s.AcquireLease(ctx(t), "poll/allegro/shop", other, at(90*time.Second), ttl); !ok {
		t.Error("another node could not take an expired lease")
	}
	must(t, "ReleaseLease", s.ReleaseLease(ctx(t), "poll/allegro/shop", other))
	if ok, _ := s.AcquireLease(ctx(t), "poll/allegro/shop", holder, at(91*time.Second), ttl); !ok {
		t.Error("a released lease could not be taken")
	}
	if ok, _ := s.AcquireLease(ctx(t), "poll/allegro/other", other, at(91*time.Second), ttl); !ok {
		t.Error("leases of different names interfere")
	}
}

// Nodes prune at once: each message is deleted once, and each pruned
// reply leaves the circuit breaker's count once, not once per node.
func testConcurrentPrune(t *testing.T, s store.Store) {
	const replies = 24
	for i := range replies {
		in, key := attempted(t, s, "w", fmt.Sprintf("r%02d", i))
		must(t, "Finish", s.Finish(ctx(t), key, 1, store.Result{Kind: store.ResultSent, At: t0}))
		v, err := s.ClaimReply(ctx(t), workflow.ReplyClaim{ThreadID: in.ThreadID, Workflow: "w", Key: key, At: t0, BreakerLimit: replies, BreakerPer: time.Minute})
		if err != nil || !v.OK {
			t.Fatalf("claim %d: %+v, %v", i, v, err)
		}
	}
	var (
		mu     sync.Mutex
		pruned int
		errs   []error
	)
	race(func(int) {
		for {
			p, err := s.Prune(ctx(t), at(24*time.Hour), 5)
			mu.Lock()
			pruned += p.Messages
			if err != nil {
				errs = append(errs, err)
			}
			mu.Unlock()
			if err != nil || p.Messages == 0 {
				return
			}
		}
	})
	if len(errs) > 0 {
		t.Fatalf("Prune: %v", errs)
	}
	if pruned != 2*replies { // each question and its reply
		t.Errorf("the nodes pruned %d messages, want %d", pruned, 2*replies)
	}
	// Within the minute of the pruned replies the breaker counts none of
	// them: with a limit of 1 one reply goes and the next is one too many.
	for i, want := range []bool{true, false} {
		v, err := s.ClaimReply(ctx(t), workflow.ReplyClaim{ThreadID: fmt.Sprintf("t-after-%d", i), Workflow: "w", Key: fmt.Sprintf("after-%d", i), At: at(30 * time.Second), BreakerLimit: 1, BreakerPer: time.Minute})
		must(t, "ClaimReply", err)
		if v.OK != want {
			t.Errorf("claim %d after pruning: %+v, want OK %v (the breaker miscounts the pruned replies)", i, v, want)
		}
	}
}
