package etl

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"github.com/vigil-aiops/vigil/internal/state"
)

// failAttempt ends t's current attempt as failed with an error of class
// and decides what comes next: another attempt after a backoff, if the
// class is transient for the task and it has retries left in this round, or
// the task's failure. Attempts lost with their lease do not count against
// the retries. The caller resolves t's run afterwards.
func (c *Controller) failAttempt(b *batch, t *task, now time.Time, msg, class string, retryAfter time.Duration) {
	c.closeAttempt(b, t, state.AttemptFailed, now, msg, class)
	t.rec.Error, t.rec.ErrorClass, t.rec.LeaseUntil = msg, class, time.Time{}
	retries := t.spec.Retries
	used := t.rec.Attempt - t.rec.FirstAttempt - t.rec.Lost
	if retries.Retryable(spec.ErrorClass(class)) && used < retries.Count {
		delay := max(backoff(retries, used+1, t.rec.RunID, t.rec.Task, t.rec.Attempt), retryAfter)
		t.rec.State, t.rec.NotBefore, t.rec.Queued = state.TaskQueued, now.Add(delay), now.Add(delay)
		b.task(t)
		c.recordRetry(b, t, now)
		return
	}
	if !retries.Retryable(spec.ErrorClass(class)) {
		t.rec.Error = fmt.Sprintf("%s (class %s is not retried)", msg, class)
	} else if retries.Count > 0 {
		t.rec.Error = fmt.Sprintf("%s (after %d retries)", msg, retries.Count)
	}
	t.rec.State, t.rec.Ended = state.TaskFailed, now
	b.task(t)
}

// loseAttempt ends t's current attempt as lost: its agent stopped
// heartbeating or reported too late. The task is dispatched again at once
// as a new attempt, unless MaxLostAttempts attempts of this round were
// lost, in which case it fails with class lost. The caller resolves t's
// run afterwards.
func (c *Controller) loseAttempt(b *batch, t *task, now time.Time) {
	msg := fmt.Sprintf("lease of agent %s lapsed at %s", t.rec.Agent, t.rec.LeaseUntil.UTC().Format(time.RFC3339))
	c.closeAttempt(b, t, state.AttemptLost, now, msg, ClassLost)
	t.rec.Lost++
	t.rec.Error, t.rec.ErrorClass, t.rec.LeaseUntil = msg, ClassLost, time.Time{}
	if t.rec.Lost > c.opts.MaxLostAttempts {
		t.rec.State, t.rec.Ended = state.TaskFailed, now
		t.rec.Error = fmt.Sprintf("%s; %d attempts lost their lease", msg, t.rec.Lost)
	} else {
		t.rec.State, t.rec.NotBefore, t.rec.Queued = state.TaskQueued, now, now
	}
	b.task(t)
}

// backoff returns the delay before retry n (from 1) of an attempt: the
// task's backoff doubled for each earlier retry, spread by ±jitter of
// itself, and capped at max_backoff. The jitter is drawn from a hash of the
// run, the task and the attempt, not from a random source, so that a run
// replays identically.
func backoff(r spec.Retries, n int, runID, taskName string, attempt int) time.Duration {
	d := r.Backoff.Std()
	limit := r.MaxBackoff.Std()
	if limit <= 0 {
		limit = spec.DefaultMaxBackoff.Std()
	}
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	if r.Jitter > 0 {
		u := unitHash(runID, taskName, attempt)
		d = time.Duration(float64(d) * (1 + r.Jitter*(2*u-1)))
	}
	return min(max(d, 0), limit).Truncate(time.Millisecond)
}

// unitHash maps a run, task and attempt to a number in [0, 1).
func unitHash(runID, taskName string, attempt int) float64 {
	h := fnv.New64a()
	h.Write([]byte(runID))
	h.Write([]byte{0})
	h.Write([]byte(taskName))
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(attempt))
	h.Write(buf[:])
	x := h.Sum64()
	// SplitMix64's finalizer spreads FNV's weak low bits.
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}
