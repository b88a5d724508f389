package chaos

import (
	"context"
	"fmt"
	"syscall"

	"github.com/vigil-aiops/vigil/internal/etl/connector"
)

// Sink returns sink with the SinkFull faults that strike s injected into
// its loads. s names the sink's endpoint (Sink) and the datasets it writes
// (Outputs); its Pipeline, Task, Run and Attempt, when empty, are taken
// from the run a load is for.
//
// A load struck by the fault never reaches the wrapped sink, so the target
// is left as it was. It receives every batch, as a sink does until its
// disk fills, so that the producer is not left blocked, and then fails
// with class sink_full, wrapping syscall.ENOSPC.
func (in *Injector) Sink(sink connector.Sink, s Subject) connector.Sink {
	return &sinkWrapper{in: in, next: sink, subject: s}
}

// sinkWrapper is the Sink wrapper.
type sinkWrapper struct {
	in      *Injector
	next    connector.Sink
	subject Subject
}

// Write loads into the wrapped sink unless the sink is full.
func (s *sinkWrapper) Write(ctx context.Context, run connector.RunInfo, schema connector.Schema, batches <-chan connector.Batch) (connector.WriteStats, error) {
	subj := s.subject.withRun(run)
	at := s.in.clock.Now()
	for _, f := range s.in.schedule.striking(subj, at, SinkFull) {
		if chance(f, subj, at, "full") >= f.Intensity {
			continue
		}
		rows, err := drain(ctx, batches)
		s.in.record(f, at, subj, fmt.Sprintf("failed the load of %d rows with sink_full", rows))
		if err != nil {
			return connector.WriteStats{}, err
		}
		where := subj.Sink
		if where == "" {
			where = "sink of " + subj.Pipeline + "/" + subj.Task
		}
		return connector.WriteStats{}, connector.WithClass(connector.ClassSinkFull,
			fmt.Errorf("load into %s: %w", where, syscall.ENOSPC))
	}
	return s.next.Write(ctx, run, schema, batches)
}

// drain receives batches until the channel is closed, and returns the
// number of rows, or ctx's error if it ends first.
func drain(ctx context.Context, batches <-chan connector.Batch) (int64, error) {
	var rows int64
	for {
		select {
		case <-ctx.Done():
			return rows, ctx.Err()
		case b, ok := <-batches:
			if !ok {
				return rows, nil
			}
			rows += int64(b.Len())
		}
	}
}
