package clock

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// Sim is a simulated clock that moves only when Advance or Set is called.
// Waiters whose time has come are woken in the order of their deadlines,
// ties in the order they started waiting, and each channel receives the
// deadline itself rather than the clock's new time, as a real timer that
// fired exactly on time would. It is safe for concurrent use.
type Sim struct {
	mu      sync.Mutex
	now     time.Time
	seq     uint64 // Orders waiters with equal deadlines.
	waiters []*simTimer
}

// NewSim returns a simulated clock reading start.
func NewSim(start time.Time) *Sim {
	return &Sim{now: start}
}

// Now returns the simulated time.
func (s *Sim) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// After returns a channel that receives the time once the clock has been
// advanced by d. A d of zero or less fires at once.
func (s *Sim) After(d time.Duration) <-chan time.Time {
	return s.NewTimer(d).C()
}

// NewTimer returns a timer that fires once the clock has been advanced by d.
func (s *Sim) NewTimer(d time.Duration) Timer {
	t := &simTimer{sim: s, c: make(chan time.Time, 1)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.schedule(t, d)
	return t
}

// Advance moves the clock forward by d and fires the waiters that are due.
// A negative d is treated as zero: the clock never goes back.
func (s *Sim) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d > 0 {
		s.now = s.now.Add(d)
	}
	s.fire()
}

// Set moves the clock to t and fires the waiters that are due. A t before
// the current time leaves the clock where it is.
func (s *Sim) Set(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.After(s.now) {
		s.now = t
	}
	s.fire()
}

// Waiters returns the number of timers waiting to fire, so that a driver
// can tell when goroutines have started waiting.
func (s *Sim) Waiters() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.waiters)
}

// Next returns the earliest deadline among the waiting timers, and false if
// none waits.
func (s *Sim) Next() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.waiters) == 0 {
		return time.Time{}, false
	}
	return s.waiters[0].when, true
}

// schedule makes t wait until d from now, firing it at once if d is not
// positive. The caller holds s.mu.
func (s *Sim) schedule(t *simTimer, d time.Duration) {
	s.seq++
	t.when, t.seq, t.active = s.now.Add(d), s.seq, true
	i, _ := slices.BinarySearchFunc(s.waiters, t, compareTimers)
	s.waiters = slices.Insert(s.waiters, i, t)
	s.fire()
}

// fire delivers to every waiter whose deadline has come, in deadline order.
// The caller holds s.mu.
func (s *Sim) fire() {
	n := 0
	for _, t := range s.waiters {
		if t.when.After(s.now) {
			break
		}
		t.active = false
		select {
		case t.c <- t.when:
		default: // An unread earlier value is still in the channel.
		}
		n++
	}
	s.waiters = slices.Delete(s.waiters, 0, n)
}

// remove takes t off the waiting list. The caller holds s.mu.
func (s *Sim) remove(t *simTimer) bool {
	if !t.active {
		return false
	}
	t.active = false
	i := slices.Index(s.waiters, t)
	s.waiters = slices.Delete(s.waiters, i, i+1)
	return true
}

// compareTimers orders timers by deadline, then by when they were set.
func compareTimers(a, b *simTimer) int {
	return cmp.Or(a.when.Compare(b.when), cmp.Compare(a.seq, b.seq))
}

// simTimer is a Timer on a Sim.
type simTimer struct {
	sim    *Sim
	c      chan time.Time
	when   time.Time
	seq    uint64
	active bool // Guarded by sim.mu.
}

func (t *simTimer) C() <-chan time.Time { return t.c }

// Stop stops the timer and, as time.Timer does since Go 1.23, discards a
// value that fired but was not received, so that none is received later.
func (t *simTimer) Stop() bool {
	t.sim.mu.Lock()
	defer t.sim.mu.Unlock()
	t.drain()
	return t.sim.remove(t)
}

// Reset restarts the timer, discarding a value not yet received.
func (t *simTimer) Reset(d time.Duration) bool {
	t.sim.mu.Lock()
	defer t.sim.mu.Unlock()
	t.drain()
	was := t.sim.remove(t)
	t.sim.schedule(t, d)
	return was
}

// drain empties the timer's channel without blocking.
func (t *simTimer) drain() {
	select {
	case <-t.c:
	default:
	}
}
