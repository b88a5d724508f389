package connector

import (
	"context"
	"time"
)

// Source reads rows.
type Source interface {
	// Read streams batches to emit until the source is exhausted; it stops
	// early when emit returns an error or ctx ends. A source that knows its
	// schema emits at least one batch, possibly empty, so that sinks can
	// create their targets even when there are no rows. The first row it
	// cannot decode fails the read; see RunReader for reading past bad rows.
	Read(ctx context.Context, emit func(Batch) error) error
}

// RunReader is a Source that also reads with ReadOptions: the run being
// loaded and a handler for bad rows. Every source of this package implements
// it; call ReadRun rather than asserting it.
type RunReader interface {
	Source
	ReadRun(ctx context.Context, opts ReadOptions, emit func(Batch) error) error
}

// ReadOptions are what a task passes to a source beyond its settings.
type ReadOptions struct {
	// Run is the run being loaded. Sources whose rows depend on the run's
	// logical time, such as generate, read it from here.
	Run RunInfo
	// OnRowError, when set, receives each row the source cannot decode,
	// instead of the read failing with it. Returning nil drops the row and
	// goes on; returning an error stops the read with that error. It is
	// called from the goroutine that calls ReadRun, between emits.
	OnRowError func(*RowError) error
}

// ReadRun reads src with opts when it implements RunReader, and with its Read
// method otherwise, in which case opts are not used.
func ReadRun(ctx context.Context, src Source, opts ReadOptions, emit func(Batch) error) error {
	if r, ok := src.(RunReader); ok {
		return r.ReadRun(ctx, opts, emit)
	}
	return src.Read(ctx, emit)
}

// Sink writes rows.
type Sink interface {
	// Write loads batches for one run. Loads are idempotent per run ID: a
	// retried attempt of the same run never duplicates rows (append deletes
	// its earlier rows of that run first; replace and upsert are idempotent
	// by nature), all in one transaction. Write commits when batches is
	// closed; if ctx ends first, or any step fails, it rolls back and the
	// target is left as it was. A producer that fails signals it by
	// cancelling ctx, never by closing the channel. When Write returns early
	// it stops receiving, so producers must also select on ctx.Done.
	Write(ctx context.Context, run RunInfo, schema Schema, batches <-chan Batch) (WriteStats, error)
}

// Execer runs SQL in a target database, for tasks that transform data where
// it lives instead of moving rows.
type Execer interface {
	// Exec runs statement, which may hold several statements separated by
	// semicolons, in one transaction, and returns the number of rows the
	// last one affected.
	Exec(ctx context.Context, statement string) (rowsAffected int64, err error)
}

// RunInfo identifies the run a load belongs to.
type RunInfo struct {
	RunID    string // <pipeline>/<logical time RFC 3339>; the key of idempotent loads.
	Pipeline string // The pipeline's name.
	Task     string // The task's name within the pipeline.
	Attempt  int    // The attempt of the task instance, from 1.
	// LogicalTime is the scheduled time the run is for; zero when unknown.
	LogicalTime time.Time
}

// WriteStats describes a completed load.
type WriteStats struct {
	RowsWritten int64 // Rows inserted or upserted.
	// Bytes is the size of the loaded data: the bytes of the records written
	// to a file, or the size of the values (see Batch.Bytes) for a database.
	Bytes int64
	// RowsDeleted counts the rows removed before loading: the run's earlier
	// rows in append mode, or every row in replace mode.
	RowsDeleted int64
	Created     bool // The sink created the table or file.
}

// WriteAll writes the given batches to sink as one load. It suits small
// loads whose batches are already in memory, such as tests and dead letters.
func WriteAll(ctx context.Context, sink Sink, run RunInfo, schema Schema, batches ...Batch) (WriteStats, error) {
	ch := make(chan Batch, len(batches))
	for _, b := range batches {
		ch <- b
	}
	close(ch)
	return sink.Write(ctx, run, schema, ch)
}
