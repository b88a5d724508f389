package chaos

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
)

// Runner returns next with the agent faults injected into its attempts,
// and every task's source and sink routed through ConnectorKind, so that
// the connector faults reach them too: Register the injector in the
// registry next opens connectors from. If next is an agent.Modeller,
// Runner returns the Modeller wrapper instead, so that agents still model
// its attempts rather than run them.
//
// An attempt on a crashed agent, at its start or at its end, never
// reports: it blocks until its context ends, as the attempt of a dead
// process would until the controller gives up on it. A slowdown waits on
// the injector's clock, after the attempt, for the extra time; a memory
// leak adds to the peak memory reported.
func (in *Injector) Runner(next agent.Runner) agent.Runner {
	if m, ok := next.(agent.Modeller); ok {
		return in.Modeller(m)
	}
	return &runner{in: in, next: next}
}

// runner is the Runner wrapper.
type runner struct {
	in   *Injector
	next agent.Runner
}

// Run runs the attempt with the faults that strike its agent.
func (r *runner) Run(ctx context.Context, a agent.Assignment) agent.Result {
	subj := subjectOf(a)
	began := r.in.clock.Now()
	if lost, crashed := r.crash(ctx, subj, began); crashed {
		return lost
	}
	res := r.next.Run(ctx, route(a))
	ended := r.in.clock.Now()
	if res.Wall <= 0 {
		res.Wall = ended.Sub(began)
	}
	for _, f := range r.in.schedule.striking(subj, began, AgentSlowdown) {
		extra := time.Duration(float64(res.Wall) * f.Intensity * r.in.effects.MaxSlowdown).Round(time.Millisecond)
		r.in.record(f, began, subj, fmt.Sprintf("slowed the attempt by %s, from %s", extra, res.Wall))
		if err := sleep(ctx, r.in.clock, extra); err != nil {
			return stopped(res, err)
		}
		res.Wall += extra
	}
	ended = r.in.clock.Now()
	for _, f := range r.in.schedule.striking(subj, ended, AgentMemoryLeak) {
		leaked := leak(f, ended, r.in.effects)
		res.PeakMemory += leaked
		effect := fmt.Sprintf("added %d bytes to the peak memory", leaked)
		if r.in.effects.MemoryLimit > 0 && res.PeakMemory > r.in.effects.MemoryLimit && !res.Failed() {
			res.Error = fmt.Sprintf("out of memory: peak of %d bytes passed the limit of %d", res.PeakMemory, r.in.effects.MemoryLimit)
			res.Class, res.RowsOut = spec.ClassInternal, 0
			effect += ", and the attempt ran out of memory"
		}
		r.in.record(f, ended, subj, effect)
	}
	if lost, crashed := r.crash(ctx, subj, ended); crashed {
		return lost
	}
	return res
}

// crash blocks until ctx ends if a crash strikes the attempt's agent at at,
// and returns the result of the lost attempt.
func (r *runner) crash(ctx context.Context, subj Subject, at time.Time) (agent.Result, bool) {
	faults := r.in.schedule.striking(subj, at, AgentCrash)
	if len(faults) == 0 {
		return agent.Result{}, false
	}
	r.in.record(faults[0], at, subj, "the agent crashed: the attempt never reported")
	<-ctx.Done()
	return stopped(agent.Result{}, fmt.Errorf("agent %s crashed: %w", subj.Agent, ctx.Err())), true
}

// stopped returns res failed by err, the end of the attempt's context.
func stopped(res agent.Result, err error) agent.Result {
	res.Error = fmt.Sprintf("attempt stopped: %v", err)
	res.Class = spec.ClassInternal
	if errors.Is(err, context.DeadlineExceeded) {
		res.Class = spec.ClassTimeout
	}
	res.RowsOut = 0
	return res
}

// leak returns the memory a leak has added by t.
func leak(f Fault, t time.Time, fx Effects) int64 {
	return int64(f.Intensity * float64(fx.LeakPerHour) * t.Sub(f.Start).Hours())
}
