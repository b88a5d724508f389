package state

import (
	"context"
	"database/sql"
	"time"
)

// RunState is where a pipeline run is in its life.
type RunState string

// The states of a run. A run is created queued; it becomes running when the
// controller admits it under the pipeline's max_active_runs, and ends
// succeeded, failed or cancelled. A retried run becomes running again.
const (
	RunQueued    RunState = "queued"
	RunRunning   RunState = "running"
	RunSuccess   RunState = "success"
	RunFailed    RunState = "failed"
	RunCancelled RunState = "cancelled"
)

// Terminal reports whether a run in state s has ended.
func (s RunState) Terminal() bool {
	return s == RunSuccess || s == RunFailed || s == RunCancelled
}

// runStates returns every RunState.
func runStates() []RunState {
	return []RunState{RunQueued, RunRunning, RunSuccess, RunFailed, RunCancelled}
}

// TaskState is where a task instance is in its life.
type TaskState string

// The states of a task instance. It starts pending, waiting for its upstream
// tasks; it is queued when it may run (possibly not before a backoff has
// passed), running while an agent holds its attempt under a lease, and ends
// in one of the other states.
const (
	TaskPending        TaskState = "pending"
	TaskQueued         TaskState = "queued"
	TaskRunning        TaskState = "running"
	TaskSuccess        TaskState = "success"
	TaskFailed         TaskState = "failed"
	TaskSkipped        TaskState = "skipped"
	TaskCancelled      TaskState = "cancelled"
	TaskUpstreamFailed TaskState = "upstream_failed"
)

// Terminal reports whether a task instance in state s has ended.
func (s TaskState) Terminal() bool {
	switch s {
	case TaskSuccess, TaskFailed, TaskSkipped, TaskCancelled, TaskUpstreamFailed:
		return true
	}
	return false
}

// taskStates returns every TaskState.
func taskStates() []TaskState {
	return []TaskState{TaskPending, TaskQueued, TaskRunning, TaskSuccess, TaskFailed, TaskSkipped, TaskCancelled, TaskUpstreamFailed}
}

// AttemptState is the outcome of one attempt of a task instance.
type AttemptState string

// The states of an attempt. Lost means the agent's lease lapsed before it
// reported.
const (
	AttemptRunning   AttemptState = "running"
	AttemptSuccess   AttemptState = "success"
	AttemptFailed    AttemptState = "failed"
	AttemptLost      AttemptState = "lost"
	AttemptCancelled AttemptState = "cancelled"
)

// AgentState says whether an agent is heard from.
type AgentState string

// The states of an agent.
const (
	AgentAlive AgentState = "alive"
	AgentDead  AgentState = "dead"
)

// PipelineState is what the controller keeps about a pipeline between runs.
type PipelineState struct {
	Pipeline string
	Paused   bool
	Degraded bool
	// NextSlot is the first schedule slot not yet considered; zero until
	// the pipeline is first scheduled.
	NextSlot time.Time
	// LastRun is when the pipeline's latest run was created.
	LastRun time.Time
	Updated time.Time
}

// Run is one execution of a pipeline for one logical time.
type Run struct {
	// ID is "<pipeline>/<logical time RFC3339>".
	ID          string
	Pipeline    string
	LogicalTime time.Time
	// Trigger says what created the run, such as "schedule", "after" or
	// "manual".
	Trigger string
	State   RunState
	Created time.Time
	Started time.Time
	Ended   time.Time
	Error   string
}

// Usage is what an attempt consumed and moved.
type Usage struct {
	RowsIn     int64
	RowsOut    int64
	Bytes      int64
	CPU        time.Duration
	Wall       time.Duration
	PeakMemory int64
}

// TaskInstance is one task of one run, with its current attempt.
type TaskInstance struct {
	RunID    string
	Task     string
	Pipeline string
	// Position orders the tasks of a run: the task's index in the
	// pipeline's topological order.
	Position int
	State    TaskState
	// Attempt is the number of the latest attempt, 0 before the first.
	Attempt int
	// FirstAttempt is the first attempt of the current round: a manual
	// retry starts a new round with a fresh retry budget.
	FirstAttempt int
	// Lost counts the attempts of the round whose lease lapsed.
	Lost       int
	Agent      string
	LeaseUntil time.Time
	NotBefore  time.Time
	Deadline   time.Time
	Queued     time.Time
	Started    time.Time
	Ended      time.Time
	Usage
	Error      string
	ErrorClass string
}

// Attempt is the history record of one attempt of a task instance.
type Attempt struct {
	RunID   string
	Task    string
	Attempt int
	Agent   string
	State   AttemptState
	Started time.Time
	Ended   time.Time
	Usage
	Error      string
	ErrorClass string
}

// LogLine is one line an attempt logged. Seq numbers the lines of an
// attempt from 0; callers bound how many they store per attempt.
type LogLine struct {
	RunID   string
	Task    string
	Attempt int
	Seq     int
	At      time.Time
	Level   string
	Line    string
}

// Control is an operator's or an automation's action on the runtime, kept
// for the record: controls are appended, never changed.
type Control struct {
	// ID is assigned by RecordControl.
	ID     int64
	At     time.Time
	Actor  string
	Action string
	// Target names what the action applies to: a pipeline, a run ID or an
	// endpoint.
	Target string
	Reason string
	// Params holds the action's parameters, as JSON.
	Params string
}

// Circuit is the state of the breaker on a connector endpoint.
type Circuit struct {
	Endpoint string
	Open     bool
	Actor    string
	Reason   string
	Updated  time.Time
}

// Agent is an agent the controller has heard from.
type Agent struct {
	ID            string
	Slots         int
	CPU           float64
	Memory        int64
	State         AgentState
	Registered    time.Time
	LastHeartbeat time.Time
}

// LastSuccess is when a pipeline, or one task of it, last succeeded.
type LastSuccess struct {
	Pipeline string
	// Task is empty for a whole pipeline's run.
	Task string
	// Ended is the latest end of a successful run or task.
	Ended time.Time
	// LogicalTime is the latest logical time of a successful run, or of
	// the run of a successful task.
	LogicalTime time.Time
}

// ETL is the repository of the ETL runtime's state: pipelines, runs, task
// instances and their attempts and logs, control actions, circuits and
// agents. Writes are upserts keyed by the records' natural keys, so that
// the controller can write a record's latest version in any transaction
// without first reading it back.
type ETL struct {
	sc scope
}

// ETL returns the ETL runtime's repository.
func (s *Store) ETL() ETL {
	return ETL{sc: scope{store: s}}
}

// ETL returns the ETL runtime's repository within the transaction.
func (tx *Tx) ETL() ETL {
	return ETL{sc: tx.sc}
}

// preparer is what *sql.DB, *sql.Conn and *sql.Tx offer to prepare a
// statement.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// execEach runs query, written with $n placeholders, once for each row of
// arguments, in one transaction, preparing it once when there are several.
func (e ETL) execEach(ctx context.Context, query string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	return e.sc.atomic(ctx, func(c conn) error {
		if len(rows) == 1 {
			_, err := c.exec(ctx, query, rows[0]...)
			return err
		}
		p, ok := c.q.(preparer)
		if !ok {
			for _, args := range rows {
				if _, err := c.exec(ctx, query, args...); err != nil {
					return err
				}
			}
			return nil
		}
		stmt, err := p.PrepareContext(ctx, rebind(c.dialect, query))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, args := range rows {
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				return err
			}
		}
		return nil
	})
}

// boolInt stores a flag as the INTEGER 0 or 1.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
