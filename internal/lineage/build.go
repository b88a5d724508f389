package lineage

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"
)

// DefaultProducer is the producer URI of the events and facets Vigil makes
// when the Builder is given none.
const DefaultProducer = "https://github.com/vigil-aiops/vigil"

// What the Builder writes into jobType and errorMessage facets.
const (
	// Integration is the integration of Vigil's jobs in their jobType facet.
	Integration = "VIGIL"
	// JobTypePipeline is the jobType of a pipeline's job; a task's job has
	// its kind in upper case (EXTRACT, TRANSFORM, LOAD, CHECK), or
	// JobTypeTask when the kind is not given.
	JobTypePipeline = "PIPELINE"
	// JobTypeTask is the jobType of a task of no given kind.
	JobTypeTask = "TASK"
	// processingBatch is the processing type of every Vigil job.
	processingBatch = "BATCH"
	// programmingLanguage is the language errorMessage facets name.
	programmingLanguage = "GO"
)

// Builder makes the RunEvents of Vigil's runtime. It holds no state besides
// its configuration and is safe for concurrent use.
//
// Each pipeline run is an OpenLineage run of the job <pipeline>; each
// attempt of a task is a run of the job <pipeline>.<task> whose parent
// facet points at the pipeline run. Both are in the configured namespace
// and carry a jobType facet and, when the run has a logical time, a
// nominalTime facet; a failure becomes an errorMessage facet. A task's
// datasets are named by DatasetIdentity; a schema becomes a schema facet,
// row and byte counts a dataQualityMetrics facet on inputs and an
// outputStatistics facet on outputs, and column metrics of an output a
// dataset-level dataQualityMetrics facet. The events share no memory with
// the values they were built from.
type Builder struct {
	namespace string
	producer  string
}

// NewBuilder returns a Builder for the job namespace, which must not be
// empty, and the producer URI, which must be absolute; empty means
// DefaultProducer.
func NewBuilder(namespace, producer string) (*Builder, error) {
	if namespace == "" {
		return nil, errors.New("new lineage builder: empty job namespace")
	}
	if producer == "" {
		producer = DefaultProducer
	}
	if u, err := url.Parse(producer); err != nil || !u.IsAbs() {
		return nil, fmt.Errorf("new lineage builder: producer %s is not an absolute URI", quote(producer))
	}
	return &Builder{namespace: namespace, producer: producer}, nil
}

// Namespace returns the job namespace of the Builder's events.
func (b *Builder) Namespace() string {
	return b.namespace
}

// PipelineRun describes one run of a pipeline.
type PipelineRun struct {
	// ID is Vigil's run ID, <pipeline>/<logical time>.
	ID string
	// Pipeline is the name of the pipeline.
	Pipeline string
	// LogicalTime is the scheduled time of the run; zero for none.
	LogicalTime time.Time
	// NextLogicalTime is the scheduled time of the next run, the end of this
	// run's slot; zero when unknown.
	NextLogicalTime time.Time
	// Failure is why the run failed or was aborted; nil for none.
	Failure *Failure
}

// TaskRun describes one attempt of a task of a pipeline run.
type TaskRun struct {
	// Run is the pipeline run; its Failure is not used here.
	Run PipelineRun
	// Task is the name of the task.
	Task string
	// Kind is the kind of the task: extract, transform, load or check.
	// Empty means unknown.
	Kind string
	// Attempt counts from 1.
	Attempt int
	// Inputs and Outputs are the datasets the task reads and writes.
	Inputs  []DatasetInfo
	Outputs []DatasetInfo
	// Failure is why the attempt failed or was aborted; nil for none.
	Failure *Failure
}

// DatasetInfo describes a dataset a task reads or writes, and what it
// measured of it. Nil and empty fields are unknown and left out.
type DatasetInfo struct {
	// Name is the Vigil dataset name, <store>.<table>.
	Name string
	// Fields is the schema.
	Fields []SchemaField
	// Rows and Bytes count what the task read or wrote.
	Rows  *int64
	Bytes *int64
	// Columns holds column metrics by column name.
	Columns map[string]ColumnMetrics
}

// Failure is why a run failed.
type Failure struct {
	// Message is the error message; it must not be empty.
	Message string
	// StackTrace is optional.
	StackTrace string
}

// PipelineEvent returns the event of type typ for a pipeline run, at time
// at.
func (b *Builder) PipelineEvent(typ EventType, run PipelineRun, at time.Time) (RunEvent, error) {
	if err := check(typ, run, run.Failure, at); err != nil {
		return RunEvent{}, fmt.Errorf("build event for run %s: %w", quote(run.ID), err)
	}
	ev := b.event(typ, at)
	ev.Run = Run{RunID: RunUUID(b.namespace, run.ID), Facets: b.runFacets(run, run.Failure)}
	ev.Job = Job{Namespace: b.namespace, Name: run.Pipeline, Facets: b.jobFacets(JobTypePipeline)}
	return ev, nil
}

// TaskEvent returns the event of type typ for a task attempt, at time at.
func (b *Builder) TaskEvent(typ EventType, task TaskRun, at time.Time) (RunEvent, error) {
	ev, err := b.taskEvent(typ, task, at)
	if err != nil {
		return RunEvent{}, fmt.Errorf("build event for task %s of run %s: %w", quote(task.Task), quote(task.Run.ID), err)
	}
	return ev, nil
}

func (b *Builder) taskEvent(typ EventType, task TaskRun, at time.Time) (RunEvent, error) {
	if err := check(typ, task.Run, task.Failure, at); err != nil {
		return RunEvent{}, err
	}
	switch {
	case task.Task == "":
		return RunEvent{}, errors.New("empty task name")
	case task.Attempt < 1:
		return RunEvent{}, fmt.Errorf("attempt %d: attempts count from 1", task.Attempt)
	}
	ev := b.event(typ, at)
	facets := b.runFacets(task.Run, task.Failure)
	parent := Job{Namespace: b.namespace, Name: task.Run.Pipeline}
	parentRun := Run{RunID: RunUUID(b.namespace, task.Run.ID)}
	facets.Parent = &ParentRunFacet{
		BaseFacet: b.base(ParentSchemaURL),
		Run:       parentRun,
		Job:       parent,
		// A pipeline run has no parent of its own, so it is also the root.
		Root: &ParentRoot{Run: parentRun, Job: parent},
	}
	ev.Run = Run{RunID: TaskRunUUID(b.namespace, task.Run.ID, task.Task, task.Attempt), Facets: facets}
	jobType := JobTypeTask
	if task.Kind != "" {
		jobType = strings.ToUpper(task.Kind)
	}
	ev.Job = Job{Namespace: b.namespace, Name: task.Run.Pipeline + "." + task.Task, Facets: b.jobFacets(jobType)}
	for _, d := range task.Inputs {
		in, err := b.input(d)
		if err != nil {
			return RunEvent{}, err
		}
		ev.Inputs = append(ev.Inputs, in)
	}
	for _, d := range task.Outputs {
		out, err := b.output(d)
		if err != nil {
			return RunEvent{}, err
		}
		ev.Outputs = append(ev.Outputs, out)
	}
	return ev, nil
}

// check validates what every event needs.
func check(typ EventType, run PipelineRun, failure *Failure, at time.Time) error {
	switch {
	case !typ.Valid():
		return fmt.Errorf("event type %s is not one of %s", quote(string(typ)), eventTypeList())
	case run.ID == "":
		return errors.New("empty run ID")
	case run.Pipeline == "":
		return errors.New("empty pipeline name")
	case failure != nil && failure.Message == "":
		return errors.New("failure without a message")
	case at.IsZero():
		return errors.New("zero event time")
	}
	for _, t := range []struct {
		what string
		t    time.Time
	}{{"event time", at}, {"logical time", run.LogicalTime}, {"next logical time", run.NextLogicalTime}} {
		// Zero logical times mean none; others must fit RFC 3339.
		if y := t.t.UTC().Year(); !t.t.IsZero() && (y < 0 || y > 9999) {
			return fmt.Errorf("%s %s: want a time in the years 0000-9999 UTC", t.what, t.t)
		}
	}
	return nil
}

// event returns an event with the fields every event has.
func (b *Builder) event(typ EventType, at time.Time) RunEvent {
	return RunEvent{
		EventType: typ,
		EventTime: at.UTC(),
		Producer:  b.producer,
		SchemaURL: SpecSchemaURL,
	}
}

// base returns the base of a facet with the given schema URL.
func (b *Builder) base(schemaURL string) BaseFacet {
	return BaseFacet{Producer: b.producer, SchemaURL: schemaURL}
}

// runFacets returns the nominalTime and errorMessage facets of a run.
func (b *Builder) runFacets(run PipelineRun, failure *Failure) RunFacets {
	var f RunFacets
	if !run.LogicalTime.IsZero() {
		f.NominalTime = &NominalTimeRunFacet{
			BaseFacet:        b.base(NominalTimeSchemaURL),
			NominalStartTime: run.LogicalTime.UTC(),
		}
		if !run.NextLogicalTime.IsZero() {
			f.NominalTime.NominalEndTime = run.NextLogicalTime.UTC()
		}
	}
	if failure != nil {
		f.ErrorMessage = &ErrorMessageRunFacet{
			BaseFacet:           b.base(ErrorMessageSchemaURL),
			Message:             failure.Message,
			ProgrammingLanguage: programmingLanguage,
			StackTrace:          failure.StackTrace,
		}
	}
	return f
}

// jobFacets returns the jobType facet of a job.
func (b *Builder) jobFacets(jobType string) JobFacets {
	return JobFacets{JobType: &JobTypeJobFacet{
		BaseFacet:      b.base(JobTypeSchemaURL),
		ProcessingType: processingBatch,
		Integration:    Integration,
		JobType:        jobType,
	}}
}

// input returns the input dataset d.
func (b *Builder) input(d DatasetInfo) (InputDataset, error) {
	namespace, name, err := DatasetIdentity(d.Name)
	if err != nil {
		return InputDataset{}, err
	}
	in := InputDataset{Namespace: namespace, Name: name, Facets: DatasetFacets{Schema: b.schema(d)}}
	if d.Rows != nil || d.Bytes != nil || len(d.Columns) > 0 {
		in.InputFacets.DataQualityMetrics = b.metrics(d, DataQualityMetricsInputSchemaURL)
	}
	return in, nil
}

// output returns the output dataset d.
func (b *Builder) output(d DatasetInfo) (OutputDataset, error) {
	namespace, name, err := DatasetIdentity(d.Name)
	if err != nil {
		return OutputDataset{}, err
	}
	out := OutputDataset{Namespace: namespace, Name: name, Facets: DatasetFacets{Schema: b.schema(d)}}
	if len(d.Columns) > 0 {
		out.Facets.DataQualityMetrics = b.metrics(d, DataQualityMetricsDatasetSchemaURL)
	}
	if d.Rows != nil || d.Bytes != nil {
		out.OutputFacets.OutputStatistics = &OutputStatisticsOutputDatasetFacet{
			BaseFacet: b.base(OutputStatisticsSchemaURL),
			RowCount:  clonePtr(d.Rows),
			Size:      clonePtr(d.Bytes),
		}
	}
	return out, nil
}

// schema returns the schema facet of d, or nil if it has no fields.
func (b *Builder) schema(d DatasetInfo) *SchemaDatasetFacet {
	if len(d.Fields) == 0 {
		return nil
	}
	return &SchemaDatasetFacet{BaseFacet: b.base(SchemaSchemaURL), Fields: cloneFields(d.Fields)}
}

// cloneFields returns a deep copy of fields, with empty nested lists as nil.
func cloneFields(fields []SchemaField) []SchemaField {
	if len(fields) == 0 {
		return nil
	}
	out := slices.Clone(fields)
	for i := range out {
		out[i].Fields = cloneFields(out[i].Fields)
	}
	return out
}

// metrics returns a dataQualityMetrics facet of d with the given schema
// URL. Metrics that are NaN or infinite, which JSON cannot hold, are left
// out as unknown.
func (b *Builder) metrics(d DatasetInfo, schemaURL string) *DataQualityMetricsInputDatasetFacet {
	columns := make(map[string]ColumnMetrics, len(d.Columns))
	for name, m := range d.Columns {
		c := ColumnMetrics{
			NullCount:     clonePtr(m.NullCount),
			DistinctCount: clonePtr(m.DistinctCount),
			Sum:           finite(m.Sum),
			Count:         finite(m.Count),
			Min:           finite(m.Min),
			Max:           finite(m.Max),
		}
		for q, v := range m.Quantiles {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			if c.Quantiles == nil {
				c.Quantiles = make(map[string]float64, len(m.Quantiles))
			}
			c.Quantiles[q] = v
		}
		columns[name] = c
	}
	return &DataQualityMetricsInputDatasetFacet{
		BaseFacet:     b.base(schemaURL),
		RowCount:      clonePtr(d.Rows),
		Bytes:         clonePtr(d.Bytes),
		ColumnMetrics: columns,
	}
}

// clonePtr returns a copy of *p, or nil.
func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// finite returns a copy of *p, or nil if p is nil, NaN or infinite.
func finite(p *float64) *float64 {
	if p == nil || math.IsNaN(*p) || math.IsInf(*p, 0) {
		return nil
	}
	return clonePtr(p)
}
