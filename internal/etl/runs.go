package etl

import (
	"fmt"
	"slices"
	"time"

	"github.com/vigil-aiops/vigil/internal/state"
)

// Run triggers, the values of state.Run.Trigger.
const (
	TriggerSchedule = "schedule"
	TriggerAfter    = "after"
	TriggerManual   = "manual"
)

// newRun creates a queued run of p for a logical time with pending tasks
// and records it in b. The caller has checked that the ID is free.
func (c *Controller) newRun(b *batch, p *pipeline, logical time.Time, trigger string, now time.Time) *run {
	logical = logical.UTC().Truncate(time.Second)
	r := &run{
		rec: state.Run{
			ID: runID(p.spec.Name, logical), Pipeline: p.spec.Name, LogicalTime: logical,
			Trigger: trigger, State: state.RunQueued, Created: now,
		},
		p:      p,
		byName: make(map[string]*task, len(p.dag.tasks)),
	}
	for pos := range p.dag.tasks {
		t := c.newTask(r, pos)
		r.tasks = append(r.tasks, t)
		r.byName[t.rec.Task] = t
		b.task(t)
	}
	b.run(r)
	p.active = append(p.active, r)
	sortRuns(p.active)
	c.runs[r.rec.ID] = r
	p.st.LastRun, p.st.Updated = now, now
	b.pipeline(p)
	return r
}

// admit starts p's queued runs, oldest first, while fewer than
// max_active_runs are running. A paused pipeline starts none.
func (c *Controller) admit(b *batch, p *pipeline, now time.Time) {
	if p.st.Paused {
		return
	}
	running := 0
	for _, r := range p.active {
		if r.rec.State == state.RunRunning {
			running++
		}
	}
	limit := max(p.spec.MaxActiveRuns, 1)
	for _, r := range slices.Clone(p.active) {
		if running >= limit {
			return
		}
		if r.rec.State != state.RunQueued {
			continue
		}
		r.rec.State = state.RunRunning
		if r.rec.Started.IsZero() {
			r.rec.Started = now
		}
		running++
		b.run(r)
		c.emitRun(b, r, now)
		c.resolve(b, r, now)
	}
}

// resolve moves r's tasks along its DAG and ends r when it is done. In one
// pass in position order: a pending task whose upstream tasks all
// succeeded or were skipped is queued, or skipped if it is optional and the
// pipeline is degraded; one with an upstream task that failed or was
// cancelled is marked upstream_failed. A critical task that failed for
// good fails the run; a run whose tasks have all ended succeeds.
func (c *Controller) resolve(b *batch, r *run, now time.Time) {
	if r.rec.State != state.RunRunning {
		return
	}
	degraded := r.p.st.Degraded
	for pos, t := range r.tasks {
		switch t.rec.State {
		case state.TaskPending:
			ready, blocked := true, ""
			for _, d := range r.p.dag.deps[pos] {
				switch up := r.tasks[d]; up.rec.State {
				case state.TaskSuccess, state.TaskSkipped:
				case state.TaskFailed, state.TaskUpstreamFailed, state.TaskCancelled:
					blocked = up.rec.Task
				default:
					ready = false
				}
			}
			switch {
			case blocked != "":
				c.endTask(b, t, state.TaskUpstreamFailed, now, fmt.Sprintf("upstream task %s did not succeed", blocked))
			case !ready:
			case degraded && !t.critical():
				c.endTask(b, t, state.TaskSkipped, now, "skipped: pipeline is degraded")
			default:
				t.rec.State, t.rec.Queued, t.rec.NotBefore = state.TaskQueued, now, now
				b.task(t)
			}
		case state.TaskQueued:
			if degraded && !t.critical() {
				c.endTask(b, t, state.TaskSkipped, now, "skipped: pipeline is degraded")
			}
		}
	}
	done := true
	for _, t := range r.tasks {
		if t.critical() && (t.rec.State == state.TaskFailed || t.rec.State == state.TaskUpstreamFailed) {
			c.failRun(b, r, now, fmt.Sprintf("task %s failed: %s", t.rec.Task, t.rec.Error))
			return
		}
		done = done && t.rec.State.Terminal()
	}
	if done {
		c.endRun(b, r, state.RunSuccess, now, "")
	}
}

// endTask ends a task that is not running in state st.
func (c *Controller) endTask(b *batch, t *task, st state.TaskState, now time.Time, why string) {
	t.rec.State, t.rec.Ended, t.rec.Error = st, now, why
	t.rec.LeaseUntil, t.rec.NotBefore = time.Time{}, time.Time{}
	b.task(t)
}

// failRun fails r, cancelling its tasks that have not ended.
func (c *Controller) failRun(b *batch, r *run, now time.Time, why string) {
	c.cancelTasks(b, r, now, "run failed: "+why)
	c.endRun(b, r, state.RunFailed, now, why)
}

// cancelTasks cancels r's tasks that have not ended; running attempts are
// recorded as cancelled, and their agents told to abandon them at their
// next heartbeat.
func (c *Controller) cancelTasks(b *batch, r *run, now time.Time, why string) {
	for _, t := range r.tasks {
		if t.rec.State.Terminal() {
			continue
		}
		if t.rec.State == state.TaskRunning {
			c.closeAttempt(b, t, state.AttemptCancelled, now, why, "")
		}
		c.endTask(b, t, state.TaskCancelled, now, why)
	}
}

// endRun ends r in state st and takes it out of the working set.
func (c *Controller) endRun(b *batch, r *run, st state.RunState, now time.Time, why string) {
	r.rec.State, r.rec.Ended, r.rec.Error = st, now, why
	if r.rec.Started.IsZero() {
		r.rec.Started = now
	}
	b.run(r)
	p := r.p
	p.active = slices.DeleteFunc(p.active, func(x *run) bool { return x == r })
	delete(c.runs, r.rec.ID)
	if st == state.RunSuccess && !now.Before(p.lastSuccess) {
		p.lastSuccess, p.lastSuccessLogical = now, r.rec.LogicalTime
	}
	c.emitRun(b, r, now)
	c.recordRunMetrics(b, r, now)
	// A run that ends frees a place for the next under max_active_runs.
	c.admit(b, p, now)
}

// forEachTask calls fn for every task instance of the working set, in
// pipeline, run and position order.
func (c *Controller) forEachTask(fn func(*task)) {
	for _, p := range c.pipelines {
		for _, r := range p.active {
			for _, t := range r.tasks {
				fn(t)
			}
		}
	}
}
