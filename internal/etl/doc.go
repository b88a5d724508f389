// Package etl is the controller of Vigil's ETL runtime: it decides which
// pipeline runs exist, which of their tasks may run, hands task attempts to
// agents under leases, retries and times them out, and records every step in
// the state store so that a restarted controller resumes where it stopped.
//
// The controller keeps the working set (the runs that have not ended and
// their task instances) in memory and writes every transition to the state
// store, in one transaction per operation, before acting on it: before it
// returns assignments to an agent, accepts a report, or answers a control
// action. If a write fails, it reloads the working set from the store, so
// memory never runs ahead of what a restart would see.
//
// Time comes from an injected clock.Clock. Tick does the periodic work
// (scheduling due slots by catch-up policy, after: triggers, max_active_runs,
// DAG resolution, lease and timeout expiry, dead agents); Run calls it in a
// loop on the wall clock, and Simulate calls it on a simulated clock, driving
// the same controller and the same agents (package agent) through days of
// runs in seconds.
//
// Agents pull work: Claim, Heartbeat and Report are the agent protocol
// (agent.Controller). Control actions (trigger, retry, cancel, pause,
// resume, degrade, circuits) are recorded with who and why.
//
// The package does not run tasks (agents do, through an agent.Runner), parse
// pipeline specs (package spec does), store time series or emit OpenLineage
// over the wire: metrics and lineage events leave through the SampleWriter
// and EventSink interfaces, which the application adapts to the series store
// and to its lineage pipeline. It assumes one controller per state store; it
// takes no leader lock.
package etl
