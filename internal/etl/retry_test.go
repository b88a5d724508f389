package etl

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"github.com/vigil-aiops/vigil/internal/state"
)

func okResult() agent.Result { return agent.Result{Usage: agent.Usage{RowsOut: 1}} }

func TestBackoff(t *testing.T) {
	r := spec.Retries{Backoff: spec.Duration(10 * time.Second), MaxBackoff: spec.Duration(time.Minute)}
	for n, want := range map[int]time.Duration{1: 10 * time.Second, 2: 20 * time.Second, 3: 40 * time.Second, 4: time.Minute, 30: time.Minute} {
		if got := backoff(r, n, "p/x", "t", n); got != want {
			t.Errorf("backoff(retry %d) = %v, want %v", n, got, want)
		}
	}
	// Jitter spreads the delay by at most ±jitter, the same way every time,
	// and differently for different attempts; it never passes the cap.
	r.Jitter = 0.5
	seen := map[time.Duration]bool{}
	for attempt := 1; attempt <= 50; attempt++ {
		d := backoff(r, 1, "p/x", "t", attempt)
		if d < 5*time.Second || d > 15*time.Second {
			t.Fatalf("backoff with jitter 0.5 = %v, want within 10s ± 5s", d)
		}
		if again := backoff(r, 1, "p/x", "t", attempt); again != d {
			t.Fatalf("backoff is not deterministic: %v then %v", d, again)
		}
		seen[d] = true
		if d := backoff(r, 3, "p/x", "t", attempt); d > time.Minute {
			t.Fatalf("backoff past the cap: %v", d)
		}
	}
	if len(seen) < 40 {
		t.Errorf("jitter gave only %d distinct delays in 50 attempts", len(seen))
	}
}

func TestRetryTransientWithBackoff(t *testing.T) {
	p := testPipeline("p", []spec.Task{testTask("a", nil, withRetries(2, 10*time.Second, spec.ClassConnection))})
	h := newHarness(t, p)
	h.tick()
	run := runID("p", t0)

	h.fail(h.claim("w", 1)[0], spec.ClassConnection)
	ti := h.tasks(run)["a"]
	if ti.State != state.TaskQueued || !ti.NotBefore.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("after a transient failure: task = %s, not before %v; want queued until t0+10s", ti.State, ti.NotBefore)
	}
	h.advance(10*time.Second - time.Millisecond)
	if as := h.claim("w", 1); len(as) != 0 {
		t.Fatalf("claimed during the backoff: %+v", as)
	}
	h.advance(time.Millisecond)
	a := h.claim("w", 1)
	if len(a) != 1 || a[0].Attempt != 2 {
		t.Fatalf("claim after the backoff = %+v, want attempt 2", a)
	}
	h.fail(a[0], spec.ClassConnection)
	if ti := h.tasks(run)["a"]; !ti.NotBefore.Equal(h.clock.Now().Add(20 * time.Second)) {
		t.Fatalf("second backoff ends %v, want 20s after the failure", ti.NotBefore)
	}
	h.advance(20 * time.Second)
	a = h.claim("w", 1)
	h.fail(a[0], spec.ClassConnection)
	ti = h.tasks(run)["a"]
	if ti.State != state.TaskFailed || ti.Attempt != 3 || !strings.Contains(ti.Error, "after 2 retries") {
		t.Fatalf("after the retries ran out: task = %+v, want failed after attempt 3", ti)
	}
	if r := h.run(run); r.State != state.RunFailed {
		t.Fatalf("run = %s, want failed", r.State)
	}
	as := h.attempts(run, "a")
	if len(as) != 3 || as[0].ErrorClass != "connection" || as[2].State != state.AttemptFailed {
		t.Fatalf("attempts = %+v, want three failed with class connection", as)
	}
}

func TestNoRetryForPermanentClass(t *testing.T) {
	p := testPipeline("p", []spec.Task{testTask("a", nil, withRetries(5, time.Second, spec.ClassConnection))})
	h := newHarness(t, p)
	h.tick()
	h.fail(h.claim("w", 1)[0], spec.ClassData)
	ti := h.tasks(runID("p", t0))["a"]
	if ti.State != state.TaskFailed || ti.Attempt != 1 || ti.ErrorClass != "data" || !strings.Contains(ti.Error, "not retried") {
		t.Fatalf("task = %+v, want failed at once with class data", ti)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	p := testPipeline("p", []spec.Task{testTask("a", nil, withRetries(1, time.Second, spec.ClassRateLimited))})
	h := newHarness(t, p)
	h.tick()
	a := h.claim("w", 1)[0]
	err := h.ctrl.Report(t.Context(), "w", a.AttemptRef, agent.Result{Error: "429", Class: spec.ClassRateLimited, RetryAfter: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if ti := h.tasks(runID("p", t0))["a"]; !ti.NotBefore.Equal(t0.Add(time.Minute)) {
		t.Fatalf("retry not before %v, want the minute the server asked for", ti.NotBefore)
	}
}

func TestTimeout(t *testing.T) {
	p := testPipeline("p", []spec.Task{testTask("a", nil, withRetries(1, time.Second, spec.ClassTimeout))})
	h := newHarness(t, p)
	h.tick()
	run := runID("p", t0)
	a := h.claim("w", 1)[0]
	if a.Timeout != 10*time.Minute {
		t.Fatalf("assignment timeout = %v, want the task's 10m", a.Timeout)
	}
	// The agent keeps heartbeating but never reports.
	for range 10 {
		h.advance(time.Minute)
		h.heartbeat("w", a)
		h.tick()
	}
	if ti := h.tasks(run)["a"]; ti.State != state.TaskRunning {
		t.Fatalf("task = %s at the deadline, want still running within the grace", ti.State)
	}
	h.advance(11 * time.Second) // Past the 10s grace.
	h.tick()
	as := h.attempts(run, "a")
	if len(as) != 1 || as[0].State != state.AttemptFailed || as[0].ErrorClass != "timeout" {
		t.Fatalf("attempts = %+v, want one failed with class timeout", as)
	}
	if ti := h.tasks(run)["a"]; ti.State != state.TaskQueued {
		t.Fatalf("task = %s, want queued: timeout is transient for it", ti.State)
	}
	// The late report of the timed-out attempt is refused.
	errorsIs(t, "late report", h.ctrl.Report(t.Context(), "w", a.AttemptRef, okResult()), ErrStaleAttempt)
	errorsIs(t, "late report", h.ctrl.Report(t.Context(), "w", a.AttemptRef, okResult()), agent.ErrRejected)
}
