// Package agent runs the task attempts of Vigil's ETL runtime. An agent has
// a capacity (slots, CPU, memory), pulls work from the controller under a
// lease, keeps the lease alive with heartbeats, runs each attempt through a
// Runner with the attempt's timeout, and reports the outcome.
//
// The controller side of the conversation is the Controller interface: the
// etl package's controller implements it in-process for the embedded Pool,
// and RemoteController over HTTP for `vigil agent` processes on other
// machines. The protocol's types (Assignment, Result, Capacity) live here,
// so that the controller depends on the agent package and not the reverse.
//
// An agent is driven by Step, which reports finished attempts, heartbeats
// when due and claims work for its free capacity. Run calls Step in a loop on
// the wall clock, with attempts running on their own goroutines. A Runner
// that also implements Modeller (SimRunner does) knows an attempt's outcome
// and duration up front: the agent then completes it on its clock instead of
// running it, so that a simulation driving Step on a simulated clock is
// deterministic and needs no goroutines.
//
// The package does not schedule, retry or decide what failed: it runs what it
// is given and reports what happened. It does not implement connectors; the
// task runner that composes them is a Runner provided from elsewhere.
package agent
