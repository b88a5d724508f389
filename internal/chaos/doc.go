// Package chaos injects faults into Vigil's ETL runtime and records each
// injection as ground truth, so that the benchmarks that score detection
// and diagnosis know what really happened, where and when.
//
// A Fault has a Kind (source latency, source errors, agent crash, agent
// slowdown, agent memory leak, sink full, schema change, distribution
// drift, volume drop, volume spike, late data), a Target (a pipeline, a
// task, a connector endpoint, a dataset or an agent), a start, a duration
// and an intensity. A Schedule is a list of faults; Plan spreads a seeded,
// reproducible schedule over a fleet, with overlaps and quiet days.
//
// An Injector applies a schedule through wrappers that compose with the
// runtime's own interfaces: connector.Source and connector.Sink wrappers
// for the data plane, an agent.Runner wrapper for agents that run real
// attempts, an agent.Modeller wrapper for the simulator, and an
// agent.Controller wrapper that makes an agent crash as the controller sees
// it. Register adds a "chaos" connector kind to a registry, through which
// the Runner wrapper routes every task's source and sink, so that the real
// task runner reads and writes through the fault injectors unchanged.
//
// Time comes from an injected clock.Clock, or from the assignment's
// timestamps in the simulator; random choices are hashes of the fault and
// the attempt, so the same schedule on the same runs injects the same
// faults. Every injection is written to a TruthWriter as a GroundTruth
// record.
//
// The package does not detect, diagnose or repair anything, and it does
// not schedule runs: it only makes the runtime misbehave on cue and says
// so.
package chaos
