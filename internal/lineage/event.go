package lineage

import (
	"time"
)

// SpecSchemaURL is the schemaURL of the RunEvents Vigil emits: the RunEvent
// definition of the OpenLineage specification version this package follows.
const SpecSchemaURL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"

// EventType is the transition of a run's state that a RunEvent reports.
type EventType string

// The event types of the OpenLineage specification. A run has one START
// event and one of COMPLETE, ABORT or FAIL; RUNNING and OTHER events may add
// metadata in between or afterwards.
const (
	EventStart    EventType = "START"
	EventRunning  EventType = "RUNNING"
	EventComplete EventType = "COMPLETE"
	EventAbort    EventType = "ABORT"
	EventFail     EventType = "FAIL"
	EventOther    EventType = "OTHER"
)

// eventTypes lists the valid event types in the specification's order.
var eventTypes = [...]EventType{EventStart, EventRunning, EventComplete, EventAbort, EventFail, EventOther}

// Valid reports whether t is one of the specification's event types. The
// empty type, which the specification allows by leaving eventType optional,
// is not valid here; callers decide what an absent type means.
func (t EventType) Valid() bool {
	for _, v := range eventTypes {
		if t == v {
			return true
		}
	}
	return false
}

// RunEvent reports a transition of one run of one job, with the datasets it
// reads and writes. Its JSON form is the OpenLineage RunEvent.
//
// EventType is empty when the producer left it out, which the specification
// allows; such an event carries metadata only, like OTHER. Times are in UTC:
// Decode converts them, and the Builder emits nothing else.
type RunEvent struct {
	EventType EventType       `json:"eventType,omitempty"`
	EventTime time.Time       `json:"eventTime"`
	Run       Run             `json:"run"`
	Job       Job             `json:"job"`
	Inputs    []InputDataset  `json:"inputs,omitempty"`
	Outputs   []OutputDataset `json:"outputs,omitempty"`
	// Producer is the URI of the software that made the event.
	Producer string `json:"producer"`
	// SchemaURL is the URL of the schema definition the event follows.
	SchemaURL string `json:"schemaURL"`
}

// UnmarshalJSON decodes and validates an event exactly as Decode does, with
// no size limit.
func (e *RunEvent) UnmarshalJSON(data []byte) error {
	v, err := parseJSON(data)
	if err != nil {
		return err
	}
	ev, err := decodeEvent("", v)
	if err != nil {
		return err
	}
	*e = ev
	return nil
}

// Run identifies one run of a job.
type Run struct {
	// RunID is a UUID in canonical lower-case form.
	RunID  string    `json:"runId"`
	Facets RunFacets `json:"facets,omitzero"`
}

// Job identifies a job by namespace and name; the pair is unique.
type Job struct {
	Namespace string    `json:"namespace"`
	Name      string    `json:"name"`
	Facets    JobFacets `json:"facets,omitzero"`
}

// InputDataset is a dataset a run reads. Facets describe the dataset
// itself; InputFacets describe this run's reading of it.
type InputDataset struct {
	Namespace   string             `json:"namespace"`
	Name        string             `json:"name"`
	Facets      DatasetFacets      `json:"facets,omitzero"`
	InputFacets InputDatasetFacets `json:"inputFacets,omitzero"`
}

// OutputDataset is a dataset a run writes. Facets describe the dataset
// itself; OutputFacets describe this run's writing of it.
type OutputDataset struct {
	Namespace    string              `json:"namespace"`
	Name         string              `json:"name"`
	Facets       DatasetFacets       `json:"facets,omitzero"`
	OutputFacets OutputDatasetFacets `json:"outputFacets,omitzero"`
}
