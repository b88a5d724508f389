// Package state is Vigil's relational store: what must survive a restart and
// be shared by every component, such as the instance's identity, snapshots,
// and the durable outbox through which notifications and remediation actions
// are written down before they are acted on, and retried from after a crash.
//
// It speaks database/sql to one of two backends: SQLite (modernc.org/sqlite,
// no cgo) in the data directory by default, or PostgreSQL (pgx) when one
// machine is not enough or several Vigil instances share their state. Open
// applies the versioned schema migrations. Repositories (Meta, Outbox) are the
// only way other packages reach the tables; each query in them is written once,
// with PostgreSQL's $n placeholders, and runs on both backends.
//
// The package does not hold time series (internal/series does), cache, or
// decide anything: it does not retry or send outbox items itself; callers
// claim work, act on it and record the outcome. It never reads the clock:
// every time it stores or compares is passed in by the caller.
package state
