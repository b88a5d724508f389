package etl

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/vigil-aiops/vigil/internal/state"
)

// batch collects the changes of one operation, to be written in one
// transaction before the operation's effects (returning assignments,
// metrics, lineage events) take place.
type batch struct {
	pipelines []*pipeline
	runs      []*run
	tasks     []*task
	agents    []*agentState
	attempts  []state.Attempt
	logs      []state.LogLine
	circuits  []state.Circuit
	controls  []state.Control
	// effects run after a successful commit, in order.
	effects []func()
}

func newBatch() *batch { return &batch{} }

func (b *batch) pipeline(p *pipeline) {
	if !slices.Contains(b.pipelines, p) {
		b.pipelines = append(b.pipelines, p)
	}
}

func (b *batch) run(r *run) {
	if !slices.Contains(b.runs, r) {
		b.runs = append(b.runs, r)
	}
}

func (b *batch) task(t *task) {
	if !slices.Contains(b.tasks, t) {
		b.tasks = append(b.tasks, t)
	}
}

func (b *batch) agent(a *agentState) {
	if !slices.Contains(b.agents, a) {
		b.agents = append(b.agents, a)
	}
}

func (b *batch) attempt(a state.Attempt) { b.attempts = append(b.attempts, a) }

// after schedules fn to run once the batch is committed.
func (b *batch) after(fn func()) { b.effects = append(b.effects, fn) }

// empty reports whether the batch has nothing to write.
func (b *batch) empty() bool {
	return len(b.pipelines)+len(b.runs)+len(b.tasks)+len(b.agents)+len(b.attempts)+
		len(b.logs)+len(b.circuits)+len(b.controls) == 0
}

// commit writes b in one transaction and then runs its effects. If the
// write fails, the working set, which the operation already changed, is
// reloaded from the store, and the effects are dropped. The caller holds
// c.mu.
func (c *Controller) commit(ctx context.Context, b *batch) error {
	if !b.empty() {
		err := c.store.InTx(ctx, func(tx *state.Tx) error { return write(ctx, tx.ETL(), b) })
		if err != nil {
			err = fmt.Errorf("write etl state: %w", err)
			if rerr := c.reload(ctx); rerr != nil {
				return errors.Join(err, rerr)
			}
			return err
		}
		for _, t := range b.tasks {
			t.storedLease = t.rec.LeaseUntil
		}
		for _, a := range b.agents {
			a.storedHeartbeat = a.rec.LastHeartbeat
		}
	}
	for _, fn := range b.effects {
		fn()
	}
	return nil
}

// write writes b's records, parents before children: runs before their
// tasks, tasks before their attempts and logs.
func write(ctx context.Context, e state.ETL, b *batch) error {
	if len(b.pipelines) > 0 {
		ps := make([]state.PipelineState, len(b.pipelines))
		for i, p := range b.pipelines {
			ps[i] = p.st
		}
		if err := e.SavePipelines(ctx, ps...); err != nil {
			return err
		}
	}
	if len(b.runs) > 0 {
		runs := make([]state.Run, len(b.runs))
		for i, r := range b.runs {
			runs[i] = r.rec
		}
		if err := e.SaveRuns(ctx, runs...); err != nil {
			return err
		}
	}
	if len(b.tasks) > 0 {
		tasks := make([]state.TaskInstance, len(b.tasks))
		for i, t := range b.tasks {
			tasks[i] = t.rec
		}
		if err := e.SaveTasks(ctx, tasks...); err != nil {
			return err
		}
	}
	if err := e.SaveAttempts(ctx, b.attempts...); err != nil {
		return err
	}
	if err := e.AppendLogs(ctx, b.logs...); err != nil {
		return err
	}
	if len(b.agents) > 0 {
		agents := make([]state.Agent, len(b.agents))
		for i, a := range b.agents {
			agents[i] = a.rec
		}
		if err := e.SaveAgents(ctx, agents...); err != nil {
			return err
		}
	}
	for _, ci := range b.circuits {
		if err := e.SaveCircuit(ctx, ci); err != nil {
			return err
		}
	}
	for _, ctl := range b.controls {
		if _, err := e.RecordControl(ctx, ctl); err != nil {
			return err
		}
	}
	return nil
}
