package lineage

import (
	"encoding/json"
	"time"
)

// The names under which the typed facets appear in a facets object.
const (
	FacetNominalTime        = "nominalTime"
	FacetParent             = "parent"
	FacetErrorMessage       = "errorMessage"
	FacetJobType            = "jobType"
	FacetSchema             = "schema"
	FacetDataQualityMetrics = "dataQualityMetrics"
	FacetOutputStatistics   = "outputStatistics"
)

// The _schemaURL of each typed facet as Vigil emits it: the facet schema
// versions of the specification this package follows.
const (
	NominalTimeSchemaURL               = "https://openlineage.io/spec/facets/1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet"
	ParentSchemaURL                    = "https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet"
	ErrorMessageSchemaURL              = "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet"
	JobTypeSchemaURL                   = "https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet"
	SchemaSchemaURL                    = "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"
	DataQualityMetricsInputSchemaURL   = "https://openlineage.io/spec/facets/1-0-3/DataQualityMetricsInputDatasetFacet.json#/$defs/DataQualityMetricsInputDatasetFacet"
	DataQualityMetricsDatasetSchemaURL = "https://openlineage.io/spec/facets/1-0-0/DataQualityMetricsDatasetFacet.json#/$defs/DataQualityMetricsDatasetFacet"
	OutputStatisticsSchemaURL          = "https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet"
)

// BaseFacet holds the two properties every facet has.
type BaseFacet struct {
	// Producer is the URI of the software that made the facet.
	Producer string `json:"_producer"`
	// SchemaURL is the URL of the schema definition the facet follows.
	SchemaURL string `json:"_schemaURL"`
}

// RunFacets are the facets of a run. The typed fields hold the facets Vigil
// uses; Other holds every other facet by name, as a compact JSON object.
// Other must not use the name of a typed facet: when both are set, the typed
// field wins in MarshalJSON. Decode never does this.
type RunFacets struct {
	NominalTime  *NominalTimeRunFacet
	Parent       *ParentRunFacet
	ErrorMessage *ErrorMessageRunFacet
	Other        map[string]json.RawMessage
}

// IsZero reports whether f holds no facet.
func (f RunFacets) IsZero() bool {
	return f.NominalTime == nil && f.Parent == nil && f.ErrorMessage == nil && len(f.Other) == 0
}

// MarshalJSON encodes f as one JSON object, typed facets and others alike.
func (f RunFacets) MarshalJSON() ([]byte, error) {
	m := otherFacets(f.Other, 3)
	putFacet(m, FacetNominalTime, f.NominalTime)
	putFacet(m, FacetParent, f.Parent)
	putFacet(m, FacetErrorMessage, f.ErrorMessage)
	return json.Marshal(m)
}

// UnmarshalJSON decodes and validates run facets as Decode does.
func (f *RunFacets) UnmarshalJSON(data []byte) error {
	return unmarshalWith(data, f, decodeRunFacets)
}

// JobFacets are the facets of a job; see RunFacets for Other.
type JobFacets struct {
	JobType *JobTypeJobFacet
	Other   map[string]json.RawMessage
}

// IsZero reports whether f holds no facet.
func (f JobFacets) IsZero() bool {
	return f.JobType == nil && len(f.Other) == 0
}

// MarshalJSON encodes f as one JSON object, typed facets and others alike.
func (f JobFacets) MarshalJSON() ([]byte, error) {
	m := otherFacets(f.Other, 1)
	putFacet(m, FacetJobType, f.JobType)
	return json.Marshal(m)
}

// UnmarshalJSON decodes and validates job facets as Decode does.
func (f *JobFacets) UnmarshalJSON(data []byte) error {
	return unmarshalWith(data, f, decodeJobFacets)
}

// DatasetFacets are the facets of a dataset; see RunFacets for Other.
type DatasetFacets struct {
	Schema *SchemaDatasetFacet
	// DataQualityMetrics describes the dataset as a whole, typically after
	// a run wrote it; InputDatasetFacets has the same for a run's input.
	DataQualityMetrics *DataQualityMetricsDatasetFacet
	Other              map[string]json.RawMessage
}

// IsZero reports whether f holds no facet.
func (f DatasetFacets) IsZero() bool {
	return f.Schema == nil && f.DataQualityMetrics == nil && len(f.Other) == 0
}

// MarshalJSON encodes f as one JSON object, typed facets and others alike.
func (f DatasetFacets) MarshalJSON() ([]byte, error) {
	m := otherFacets(f.Other, 2)
	putFacet(m, FacetSchema, f.Schema)
	putFacet(m, FacetDataQualityMetrics, f.DataQualityMetrics)
	return json.Marshal(m)
}

// UnmarshalJSON decodes and validates dataset facets as Decode does.
func (f *DatasetFacets) UnmarshalJSON(data []byte) error {
	return unmarshalWith(data, f, decodeDatasetFacets)
}

// InputDatasetFacets are the facets of a run's input; see RunFacets for
// Other.
type InputDatasetFacets struct {
	DataQualityMetrics *DataQualityMetricsInputDatasetFacet
	Other              map[string]json.RawMessage
}

// IsZero reports whether f holds no facet.
func (f InputDatasetFacets) IsZero() bool {
	return f.DataQualityMetrics == nil && len(f.Other) == 0
}

// MarshalJSON encodes f as one JSON object, typed facets and others alike.
func (f InputDatasetFacets) MarshalJSON() ([]byte, error) {
	m := otherFacets(f.Other, 1)
	putFacet(m, FacetDataQualityMetrics, f.DataQualityMetrics)
	return json.Marshal(m)
}

// UnmarshalJSON decodes and validates input dataset facets as Decode does.
func (f *InputDatasetFacets) UnmarshalJSON(data []byte) error {
	return unmarshalWith(data, f, decodeInputFacets)
}

// OutputDatasetFacets are the facets of a run's output; see RunFacets for
// Other.
type OutputDatasetFacets struct {
	OutputStatistics *OutputStatisticsOutputDatasetFacet
	Other            map[string]json.RawMessage
}

// IsZero reports whether f holds no facet.
func (f OutputDatasetFacets) IsZero() bool {
	return f.OutputStatistics == nil && len(f.Other) == 0
}

// MarshalJSON encodes f as one JSON object, typed facets and others alike.
func (f OutputDatasetFacets) MarshalJSON() ([]byte, error) {
	m := otherFacets(f.Other, 1)
	putFacet(m, FacetOutputStatistics, f.OutputStatistics)
	return json.Marshal(m)
}

// UnmarshalJSON decodes and validates output dataset facets as Decode does.
func (f *OutputDatasetFacets) UnmarshalJSON(data []byte) error {
	return unmarshalWith(data, f, decodeOutputFacets)
}

// otherFacets copies the untyped facets into a map with room for typed ones.
func otherFacets(other map[string]json.RawMessage, typed int) map[string]any {
	m := make(map[string]any, len(other)+typed)
	for k, v := range other {
		m[k] = v
	}
	return m
}

// putFacet adds a typed facet to m unless it is nil.
func putFacet[T any](m map[string]any, name string, facet *T) {
	if facet != nil {
		m[name] = facet
	}
}

// NominalTimeRunFacet is the time slot a run was scheduled for.
type NominalTimeRunFacet struct {
	BaseFacet
	// NominalStartTime is the start of the slot (included): the scheduled
	// time.
	NominalStartTime time.Time `json:"nominalStartTime"`
	// NominalEndTime is the end of the slot (excluded), normally the next
	// scheduled time; zero when unknown.
	NominalEndTime time.Time `json:"nominalEndTime,omitzero"`
}

// ParentRunFacet names the run that spawned this one, such as the pipeline
// run of a task, and optionally the root of that chain. The facets of the
// parent and root are a convenience subset; their own events hold them all.
type ParentRunFacet struct {
	BaseFacet
	Run  Run         `json:"run"`
	Job  Job         `json:"job"`
	Root *ParentRoot `json:"root,omitempty"`
}

// ParentRoot is the run at the top of a chain of parents.
type ParentRoot struct {
	Run Run `json:"run"`
	Job Job `json:"job"`
}

// ErrorMessageRunFacet is the error that made a run fail.
type ErrorMessageRunFacet struct {
	BaseFacet
	Message string `json:"message"`
	// ProgrammingLanguage is the language of the failing system, such as
	// "GO" or "JAVA".
	ProgrammingLanguage string `json:"programmingLanguage"`
	StackTrace          string `json:"stackTrace,omitempty"`
}

// JobTypeJobFacet says what kind of job a job is.
type JobTypeJobFacet struct {
	BaseFacet
	// Deleted asks the receiver to remove the facet it holds for the job.
	Deleted bool `json:"_deleted,omitempty"`
	// ProcessingType is BATCH, STREAMING or SERVICE.
	ProcessingType string `json:"processingType"`
	// Integration is the producing system, such as SPARK, AIRFLOW or VIGIL.
	Integration string `json:"integration"`
	// JobType is the integration's own kind of job, such as DAG, TASK or
	// MODEL.
	JobType         string           `json:"jobType,omitempty"`
	EmissionPattern *EmissionPattern `json:"emissionPattern,omitempty"`
}

// EmissionPattern says when and how completely a job emits events.
type EmissionPattern struct {
	// EventTrigger is EVENT_BASED or PERIODIC.
	EventTrigger string `json:"eventTrigger"`
	// EventContentMode is ACCUMULATIVE or COMPLETE_SNAPSHOT.
	EventContentMode string `json:"eventContentMode"`
	// WindowDuration is the period of PERIODIC emission in seconds; zero
	// when absent.
	WindowDuration int64 `json:"windowDuration,omitempty"`
}

// SchemaDatasetFacet is the schema of a dataset.
type SchemaDatasetFacet struct {
	BaseFacet
	// Deleted asks the receiver to remove the facet it holds for the
	// dataset.
	Deleted bool          `json:"_deleted,omitempty"`
	Fields  []SchemaField `json:"fields,omitempty"`
}

// SchemaField is one field (column) of a schema, with its nested fields
// for structured types.
type SchemaField struct {
	Name        string `json:"name"`
	Type        string `json:"type,omitempty"`
	Description string `json:"description,omitempty"`
	// OrdinalPosition is the 1-based position of the field; zero when
	// absent.
	OrdinalPosition int64         `json:"ordinal_position,omitempty"`
	Fields          []SchemaField `json:"fields,omitempty"`
}

// DataQualityMetricsInputDatasetFacet measures the data a run read from an
// input. A nil ColumnMetrics is encoded as an empty object, as the schema
// requires the property.
type DataQualityMetricsInputDatasetFacet struct {
	BaseFacet
	RowCount  *int64 `json:"rowCount,omitempty"`
	Bytes     *int64 `json:"bytes,omitempty"`
	FileCount *int64 `json:"fileCount,omitempty"`
	// LastUpdated is when the dataset last changed; zero when unknown.
	LastUpdated time.Time `json:"lastUpdated,omitzero"`
	// ColumnMetrics holds the metrics of each column by column name.
	ColumnMetrics map[string]ColumnMetrics `json:"columnMetrics"`
}

// MarshalJSON encodes f with ColumnMetrics as an object even when nil.
func (f DataQualityMetricsInputDatasetFacet) MarshalJSON() ([]byte, error) {
	type plain DataQualityMetricsInputDatasetFacet
	if f.ColumnMetrics == nil {
		f.ColumnMetrics = map[string]ColumnMetrics{}
	}
	return json.Marshal(plain(f))
}

// DataQualityMetricsDatasetFacet measures a dataset as a whole rather than
// a run's input of it; it has the same properties, and a _schemaURL of
// DataQualityMetricsDatasetSchemaURL.
type DataQualityMetricsDatasetFacet = DataQualityMetricsInputDatasetFacet

// ColumnMetrics measures one column. Nil fields are unknown.
type ColumnMetrics struct {
	NullCount     *int64   `json:"nullCount,omitempty"`
	DistinctCount *int64   `json:"distinctCount,omitempty"`
	Sum           *float64 `json:"sum,omitempty"`
	// Count is the number of values in the column.
	Count *float64 `json:"count,omitempty"`
	Min   *float64 `json:"min,omitempty"`
	Max   *float64 `json:"max,omitempty"`
	// Quantiles maps a quantile, written as a number such as "0.5", to its
	// value.
	Quantiles map[string]float64 `json:"quantiles,omitempty"`
}

// OutputStatisticsOutputDatasetFacet measures what a run wrote to an
// output. Nil fields are unknown.
type OutputStatisticsOutputDatasetFacet struct {
	BaseFacet
	RowCount *int64 `json:"rowCount,omitempty"`
	// Size is the number of bytes written.
	Size      *int64 `json:"size,omitempty"`
	FileCount *int64 `json:"fileCount,omitempty"`
}
