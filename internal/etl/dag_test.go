package etl

import (
	"slices"
	"strings"
	"testing"

	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"github.com/vigil-aiops/vigil/internal/state"
)

// diamond returns a pipeline a -> (b, c) -> d, where c reads what a writes
// instead of naming it in depends_on.
func diamond(name string, opts ...taskOpt) *spec.Pipeline {
	a := testTask("a", nil, func(t *spec.Task) { t.Outputs = []string{"w." + name + "_a"} })
	b := testTask("b", []string{"a"}, opts...)
	c := testTask("c", nil, func(t *spec.Task) { t.Inputs = []string{"w." + name + "_a"} })
	d := testTask("d", []string{"b", "c"})
	return testPipeline(name, []spec.Task{d, c, b, a}) // Written out of order on purpose.
}

func TestDAGOrder(t *testing.T) {
	g, err := newDAG(diamond("p"))
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, task := range g.tasks {
		order = append(order, task.Name)
	}
	if want := []string{"a", "b", "c", "d"}; !slices.Equal(order, want) {
		t.Fatalf("order = %v, want %v", order, want)
	}
	if want := [][]int{nil, {0}, {0}, {1, 2}}; !slices.EqualFunc(g.deps, want, slices.Equal[[]int]) {
		t.Fatalf("deps = %v, want %v", g.deps, want)
	}
}

func TestDAGDispatchOrder(t *testing.T) {
	h := newHarness(t, diamond("p"))
	h.tick()
	run := runID("p", t0)
	as, names := h.claimTasks("w", 10)
	if !slices.Equal(names, []string{"a"}) {
		t.Fatalf("first claim = %v, want only the root a", names)
	}
	h.succeed(as[0])
	as, names = h.claimTasks("w", 10)
	if !slices.Equal(names, []string{"b", "c"}) {
		t.Fatalf("claim after a = %v, want b and c", names)
	}
	h.succeed(as[0])
	if _, names := h.claimTasks("w", 10); len(names) != 0 {
		t.Fatalf("claim with c still running = %v, want nothing: d waits for c", names)
	}
	h.succeed(as[1])
	as, names = h.claimTasks("w", 10)
	if !slices.Equal(names, []string{"d"}) {
		t.Fatalf("claim after b and c = %v, want d", names)
	}
	h.succeed(as[0])
	if r := h.run(run); r.State != state.RunSuccess || r.Ended.IsZero() {
		t.Fatalf("run = %+v, want success", r)
	}
	for name, ti := range h.tasks(run) {
		if ti.State != state.TaskSuccess || ti.Attempt != 1 {
			t.Errorf("task %s = %s after %d attempts, want success after 1", name, ti.State, ti.Attempt)
		}
	}
}

func TestCriticalFailureFailsRun(t *testing.T) {
	h := newHarness(t, diamond("p"))
	h.tick()
	run := runID("p", t0)
	as := h.claim("w", 10)
	h.succeed(as[0])
	as = h.claim("w", 10) // b and c.
	h.fail(as[0], spec.ClassData)
	r := h.run(run)
	if r.State != state.RunFailed || !strings.Contains(r.Error, "task b failed") {
		t.Fatalf("run = %+v, want failed by task b", r)
	}
	got := h.tasks(run)
	for name, want := range map[string]state.TaskState{
		"a": state.TaskSuccess, "b": state.TaskFailed, "c": state.TaskCancelled, "d": state.TaskUpstreamFailed,
	} {
		if got[name].State != want {
			t.Errorf("task %s = %s, want %s", name, got[name].State, want)
		}
	}
	if as := h.attempts(run, "c"); len(as) != 1 || as[0].State != state.AttemptCancelled {
		t.Errorf("attempts of the running task c = %+v, want one, cancelled", as)
	}
	// The agent running c learns at its next heartbeat, and its report is
	// refused.
	if abandon := h.heartbeat("w", as[1]); len(abandon) != 1 || abandon[0] != as[1].AttemptRef {
		t.Errorf("heartbeat returned %v, want c's attempt to abandon", abandon)
	}
	err := h.ctrl.Report(t.Context(), "w", as[1].AttemptRef, okResult())
	errorsIs(t, "report of a cancelled attempt", err, ErrStaleAttempt)
}

func TestOptionalFailure(t *testing.T) {
	h := newHarness(t, diamond("p", optional))
	h.tick()
	run := runID("p", t0)
	h.succeed(h.claim("w", 10)[0])
	as := h.claim("w", 10)
	h.succeed(as[1])
	h.fail(as[0], spec.ClassData) // b is optional.
	got := h.tasks(run)
	if got["b"].State != state.TaskFailed || got["d"].State != state.TaskUpstreamFailed {
		t.Fatalf("tasks b, d = %s, %s; want failed, upstream_failed", got["b"].State, got["d"].State)
	}
	// d is critical and cannot run: the run fails.
	if r := h.run(run); r.State != state.RunFailed {
		t.Fatalf("run = %s, want failed since the critical d could not run", r.State)
	}
}
