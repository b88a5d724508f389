package etl

import (
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/lineage"
	"github.com/vigil-aiops/vigil/internal/state"
)

// EventSink receives the OpenLineage events of the runtime's runs (START,
// COMPLETE, FAIL, ABORT) and task attempts. The controller calls it with
// its lock held, after the change an event reports is committed, so it must
// not block for long nor call back into the controller; the application
// queues the events to its lineage store or an OpenLineage backend.
type EventSink interface {
	Emit(ev lineage.RunEvent)
}

// emit builds an event with fn and hands it to the sink after b commits.
// An event that cannot be built is logged and dropped: lineage is an
// account of the runtime, not a part of it.
func (c *Controller) emit(b *batch, fn func(*lineage.Builder) (lineage.RunEvent, error)) {
	if c.opts.Events == nil {
		return
	}
	ev, err := fn(c.lineage)
	if err != nil {
		c.logger.Warn("build lineage event", "err", err)
		return
	}
	b.after(func() { c.opts.Events.Emit(ev) })
}

// pipelineRun describes r for the lineage builder.
func pipelineRun(r *run) lineage.PipelineRun {
	pr := lineage.PipelineRun{
		ID: r.rec.ID, Pipeline: r.rec.Pipeline, LogicalTime: r.rec.LogicalTime,
		NextLogicalTime: r.p.spec.Schedule.Next(r.rec.LogicalTime),
	}
	if r.rec.Error != "" && (r.rec.State == state.RunFailed || r.rec.State == state.RunCancelled) {
		pr.Failure = &lineage.Failure{Message: r.rec.Error}
	}
	return pr
}

// emitRun emits the event of r's current state: START when it starts,
// COMPLETE, FAIL or ABORT when it ends.
func (c *Controller) emitRun(b *batch, r *run, now time.Time) {
	var typ lineage.EventType
	switch r.rec.State {
	case state.RunRunning:
		typ = lineage.EventStart
	case state.RunSuccess:
		typ = lineage.EventComplete
	case state.RunFailed:
		typ = lineage.EventFail
	case state.RunCancelled:
		typ = lineage.EventAbort
	default:
		return
	}
	pr := pipelineRun(r)
	c.emit(b, func(lb *lineage.Builder) (lineage.RunEvent, error) { return lb.PipelineEvent(typ, pr, now) })
}

// taskRun describes t's current attempt for the lineage builder, with the
// rows it read and wrote when there is one input and one output to credit
// them to.
func taskRun(t *task, withUsage bool) lineage.TaskRun {
	tr := lineage.TaskRun{Run: pipelineRun(t.run), Task: t.rec.Task, Kind: string(t.spec.Kind), Attempt: t.rec.Attempt}
	tr.Run.Failure = nil
	for _, d := range t.spec.Inputs {
		tr.Inputs = append(tr.Inputs, lineage.DatasetInfo{Name: d})
	}
	for _, d := range t.spec.Outputs {
		tr.Outputs = append(tr.Outputs, lineage.DatasetInfo{Name: d})
	}
	if withUsage {
		u := t.rec.Usage
		if len(tr.Inputs) == 1 {
			tr.Inputs[0].Rows = &u.RowsIn
		}
		if len(tr.Outputs) == 1 {
			tr.Outputs[0].Rows, tr.Outputs[0].Bytes = &u.RowsOut, &u.Bytes
			if t.output != nil {
				tr.Outputs[0].Fields, tr.Outputs[0].Columns = profileFacets(t.output)
			}
		}
	}
	return tr
}

// emitAttemptStart emits the START event of t's new attempt.
func (c *Controller) emitAttemptStart(b *batch, t *task, now time.Time) {
	if c.opts.Events == nil {
		return
	}
	tr := taskRun(t, false)
	c.emit(b, func(lb *lineage.Builder) (lineage.RunEvent, error) { return lb.TaskEvent(lineage.EventStart, tr, now) })
}

// emitAttemptEnd emits the final event of t's current attempt, which ended
// in state st: COMPLETE, FAIL (failed or lost) or ABORT (cancelled).
func (c *Controller) emitAttemptEnd(b *batch, t *task, st state.AttemptState, now time.Time, msg string) {
	if c.opts.Events == nil {
		return
	}
	typ := lineage.EventComplete
	switch st {
	case state.AttemptFailed, state.AttemptLost:
		typ = lineage.EventFail
	case state.AttemptCancelled:
		typ = lineage.EventAbort
	}
	tr := taskRun(t, st == state.AttemptSuccess)
	if typ != lineage.EventComplete && msg != "" {
		tr.Failure = &lineage.Failure{Message: msg}
	}
	c.emit(b, func(lb *lineage.Builder) (lineage.RunEvent, error) { return lb.TaskEvent(typ, tr, now) })
}

// profileFacets turns an attempt's output profile into the schema fields
// and column metrics of its output dataset.
func profileFacets(p *agent.Profile) ([]lineage.SchemaField, map[string]lineage.ColumnMetrics) {
	fields := make([]lineage.SchemaField, 0, len(p.Columns))
	cols := make(map[string]lineage.ColumnMetrics, len(p.Columns))
	for i, c := range p.Columns {
		fields = append(fields, lineage.SchemaField{Name: c.Name, Type: c.Type, OrdinalPosition: int64(i + 1)})
		count := float64(c.Count)
		cols[c.Name] = lineage.ColumnMetrics{NullCount: &c.Nulls, DistinctCount: &c.Distinct, Count: &count,
			Min: c.Min, Max: c.Max, Sum: c.Sum, Quantiles: c.Quantiles}
	}
	return fields, cols
}
