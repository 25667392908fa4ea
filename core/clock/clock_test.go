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
