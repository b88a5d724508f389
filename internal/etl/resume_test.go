package etl

import (
	"slices"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"github.com/vigil-aiops/vigil/internal/state"
)

// chain returns a pipeline a -> b -> c -> d.
func chain(name string) *spec.Pipeline {
	return testPipeline(name, []spec.Task{
		testTask("a", nil), testTask("b", []string{"a"}), testTask("c", []string{"b"}), testTask("d", []string{"b"}),
	})
}

// TestRestartMidRun drops the controller in the middle of a run, with one
// task done, one running under a lease and two pending, and builds a new
// controller on the same store: the done task does not run again, the
// running one is not forgotten and its agent's report is accepted, and the
// run completes.
func TestRestartMidRun(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			h := newHarnessOn(t, b.open(t), chain("p"))
			h.tick()
			run := runID("p", t0)
			h.succeed(h.claim("w", 4)[0])
			running := h.claim("w", 4)
			if len(running) != 1 || running[0].Task != "b" {
				t.Fatalf("claim = %+v, want b", running)
			}
			h.advance(20 * time.Second)

			h.restart()
			h.tick()
			if as := h.claim("w2", 4); len(as) != 0 {
				t.Fatalf("after the restart, claim = %+v, want nothing: a is done and b is leased", as)
			}
			// b's agent keeps going and reports to the new controller.
			if abandon := h.heartbeat("w", running...); len(abandon) != 0 {
				t.Fatalf("heartbeat after the restart abandoned %v", abandon)
			}
			h.advance(30 * time.Second)
			h.succeed(running[0])
			as, names := h.claimTasks("w2", 4)
			if !slices.Equal(names, []string{"c", "d"}) {
				t.Fatalf("claim after b = %v, want c and d", names)
			}
			h.succeed(as[0])

			// Restart again with c done and d in flight; d's agent dies.
			h.restart()
			h.tick()
			h.advance(2 * time.Minute)
			h.tick()
			again := h.claim("w3", 4)
			if len(again) != 1 || again[0].Task != "d" || again[0].Attempt != 2 {
				t.Fatalf("claim after d's lease lapsed = %+v, want d as attempt 2", again)
			}
			h.succeed(again[0])
			if r := h.run(run); r.State != state.RunSuccess {
				t.Fatalf("run = %s, want success", r.State)
			}
			for name, want := range map[string]int{"a": 1, "b": 1, "c": 1, "d": 2} {
				if got := h.attempts(run, name); len(got) != want {
					t.Errorf("task %s has %d attempts, want %d: %+v", name, len(got), want, got)
				}
			}
		})
	}
}

// TestRestartKeepsLeaseThroughDowntime checks that a controller that was
// down longer than a lease gives running attempts a full lease from its
// restart before declaring them lost.
func TestRestartKeepsLeaseThroughDowntime(t *testing.T) {
	h := newHarness(t, chain("p"))
	h.tick()
	a := h.claim("w", 1)[0]
	h.advance(10 * time.Minute) // Down for ten leases.
	h.restart()
	h.tick()
	if ti := h.tasks(a.RunID)["a"]; ti.State != state.TaskRunning {
		t.Fatalf("task = %s right after the restart, want still running", ti.State)
	}
	h.succeed(a)
	if ti := h.tasks(a.RunID)["a"]; ti.State != state.TaskSuccess || ti.Attempt != 1 {
		t.Fatalf("task = %+v, want success on attempt 1", ti)
	}
}

// TestRestartReconcilesSpecChanges checks that a run resumed under a
// changed spec drops removed tasks and gains added ones.
func TestRestartReconcilesSpecChanges(t *testing.T) {
	h := newHarness(t, testPipeline("p", []spec.Task{testTask("a", nil), testTask("old", []string{"a"})}))
	h.tick()
	run := runID("p", t0)
	fleet, err := spec.NewFleet([]*spec.Pipeline{testPipeline("p", []spec.Task{testTask("a", nil), testTask("new", []string{"a"})})}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.opts.Fleet = fleet
	h.restart()
	h.tick()
	h.succeed(h.claim("w", 4)[0])
	_, names := h.claimTasks("w", 4)
	if !slices.Equal(names, []string{"new"}) {
		t.Fatalf("claim = %v, want the added task", names)
	}
	if ti := h.tasks(run)["old"]; ti.State != state.TaskCancelled {
		t.Fatalf("removed task = %s, want cancelled", ti.State)
	}
}

// TestRestartWithoutPipeline checks that the active runs of a pipeline
// removed from the fleet are cancelled on load.
func TestRestartWithoutPipeline(t *testing.T) {
	h := newHarness(t, chain("gone"), chain("kept"))
	h.tick()
	h.claim("w", 1)
	fleet, err := spec.NewFleet([]*spec.Pipeline{chain("kept")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.opts.Fleet = fleet
	h.restart()
	h.tick()
	run := runID("gone", t0)
	if r := h.run(run); r.State != state.RunCancelled || r.Error != "pipeline is no longer in the fleet" {
		t.Fatalf("run of the removed pipeline = %+v, want cancelled", r)
	}
	for name, ti := range h.tasks(run) {
		if ti.State != state.TaskCancelled {
			t.Errorf("task %s = %s, want cancelled", name, ti.State)
		}
	}
	if as := h.attempts(run, "a"); len(as) != 1 || as[0].State != state.AttemptCancelled {
		t.Errorf("attempts of the running task = %+v, want one, cancelled", as)
	}
	if r := h.run(runID("kept", t0)); r.State != state.RunRunning {
		t.Fatalf("run of the kept pipeline = %s, want running", r.State)
	}
}
