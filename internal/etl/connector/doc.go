// Package connector is the data plane of Vigil's ETL runtime: the data model
// that flows between a task's steps (Schema, Batch), the Source and Sink
// interfaces, the classification of their errors, and the built-in connectors
// that read and write csv and jsonl files, SQLite and PostgreSQL databases,
// JSON HTTP APIs, and deterministic synthetic data (generate).
//
// A Registry maps a connector kind, as named in a pipeline spec, to its
// factories. Factories decode settings strictly and do no I/O, so a spec can be
// validated by building its connectors; files, connections and requests are
// opened by Read, Write and Exec, and closed before they return.
//
// Sinks load idempotently per run ID: a retried attempt of the same run never
// duplicates rows. Append mode tags every row with the run ID in the column
// _vigil_run_id and deletes the run's earlier rows in the same transaction
// that inserts the new ones; replace and upsert are idempotent by nature. A
// load that fails, or whose context ends before the batch channel is closed,
// leaves the target as it was.
//
// The package does not schedule, retry or transform: the task runner decides
// what to retry from Classify, and row transforms live in etl/transform.
package connector
