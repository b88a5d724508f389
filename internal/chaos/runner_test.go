package chaos

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"github.com/vigil-aiops/vigil/internal/etl/task"
)

// extractAssignment is attempt n of a task that extracts orders.csv into
// the raw_orders table of w.db.
func extractAssignment(n int) agent.Assignment {
	return agent.Assignment{
		AttemptRef:  agent.AttemptRef{RunID: testRun.RunID, Task: "extract", Attempt: n},
		Agent:       "a1",
		Pipeline:    "orders",
		LogicalTime: t0,
		Spec: spec.Task{
			Name: "extract", Kind: spec.KindExtract,
			Source:  &spec.Endpoint{Connector: "csv", Settings: map[string]any{"path": "orders.csv"}},
			Sink:    &spec.Endpoint{Connector: "sqlite", Settings: map[string]any{"path": "w.db", "table": "raw_orders", "mode": "append"}},
			Outputs: []string{"raw.orders"},
		},
		Timeout: time.Minute,
		Started: at,
	}
}

// TestRunnerInjectsIntoTheTaskRunner runs real attempts through the task
// runner, with the injector registered in its registry: the faults reach
// its source and sink, and the runtime reacts as it would to the real
// thing.
func TestRunnerInjectsIntoTheTaskRunner(t *testing.T) {
	reg, _, dir := ordersCSV(t, 100)
	faults := []Fault{
		fault("drop", VolumeDrop, "dataset:raw.orders", func(f *Fault) { f.Intensity = 0.5 }),
		fault("full", SinkFull, "endpoint:sqlite:w.db", func(f *Fault) { f.Start = t0.Add(time.Hour) }),
		fault("added", SchemaChange, "endpoint:csv:orders.csv", func(f *Fault) { f.Start, f.Change = t0.Add(2*time.Hour), ColumnAdded }),
	}
	in, truth, sim := newInjector(t, Options{}, faults...)
	if err := in.Register(reg); err != nil {
		t.Fatal(err)
	}
	r := in.Runner(task.New(reg, slog.New(slog.DiscardHandler), sim.Now))
	if _, ok := r.(agent.Modeller); ok {
		t.Fatal("the task runner's wrapper models attempts")
	}

	a := extractAssignment(1)
	res := r.Run(context.Background(), a)
	if res.Failed() || res.RowsIn != 50 || res.RowsOut != 50 {
		t.Fatalf("attempt 1 under a volume drop: %+v", res)
	}
	if a.Spec.Source.Connector != "csv" || a.Spec.Sink.Connector != "sqlite" {
		t.Fatalf("the assignment's task was changed: %+v", a.Spec)
	}
	if n := countRows(t, reg, dir, "raw_orders"); n != 50 {
		t.Fatalf("%d rows loaded, want 50", n)
	}

	sim.Advance(time.Hour)
	res = r.Run(context.Background(), extractAssignment(2))
	if res.Class != spec.ClassSinkFull {
		t.Fatalf("attempt 2 into a full sink: %+v", res)
	}
	sim.Advance(time.Hour)
	res = r.Run(context.Background(), extractAssignment(3))
	if res.Class != spec.ClassSchema || !strings.Contains(res.Error, "chaos_added") {
		t.Fatalf("attempt 3 with a column added at the source: %+v", res)
	}
	if n := countRows(t, reg, dir, "raw_orders"); n != 50 {
		t.Fatalf("%d rows after failed loads, want the 50 of attempt 1", n)
	}

	recs := truth.Records()
	if len(recs) != 3 {
		t.Fatalf("records %+v, want 3", recs)
	}
	for i, g := range recs {
		checkTruth(t, g, faults[i], at.Add(time.Duration(i)*time.Hour))
		if g.Attempt != i+1 || g.Run != testRun.RunID || g.Pipeline != "orders" || g.Task != "extract" {
			t.Errorf("record %d: %+v", i, g)
		}
	}
}

// fakeRunner returns res, counting its calls.
type fakeRunner struct {
	res   agent.Result
	calls atomic.Int32
}

func (f *fakeRunner) Run(context.Context, agent.Assignment) agent.Result {
	f.calls.Add(1)
	return f.res
}

func TestRunnerCrashNeverReports(t *testing.T) {
	flt := fault("f1", AgentCrash, "agent:a1")
	in, truth, _ := newInjector(t, Options{}, flt)
	next := &fakeRunner{}
	r := in.Runner(next)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan agent.Result, 1)
	go func() { done <- r.Run(ctx, extractAssignment(1)) }()
	select {
	case res := <-done:
		t.Fatalf("the attempt of a crashed agent reported %+v", res)
	case <-time.After(20 * time.Millisecond):
	}
	cancel()
	res := <-done
	if !res.Failed() || next.calls.Load() != 0 {
		t.Fatalf("result %+v after %d calls of the runner", res, next.calls.Load())
	}
	g := only(t, truth)
	checkTruth(t, g, flt, at)
	if g.Agent != "a1" || g.Run != testRun.RunID {
		t.Errorf("ground truth %+v", g)
	}
	// Another agent is not struck.
	a := extractAssignment(1)
	a.Agent = "a2"
	if res := r.Run(context.Background(), a); res.Failed() || next.calls.Load() != 1 {
		t.Errorf("agent a2: %+v", res)
	}
}

func TestRunnerSlowdown(t *testing.T) {
	flt := fault("f1", AgentSlowdown, "agent:a1", func(f *Fault) { f.Intensity = 0.5 })
	in, truth, sim := newInjector(t, Options{}, flt)
	r := in.Runner(&fakeRunner{res: agent.Result{Usage: agent.Usage{Wall: 2 * time.Second, RowsOut: 7}}})
	done := make(chan agent.Result, 1)
	go func() { done <- r.Run(context.Background(), extractAssignment(1)) }()
	for sim.Waiters() == 0 {
		time.Sleep(time.Millisecond)
	}
	sim.Advance(9*time.Second - time.Millisecond) // 2s × 0.5 × 9.
	select {
	case res := <-done:
		t.Fatalf("the attempt reported before its slowdown: %+v", res)
	case <-time.After(20 * time.Millisecond):
	}
	sim.Advance(time.Millisecond)
	if res := <-done; res.Failed() || res.Wall != 11*time.Second || res.RowsOut != 7 {
		t.Fatalf("slowed attempt: %+v", res)
	}
	checkTruth(t, only(t, truth), flt, at)
}

func TestRunnerSlowdownTimesOut(t *testing.T) {
	in, _, _ := newInjector(t, Options{}, fault("f1", AgentSlowdown, "agent:a1"))
	r := in.Runner(&fakeRunner{res: agent.Result{Usage: agent.Usage{Wall: time.Second}}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if res := r.Run(ctx, extractAssignment(1)); res.Class != spec.ClassTimeout {
		t.Fatalf("result %+v, want a timeout", res)
	}
}

func TestRunnerMemoryLeak(t *testing.T) {
	flt := fault("f1", AgentMemoryLeak, "agent:a1", func(f *Fault) { f.Intensity = 0.5 })
	// 10 minutes into the leak, at 0.5 × 1.2 GB an hour: 100 MB.
	in, truth, _ := newInjector(t, Options{Effects: Effects{LeakPerHour: 1.2e9}}, flt)
	r := in.Runner(&fakeRunner{res: agent.Result{Usage: agent.Usage{Wall: time.Second, PeakMemory: 5e6, RowsOut: 3}}})
	if res := r.Run(context.Background(), extractAssignment(1)); res.Failed() || res.PeakMemory != 105e6 {
		t.Fatalf("leaking attempt: %+v", res)
	}
	checkTruth(t, only(t, truth), flt, at)

	in, _, _ = newInjector(t, Options{Effects: Effects{LeakPerHour: 1.2e9, MemoryLimit: 1e8}}, flt)
	r = in.Runner(&fakeRunner{res: agent.Result{Usage: agent.Usage{Wall: time.Second, PeakMemory: 5e6, RowsOut: 3}}})
	if res := r.Run(context.Background(), extractAssignment(1)); res.Class != spec.ClassInternal || !strings.Contains(res.Error, "out of memory") || res.RowsOut != 0 {
		t.Fatalf("attempt past the memory limit: %+v", res)
	}
}

func TestRunnerOfAModellerModels(t *testing.T) {
	in, _, _ := newInjector(t, Options{})
	if _, ok := in.Runner(agent.NewSimRunner(agent.SimModel{}, nil)).(agent.Modeller); !ok {
		t.Fatal("Runner of a Modeller does not model")
	}
}
