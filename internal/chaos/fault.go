package chaos

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/connector"
)

// Kind is a kind of fault.
type Kind string

// The kinds of fault. The meaning of a fault's Intensity, from 0 to 1,
// depends on its kind; the Effects an Injector is given turn it into a
// delay, a factor or a share.
const (
	// SourceLatency delays each read of a source by Intensity times
	// Effects.MaxLatency.
	SourceLatency Kind = "source_latency"
	// SourceErrors fails each read of a source, with the chance Intensity,
	// with an error of the fault's Class.
	SourceErrors Kind = "source_errors"
	// AgentCrash stops an agent: it stops heartbeating, claims nothing,
	// and the attempts it held never report. Intensity is not used.
	AgentCrash Kind = "agent_crash"
	// AgentSlowdown makes an agent's attempts take 1 + Intensity times
	// Effects.MaxSlowdown times as long.
	AgentSlowdown Kind = "agent_slowdown"
	// AgentMemoryLeak makes an agent's reported peak memory grow by
	// Intensity times Effects.LeakPerHour for every hour since the fault
	// started.
	AgentMemoryLeak Kind = "agent_memory_leak"
	// SinkFull fails each load into a sink, with the chance Intensity,
	// with class sink_full.
	SinkFull Kind = "sink_full"
	// SchemaChange changes the columns a source returns, as the fault's
	// Change says. Intensity is not used.
	SchemaChange Kind = "schema_change"
	// Drift scales the numeric values a source returns by 1 + Intensity
	// times Effects.DriftScale.
	Drift Kind = "distribution_drift"
	// VolumeDrop keeps 1 − Intensity of the rows a source returns.
	VolumeDrop Kind = "volume_drop"
	// VolumeSpike multiplies the rows a source returns by 1 + Intensity
	// times Effects.MaxSpike, repeating rows.
	VolumeSpike Kind = "volume_spike"
	// LateData makes the share Intensity of the rows a source returns
	// late: their times are Effects.LateBy older than they should be.
	LateData Kind = "late_data"
)

// kinds lists every kind, in the order of the constants.
var kinds = [...]Kind{
	SourceLatency, SourceErrors, AgentCrash, AgentSlowdown, AgentMemoryLeak,
	SinkFull, SchemaChange, Drift, VolumeDrop, VolumeSpike, LateData,
}

// Kinds returns every kind of fault.
func Kinds() []Kind { return slices.Clone(kinds[:]) }

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return slices.Contains(kinds[:], k) }

// side is where in an attempt a kind of fault strikes: the agent, the
// source or the sink.
type side int

// The sides.
const (
	sideSource side = iota
	sideSink
	sideAgent
)

// side returns where faults of kind k strike.
func (k Kind) side() side {
	switch k {
	case AgentCrash, AgentSlowdown, AgentMemoryLeak:
		return sideAgent
	case SinkFull:
		return sideSink
	}
	return sideSource
}

// data reports whether faults of kind k damage the data a source returns,
// and so reach whatever reads it downstream.
func (k Kind) data() bool {
	switch k {
	case SchemaChange, Drift, VolumeDrop, VolumeSpike, LateData:
		return true
	}
	return false
}

// ColumnChange says how a SchemaChange fault changes a source's columns.
type ColumnChange string

// The schema changes.
const (
	ColumnAdded       ColumnChange = "column_added"
	ColumnRemoved     ColumnChange = "column_removed"
	ColumnRenamed     ColumnChange = "column_renamed"
	ColumnTypeChanged ColumnChange = "column_type_changed"
)

// columnChanges lists every column change.
var columnChanges = [...]ColumnChange{ColumnAdded, ColumnRemoved, ColumnRenamed, ColumnTypeChanged}

// transientClasses are the classes a SourceErrors fault may have: those of
// a source that fails for a while.
var transientClasses = [...]connector.Class{
	connector.ClassTimeout, connector.ClassConnection, connector.ClassHTTP4xx,
	connector.ClassHTTP5xx, connector.ClassRateLimited, connector.ClassLocked,
}

// Fault is one fault: what strikes where, from when, for how long and how
// hard.
type Fault struct {
	// ID names the fault in the ground truth; it is unique in a schedule.
	ID     string
	Kind   Kind
	Target Target
	// The fault is active from Start, inclusive, for Duration.
	Start    time.Time
	Duration time.Duration
	// Intensity, from 0 to 1, is how hard the fault strikes; see Kind.
	Intensity float64
	// Class is the class of a SourceErrors fault's errors; empty means
	// connection.
	Class connector.Class
	// Change is how a SchemaChange fault changes the columns.
	Change ColumnChange
	// Column names the column a SchemaChange or Drift fault changes, or
	// the column a schema change adds. Empty means the last column for a
	// schema change, chaos_added for an added column, and every numeric
	// column that is not an identifier (id, *_id) for drift.
	Column string
}

// End returns when the fault stops being active.
func (f Fault) End() time.Time { return f.Start.Add(f.Duration) }

// Active reports whether the fault is active at t.
func (f Fault) Active(t time.Time) bool {
	return !t.Before(f.Start) && t.Before(f.End())
}

// class returns the class of a SourceErrors fault's errors.
func (f Fault) class() connector.Class {
	if f.Class == "" {
		return connector.ClassConnection
	}
	return f.Class
}

// Validate checks the fault's fields.
func (f Fault) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("fault %q: %s", f.ID, fmt.Sprintf(format, args...))
	}
	switch {
	case f.ID == "":
		return bad("empty ID")
	case !f.Kind.Valid():
		return bad("unknown kind %q (want one of %v)", f.Kind, kinds)
	case f.Start.IsZero():
		return bad("no start")
	case f.Duration <= 0:
		return bad("duration %s: want a positive duration", f.Duration)
	case f.Intensity < 0 || f.Intensity > 1:
		return bad("intensity %v: want a number from 0 to 1", f.Intensity)
	}
	if err := f.Target.validate(); err != nil {
		return bad("%v", err)
	}
	if agentKind, agentTarget := f.Kind.side() == sideAgent, f.Target.Type == TargetAgent; agentKind != agentTarget {
		if agentKind {
			return bad("%s targets an agent, not a %s", f.Kind, f.Target.Type)
		}
		return bad("%s cannot target an agent", f.Kind)
	}
	switch {
	case f.Kind == SourceErrors && f.Class != "" && !slices.Contains(transientClasses[:], f.Class):
		return bad("class %q: want one of %v", f.Class, transientClasses)
	case f.Kind != SourceErrors && f.Class != "":
		return bad("class is only for %s faults", SourceErrors)
	case f.Kind == SchemaChange && !slices.Contains(columnChanges[:], f.Change):
		return bad("change %q: want one of %v", f.Change, columnChanges)
	case f.Kind != SchemaChange && f.Change != "":
		return bad("change is only for %s faults", SchemaChange)
	case f.Column != "" && f.Kind != SchemaChange && f.Kind != Drift:
		return bad("column is only for %s and %s faults", SchemaChange, Drift)
	}
	return nil
}

// faultJSON is how a fault is written in JSON: with its end rather than
// its duration, so that readers need no duration syntax.
type faultJSON struct {
	ID        string          `json:"id"`
	Kind      Kind            `json:"kind"`
	Target    Target          `json:"target"`
	Start     time.Time       `json:"start"`
	End       time.Time       `json:"end"`
	Intensity float64         `json:"intensity"`
	Class     connector.Class `json:"class,omitempty"`
	Change    ColumnChange    `json:"change,omitempty"`
	Column    string          `json:"column,omitempty"`
}

// MarshalJSON writes the fault as an object with its start and end.
func (f Fault) MarshalJSON() ([]byte, error) {
	return json.Marshal(faultJSON{
		ID: f.ID, Kind: f.Kind, Target: f.Target, Start: f.Start, End: f.End(),
		Intensity: f.Intensity, Class: f.Class, Change: f.Change, Column: f.Column,
	})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (f *Fault) UnmarshalJSON(b []byte) error {
	var w faultJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*f = Fault{
		ID: w.ID, Kind: w.Kind, Target: w.Target, Start: w.Start, Duration: w.End.Sub(w.Start),
		Intensity: w.Intensity, Class: w.Class, Change: w.Change, Column: w.Column,
	}
	return nil
}

// Schedule is a list of faults.
type Schedule []Fault

// Validate checks every fault and that IDs are unique.
func (s Schedule) Validate() error {
	seen := make(map[string]bool, len(s))
	var errs []error
	for _, f := range s {
		if err := f.Validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[f.ID] {
			errs = append(errs, fmt.Errorf("fault %q: ID used twice", f.ID))
		}
		seen[f.ID] = true
	}
	return errors.Join(errs...)
}

// Active returns the faults on target that are active at t, in schedule
// order.
func (s Schedule) Active(target Target, t time.Time) []Fault {
	var out []Fault
	for _, f := range s {
		if f.Target == target && f.Active(t) {
			out = append(out, f)
		}
	}
	return out
}

// QuietDays returns the starts of the days from start, days of them, in
// which no fault is active at any time.
func (s Schedule) QuietDays(start time.Time, days int) []time.Time {
	var out []time.Time
	for d := range days {
		from := start.Add(time.Duration(d) * 24 * time.Hour)
		to := from.Add(24 * time.Hour)
		if !slices.ContainsFunc(s, func(f Fault) bool { return f.Start.Before(to) && f.End().After(from) }) {
			out = append(out, from)
		}
	}
	return out
}

// striking returns the faults of the kinds of that are active at t and
// strike subj, in schedule order.
func (s Schedule) striking(subj Subject, t time.Time, of ...Kind) []Fault {
	var out []Fault
	for _, f := range s {
		if slices.Contains(of, f.Kind) && f.Active(t) && f.Target.hits(subj, f.Kind.side()) {
			out = append(out, f)
		}
	}
	return out
}
