package chaos

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/etl/connector"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
)

// Modeller returns next with the faults injected into the attempts it
// models, for the simulator. A fault strikes an attempt if it is active
// when the attempt is dispatched (its Started time, or its logical time
// if it has none) and its target is the attempt's agent, pipeline, task,
// the endpoint of the side the fault strikes, or a dataset the task
// writes. A fault on a dataset also reaches the tasks downstream of it
// (see Options.Fleet), which read the damaged data.
//
// What a fault does to a modelled attempt:
//
//   - source latency adds its delay, a slowdown stretches the attempt;
//   - a volume drop or spike scales the rows, the bytes and the work, in
//     the task that writes the dataset and downstream of it;
//   - late data is missing from the runs of the first half of the fault
//     and arrives, on top of the usual rows, in those of the second half;
//   - drift changes the share of rows transforms keep, and fails checks
//     with the chance Intensity;
//   - a memory leak adds to the peak memory, past Effects.MemoryLimit an
//     out-of-memory failure;
//   - source errors and a full sink fail the attempt with their class, a
//     schema change fails the load (column added or renamed) or the tasks
//     that read the dataset (column removed: schema; type changed: data);
//   - an agent crash makes the attempt hang until the crash ends; with the
//     Controller wrapper, a crashed agent gets no attempt to model.
//
// Faults strike in the order of an attempt's life, and the first that
// fails it leaves no room for the others; a crash comes first of all. The
// changed attempt is what the agent reports.
func (in *Injector) Modeller(next agent.Modeller) agent.Modeller {
	return &modeller{in: in, next: next}
}

// modeller is the Modeller wrapper.
type modeller struct {
	in   *Injector
	next agent.Modeller
}

// hit is a fault that strikes a modelled attempt: directly, or through a
// dataset upstream of it.
type hit struct {
	f          Fault
	downstream bool // The task reads the fault's dataset or one downstream of it.
	reader     bool // The task reads the fault's dataset itself.
}

// phase orders the effects on a modelled attempt as they would come in a
// real one: a crash first, then delays, a failing read, the data's
// effects, a failing load, and the memory the attempt ends with.
func phase(k Kind) int {
	return slices.Index([]Kind{
		AgentCrash, SourceLatency, AgentSlowdown, SourceErrors,
		VolumeDrop, VolumeSpike, LateData, Drift, SchemaChange, SinkFull, AgentMemoryLeak,
	}, k)
}

// Model models the attempt with next and applies the faults that strike it.
func (m *modeller) Model(a agent.Assignment) (time.Duration, agent.Result) {
	d, res := m.next.Model(a)
	at := a.Started
	if at.IsZero() {
		at = a.LogicalTime
	}
	subj := subjectOf(a)
	var hits []hit
	for _, f := range m.in.schedule {
		if !f.Active(at) {
			continue
		}
		if f.Target.hits(subj, f.Kind.side()) {
			hits = append(hits, hit{f: f})
			continue
		}
		if reach, ok := m.in.reach[f.ID]; ok && f.Kind.data() {
			down := slices.ContainsFunc(subj.Inputs, func(d string) bool { _, found := slices.BinarySearch(reach, d); return found })
			if down {
				hits = append(hits, hit{f: f, downstream: true, reader: slices.Contains(subj.Inputs, f.Target.Name)})
			}
		}
	}
	if len(hits) == 0 {
		return d, res
	}
	slices.SortStableFunc(hits, func(x, y hit) int { return cmp.Compare(phase(x.f.Kind), phase(y.f.Kind)) })
	e := &modelled{in: m.in, a: a, at: at, subj: subj, d: d, res: res}
	struck := false
	for _, h := range hits {
		if effect := e.apply(h); effect != "" {
			m.in.record(h.f, at, subj, effect)
			struck = true
		}
	}
	if !struck {
		return d, res
	}
	e.res.Wall = e.d
	e.res.Logs = relog(a, e.res, e.d)
	return e.d, e.res
}

// Run waits for the modelled duration on the injector's clock and returns
// the modelled outcome, or a failure if ctx ends first.
func (m *modeller) Run(ctx context.Context, a agent.Assignment) agent.Result {
	d, res := m.Model(a)
	if err := sleep(ctx, m.in.clock, d); err != nil {
		return stopped(agent.Result{}, err)
	}
	return res
}

// modelled is an attempt being changed by faults.
type modelled struct {
	in   *Injector
	a    agent.Assignment
	at   time.Time
	subj Subject
	d    time.Duration
	res  agent.Result
	// failed is set once a fault has failed the attempt.
	failed bool
}

// apply applies one fault and says what it did, or returns "" if it did
// nothing.
func (e *modelled) apply(h hit) string {
	f, fx := h.f, e.in.effects
	if e.failed {
		return "" // A fault failed the attempt before this one could strike.
	}
	switch f.Kind {
	case SourceLatency:
		delay := time.Duration(f.Intensity * float64(fx.MaxLatency)).Round(time.Millisecond)
		e.d += delay
		return fmt.Sprintf("delayed the read by %s", delay)
	case AgentSlowdown:
		was := e.d
		e.d = time.Duration(float64(e.d) * (1 + f.Intensity*fx.MaxSlowdown)).Round(time.Millisecond)
		return fmt.Sprintf("slowed the attempt from %s to %s", was, e.d)
	case VolumeDrop:
		return e.volume(1-f.Intensity, "")
	case VolumeSpike:
		return e.volume(1+f.Intensity*fx.MaxSpike, "")
	case LateData:
		if e.at.Before(f.Start.Add(f.Duration / 2)) {
			return e.volume(1-f.Intensity, "late rows missing: ")
		}
		return e.volume(1+f.Intensity, "late rows arrived: ")
	case Drift:
		return e.drift(f)
	case AgentMemoryLeak:
		leaked := leak(f, e.at, fx)
		e.res.PeakMemory += leaked
		if fx.MemoryLimit > 0 && e.res.PeakMemory > fx.MemoryLimit && !e.res.Failed() {
			e.fail(spec.ClassInternal, fmt.Sprintf("out of memory: peak of %d bytes passed the limit of %d", e.res.PeakMemory, fx.MemoryLimit), 0.7)
			return fmt.Sprintf("added %d bytes to the peak memory, and the attempt ran out of memory", leaked)
		}
		return fmt.Sprintf("added %d bytes to the peak memory", leaked)
	case AgentCrash:
		if until := f.End().Sub(e.at); until > e.d {
			e.d = until
		}
		e.fail(spec.ClassInternal, fmt.Sprintf("agent %s crashed: the attempt was lost", e.subj.Agent), 1)
		return fmt.Sprintf("the agent crashed: the attempt hung for %s", e.d)
	}
	if e.res.Failed() {
		return "" // The model failed the attempt on its own.
	}
	switch f.Kind {
	case SourceErrors:
		if chance(f, e.subj, e.at, "error") >= f.Intensity {
			return ""
		}
		err := sourceError(f, e.subj)
		e.fail(spec.ErrorClass(f.class()), err.Error(), 0.05+0.25*chance(f, e.subj, e.at, "when"))
		e.res.RetryAfter, _ = connector.RetryAfter(err)
		return fmt.Sprintf("failed the read with %s: %v", f.class(), err)
	case SinkFull:
		if chance(f, e.subj, e.at, "full") >= f.Intensity {
			return ""
		}
		e.fail(spec.ClassSinkFull, fmt.Sprintf("load into %s: no space left on device", e.subj.Sink), 1)
		e.res.Bytes = 0
		return "failed the load with sink_full"
	case SchemaChange:
		return e.schema(h)
	}
	return ""
}

// volume scales the rows, bytes and work of the attempt by factor.
func (e *modelled) volume(factor float64, prefix string) string {
	before := max(e.res.RowsIn, e.res.RowsOut)
	scale := func(n int64) int64 { return int64(math.Round(float64(n) * factor)) }
	e.res.RowsIn, e.res.RowsOut, e.res.Bytes = scale(e.res.RowsIn), scale(e.res.RowsOut), scale(e.res.Bytes)
	work := 0.2 + 0.8*factor // The rest is overhead.
	e.d = time.Duration(float64(e.d) * work).Round(time.Millisecond)
	e.res.CPU = time.Duration(float64(e.res.CPU) * work).Round(time.Millisecond)
	effect := fmt.Sprintf("%s%d rows instead of %d", prefix, max(e.res.RowsIn, e.res.RowsOut), before)
	if e.a.Spec.Kind == spec.KindCheck && e.res.RowsIn == 0 && !e.res.Failed() {
		e.fail(spec.ClassData, "assertion failed: rows > 0", 1)
		effect += "; the check failed"
	}
	return effect
}

// drift changes what transforms keep of drifted data, and fails the
// checks of it with the chance Intensity.
func (e *modelled) drift(f Fault) string {
	switch {
	case e.a.Spec.Kind == spec.KindCheck && !e.res.Failed():
		if chance(f, e.subj, e.at, "check") >= f.Intensity {
			return "values drifted; the check passed"
		}
		e.fail(spec.ClassData, "assertion failed on drifted values", 1)
		return "values drifted; the check failed"
	case e.a.Spec.Kind == spec.KindTransform && e.res.RowsOut > 0:
		was := e.res.RowsOut
		e.res.RowsOut = int64(math.Round(float64(e.res.RowsOut) * (1 - f.Intensity/2)))
		return fmt.Sprintf("values drifted; the transform kept %d rows instead of %d", e.res.RowsOut, was)
	}
	return "values drifted"
}

// schema applies a schema change: the load of a changed dataset fails
// when the columns it gets are not the table's, and the tasks that read
// it fail when a column they use is gone or no longer of its type.
func (e *modelled) schema(h hit) string {
	f := h.f
	col := cmp.Or(f.Column, "the last column")
	switch {
	case !h.downstream && (f.Change == ColumnAdded || f.Change == ColumnRenamed):
		e.fail(spec.ClassSchema, fmt.Sprintf("load into %s: the source's columns changed (%s)", e.subj.Sink, f.Change), 0.9)
		return fmt.Sprintf("%s: the load failed with schema", f.Change)
	case !h.downstream && f.Change == ColumnRemoved:
		e.res.Bytes = int64(float64(e.res.Bytes) * 0.9)
		return fmt.Sprintf("removed %s: the load went on without it", col)
	case !h.downstream:
		return fmt.Sprintf("changed the type of %s: the load went on", col)
	case h.reader && f.Change == ColumnRemoved:
		e.fail(spec.ClassSchema, fmt.Sprintf("read %s: no such column: %s", f.Target.Name, col), 0.1)
		return "a column the task reads was removed: it failed with schema"
	case h.reader && f.Change == ColumnTypeChanged:
		e.fail(spec.ClassData, fmt.Sprintf("read %s: cannot cast %s", f.Target.Name, col), 0.3)
		return "a column the task reads changed type: it failed with data"
	}
	return ""
}

// fail makes the attempt fail with class and msg after the share frac of
// its work.
func (e *modelled) fail(class spec.ErrorClass, msg string, frac float64) {
	scale := func(n int64) int64 { return int64(float64(n) * frac) }
	e.d = time.Duration(float64(e.d) * frac).Round(time.Millisecond)
	e.res.CPU = time.Duration(float64(e.res.CPU) * frac).Round(time.Millisecond)
	e.res.RowsIn, e.res.RowsOut, e.res.Bytes = scale(e.res.RowsIn), 0, scale(e.res.Bytes)
	e.res.Error, e.res.Class, e.res.RetryAfter = msg, class, 0
	e.failed = true
}

// relog returns the attempt's log lines for its changed outcome: its
// first line, and a last one at its new end.
func relog(a agent.Assignment, res agent.Result, d time.Duration) []agent.LogLine {
	var lines []agent.LogLine
	if len(res.Logs) > 0 {
		lines = append(lines, res.Logs[0])
	}
	end := agent.LogLine{At: a.Started.Add(d), Level: "info",
		Line: fmt.Sprintf("read %d rows, wrote %d rows (%d bytes)", res.RowsIn, res.RowsOut, res.Bytes)}
	if res.Failed() {
		end.Level, end.Line = "error", res.Error
	}
	return append(lines, end)
}
