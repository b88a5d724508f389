package clock

import (
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var start = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// received returns the value waiting in c, and false if there is none.
func received(c <-chan time.Time) (time.Time, bool) {
	select {
	case v := <-c:
		return v, true
	default:
		return time.Time{}, false
	}
}

func TestSimAdvanceFiresInDeadlineOrder(t *testing.T) {
	s := NewSim(start)
	c3 := s.After(3 * time.Second)
	c1 := s.After(time.Second)
	c2 := s.NewTimer(2 * time.Second).C()
	c2b := s.After(2 * time.Second)
	if n := s.Waiters(); n != 4 {
		t.Fatalf("Waiters() = %d, want 4", n)
	}
	if next, ok := s.Next(); !ok || !next.Equal(start.Add(time.Second)) {
		t.Fatalf("Next() = %v, %v; want start+1s", next, ok)
	}

	s.Advance(time.Second - time.Nanosecond)
	for i, c := range []<-chan time.Time{c1, c2, c2b, c3} {
		if v, ok := received(c); ok {
			t.Fatalf("waiter %d fired early, at %v", i, v)
		}
	}
	s.Advance(time.Nanosecond + time.Second)
	for i, c := range []<-chan time.Time{c1, c2, c2b} {
		v, ok := received(c)
		if !ok {
			t.Fatalf("waiter %d did not fire", i)
		}
		// Each receives its own deadline, not the clock's new reading.
		if want := start.Add(time.Duration(min(i+1, 2)) * time.Second); !v.Equal(want) {
			t.Errorf("waiter %d received %v, want %v", i, v, want)
		}
	}
	if _, ok := received(c3); ok {
		t.Fatal("the 3s waiter fired at 2s")
	}
	if got := s.Now(); !got.Equal(start.Add(2 * time.Second)) {
		t.Fatalf("Now() = %v, want start+2s", got)
	}
	s.Set(start.Add(time.Hour))
	if v, ok := received(c3); !ok || !v.Equal(start.Add(3*time.Second)) {
		t.Fatalf("after Set: 3s waiter received %v, %v", v, ok)
	}
	if n := s.Waiters(); n != 0 {
		t.Fatalf("Waiters() = %d after all fired, want 0", n)
	}
	if _, ok := s.Next(); ok {
		t.Fatal("Next() reports a waiter when none is left")
	}
}

func TestSimNeverGoesBack(t *testing.T) {
	s := NewSim(start)
	s.Set(start.Add(-time.Hour))
	s.Advance(-time.Minute)
	if got := s.Now(); !got.Equal(start) {
		t.Fatalf("Now() = %v after moving back, want %v", got, start)
	}
}

func TestSimZeroDurationFiresAtOnce(t *testing.T) {
	s := NewSim(start)
	for _, d := range []time.Duration{0, -time.Second} {
		if v, ok := received(s.After(d)); !ok || !v.After(start.Add(-2*time.Second)) {
			t.Errorf("After(%v) = %v, %v; want it fired at once", d, v, ok)
		}
	}
}

func TestSimTimerStopReset(t *testing.T) {
	s := NewSim(start)
	tm := s.NewTimer(time.Minute)
	if !tm.Stop() {
		t.Fatal("Stop of an active timer = false")
	}
	if tm.Stop() {
		t.Fatal("second Stop = true")
	}
	s.Advance(time.Hour)
	if _, ok := received(tm.C()); ok {
		t.Fatal("a stopped timer fired")
	}

	if tm.Reset(time.Minute) {
		t.Fatal("Reset of a stopped timer reports it active")
	}
	s.Advance(time.Minute)
	// The timer fired; its value waits unreceived, and Reset discards it.
	if tm.Reset(time.Second) {
		t.Fatal("Reset after firing reports the timer active")
	}
	if _, ok := received(tm.C()); ok {
		t.Fatal("Reset left a stale value in the channel")
	}
	s.Advance(time.Second)
	if v, ok := received(tm.C()); !ok || !v.Equal(start.Add(time.Hour+time.Minute+time.Second)) {
		t.Fatalf("reset timer received %v, %v", v, ok)
	}
}

// TestSimWakesBlockedGoroutines checks the use the runtime makes of Sim: a
// goroutine blocks on After, and the driver releases it by advancing time.
func TestSimWakesBlockedGoroutines(t *testing.T) {
	s := NewSim(start)
	const n = 8
	var wg sync.WaitGroup
	got := make([]time.Time, n)
	for i := range n {
		wg.Go(func() {
			got[i] = <-s.After(time.Duration(i+1) * time.Minute)
		})
	}
	for s.Waiters() < n {
		time.Sleep(time.Millisecond)
	}
	s.Advance(time.Duration(n) * time.Minute)
	wg.Wait()
	for i, v := range got {
		if want := start.Add(time.Duration(i+1) * time.Minute); !v.Equal(want) {
			t.Errorf("goroutine %d woke with %v, want %v", i, v, want)
		}
	}
}

func TestReal(t *testing.T) {
	var c Clock = Real{}
	before := time.Now()
	if now := c.Now(); now.Before(before) {
		t.Fatalf("Real.Now() = %v, before %v", now, before)
	}
	if _, ok := <-c.After(time.Millisecond); !ok {
		t.Fatal("After channel closed")
	}
	tm := c.NewTimer(time.Hour)
	if !tm.Stop() {
		t.Fatal("Stop of an active real timer = false")
	}
	tm.Reset(time.Millisecond)
	<-tm.C()
}

// The simulated clock satisfies Clock.
var _ Clock = (*Sim)(nil)
