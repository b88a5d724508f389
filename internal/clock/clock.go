// Package clock is Vigil's source of time. Components that schedule, time
// out or measure take a Clock instead of calling time.Now, so that the same
// code runs on the wall clock in production and on a simulated, manually
// advanced clock in tests and simulations, where days pass in seconds and
// every run is reproducible.
//
// The package only tells time and wakes waiters. It does not schedule work,
// keep tickers running on its own, or advance a simulated clock by itself:
// whoever drives a Sim decides when time moves.
package clock

import "time"

// Clock tells the time and wakes those who wait for it.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// After returns a channel that receives the time once d has passed.
	After(d time.Duration) <-chan time.Time
	// NewTimer returns a timer that fires once d has passed.
	NewTimer(d time.Duration) Timer
}

// Timer is a single-shot timer, like time.Timer.
type Timer interface {
	// C returns the channel on which the timer delivers the time it fired.
	C() <-chan time.Time
	// Stop prevents the timer from firing. It reports whether it stopped
	// the timer, false if the timer had already fired or been stopped.
	Stop() bool
	// Reset changes the timer to fire once d has passed from now. It
	// reports whether the timer had been active.
	Reset(d time.Duration) bool
}

// Real is the wall clock.
type Real struct{}

// Now returns time.Now.
func (Real) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (Real) After(d time.Duration) <-chan time.Time { return time.After(d) }

// NewTimer returns a timer backed by time.NewTimer.
func (Real) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

// realTimer adapts *time.Timer to Timer.
type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time        { return r.t.C }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }
