// Package incident turns Signals into few, right and explained incidents.
//
// The Manager is the decision core: a deterministic state machine that
// receives Signals and the current time from its caller and answers with
// Decisions (open, update, notify, flapping, resolve, ...). It deduplicates
// Signals by fingerprint, groups them by labels within a time window,
// correlates them along the lineage graph so that downstream symptoms join
// the incident of their upstream cause, damps flapping, applies silences,
// maintenance windows and inhibition rules, rates severity from the Signals
// and the blast radius, and runs the lifecycle open → acknowledged →
// resolved with feedback.
//
// It does no I/O and never reads the wall clock, so that it can run in the
// simulator and give the same answer twice. It does not persist anything and
// does not send notifications: the caller stores the Decisions (an outbox),
// turns notify Decisions into messages, and snapshots the Manager's State,
// which is plain JSON. Memory is bounded by the limits in Config, whatever
// the rate of Signals: what does not fit is counted, never dropped silently.
//
// The lineage graph reaches the Manager through the small Topology and
// Catalog interfaces; the fleetgraph subpackage implements both for the
// ETL fleet, so that this package does not depend on the ETL specs.
//
// A Manager is not safe for concurrent use; the caller serialises calls.
package incident
