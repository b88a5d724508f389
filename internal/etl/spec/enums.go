package spec

// TaskKind says what a task does, and so which fields it needs.
type TaskKind string

// The task kinds. Extract, transform and load differ only in intent (they
// all have source and sink, or sql); a check reads a source and asserts.
const (
	KindExtract   TaskKind = "extract"
	KindTransform TaskKind = "transform"
	KindLoad      TaskKind = "load"
	KindCheck     TaskKind = "check"
)

// Valid reports whether k is a known task kind.
func (k TaskKind) Valid() bool {
	switch k {
	case KindExtract, KindTransform, KindLoad, KindCheck:
		return true
	}
	return false
}

// Criticality says whether a pipeline run can do without a task.
type Criticality string

// The criticalities.
const (
	// Critical tasks always run; a run fails when one fails.
	Critical Criticality = "critical"
	// Optional tasks are skipped when the pipeline is degraded, and their
	// failure does not fail the run.
	Optional Criticality = "optional"
)

// Valid reports whether c is a known criticality.
func (c Criticality) Valid() bool { return c == Critical || c == Optional }

// CatchupPolicy says which schedule slots missed while the controller was
// down, or the pipeline paused, are run afterwards.
type CatchupPolicy string

// The catch-up policies.
const (
	// CatchupNone runs none of the missed slots; the next run is the next
	// slot to come.
	CatchupNone CatchupPolicy = "none"
	// CatchupLatest runs only the most recent missed slot.
	CatchupLatest CatchupPolicy = "latest"
	// CatchupAll runs every missed slot, oldest first.
	CatchupAll CatchupPolicy = "all"
)

// Valid reports whether c is a known policy.
func (c CatchupPolicy) Valid() bool {
	return c == CatchupNone || c == CatchupLatest || c == CatchupAll
}

// RowErrorPolicy says what a row that a transform cannot process does.
type RowErrorPolicy string

// The row-error policies.
const (
	// RowErrorFail fails the attempt.
	RowErrorFail RowErrorPolicy = "fail"
	// RowErrorSkip drops the row and counts it.
	RowErrorSkip RowErrorPolicy = "skip"
	// RowErrorDeadLetter writes the row and its error to the task's
	// dead_letter endpoint.
	RowErrorDeadLetter RowErrorPolicy = "dead_letter"
)

// Valid reports whether p is a known policy.
func (p RowErrorPolicy) Valid() bool {
	return p == RowErrorFail || p == RowErrorSkip || p == RowErrorDeadLetter
}

// ErrorClass is the class of a connector error, as the connector package
// classifies it; a task's retries.transient lists the classes worth a retry.
type ErrorClass string

// The error classes of docs/etl.md.
const (
	ClassTimeout     ErrorClass = "timeout"
	ClassConnection  ErrorClass = "connection"
	ClassHTTP4xx     ErrorClass = "http_4xx"
	ClassHTTP5xx     ErrorClass = "http_5xx"
	ClassRateLimited ErrorClass = "rate_limited"
	ClassLocked      ErrorClass = "locked"
	ClassSinkFull    ErrorClass = "sink_full"
	ClassSchema      ErrorClass = "schema"
	ClassData        ErrorClass = "data"
	ClassConfig      ErrorClass = "config"
	ClassInternal    ErrorClass = "internal"
)

// errorClasses lists every class, in the order of docs/etl.md.
var errorClasses = [...]ErrorClass{
	ClassTimeout, ClassConnection, ClassHTTP4xx, ClassHTTP5xx, ClassRateLimited,
	ClassLocked, ClassSinkFull, ClassSchema, ClassData, ClassConfig, ClassInternal,
}

// ErrorClasses returns every error class.
func ErrorClasses() []ErrorClass { return append([]ErrorClass(nil), errorClasses[:]...) }

// Valid reports whether c is a known error class.
func (c ErrorClass) Valid() bool {
	for _, k := range errorClasses {
		if c == k {
			return true
		}
	}
	return false
}

// columnTypes lists the column types a cast step may name; they are the
// connector package's types.
var columnTypes = [...]string{"string", "int", "float", "bool", "time"}

// ColumnTypes returns the column types a cast step may name.
func ColumnTypes() []string { return append([]string(nil), columnTypes[:]...) }

// defaultConnectors lists the connector kinds Vigil ships with.
var defaultConnectors = [...]string{"csv", "generate", "http", "jsonl", "postgres", "sqlite"}

// DefaultConnectors returns the connector kinds Vigil ships with, which
// validation accepts unless told otherwise (see WithConnectors).
func DefaultConnectors() []string { return append([]string(nil), defaultConnectors[:]...) }
