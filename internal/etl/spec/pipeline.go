package spec

import "time"

// Pipeline is one pipeline spec: a named, scheduled DAG of tasks. Its YAML
// form is described in docs/etl.md.
type Pipeline struct {
	// Name is unique in the fleet: [a-z][a-z0-9_]*.
	Name        string `yaml:"name"`
	Owner       string `yaml:"owner,omitempty"`
	Team        string `yaml:"team,omitempty"`
	Description string `yaml:"description,omitempty"`
	// Schedule says when the pipeline runs.
	Schedule Schedule `yaml:"schedule"`
	// Catchup says which missed schedule slots run after downtime.
	Catchup CatchupPolicy `yaml:"catchup"`
	// MaxActiveRuns bounds the runs of this pipeline in flight at once.
	MaxActiveRuns int `yaml:"max_active_runs"`
	// SLA is how long after its scheduled time a run should have finished;
	// zero means none.
	SLA Duration `yaml:"sla,omitempty"`
	// Freshness is how old the pipeline's output datasets may get before
	// they count as stale. Zero derives it from a cron or interval
	// schedule: the gap between two slots plus the SLA, or plus half the
	// gap without an SLA, so that one missed run makes them stale. A pipeline
	// scheduled after others and without it is not checked; its upstream
	// pipelines are.
	Freshness Duration `yaml:"freshness,omitempty"`
	Tasks     []Task   `yaml:"tasks"`

	// File is the path the spec was read from, or the name given to
	// Parse; it prefixes every problem reported about the pipeline.
	File string `yaml:"-"`
}

// Task is one step of a pipeline: it moves rows from a source through
// transforms into a sink, runs SQL in a database, or checks data.
type Task struct {
	// Name is unique in the pipeline: [a-z][a-z0-9_]*.
	Name string   `yaml:"name"`
	Kind TaskKind `yaml:"kind"`
	// DependsOn names tasks of the same pipeline that must succeed first,
	// beyond those implied by Inputs.
	DependsOn []string `yaml:"depends_on,omitempty"`
	// Inputs and Outputs name the datasets the task reads and writes. An
	// input produced by another task of the pipeline orders the two.
	Inputs  []string `yaml:"inputs,omitempty"`
	Outputs []string `yaml:"outputs,omitempty"`

	// Source, Transform and Sink move rows; SQL runs a statement in a
	// database instead. A check has a Source and Assert.
	Source    *Endpoint `yaml:"source,omitempty"`
	Transform []Step    `yaml:"transform,omitempty"`
	Sink      *Endpoint `yaml:"sink,omitempty"`
	SQL       *SQL      `yaml:"sql,omitempty"`
	// Assert holds a check's assertions, such as "rows > 0".
	Assert []string `yaml:"assert,omitempty"`

	// OnRowError says what a row that fails a transform does to the task;
	// DeadLetter receives such rows when it is dead_letter.
	OnRowError RowErrorPolicy `yaml:"on_row_error"`
	DeadLetter *Endpoint      `yaml:"dead_letter,omitempty"`

	// Timeout bounds one attempt.
	Timeout     Duration    `yaml:"timeout"`
	Retries     Retries     `yaml:"retries"`
	Resources   Resources   `yaml:"resources"`
	Criticality Criticality `yaml:"criticality"`
}

// Endpoint is a connector with its settings, which only the connector
// understands.
type Endpoint struct {
	Connector string         `yaml:"connector"`
	Settings  map[string]any `yaml:"settings,omitempty"`
}

// SQL is a statement run in the database an endpoint names.
type SQL struct {
	Endpoint  `yaml:",inline"`
	Statement string `yaml:"statement"`
}

// Step is one row transform; exactly one of its fields is set.
type Step struct {
	// Filter is a CEL expression over row; rows for which it is false are
	// dropped.
	Filter string `yaml:"filter,omitempty"`
	// Map computes the output columns, in order, each from a CEL
	// expression over row.
	Map Pairs `yaml:"map,omitempty"`
	// Cast converts columns to the types named (see ColumnTypes).
	Cast Pairs `yaml:"cast,omitempty"`
}

// Retries says how failed attempts of a task are retried: after backoff,
// doubling up to max_backoff, each delay spread by ±jitter of itself, and
// only for the error classes listed in Transient.
type Retries struct {
	Count      int          `yaml:"count"`
	Backoff    Duration     `yaml:"backoff"`
	MaxBackoff Duration     `yaml:"max_backoff"`
	Jitter     float64      `yaml:"jitter"`
	Transient  []ErrorClass `yaml:"transient"`
}

// Retryable reports whether an attempt that failed with an error of class c
// is worth retrying.
func (r Retries) Retryable(c ErrorClass) bool {
	for _, t := range r.Transient {
		if t == c {
			return true
		}
	}
	return false
}

// Resources is what one attempt of a task needs from an agent; zero means
// not stated.
type Resources struct {
	CPU    float64  `yaml:"cpu,omitempty"`
	Memory ByteSize `yaml:"memory,omitempty"`
}

// Task returns the task called name, or nil.
func (p *Pipeline) Task(name string) *Task {
	for i := range p.Tasks {
		if p.Tasks[i].Name == name {
			return &p.Tasks[i]
		}
	}
	return nil
}

// Defaults of a pipeline spec, applied to whatever a file leaves out.
const (
	DefaultCatchup       = CatchupLatest
	DefaultMaxActiveRuns = 1
	DefaultCriticality   = Critical
	DefaultTimeout       = Duration(time.Hour)
	DefaultRetryCount    = 0
	DefaultBackoff       = Duration(10 * time.Second)
	DefaultMaxBackoff    = Duration(10 * time.Minute)
	DefaultJitter        = 0.2
	DefaultOnRowError    = RowErrorFail
)

// DefaultTransient returns the error classes retried when a task does not
// list its own: those that usually pass by themselves.
func DefaultTransient() []ErrorClass {
	return []ErrorClass{ClassTimeout, ClassConnection, ClassHTTP5xx, ClassRateLimited, ClassLocked}
}

// DefaultPipeline returns a pipeline with every default set and no tasks.
func DefaultPipeline() Pipeline {
	return Pipeline{Catchup: DefaultCatchup, MaxActiveRuns: DefaultMaxActiveRuns}
}

// DefaultTask returns a task with every default set.
func DefaultTask() Task {
	return Task{
		OnRowError:  DefaultOnRowError,
		Timeout:     DefaultTimeout,
		Retries:     DefaultRetries(),
		Criticality: DefaultCriticality,
	}
}

// DefaultRetries returns the retry policy of a task that states none.
func DefaultRetries() Retries {
	return Retries{
		Count:      DefaultRetryCount,
		Backoff:    DefaultBackoff,
		MaxBackoff: DefaultMaxBackoff,
		Jitter:     DefaultJitter,
		Transient:  DefaultTransient(),
	}
}

// FreshnessBudget returns how old the pipeline's outputs may get at now,
// or zero when they are not checked (see Freshness).
func (p *Pipeline) FreshnessBudget(now time.Time) time.Duration {
	if p.Freshness > 0 {
		return p.Freshness.Std()
	}
	first := p.Schedule.Next(now)
	if first.IsZero() {
		return 0
	}
	second := p.Schedule.Next(first)
	if second.IsZero() {
		return 0
	}
	gap := second.Sub(first)
	return gap + max(p.SLA.Std(), gap/2)
}
