package agent

import (
	"cmp"
	"context"
	"errors"
	"strings"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/spec"
)

// ErrRejected marks a report or heartbeat the controller refused for good,
// such as the report of an attempt whose lease was lost or which was
// superseded. The agent drops what was rejected; any other error is
// retried at the next step.
var ErrRejected = errors.New("rejected by the controller")

// Capacity is what an agent offers, or what it has left.
type Capacity struct {
	// Slots is the number of attempts the agent runs at once.
	Slots int
	// CPU is in cores; zero means not stated, and then tasks' CPU needs
	// are not counted against it.
	CPU float64
	// Memory is in bytes; zero means not stated, as for CPU.
	Memory int64
}

// AttemptRef names one attempt of one task instance.
type AttemptRef struct {
	RunID   string
	Task    string
	Attempt int
}

// Compare orders attempt references by run, task and attempt, the order
// in which agents report and list them, so that runs are reproducible. It
// returns -1, 0 or +1 as cmp.Compare does.
func (r AttemptRef) Compare(o AttemptRef) int {
	return cmp.Or(strings.Compare(r.RunID, o.RunID), strings.Compare(r.Task, o.Task), cmp.Compare(r.Attempt, o.Attempt))
}

// Assignment is an attempt the controller handed to an agent.
type Assignment struct {
	AttemptRef
	// Agent is the agent that holds the lease.
	Agent       string
	Pipeline    string
	LogicalTime time.Time
	// Spec is the task to run.
	Spec spec.Task
	// Timeout bounds the attempt; the agent cancels it when it passes.
	Timeout time.Duration
	// Started is when the controller dispatched the attempt.
	Started time.Time
	// LeaseUntil is when the lease lapses unless a heartbeat renews it.
	LeaseUntil time.Time
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

// LogLine is one line an attempt logged.
type LogLine struct {
	At    time.Time
	Level string
	Line  string
}

// Result is the outcome of an attempt. An empty Error means success.
type Result struct {
	Usage
	Error string
	// Class classifies a failure; the controller retries only the classes
	// a task lists as transient.
	Class spec.ErrorClass
	// RetryAfter is how long the failing system asked to be left alone,
	// such as an HTTP Retry-After; zero if it did not say.
	RetryAfter time.Duration
	Logs       []LogLine
	// Output profiles what the attempt wrote, for the OpenLineage schema
	// and dataQualityMetrics facets; nil when there is nothing to profile.
	Output *Profile `json:",omitempty"`
}

// Profile describes a dataset an attempt wrote: its columns and their data
// quality metrics.
type Profile struct {
	Columns []ColumnProfile
}

// ColumnProfile is one column's type and metrics. Min, Max, Sum and
// Quantiles are set for numeric columns only.
type ColumnProfile struct {
	Name      string
	Type      string
	Count     int64 // Non-null values.
	Nulls     int64
	Distinct  int64
	Min, Max  *float64           `json:",omitempty"`
	Sum       *float64           `json:",omitempty"`
	Quantiles map[string]float64 `json:",omitempty"`
}

// Failed reports whether the attempt failed.
func (r Result) Failed() bool { return r.Error != "" }

// Controller is the controller as agents see it.
type Controller interface {
	// Claim hands the agent attempts that fit in free, under a lease.
	Claim(ctx context.Context, agentID string, free Capacity) ([]Assignment, error)
	// Heartbeat says the agent, of capacity total, is alive and running
	// the attempts listed; their leases are renewed. It returns the
	// attempts the agent must abandon: those that are no longer its own,
	// such as those of a cancelled run or whose lease lapsed.
	Heartbeat(ctx context.Context, agentID string, total Capacity, running []AttemptRef) (abandon []AttemptRef, err error)
	// Report records the outcome of an attempt. It returns an error
	// wrapping ErrRejected if the attempt is not the agent's to report.
	Report(ctx context.Context, agentID string, ref AttemptRef, r Result) error
}

// Runner runs one attempt. It returns when the attempt is done or ctx
// ends, whose deadline is the attempt's timeout.
type Runner interface {
	Run(ctx context.Context, a Assignment) Result
}

// Modeller is a Runner that can tell an attempt's outcome and duration
// without running it. Agents complete such attempts on their clock.
type Modeller interface {
	Runner
	Model(a Assignment) (time.Duration, Result)
}
