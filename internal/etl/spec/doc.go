// Package spec reads the pipeline specs of Vigil's ETL runtime, checks them,
// and answers questions about their schedules and their lineage.
//
// A spec is one YAML file per pipeline (docs/etl.md describes the format);
// a directory of them, with an optional _fleet.yaml that declares datasets
// made outside Vigil, is a Fleet. Parsing is strict, because a typo that is
// silently ignored in a pipeline spec is a task that silently does the wrong
// thing: unknown fields are errors, and validation reports every problem at
// once, each naming the file, the task and the field, with a "did you mean"
// when a name is close to a known one.
//
// Schedules answer when a pipeline is due (Schedule.Next, Schedule.Slots);
// the lineage Graph answers what feeds what, which is what the controller
// resolves triggers with and what incident correlation and root-cause
// analysis walk.
//
// The package only describes pipelines: it runs nothing, reads no clock
// (every time is a parameter), knows no connector beyond its kind (the
// caller passes the known kinds, and may pass a check for their settings),
// and compiles no CEL expression.
package spec
