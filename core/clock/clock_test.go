package clock

import (
	"testing"
	"time"
)

func TestFakeWakesWaitersInOrder(t *testing.T) {
	start := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	f := NewFake(start)
	late, early := f.After(10*time.Minute), f.After(time.Minute)
	if f.Waiters() != 2 {
		t.Fatalf("waiters = %d", f.Waiters())
	}
	f.Advance(time.Minute)
	select {
	case got := <-early:
		if !got.Equal(start.Add(time.Minute)) {
			t.Errorf("woke at %v", got)
		}
	default:
		t.Fatal("the one-minute waiter did not wake")
	}
	select {
	case <-late:
		t.Fatal("the ten-minute waiter woke early")
	default:
	}
	f.Set(start.Add(time.Hour))
	if got := <-late; !got.Equal(start.Add(time.Hour)) {
		t.Errorf("late woke at %v", got)
	}
	f.Set(start) // never backwards
	if !f.Now().Equal(start.Add(time.Hour)) {
		t.Errorf("clock went back to %v", f.Now())
	}
	if got := <-f.After(0); !got.Equal(f.Now()) {
		t.Errorf("After(0) = %v", got)
	}
}

// Until wakes at a time, however the clock moved since that time was
// worked out; a time already reached wakes at once.
func TestFakeUntil(t *testing.T) {
	start := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	f := NewFake(start)
	due := start.Add(time.Minute)
	f.Advance(30 * time.Second) // between working out due and waiting for it
	ch := f.Until(due)
	f.Advance(29 * time.Second)
	select {
	case <-ch:
		t.Fatal("woke before the time")
	default:
	}
	f.Advance(time.Second)
	select {
	case got := <-ch:
		if !got.Equal(due) {
			t.Errorf("woke at %v", got)
		}
	default:
		t.Fatal("did not wake at the time")
	}
	if got := <-f.Until(start); !got.Equal(f.Now()) {
		t.Errorf("Until a time passed = %v; want at once, %v", got, f.Now())
	}
}

func TestRealUntil(t *testing.T) {
	if got := <-(Real{}).Until(time.Now().Add(-time.Hour)); got.IsZero() {
		t.Error("Until a time passed did not deliver the time")
	}
}
