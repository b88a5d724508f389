package etl

import (
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"github.com/vigil-aiops/vigil/internal/state"
)

// pipeline is a pipeline of the fleet with its state and active runs.
type pipeline struct {
	spec *spec.Pipeline
	dag  *dag
	st   state.PipelineState
	// active holds the runs that have not ended, by logical time then ID.
	active []*run
	// lastSuccess is when the latest successful run ended, and
	// lastSuccessLogical its logical time.
	lastSuccess, lastSuccessLogical time.Time
	// upstream is what an after: schedule waits for.
	upstream []spec.NodeID
}

// run is a run that has not ended, with its task instances.
type run struct {
	rec    state.Run
	p      *pipeline
	tasks  []*task // By position.
	byName map[string]*task
}

// task is a task instance of an active run.
type task struct {
	rec  state.TaskInstance
	run  *run
	spec *spec.Task
	// endpoints are the connector endpoints the task touches; it waits
	// while a circuit on one of them is open.
	endpoints []string
	// output profiles what the last successful attempt wrote; it is kept in
	// memory for the lineage event of that attempt only.
	output *agent.Profile
	// storedLease is the lease as last written to the store; heartbeats
	// extend the lease in memory and write it only when the stored one
	// nears its end.
	storedLease time.Time
}

// ref returns the task's current attempt reference.
func (t *task) ref() agent.AttemptRef {
	return agent.AttemptRef{RunID: t.rec.RunID, Task: t.rec.Task, Attempt: t.rec.Attempt}
}

// agentState is an agent the controller has heard from.
type agentState struct {
	rec state.Agent
	// storedHeartbeat is the heartbeat as last written to the store.
	storedHeartbeat time.Time
}

// dataset is a dataset some task of the fleet writes.
type dataset struct {
	name               string
	pipeline, task     string
	lastWrite, logical time.Time
	stale              bool // As last reported to the freshness sink.
}

// runID returns the deterministic ID of a pipeline's run for a logical
// time: "<pipeline>/<logical time RFC 3339>".
func runID(pipeline string, logical time.Time) string {
	return pipeline + "/" + logical.UTC().Format(time.RFC3339)
}

// critical reports whether a failed task fails its run.
func (t *task) critical() bool {
	return t.spec.Criticality != spec.Optional
}

// resources returns the capacity one attempt of t takes.
func (t *task) resources() agent.Capacity {
	return agent.Capacity{Slots: 1, CPU: t.spec.Resources.CPU, Memory: int64(t.spec.Resources.Memory)}
}
