// Package transform applies a task's row transforms to the batches flowing
// from its source to its sink: filter keeps the rows for which a CEL boolean
// expression over row is true, map builds new rows from CEL expressions, and
// cast converts columns to other types. Every expression is compiled once,
// before any row is read, so a task with a broken expression fails at once
// with an error naming the step and the expression.
//
// A row a step cannot handle (an expression that fails on it, a value that
// does not convert) is a row failure, handled by the task's policy: fail
// the task, skip the row, or hand it to a dead-letter sink. Rows a source
// could not decode go through the same policy. A Chain counts what happened
// to every row.
//
// The package also computes the data quality profile of a stream of batches
// (null and distinct counts, minimum, maximum, quartiles), which the runtime
// reports as OpenLineage dataQualityMetrics.
//
// It does not read, write or schedule anything: the task runner owns the
// source, the sink and the dead-letter sink, and passes batches through.
package transform
