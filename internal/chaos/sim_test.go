package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/clock"
	"github.com/vigil-aiops/vigil/internal/etl"
	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/state"
)

// simulate runs a generated fleet of n pipelines for a day on a simulated
// clock, through the real controller and agent pool, with the runner and
// controller the agents use wrapped by wrap, as etl.Simulate would with
// the hook this package asks for. It returns the task instances.
func simulate(t *testing.T, n int, wrap func(clock.Clock, agent.Modeller, agent.Controller) (agent.Runner, agent.Controller)) []state.TaskInstance {
	t.Helper()
	ctx := context.Background()
	store, err := state.Open(ctx, state.Options{DataDir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	fleet, err := etl.GenerateFleet(n, 1)
	if err != nil {
		t.Fatal(err)
	}
	sim := clock.NewSim(t0)
	ctrl, err := etl.New(etl.Options{Store: store, Clock: sim, Fleet: fleet, Lease: 5 * time.Minute, AgentTimeout: 10 * time.Minute, MetricsEvery: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	runner, view := wrap(sim, agent.NewSimRunner(agent.SimModel{Seed: 1}, sim), ctrl)
	pool, err := agent.NewPool(agent.PoolOptions{
		Size: 3, Capacity: agent.Capacity{Slots: 4, CPU: 8, Memory: 32 << 30},
		Controller: view, Runner: runner, Clock: sim, HeartbeatEvery: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	end := t0.Add(24 * time.Hour)
	for {
		for i := 0; ; i++ {
			if err := ctrl.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			k, err := pool.Step(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if k == 0 {
				break
			}
			if i == 100 {
				t.Fatalf("the runtime does not settle at %v", sim.Now())
			}
		}
		next, err := ctrl.NextWake(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if w, ok := pool.NextWake(); ok && (next.IsZero() || w.Before(next)) {
			next = w
		}
		if next.IsZero() || next.After(end) {
			break
		}
		if !next.After(sim.Now()) {
			t.Fatalf("at %v the next event, %v, is not in the future", sim.Now(), next)
		}
		sim.Set(next)
	}
	tasks, err := store.ETL().ListTasks(ctx, state.TaskFilter{Limit: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	return tasks
}

// TestSimulationWithFaults runs a simulated day with an agent crash, a
// full sink and a volume drop, and checks that the runtime saw them as it
// would see the real thing, that the ground truth records them, and that
// it is all reproducible.
func TestSimulationWithFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates a day of a fleet")
	}
	faults := Schedule{
		fault("full", SinkFull, "endpoint:sqlite:warehouse.db", func(f *Fault) { f.Start = t0.Add(9 * time.Hour) }),
		fault("drop", VolumeDrop, "dataset:raw.ingest_00_a", func(f *Fault) { f.Start, f.Duration = t0, 24*time.Hour }),
	}
	run := func(faults Schedule) ([]state.TaskInstance, []GroundTruth) {
		truth := &Truths{}
		in, err := New(Options{Schedule: faults, Truth: truth})
		if err != nil {
			t.Fatal(err)
		}
		tasks := simulate(t, 6, in.Wrap)
		if err := in.Err(); err != nil {
			t.Fatal(err)
		}
		return tasks, truth.Records()
	}
	// Crash embedded-00 a minute into the first of its long attempts of
	// the afternoon, which the simulation, being deterministic, repeats.
	tasks, _ := run(faults)
	var crash Fault
	for _, task := range tasks {
		if task.Agent == "embedded-00" && task.Started.After(t0.Add(12*time.Hour)) && task.Ended.Sub(task.Started) > 3*time.Minute {
			crash = fault("crash", AgentCrash, "agent:embedded-00", func(f *Fault) { f.Start = task.Started.Add(time.Minute) })
			break
		}
	}
	if crash.ID == "" {
		t.Fatal("embedded-00 ran no long attempt in the afternoon")
	}
	faults = append(faults, crash)
	tasks, recs := run(faults)

	var lost, full int
	for _, task := range tasks {
		lost += task.Lost
		if task.Lost > 0 && (task.State != state.TaskSuccess || task.Agent == "embedded-00") {
			t.Errorf("task %s/%s lost an attempt in the crash, and then %s on %s", task.RunID, task.Task, task.State, task.Agent)
		}
		if task.ErrorClass == "sink_full" {
			full++
			if task.Ended.Before(faults[0].Start) || task.Ended.After(faults[0].End().Add(time.Hour)) {
				t.Errorf("task %s/%s failed sink_full at %v, outside the fault", task.RunID, task.Task, task.Ended)
			}
		}
	}
	byFault := map[string]int{}
	for _, g := range recs {
		byFault[g.Fault]++
		if g.At.Before(g.Start) || !g.At.Before(g.End) {
			t.Errorf("record at %v outside its fault's window: %+v", g.At, g)
		}
	}
	t.Logf("%d tasks, %d lost attempts, %d failed sink_full; records by fault %v", len(tasks), lost, full, byFault)
	if lost == 0 || full == 0 || byFault["crash"] < 2 || byFault["full"] < full || byFault["drop"] < 20 {
		t.Errorf("the faults did not show: %d lost attempts, %d sink_full failures, records %v", lost, full, byFault)
	}

	tasks2, recs2 := run(faults)
	if a, b := digest(t, tasks, recs), digest(t, tasks2, recs2); a != b {
		t.Error("two simulations of the same faults differ")
	}
}

// digest returns the JSON of tasks and records, which have no maps.
func digest(t *testing.T, tasks []state.TaskInstance, recs []GroundTruth) string {
	t.Helper()
	b, err := json.Marshal([]any{tasks, recs})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", b)
}
