// Package task runs one attempt of one pipeline task with real connectors:
// source → transforms → sink, SQL in the target database, or checks over a
// source's data profile. It is the Runner that agents use outside the
// simulator; it decides nothing about retries or scheduling, it only runs
// and reports what happened, with the failure classified.
package task

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/etl/connector"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"github.com/vigil-aiops/vigil/internal/etl/transform"
)

// Runner runs attempts; it is safe for concurrent use.
type Runner struct {
	reg    *connector.Registry
	logger *slog.Logger
	now    func() time.Time
}

var _ agent.Runner = (*Runner)(nil)

// New returns a runner that opens connectors from reg. now stamps log
// lines and measures wall time; nil means time.Now.
func New(reg *connector.Registry, logger *slog.Logger, now func() time.Time) *Runner {
	if now == nil {
		now = time.Now
	}
	return &Runner{reg: reg, logger: logger, now: now}
}

// attempt collects what one attempt did.
type attempt struct {
	r      *Runner
	a      agent.Assignment
	usage  agent.Usage
	logs   []agent.LogLine
	output *agent.Profile
}

func (at *attempt) logf(level, format string, args ...any) {
	at.logs = append(at.logs, agent.LogLine{At: at.r.now(), Level: level, Line: fmt.Sprintf(format, args...)})
}

// Run implements agent.Runner. It returns when the attempt is done or ctx,
// whose deadline is the attempt's timeout, ends.
//
// CPU time is measured per attempt: the goroutines doing its work are
// locked to their OS threads, whose CPU clocks are read before and after.
// Peak memory is not measurable for one attempt among others in a shared
// Go heap and is reported as zero.
func (r *Runner) Run(ctx context.Context, a agent.Assignment) agent.Result {
	at := &attempt{r: r, a: a}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0 := threadCPU()
	began := r.now()
	at.logf("info", "attempt %d of %s/%s (%s) started", a.Attempt, a.Pipeline, a.Spec.Name, a.Spec.Kind)
	var err error
	switch {
	case a.Spec.SQL != nil:
		err = at.runSQL(ctx)
	case a.Spec.Kind == spec.KindCheck:
		err = at.runCheck(ctx)
	default:
		err = at.runCopy(ctx)
	}
	at.usage.Wall = r.now().Sub(began)
	at.usage.CPU += threadCPU() - cpu0
	res := agent.Result{Usage: at.usage, Logs: at.logs}
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
			err = connector.WithClass(connector.ClassTimeout, err)
		}
		res.Error = err.Error()
		res.Class = spec.ErrorClass(connector.Classify(err))
		if d, ok := connector.RetryAfter(err); ok {
			res.RetryAfter = d
		}
		at.logf("error", "failed (%s): %v", res.Class, err)
		res.Logs = at.logs
		return res
	}
	at.logf("info", "done: %d rows in, %d rows out, %d bytes in %s", at.usage.RowsIn, at.usage.RowsOut, at.usage.Bytes, at.usage.Wall)
	res.Logs = at.logs
	res.Output = at.output
	return res
}

func (at *attempt) runInfo() connector.RunInfo {
	return connector.RunInfo{RunID: at.a.RunID, Pipeline: at.a.Pipeline, Task: at.a.Spec.Name, Attempt: at.a.Attempt, LogicalTime: at.a.LogicalTime}
}

// runSQL executes the task's statement in its target database.
func (at *attempt) runSQL(ctx context.Context) error {
	q := at.a.Spec.SQL
	ex, err := at.r.reg.NewExecer(q.Connector, q.Settings)
	if err != nil {
		return connector.WithClass(connector.ClassConfig, fmt.Errorf("sql: %w", err))
	}
	n, err := ex.Exec(ctx, q.Statement)
	if err != nil {
		return fmt.Errorf("sql: %w", err)
	}
	at.usage.RowsOut = n
	at.logf("info", "sql affected %d rows", n)
	return nil
}

// runCopy moves rows from the source through the transforms into the sink.
// The sink loads in one transaction that commits only when every row has
// arrived; any failure before that cancels it, so nothing partial is kept.
func (at *attempt) runCopy(ctx context.Context) error {
	t := at.a.Spec
	if t.Source == nil || t.Sink == nil {
		return connector.Errorf(connector.ClassConfig, "task %s needs a source and a sink, or sql", t.Name)
	}
	src, err := at.r.reg.NewSource(t.Source.Connector, t.Source.Settings)
	if err != nil {
		return connector.WithClass(connector.ClassConfig, fmt.Errorf("source: %w", err))
	}
	sink, err := at.r.reg.NewSink(t.Sink.Connector, t.Sink.Settings)
	if err != nil {
		return connector.WithClass(connector.ClassConfig, fmt.Errorf("sink: %w", err))
	}
	policy, err := transform.ParsePolicy(string(t.OnRowError))
	if err != nil {
		return connector.WithClass(connector.ClassConfig, err)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	run := at.runInfo()

	var dead *transform.DeadLetter
	opts := transform.Options{Policy: policy}
	if policy == transform.PolicyDeadLetter {
		if t.DeadLetter == nil {
			return connector.Errorf(connector.ClassConfig, "on_row_error dead_letter needs a dead_letter sink")
		}
		dlSink, err := at.r.reg.NewSink(t.DeadLetter.Connector, t.DeadLetter.Settings)
		if err != nil {
			return connector.WithClass(connector.ClassConfig, fmt.Errorf("dead letter: %w", err))
		}
		dead = transform.StartDeadLetter(ctx, dlSink, run)
		opts.DeadLetter = dead.Put
	}
	chain, err := transform.Compile(steps(t.Transform), opts)
	if err != nil {
		if dead != nil {
			dead.Abort()
		}
		return connector.WithClass(connector.ClassConfig, err)
	}

	batches := make(chan connector.Batch, 4)
	prof := transform.NewProfiler()
	type written struct {
		stats connector.WriteStats
		err   error
		cpu   time.Duration
	}
	done := make(chan written, 1)
	started := false
	send := func(b connector.Batch) error {
		if !started {
			started = true
			go func() {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				cpu0 := threadCPU()
				st, err := sink.Write(ctx, run, b.Schema, batches)
				if err != nil {
					cancel() // Stop the reader: nothing more can be loaded.
				}
				done <- written{st, err, threadCPU() - cpu0}
			}()
		}
		select {
		case batches <- b:
			prof.Add(b)
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	readErr := connector.ReadRun(ctx, src, connector.ReadOptions{Run: run, OnRowError: chain.OnRowError(ctx)}, func(b connector.Batch) error {
		at.usage.RowsIn += int64(b.Len())
		return chain.Process(ctx, b, send)
	})
	if readErr == nil {
		readErr = chain.Flush(ctx, send)
	}
	if readErr != nil {
		cancel() // The sink rolls back.
		if dead != nil {
			dead.Abort()
		}
		if started {
			// A sink that failed first stopped the read: its error is the cause.
			if w := <-done; w.err != nil && !errors.Is(w.err, context.Canceled) {
				return fmt.Errorf("sink: %w", w.err)
			}
		}
		return readErr
	}
	if !started {
		// A source with no schema and no rows: nothing to load.
		at.logf("warn", "source produced no batch; nothing was loaded")
		if dead != nil {
			_, err := dead.Close(ctx)
			return err
		}
		return nil
	}
	close(batches)
	w := <-done
	at.usage.CPU += w.cpu
	if w.err != nil {
		if dead != nil {
			dead.Abort()
		}
		return fmt.Errorf("sink: %w", w.err)
	}
	if dead != nil {
		if _, err := dead.Close(ctx); err != nil {
			return fmt.Errorf("dead letter: %w", err)
		}
	}
	st := chain.Stats()
	at.output = profileOf(prof)
	at.usage.RowsOut = w.stats.RowsWritten
	at.usage.Bytes = w.stats.Bytes
	if st.Filtered+st.Skipped+st.DeadLettered > 0 {
		at.logf("info", "transforms: %d filtered, %d skipped, %d dead-lettered", st.Filtered, st.Skipped, st.DeadLettered)
	}
	return nil
}

// steps converts the spec's transform steps; the order of a map step's
// columns is the order written in the spec.
func steps(in []spec.Step) []transform.Step {
	out := make([]transform.Step, 0, len(in))
	for _, s := range in {
		var st transform.Step
		switch {
		case s.Filter != "":
			st.Filter = s.Filter
		case len(s.Map) > 0:
			for _, p := range s.Map {
				st.Map = append(st.Map, transform.Assignment{Column: p.Column, Expr: p.Value})
			}
		case len(s.Cast) > 0:
			st.Cast = map[string]connector.Type{}
			for _, p := range s.Cast {
				st.Cast[p.Column] = connector.Type(p.Value)
			}
		}
		out = append(out, st)
	}
	return out
}

// profileOf converts the profile of the rows written for the protocol.
func profileOf(p *transform.Profiler) *agent.Profile {
	cols := p.Columns()
	if len(cols) == 0 {
		return nil
	}
	out := &agent.Profile{Columns: make([]agent.ColumnProfile, 0, len(cols))}
	for _, c := range cols {
		cp := agent.ColumnProfile{Name: c.Name, Type: string(c.Type), Count: c.Count, Nulls: c.Nulls, Distinct: c.Distinct, Quantiles: c.Quantiles}
		if c.Type == connector.TypeInt || c.Type == connector.TypeFloat {
			cp.Min, cp.Max = number(c.Min), number(c.Max)
			if c.Count > 0 {
				sum := c.Sum
				cp.Sum = &sum
			}
		}
		out.Columns = append(out.Columns, cp)
	}
	return out
}

func number(v any) *float64 {
	var f float64
	switch x := v.(type) {
	case int64:
		f = float64(x)
	case float64:
		f = x
	default:
		return nil
	}
	return &f
}
