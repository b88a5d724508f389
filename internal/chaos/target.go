package chaos

import (
	"fmt"
	"slices"
	"strings"
)

// TargetType is what a fault targets.
type TargetType string

// The types of target. Names are as the runtime spells them: a pipeline's
// name; "<pipeline>/<task>"; a connector endpoint as etl.Endpoints returns
// it, such as "http:api.example.org" or "sqlite:warehouse.db"; a dataset
// such as "raw.orders"; an agent's ID.
const (
	TargetPipeline TargetType = "pipeline"
	TargetTask     TargetType = "task"
	TargetEndpoint TargetType = "endpoint"
	TargetDataset  TargetType = "dataset"
	TargetAgent    TargetType = "agent"
)

// targetTypes lists every type of target.
var targetTypes = [...]TargetType{TargetPipeline, TargetTask, TargetEndpoint, TargetDataset, TargetAgent}

// Target is what a fault strikes. It is written as "<type>:<name>", such as
// "endpoint:sqlite:warehouse.db", in text and JSON.
type Target struct {
	Type TargetType
	Name string
}

// ParseTarget parses "<type>:<name>".
func ParseTarget(s string) (Target, error) {
	typ, name, ok := strings.Cut(s, ":")
	t := Target{Type: TargetType(typ), Name: name}
	if !ok {
		return Target{}, fmt.Errorf("target %q: want <type>:<name>", s)
	}
	if err := t.validate(); err != nil {
		return Target{}, err
	}
	return t, nil
}

// String returns "<type>:<name>".
func (t Target) String() string { return string(t.Type) + ":" + t.Name }

// MarshalText implements encoding.TextMarshaler.
func (t Target) MarshalText() ([]byte, error) {
	if err := t.validate(); err != nil {
		return nil, err
	}
	return []byte(t.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *Target) UnmarshalText(b []byte) error {
	parsed, err := ParseTarget(string(b))
	if err != nil {
		return err
	}
	*t = parsed
	return nil
}

// validate checks that t has a known type and a name, and that a task's
// name names its pipeline.
func (t Target) validate() error {
	switch {
	case !slices.Contains(targetTypes[:], t.Type):
		return fmt.Errorf("target %q: unknown type %q (want one of %v)", t.String(), t.Type, targetTypes)
	case t.Name == "":
		return fmt.Errorf("target %q: empty name", t.String())
	case t.Type == TargetTask && !strings.Contains(t.Name, "/"):
		return fmt.Errorf("target %q: want task:<pipeline>/<task>", t.String())
	}
	return nil
}

// Subject is what an injection point is working on: an attempt of a task,
// its source, its sink and its agent. Fields that do not apply are empty.
type Subject struct {
	Agent    string
	Pipeline string
	Task     string
	Run      string
	Attempt  int
	// Source and Sink are the connector endpoints the task reads and
	// writes, as etl.Endpoints spells them; Sink is the database of a SQL
	// task.
	Source, Sink string
	// Inputs and Outputs are the datasets the task reads and writes.
	Inputs, Outputs []string
}

// hits reports whether a fault on t strikes s on the side sd: whether t
// is s's pipeline, its task, its endpoint on that side, a dataset it
// writes, or its agent.
func (t Target) hits(s Subject, sd side) bool {
	switch t.Type {
	case TargetPipeline:
		return s.Pipeline == t.Name
	case TargetTask:
		return s.Task != "" && s.Pipeline+"/"+s.Task == t.Name
	case TargetEndpoint:
		if sd == sideSink {
			return s.Sink == t.Name
		}
		return s.Source == t.Name
	case TargetDataset:
		return slices.Contains(s.Outputs, t.Name)
	case TargetAgent:
		return s.Agent == t.Name
	}
	return false
}
