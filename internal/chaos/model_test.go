package chaos

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl"
	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
)

// modelFleet is the generated fleet the modeller tests draw tasks from. In
// it, ingest_00 extracts raw.ingest_00_a (extract_a, from an HTTP API or a
// generator into sqlite:warehouse.db), stages it into raw.ingest_00 and
// checks that; stage_00 joins raw.ingest_00 into stg.stage_00_base in SQL,
// enriches that into stg.stage_00 and checks it.
func modelFleet(t *testing.T) *spec.Fleet {
	t.Helper()
	fleet, err := etl.GenerateFleet(10, 1)
	if err != nil {
		t.Fatal(err)
	}
	return fleet
}

// fleetAssignment is the first attempt of a task of fleet, on agent a1,
// dispatched at started.
func fleetAssignment(t *testing.T, fleet *spec.Fleet, pipeline, name string, started time.Time) agent.Assignment {
	t.Helper()
	task := fleet.Pipeline(pipeline).Task(name)
	if task == nil {
		t.Fatalf("no task %s/%s", pipeline, name)
	}
	return agent.Assignment{
		AttemptRef: agent.AttemptRef{RunID: pipeline + "/" + t0.Format(time.RFC3339), Task: name, Attempt: 1},
		Agent:      "a1", Pipeline: pipeline, LogicalTime: t0, Spec: *task,
		Timeout: time.Duration(task.Timeout), Started: started,
	}
}

// baseModel is a SimRunner that never fails or slows on its own.
func baseModel() *agent.SimRunner {
	return agent.NewSimRunner(agent.SimModel{Seed: 5, TransientRate: 1e-12, PermanentRate: 1e-12, SlowRate: 1e-12}, nil)
}

// modelCase is a task of modelFleet and what a fault should do to it.
type modelCase struct {
	pipeline, task string
	// check compares the faulty attempt to the base one; nil means the
	// fault does not touch the attempt.
	check func(d0, d time.Duration, r0, r agent.Result) bool
}

// testModel models the cases' attempts, dispatched at started, with and
// without flt, and checks the differences and the ground truth.
func testModel(t *testing.T, flt Fault, started time.Time, fx Effects, cases ...modelCase) {
	t.Helper()
	fleet := modelFleet(t)
	in, truth, _ := newInjector(t, Options{Fleet: fleet, Effects: fx}, flt)
	base := baseModel()
	m := in.Modeller(base)
	wantRecords := 0
	for _, c := range cases {
		a := fleetAssignment(t, fleet, c.pipeline, c.task, started)
		d0, r0 := base.Model(a)
		d, r := m.Model(a)
		if c.check == nil {
			if d != d0 || !reflect.DeepEqual(r, r0) {
				t.Errorf("%s %s/%s: changed an attempt it does not strike:\n%v %+v\n%v %+v", flt.Kind, c.pipeline, c.task, d0, r0, d, r)
			}
			continue
		}
		wantRecords++
		if !c.check(d0, d, r0, r) {
			t.Errorf("%s %s/%s:\nbase   %v %+v\nfaulty %v %+v", flt.Kind, c.pipeline, c.task, d0, r0.Usage, d, r)
		}
		if r.Wall != d || len(r.Logs) != 2 || !r.Logs[1].At.Equal(started.Add(d)) {
			t.Errorf("%s %s/%s: wall %v and logs %+v do not follow the duration %v", flt.Kind, c.pipeline, c.task, r.Wall, r.Logs, d)
		}
		if d2, r2 := m.Model(a); d2 != d || !reflect.DeepEqual(r2, r) {
			t.Errorf("%s %s/%s: modelled twice, differently", flt.Kind, c.pipeline, c.task)
		}
	}
	recs := truth.Records()
	if len(recs) != 2*wantRecords {
		t.Fatalf("%s: %d records, want %d: %+v", flt.Kind, len(recs), 2*wantRecords, recs)
	}
	for _, g := range recs {
		checkTruth(t, g, flt, started)
		if g.Agent != "a1" || g.Attempt != 1 || g.Task == "" || !strings.HasPrefix(g.Run, g.Pipeline+"/") {
			t.Errorf("record %+v", g)
		}
	}
}

// scaled reports whether n is about n0 times f.
func scaled(n0, n int64, f float64) bool {
	return math.Abs(float64(n)-float64(n0)*f) <= 1
}

// fails returns a check that the attempt failed with class, sooner than
// the base one ended.
func fails(class spec.ErrorClass) func(d0, d time.Duration, r0, r agent.Result) bool {
	return func(d0, d time.Duration, r0, r agent.Result) bool {
		return r.Class == class && r.Error != "" && r.RowsOut == 0 && d <= d0
	}
}

var (
	extract   = "extract_a"
	ingest    = "ingest_00"
	raw       = "dataset:raw.ingest_00_a"
	unchanged func(d0, d time.Duration, r0, r agent.Result) bool
)

func TestModelDurations(t *testing.T) {
	testModel(t, fault("f1", SourceLatency, "task:ingest_00/extract_a", func(f *Fault) { f.Intensity = 0.5 }), at, Effects{},
		modelCase{ingest, extract, func(d0, d time.Duration, r0, r agent.Result) bool {
			return d == d0+5*time.Minute && r.RowsIn == r0.RowsIn && !r.Failed()
		}},
		modelCase{ingest, "stage", unchanged})
	testModel(t, fault("f1", AgentSlowdown, "agent:a1", func(f *Fault) { f.Intensity = 0.5 }), at, Effects{},
		modelCase{ingest, extract, func(d0, d time.Duration, r0, r agent.Result) bool {
			return d == (d0*11/2).Round(time.Millisecond) && r.CPU == r0.CPU && r.RowsOut == r0.RowsOut
		}},
		modelCase{"stage_00", "join", func(d0, d time.Duration, r0, r agent.Result) bool { return d > 5*d0 }})
}

func TestModelVolume(t *testing.T) {
	half := func(f float64) func(d0, d time.Duration, r0, r agent.Result) bool {
		return func(d0, d time.Duration, r0, r agent.Result) bool {
			return scaled(r0.RowsIn, r.RowsIn, f) && scaled(r0.RowsOut, r.RowsOut, f) && scaled(r0.Bytes, r.Bytes, f) &&
				(f < 1) == (d < d0) && !r.Failed()
		}
	}
	// The drop reaches every task downstream of the dataset, through
	// lineage, not the tasks beside it.
	testModel(t, fault("f1", VolumeDrop, raw, func(f *Fault) { f.Intensity = 0.5 }), at, Effects{},
		modelCase{ingest, extract, half(0.5)},
		modelCase{ingest, "stage", half(0.5)},
		modelCase{ingest, "check", half(0.5)},
		modelCase{"stage_00", "join", half(0.5)},
		modelCase{"stage_00", "enrich", half(0.5)},
		modelCase{"ingest_01", extract, unchanged})
	testModel(t, fault("f1", VolumeSpike, raw, func(f *Fault) { f.Intensity = 0.5 }), at, Effects{},
		modelCase{ingest, extract, half(5.5)})
	// A dataset that is gone fails its checks.
	testModel(t, fault("f1", VolumeDrop, raw), at, Effects{},
		modelCase{ingest, extract, half(0)},
		modelCase{ingest, "check", fails(spec.ClassData)})
	// Late rows are missing in the first half of the fault, and arrive in
	// the second.
	late := fault("f1", LateData, raw, func(f *Fault) { f.Intensity = 0.4 })
	testModel(t, late, at, Effects{}, modelCase{ingest, extract, half(0.6)})
	testModel(t, late, t0.Add(40*time.Minute), Effects{}, modelCase{ingest, extract, half(1.4)})
}

func TestModelDrift(t *testing.T) {
	testModel(t, fault("f1", Drift, raw), at, Effects{},
		modelCase{ingest, extract, func(d0, d time.Duration, r0, r agent.Result) bool { return d == d0 && r.RowsOut == r0.RowsOut }},
		modelCase{ingest, "stage", func(d0, d time.Duration, r0, r agent.Result) bool {
			return scaled(r0.RowsOut, r.RowsOut, 0.5) && r.RowsIn == r0.RowsIn
		}},
		modelCase{ingest, "check", fails(spec.ClassData)})
}

func TestModelAgentFaults(t *testing.T) {
	testModel(t, fault("f1", AgentMemoryLeak, "agent:a1", func(f *Fault) { f.Intensity = 0.5 }), at, Effects{LeakPerHour: 1.2e9},
		modelCase{ingest, extract, func(d0, d time.Duration, r0, r agent.Result) bool {
			return r.PeakMemory == r0.PeakMemory+1e8 && d == d0 && !r.Failed()
		}})
	testModel(t, fault("f1", AgentMemoryLeak, "agent:a1"), at, Effects{LeakPerHour: 1.2e9, MemoryLimit: 1},
		modelCase{ingest, extract, fails(spec.ClassInternal)})
	// A crash holds the attempt until it ends, 50 minutes on, past the
	// attempt's own duration.
	testModel(t, fault("f1", AgentCrash, "agent:a1"), at, Effects{},
		modelCase{ingest, extract, func(d0, d time.Duration, r0, r agent.Result) bool {
			return d == max(d0, 50*time.Minute) && r.Class == spec.ClassInternal && r.RowsOut == 0
		}})
}

func TestModelFailures(t *testing.T) {
	testModel(t, fault("f1", SourceErrors, "pipeline:ingest_00", func(f *Fault) { f.Class = "rate_limited" }), at, Effects{},
		modelCase{ingest, extract, func(d0, d time.Duration, r0, r agent.Result) bool {
			return fails(spec.ClassRateLimited)(d0, d, r0, r) && d < d0/3 && r.RetryAfter == 30*time.Second
		}},
		modelCase{"ingest_01", extract, unchanged})
	// Every task that writes to the full database fails; its check, which
	// only reads, does not.
	testModel(t, fault("f1", SinkFull, "endpoint:sqlite:warehouse.db"), at, Effects{},
		modelCase{ingest, extract, fails(spec.ClassSinkFull)},
		modelCase{ingest, "stage", fails(spec.ClassSinkFull)},
		modelCase{ingest, "check", unchanged},
		modelCase{"stage_00", "join", unchanged})
}

func TestModelSchemaChanges(t *testing.T) {
	f := func(change ColumnChange, cases ...modelCase) {
		t.Helper()
		testModel(t, fault("f1", SchemaChange, raw, func(f *Fault) { f.Change = change }), at, Effects{}, cases...)
	}
	same := func(d0, d time.Duration, r0, r agent.Result) bool {
		return d == d0 && r.RowsOut == r0.RowsOut && !r.Failed()
	}
	// A new or renamed column fails the load into the existing table, so
	// the tasks downstream see nothing new.
	f(ColumnAdded, modelCase{ingest, extract, fails(spec.ClassSchema)}, modelCase{ingest, "stage", unchanged})
	f(ColumnRenamed, modelCase{ingest, extract, fails(spec.ClassSchema)}, modelCase{ingest, "stage", unchanged})
	// A removed or retyped column loads, and fails the tasks that read it.
	f(ColumnRemoved,
		modelCase{ingest, extract, func(d0, d time.Duration, r0, r agent.Result) bool { return same(d0, d, r0, r) && r.Bytes < r0.Bytes }},
		modelCase{ingest, "stage", fails(spec.ClassSchema)},
		modelCase{ingest, "check", unchanged})
	f(ColumnTypeChanged,
		modelCase{ingest, extract, same},
		modelCase{ingest, "stage", fails(spec.ClassData)})
}

func TestModelOutsideTheFault(t *testing.T) {
	flt := fault("f1", VolumeDrop, raw)
	testModel(t, flt, t0.Add(-time.Second), Effects{}, modelCase{ingest, extract, unchanged})
	testModel(t, flt, t0.Add(time.Hour), Effects{}, modelCase{ingest, extract, unchanged})
	// Without a started time, the logical time tells.
	in, truth, _ := newInjector(t, Options{}, flt)
	a := fleetAssignment(t, modelFleet(t), ingest, extract, time.Time{})
	if _, r := in.Modeller(baseModel()).Model(a); len(truth.Records()) != 1 || r.RowsIn != 0 {
		t.Errorf("a fault active at the logical time was not applied: %+v", r)
	}
}

func TestModellerRunWaitsOnTheClock(t *testing.T) {
	in, _, sim := newInjector(t, Options{}, fault("f1", AgentSlowdown, "agent:a1"))
	m := in.Modeller(baseModel())
	a := fleetAssignment(t, modelFleet(t), ingest, extract, at)
	d, want := m.Model(a)
	done := make(chan agent.Result, 1)
	go func() { done <- m.Run(context.Background(), a) }()
	for sim.Waiters() == 0 {
		time.Sleep(time.Millisecond)
	}
	sim.Advance(d)
	if got := <-done; !reflect.DeepEqual(got, want) {
		t.Errorf("Run = %+v, want the model %+v", got, want)
	}
}
