package chaos

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/connector"
)

// sourceKinds are the kinds of fault a source wrapper injects.
var sourceKinds = []Kind{SourceLatency, SourceErrors, SchemaChange, Drift, VolumeDrop, VolumeSpike, LateData}

// Source returns src with the faults that strike s injected into its
// reads. s names the source's endpoint (Source) and the datasets the task
// writes from it (Outputs); its Pipeline, Task, Run and Attempt, when
// empty, are taken from the run a read is for. The result implements
// connector.RunReader.
//
// Which faults strike a read is decided when it starts, on the injector's
// clock. Latency waits on the clock before the read; an error fails the
// read before it returns a row; data faults reshape every batch alike.
func (in *Injector) Source(src connector.Source, s Subject) connector.Source {
	return &source{in: in, next: src, subject: s}
}

// source is the Source wrapper.
type source struct {
	in      *Injector
	next    connector.Source
	subject Subject
}

var _ connector.RunReader = (*source)(nil)

// Read reads with no run.
func (s *source) Read(ctx context.Context, emit func(connector.Batch) error) error {
	return s.ReadRun(ctx, connector.ReadOptions{}, emit)
}

// ReadRun reads the wrapped source with the faults active now.
func (s *source) ReadRun(ctx context.Context, opts connector.ReadOptions, emit func(connector.Batch) error) error {
	subj := s.subject.withRun(opts.Run)
	at := s.in.clock.Now()
	faults := s.in.schedule.striking(subj, at, sourceKinds...)
	if len(faults) == 0 {
		return connector.ReadRun(ctx, s.next, opts, emit)
	}
	shaper := &reshaper{fx: s.in.effects}
	for _, f := range faults {
		switch f.Kind {
		case SourceLatency:
			d := time.Duration(f.Intensity * float64(s.in.effects.MaxLatency)).Round(time.Millisecond)
			s.in.record(f, at, subj, fmt.Sprintf("delayed the read by %s", d))
			if err := sleep(ctx, s.in.clock, d); err != nil {
				return err
			}
		case SourceErrors:
			if chance(f, subj, at, "error") >= f.Intensity {
				continue
			}
			err := sourceError(f, subj)
			s.in.record(f, at, subj, fmt.Sprintf("failed the read with %s: %v", f.class(), err))
			return err
		default:
			shaper.add(f)
		}
	}
	if len(shaper.steps) == 0 {
		return connector.ReadRun(ctx, s.next, opts, emit)
	}
	defer func() {
		for _, st := range shaper.steps {
			s.in.record(st.f, at, subj, st.effect(s.in.effects))
		}
	}()
	return connector.ReadRun(ctx, s.next, opts, func(b connector.Batch) error {
		return emit(shaper.apply(b))
	})
}

// withRun returns s with its empty run fields taken from run.
func (s Subject) withRun(run connector.RunInfo) Subject {
	if s.Pipeline == "" {
		s.Pipeline = run.Pipeline
	}
	if s.Task == "" {
		s.Task = run.Task
	}
	if s.Run == "" {
		s.Run = run.RunID
	}
	if s.Attempt == 0 {
		s.Attempt = run.Attempt
	}
	return s
}

// sourceError returns the error a SourceErrors fault fails a read with:
// one of its class, worded as the failing system would word it.
func sourceError(f Fault, s Subject) error {
	where := s.Source
	if where == "" {
		where = "source of " + s.Pipeline + "/" + s.Task
	}
	ce := &connector.ClassError{Class: f.class()}
	switch ce.Class {
	case connector.ClassTimeout:
		ce.Err = fmt.Errorf("read %s: %w", where, os.ErrDeadlineExceeded)
	case connector.ClassHTTP4xx:
		ce.Err = fmt.Errorf("read %s: 404 Not Found", where)
	case connector.ClassHTTP5xx:
		ce.Err = fmt.Errorf("read %s: 503 Service Unavailable", where)
	case connector.ClassRateLimited:
		ce.Err = fmt.Errorf("read %s: 429 Too Many Requests", where)
		ce.RetryAfter = 30 * time.Second
	case connector.ClassLocked:
		ce.Err = fmt.Errorf("read %s: database is locked", where)
	default:
		ce.Err = fmt.Errorf("read %s: %w", where, syscall.ECONNRESET)
	}
	return ce
}
