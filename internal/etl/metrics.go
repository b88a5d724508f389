package etl

import (
	"time"

	"github.com/vigil-aiops/vigil/internal/state"
)

// SampleWriter receives the runtime's metrics as samples, which the
// application writes to the series store. The controller calls it with its
// lock held, after the state change a sample describes is committed, so it
// must not block for long nor call back into the controller.
type SampleWriter interface {
	Write(name string, labels map[string]string, t time.Time, v float64)
}

// AttemptSink receives a report of every successful attempt once its end
// is committed, for the detection engine to judge. The controller calls it
// with its lock held, so it must not block for long nor call back into the
// controller.
type AttemptSink interface {
	Attempt(AttemptReport)
}

// AttemptReport is what one successful attempt of a task did.
type AttemptReport struct {
	Pipeline, Task string
	Ended          time.Time
	// QueueWait is how long the task waited for an agent, and Duration how
	// long the attempt ran.
	QueueWait, Duration time.Duration
	state.Usage
}

// FreshnessSink hears when a dataset goes stale (older than its
// pipeline's freshness budget) and when it is fresh again. The controller
// calls it with its lock held, so it must not block for long nor call back
// into the controller.
type FreshnessSink interface {
	Freshness(FreshnessReport)
}

// FreshnessReport is a change in a dataset's freshness.
type FreshnessReport struct {
	Dataset, Pipeline string
	At                time.Time
	// LastWrite is when the dataset was last written; Age is At minus it.
	LastWrite   time.Time
	Age, Budget time.Duration
	Stale       bool
}

// The metrics the controller writes. Durations are in seconds; counters
// (_total) count since the controller started.
const (
	MetricRunDuration      = "vigil_etl_run_duration_seconds"
	MetricRunLateness      = "vigil_etl_run_sla_lateness_seconds"
	MetricRunsTotal        = "vigil_etl_runs_total"
	MetricTaskDuration     = "vigil_etl_task_duration_seconds"
	MetricTaskQueueWait    = "vigil_etl_task_queue_wait_seconds"
	MetricTaskRowsIn       = "vigil_etl_task_rows_in"
	MetricTaskRowsOut      = "vigil_etl_task_rows_out"
	MetricTaskBytes        = "vigil_etl_task_bytes"
	MetricTaskCPU          = "vigil_etl_task_cpu_seconds"
	MetricTaskPeakMemory   = "vigil_etl_task_peak_memory_bytes"
	MetricTaskErrorsTotal  = "vigil_etl_task_errors_total"
	MetricTaskRetriesTotal = "vigil_etl_task_retries_total"
	MetricAgentUtilization = "vigil_etl_agent_utilization_ratio"
	MetricDatasetFreshness = "vigil_etl_dataset_freshness_seconds"
	MetricQueuedTasks      = "vigil_etl_queued_tasks"
)

// counters hold the cumulative values of the _total metrics, by series.
type counters struct {
	values map[string]float64
}

// add increments the series key by one and returns its new value.
func (cs *counters) add(key string) float64 {
	if cs.values == nil {
		cs.values = make(map[string]float64)
	}
	cs.values[key]++
	return cs.values[key]
}

// sample schedules a sample to be written after b commits.
func (c *Controller) sample(b *batch, name string, labels map[string]string, t time.Time, v float64) {
	if c.opts.Samples == nil {
		return
	}
	b.after(func() { c.opts.Samples.Write(name, labels, t, v) })
}

// recordDispatchMetrics writes how long t waited in the queue.
func (c *Controller) recordDispatchMetrics(b *batch, t *task, now time.Time) {
	if c.opts.Samples == nil {
		return
	}
	c.sample(b, MetricTaskQueueWait, taskLabels(t), now, now.Sub(t.rec.Queued).Seconds())
}

// recordAttemptMetrics writes what an attempt that ended in state st did.
func (c *Controller) recordAttemptMetrics(b *batch, t *task, st state.AttemptState, class string, now time.Time) {
	if sink := c.opts.Attempts; sink != nil && st == state.AttemptSuccess {
		rep := AttemptReport{Pipeline: t.rec.Pipeline, Task: t.rec.Task, Ended: now, Duration: now.Sub(t.rec.Started), Usage: t.rec.Usage}
		if !t.rec.Queued.IsZero() && t.rec.Started.After(t.rec.Queued) {
			rep.QueueWait = t.rec.Started.Sub(t.rec.Queued)
		}
		b.after(func() { sink.Attempt(rep) })
	}
	if c.opts.Samples == nil {
		return
	}
	labels := taskLabels(t)
	withState := taskLabels(t)
	withState["state"] = string(st)
	c.sample(b, MetricTaskDuration, withState, now, now.Sub(t.rec.Started).Seconds())
	if st == state.AttemptSuccess || st == state.AttemptFailed {
		u := t.rec.Usage
		c.sample(b, MetricTaskRowsIn, labels, now, float64(u.RowsIn))
		c.sample(b, MetricTaskRowsOut, labels, now, float64(u.RowsOut))
		c.sample(b, MetricTaskBytes, labels, now, float64(u.Bytes))
		c.sample(b, MetricTaskCPU, labels, now, u.CPU.Seconds())
		c.sample(b, MetricTaskPeakMemory, labels, now, float64(u.PeakMemory))
	}
	if class != "" {
		errs := taskLabels(t)
		errs["class"] = class
		v := c.counters.add(MetricTaskErrorsTotal + "|" + t.rec.Pipeline + "|" + t.rec.Task + "|" + class)
		c.sample(b, MetricTaskErrorsTotal, errs, now, v)
	}
}

// recordRetry counts a retry of t.
func (c *Controller) recordRetry(b *batch, t *task, now time.Time) {
	if c.opts.Samples == nil {
		return
	}
	v := c.counters.add(MetricTaskRetriesTotal + "|" + t.rec.Pipeline + "|" + t.rec.Task)
	c.sample(b, MetricTaskRetriesTotal, taskLabels(t), now, v)
}

// recordRunMetrics writes how a run that just ended went.
func (c *Controller) recordRunMetrics(b *batch, r *run, now time.Time) {
	if c.opts.Samples == nil {
		return
	}
	labels := map[string]string{"pipeline": r.rec.Pipeline, "state": string(r.rec.State)}
	c.sample(b, MetricRunDuration, labels, now, r.rec.Ended.Sub(r.rec.Started).Seconds())
	c.sample(b, MetricRunsTotal, labels, now, c.counters.add(MetricRunsTotal+"|"+r.rec.Pipeline+"|"+string(r.rec.State)))
	if sla := r.p.spec.SLA.Std(); sla > 0 {
		c.sample(b, MetricRunLateness, map[string]string{"pipeline": r.rec.Pipeline}, now,
			r.rec.Ended.Sub(r.rec.LogicalTime.Add(sla)).Seconds())
	}
}

// writeGauges writes, every MetricsEvery, the freshness of every dataset
// written since the controller started or last loaded, the share of each
// live agent's slots in use, and each pipeline's queued tasks. The caller
// holds c.mu.
func (c *Controller) writeGauges(now time.Time) {
	if now.Sub(c.lastGauge) < c.opts.MetricsEvery {
		return
	}
	c.lastGauge = now
	c.checkFreshness(now)
	if c.opts.Samples == nil {
		return
	}
	w := c.opts.Samples
	for _, name := range sortedKeys(c.datasets) {
		d := c.datasets[name]
		if d.lastWrite.IsZero() {
			continue
		}
		w.Write(MetricDatasetFreshness, map[string]string{"dataset": name, "pipeline": d.pipeline}, now, now.Sub(d.lastWrite).Seconds())
	}
	used := make(map[string]int)
	queued := make(map[string]int)
	c.forEachTask(func(t *task) {
		switch t.rec.State {
		case state.TaskRunning:
			used[t.rec.Agent]++
		case state.TaskQueued:
			queued[t.rec.Pipeline]++
		}
	})
	for _, id := range sortedKeys(c.agents) {
		a := c.agents[id]
		if a.rec.State != state.AgentAlive || a.rec.Slots <= 0 {
			continue
		}
		w.Write(MetricAgentUtilization, map[string]string{"agent": id}, now, float64(used[id])/float64(a.rec.Slots))
	}
	for _, p := range c.pipelines {
		w.Write(MetricQueuedTasks, map[string]string{"pipeline": p.spec.Name}, now, float64(queued[p.spec.Name]))
	}
}

// taskLabels returns the labels of a task's series.
func taskLabels(t *task) map[string]string {
	return map[string]string{"pipeline": t.rec.Pipeline, "task": t.rec.Task}
}

// checkFreshness reports the datasets that went stale or became fresh
// since the last check. A dataset never written since the controller's
// state began is not judged: there is nothing to be stale yet.
func (c *Controller) checkFreshness(now time.Time) {
	sink := c.opts.Freshness
	if sink == nil {
		return
	}
	for _, name := range sortedKeys(c.datasets) {
		d := c.datasets[name]
		p := c.byName[d.pipeline]
		if d.lastWrite.IsZero() || p == nil {
			continue
		}
		budget := p.spec.FreshnessBudget(now)
		if budget <= 0 {
			continue
		}
		age := now.Sub(d.lastWrite)
		if stale := age > budget; stale != d.stale {
			d.stale = stale
			sink.Freshness(FreshnessReport{Dataset: name, Pipeline: d.pipeline, At: now, LastWrite: d.lastWrite, Age: age, Budget: budget, Stale: stale})
		}
	}
}
