package storetest

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/switchboard-hub/switchboard/core/store"
	"github.com/switchboard-hub/switchboard/core/workflow"
)

var claimTests = []test{
	{"ClaimReply/Scenarios", testClaimScenarios},
	{"ClaimReply/AsMemClaims", testClaimRandom},
	{"ClaimReply/Invalid", testClaimInvalid},
	{"ClaimReply/BreakerOutOfOrder", testClaimBreakerOutOfOrder},
}

// claim is one ClaimReply of a scenario; thread is an index.
type claim struct {
	thread   int
	workflow string
	key      string
	after    time.Duration
	window   time.Duration
	limit    int
	per      time.Duration
	ok       bool // what the scenario expects
}

// threads ingests n messages in n threads and returns the thread ids.
func threads(t *testing.T, s store.Store, prefix string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = one(t, s, msg(fmt.Sprintf("%s-m%d", prefix, i), fmt.Sprintf("%s-t%d", prefix, i), "anna"), t0).ThreadID
	}
	return ids
}

// playClaims claims through the store and through workflow.MemClaims (the
// semantics the test runner uses), and requires the same verdicts, reasons
// included.
func playClaims(t *testing.T, s store.Store, ids []string, claims []claim, checkOK bool) {
	t.Helper()
	mem := workflow.NewMemClaims()
	claimed := map[string]bool{} // keys claimed before
	for i, c := range claims {
		rc := workflow.ReplyClaim{ThreadID: ids[c.thread], Workflow: c.workflow, Key: c.key, At: at(c.after), Window: c.window, BreakerLimit: c.limit, BreakerPer: c.per}
		want, _ := mem.ClaimReply(ctx(t), rc)
		got, err := s.ClaimReply(ctx(t), rc)
		must(t, "ClaimReply", err)
		label := fmt.Sprintf("claim %d (thread %d, %s, key %s, at %s)", i, c.thread, c.workflow, c.key, c.after)
		diff(t, label+": verdict as MemClaims gives it", want, got)
		if got.Repeated != claimed[c.key] {
			t.Errorf("%s: Repeated = %t, want %t: only a key claimed before has its verdict again", label, got.Repeated, claimed[c.key])
		}
		claimed[c.key] = true
		if checkOK && got.OK != c.ok {
			t.Errorf("%s: OK = %t, want %t (%s)", label, got.OK, c.ok, got.Reason)
		}
	}
}

func testClaimScenarios(t *testing.T, s store.Store) {
	h := time.Hour
	scenarios := []struct {
		name   string
		claims []claim
	}{
		{"reply window", []claim{
			{0, "w", "k1", 0, h, 0, 0, true},
			{0, "w", "k2", 30 * time.Minute, h, 0, 0, false},
			{1, "w", "k3", 30 * time.Minute, h, 0, 0, true}, // another thread
			{0, "w", "k4", h, h, 0, 0, true},                // the window has passed
			{0, "w", "k1", 3 * h, h, 0, 0, true},            // a redelivered step keeps its verdict…
			{0, "w", "k2", 3 * h, h, 0, 0, false},           // …refusals too
			{0, "w", "k5", h + 59*time.Minute, h, 0, 0, false},
		}},
		{"no window", []claim{
			{0, "w", "n1", 0, 0, 0, 0, true},
			{0, "w", "n2", 0, 0, 0, 0, true},
		}},
		{"breaker", []claim{
			{0, "b", "b1", 0, h, 2, h, true},
			{1, "b", "b2", 10 * time.Minute, h, 2, h, true},
			{2, "b", "b3", 20 * time.Minute, h, 2, h, false},
			{2, "other", "o1", 20 * time.Minute, h, 2, h, true}, // per workflow
			{3, "b", "b4", h, h, 2, h, true},                    // b1 no longer counts
			{4, "b", "b5", h + 5*time.Minute, h, 2, h, false},
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			ids := threads(t, s, sc.name, 5)
			for i := range sc.claims {
				sc.claims[i].key = sc.name + "/" + sc.claims[i].key
			}
			playClaims(t, s, ids, sc.claims, true)
		})
	}
}

func testClaimRandom(t *testing.T, s store.Store) {
	r := rand.New(rand.NewPCG(3, 4))
	ids := threads(t, s, "random", 4)
	var (
		claims []claim
		after  time.Duration
	)
	for i := range 300 {
		after += time.Duration(r.IntN(20)) * time.Minute
		wf := []string{"a", "b"}[r.IntN(2)]
		key := fmt.Sprintf("k%d", i)
		if i > 0 && r.IntN(6) == 0 {
			key = claims[r.IntN(len(claims))].key // a redelivery
		}
		limit, per := 0, time.Duration(0)
		if wf == "b" {
			limit, per = 3, 2*time.Hour
		}
		claims = append(claims, claim{thread: r.IntN(len(ids)), workflow: wf, key: key, after: after, window: time.Duration(r.IntN(3)) * 30 * time.Minute, limit: limit, per: per})
	}
	playClaims(t, s, ids, claims, false)
}

// testClaimBreakerOutOfOrder counts the breaker's replies as a model that
// forgets nothing would, with claims from clocks that disagree by up to an
// hour and a period that changes (as a reload may change it): a reply at t
// counts for a claim at c while c - t < per.
func testClaimBreakerOutOfOrder(t *testing.T, s store.Store) {
	r := rand.New(rand.NewPCG(5, 6))
	ids := threads(t, s, "order", 1)
	const limit = 3
	var (
		sent []time.Time
		now  time.Duration
	)
	for i := range 400 {
		now += time.Duration(r.IntN(15)) * time.Minute
		c := at(max(now-time.Duration(r.IntN(60))*time.Minute, 0))
		per := time.Duration(1+r.IntN(3)) * time.Hour
		lim := limit
		if r.IntN(5) == 0 {
			lim = 0 // no breaker configured for a while: its replies count later
		}
		recent := 0
		for _, x := range sent {
			if c.Sub(x) < per {
				recent++
			}
		}
		got, err := s.ClaimReply(ctx(t), workflow.ReplyClaim{ThreadID: ids[0], Workflow: "o", Key: fmt.Sprintf("o%d", i), At: c, BreakerLimit: lim, BreakerPer: per})
		must(t, "ClaimReply", err)
		if want := lim == 0 || recent < lim; got.OK != want {
			t.Fatalf("claim %d at %s per %s: OK = %t with %d replies in the period (limit %d): %s", i, c.Format(time.TimeOnly), per, got.OK, recent, limit, got.Reason)
		}
		if got.OK {
			sent = append(sent, c)
		}
	}
}

func testClaimInvalid(t *testing.T, s store.Store) {
	if _, err := s.ClaimReply(ctx(t), workflow.ReplyClaim{ThreadID: "x", At: t0}); err == nil {
		t.Error("ClaimReply without a key: no error")
	}
	if _, err := s.ClaimReply(ctx(t), workflow.ReplyClaim{ThreadID: "x", Key: "k"}); err == nil {
		t.Error("ClaimReply without a time: no error")
	}
}
