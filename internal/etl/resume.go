package etl

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/vigil-aiops/vigil/internal/state"
)

// Load reads the working set from the store: pipeline states, the runs that
// have not ended with their task instances, agents, circuits, and when each
// pipeline and dataset last succeeded. Operations call it on first use; a
// caller may call it earlier to fail fast.
func (c *Controller) Load(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ensureLoaded(ctx)
}

// ensureLoaded loads the working set unless it is loaded. The caller holds
// c.mu.
func (c *Controller) ensureLoaded(ctx context.Context) error {
	if c.loaded {
		return nil
	}
	return c.reload(ctx)
}

// reload replaces the working set with the store's. A task that was running
// keeps its lease, extended to a full lease from now, and its agent is
// given a full agent timeout: while the controller was away, agents could
// not heartbeat, and that is no reason to take their work away. Runs of
// pipelines no longer in the fleet, and task instances no longer in their
// pipeline's spec, are cancelled; tasks added to a spec join the runs that
// have not ended. The caller holds c.mu.
func (c *Controller) reload(ctx context.Context) error {
	c.loaded = false
	e := c.store.ETL()
	states, err := e.Pipelines(ctx)
	if err != nil {
		return fmt.Errorf("load etl state: %w", err)
	}
	runs, tasks, err := e.Active(ctx)
	if err != nil {
		return fmt.Errorf("load etl state: %w", err)
	}
	agents, err := e.Agents(ctx)
	if err != nil {
		return fmt.Errorf("load etl state: %w", err)
	}
	circuits, err := e.Circuits(ctx)
	if err != nil {
		return fmt.Errorf("load etl state: %w", err)
	}
	successes, err := e.LastSuccesses(ctx)
	if err != nil {
		return fmt.Errorf("load etl state: %w", err)
	}
	now := c.now()

	// External datasets are known from DatasetUpdated only, in memory.
	external := make(map[string]*dataset)
	for name, d := range c.datasets {
		if d.pipeline == "" {
			external[name] = d
		}
	}
	c.runs = make(map[string]*run)
	c.agents = make(map[string]*agentState)
	c.circuits = make(map[string]state.Circuit)
	c.datasets = external
	for _, p := range c.pipelines {
		p.st = state.PipelineState{Pipeline: p.spec.Name}
		p.active = nil
		p.lastSuccess, p.lastSuccessLogical = time.Time{}, time.Time{}
		for _, t := range p.dag.tasks {
			for _, d := range t.Outputs {
				c.datasets[d] = &dataset{name: d, pipeline: p.spec.Name, task: t.Name}
			}
		}
	}
	for _, st := range states {
		if p := c.byName[st.Pipeline]; p != nil {
			p.st = st
		}
	}
	for _, a := range agents {
		a.LastHeartbeat = later(a.LastHeartbeat, now)
		c.agents[a.ID] = &agentState{rec: a, storedHeartbeat: a.LastHeartbeat}
	}
	for _, ci := range circuits {
		if ci.Open {
			c.circuits[ci.Endpoint] = ci
		}
	}
	for _, s := range successes {
		p := c.byName[s.Pipeline]
		if p == nil {
			continue
		}
		if s.Task == "" {
			p.lastSuccess, p.lastSuccessLogical = s.Ended, s.LogicalTime
			continue
		}
		if pos, ok := p.dag.pos[s.Task]; ok {
			for _, d := range p.dag.tasks[pos].Outputs {
				c.datasets[d].lastWrite, c.datasets[d].logical = s.Ended, s.LogicalTime
			}
		}
	}

	byRun := make(map[string][]state.TaskInstance)
	for _, t := range tasks {
		byRun[t.RunID] = append(byRun[t.RunID], t)
	}
	orphans := newBatch()
	for _, rec := range runs {
		p := c.byName[rec.Pipeline]
		if p == nil {
			const why = "pipeline is no longer in the fleet"
			rec.State, rec.Ended, rec.Error = state.RunCancelled, now, why
			r := &run{rec: rec}
			orphans.runs = append(orphans.runs, r)
			for _, ti := range byRun[rec.ID] {
				if ti.State == state.TaskRunning {
					orphans.attempt(state.Attempt{RunID: ti.RunID, Task: ti.Task, Attempt: ti.Attempt, Agent: ti.Agent,
						State: state.AttemptCancelled, Started: ti.Started, Ended: now, Error: why})
				}
				if !ti.State.Terminal() {
					ti.State, ti.Ended, ti.Error, ti.LeaseUntil = state.TaskCancelled, now, why, time.Time{}
					orphans.tasks = append(orphans.tasks, &task{rec: ti, run: r})
				}
			}
			continue
		}
		r := c.restoreRun(orphans, p, rec, byRun[rec.ID], now)
		p.active = append(p.active, r)
		c.runs[r.rec.ID] = r
	}
	for _, p := range c.pipelines {
		sortRuns(p.active)
	}
	c.loaded = true
	if !orphans.empty() {
		if err := c.store.InTx(ctx, func(tx *state.Tx) error { return write(ctx, tx.ETL(), orphans) }); err != nil {
			c.loaded = false
			return fmt.Errorf("load etl state: cancel orphaned runs and tasks: %w", err)
		}
	}
	c.logger.Info("etl working set loaded", "active_runs", len(c.runs), "agents", len(c.agents), "open_circuits", len(c.circuits))
	return nil
}

// restoreRun rebuilds an active run from its stored tasks, reconciling them
// with the pipeline's spec; changes go to b.
func (c *Controller) restoreRun(b *batch, p *pipeline, rec state.Run, stored []state.TaskInstance, now time.Time) *run {
	r := &run{rec: rec, p: p, byName: make(map[string]*task)}
	r.tasks = make([]*task, len(p.dag.tasks))
	for _, ti := range stored {
		pos, ok := p.dag.pos[ti.Task]
		if !ok {
			const why = "task is no longer in the pipeline spec"
			if ti.State == state.TaskRunning {
				b.attempt(state.Attempt{RunID: ti.RunID, Task: ti.Task, Attempt: ti.Attempt, Agent: ti.Agent,
					State: state.AttemptCancelled, Started: ti.Started, Ended: now, Error: why})
			}
			if !ti.State.Terminal() {
				ti.State, ti.Ended, ti.Error, ti.LeaseUntil = state.TaskCancelled, now, why, time.Time{}
				b.tasks = append(b.tasks, &task{rec: ti, run: r})
			}
			continue
		}
		t := &task{rec: ti, run: r, spec: p.dag.tasks[pos], endpoints: Endpoints(*p.dag.tasks[pos])}
		t.rec.Position = pos
		t.storedLease = ti.LeaseUntil
		if ti.State == state.TaskRunning {
			t.rec.LeaseUntil = later(ti.LeaseUntil, now.Add(c.opts.Lease))
		}
		r.tasks[pos] = t
	}
	for pos, t := range r.tasks {
		if t == nil {
			t = c.newTask(r, pos)
			r.tasks[pos] = t
			b.task(t)
		}
		r.byName[t.rec.Task] = t
	}
	return r
}

// newTask returns the pending task instance of r at position pos.
func (c *Controller) newTask(r *run, pos int) *task {
	ts := r.p.dag.tasks[pos]
	return &task{
		rec: state.TaskInstance{
			RunID: r.rec.ID, Task: ts.Name, Pipeline: r.rec.Pipeline, Position: pos,
			State: state.TaskPending, FirstAttempt: 1,
		},
		run:       r,
		spec:      ts,
		endpoints: Endpoints(*ts),
	}
}

// sortRuns orders runs by logical time, then ID.
func sortRuns(rs []*run) {
	slices.SortFunc(rs, func(a, b *run) int {
		if c := a.rec.LogicalTime.Compare(b.rec.LogicalTime); c != 0 {
			return c
		}
		return compareStrings(a.rec.ID, b.rec.ID)
	})
}

// later returns the later of two times.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// pipelineOf returns the fleet's pipeline called name, or an error wrapping
// ErrUnknownPipeline. The caller holds c.mu.
func (c *Controller) pipelineOf(name string) (*pipeline, error) {
	p := c.byName[name]
	if p == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownPipeline, name)
	}
	return p, nil
}
