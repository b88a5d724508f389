package etl

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/state"
)

// ClassLost is the error class of an attempt whose lease lapsed.
const ClassLost = "lost"

// The controller is what agents talk to.
var _ agent.Controller = (*Controller)(nil)

// Claim hands agentID the queued tasks that are due and fit in free, each
// as a new attempt under a lease, and records them before returning them.
// Tasks are handed out oldest queued first, then by logical time, run and
// position; a task that does not fit is passed over for smaller ones.
// Tasks of paused pipelines, and tasks whose connector endpoints have an
// open circuit, wait. A CPU or memory need is counted only when both the
// task and the agent state it.
func (c *Controller) Claim(ctx context.Context, agentID string, free agent.Capacity) ([]agent.Assignment, error) {
	if agentID == "" {
		return nil, fmt.Errorf("claim: %w: empty agent ID", ErrInvalid)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ensureLoaded(ctx); err != nil {
		return nil, err
	}
	now := c.now()
	b := newBatch()
	a := c.touchAgent(b, agentID, nil, now)
	// The agent states a resource if its capacity, known from its
	// heartbeats, does; an agent not yet heard from states what it has free.
	cpuStated := a.rec.CPU > 0 || free.CPU > 0
	memStated := a.rec.Memory > 0 || free.Memory > 0
	var out []agent.Assignment
	for _, t := range c.ready(now) {
		if free.Slots < 1 {
			break
		}
		need := t.resources()
		if cpuStated && need.CPU > free.CPU+1e-9 || memStated && need.Memory > free.Memory {
			continue
		}
		c.dispatch(b, t, agentID, now)
		free.Slots--
		free.CPU -= need.CPU
		free.Memory -= need.Memory
		out = append(out, c.assignment(t))
	}
	if err := c.commit(ctx, b); err != nil {
		return nil, fmt.Errorf("claim for agent %s: %w", agentID, err)
	}
	return out, nil
}

// ready returns the tasks that may be dispatched at now, in dispatch order.
func (c *Controller) ready(now time.Time) []*task {
	var out []*task
	for _, p := range c.pipelines {
		if p.st.Paused {
			continue
		}
		for _, r := range p.active {
			if r.rec.State != state.RunRunning {
				continue
			}
			for _, t := range r.tasks {
				if t.rec.State == state.TaskQueued && !t.rec.NotBefore.After(now) && !c.heldByCircuit(t) {
					out = append(out, t)
				}
			}
		}
	}
	slices.SortStableFunc(out, func(a, b *task) int {
		return cmp.Or(
			a.rec.Queued.Compare(b.rec.Queued),
			a.run.rec.LogicalTime.Compare(b.run.rec.LogicalTime),
			compareStrings(a.rec.RunID, b.rec.RunID),
			cmp.Compare(a.rec.Position, b.rec.Position))
	})
	return out
}

// heldByCircuit reports whether one of t's endpoints has an open circuit.
func (c *Controller) heldByCircuit(t *task) bool {
	for _, e := range t.endpoints {
		if _, open := c.circuits[e]; open {
			return true
		}
	}
	return false
}

// dispatch starts a new attempt of t on agentID.
func (c *Controller) dispatch(b *batch, t *task, agentID string, now time.Time) {
	t.rec.Attempt++
	t.rec.State, t.rec.Agent = state.TaskRunning, agentID
	t.rec.Started, t.rec.Ended = now, time.Time{}
	t.rec.LeaseUntil = now.Add(c.opts.Lease)
	t.rec.Deadline = now.Add(t.spec.Timeout.Std())
	t.rec.NotBefore = time.Time{}
	t.rec.Usage, t.rec.Error, t.rec.ErrorClass = state.Usage{}, "", ""
	b.task(t)
	b.attempt(state.Attempt{
		RunID: t.rec.RunID, Task: t.rec.Task, Attempt: t.rec.Attempt, Agent: agentID,
		State: state.AttemptRunning, Started: now,
	})
	c.emitAttemptStart(b, t, now)
	c.recordDispatchMetrics(b, t, now)
}

// assignment describes t's current attempt for its agent.
func (c *Controller) assignment(t *task) agent.Assignment {
	return agent.Assignment{
		AttemptRef:  t.ref(),
		Agent:       t.rec.Agent,
		Pipeline:    t.rec.Pipeline,
		LogicalTime: t.run.rec.LogicalTime,
		Spec:        *t.spec,
		Timeout:     t.spec.Timeout.Std(),
		Started:     t.rec.Started,
		LeaseUntil:  t.rec.LeaseUntil,
	}
}

// Heartbeat records that agentID, of capacity total, is alive and runs the
// attempts listed, and renews their leases. It returns the attempts the
// agent must abandon because they are no longer its own. Renewed leases are
// written to the store only when the stored lease has less than half a
// lease left, which bounds the writes while keeping what a restart sees
// close to the truth.
func (c *Controller) Heartbeat(ctx context.Context, agentID string, total agent.Capacity, running []agent.AttemptRef) ([]agent.AttemptRef, error) {
	if agentID == "" {
		return nil, fmt.Errorf("heartbeat: %w: empty agent ID", ErrInvalid)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ensureLoaded(ctx); err != nil {
		return nil, err
	}
	now := c.now()
	b := newBatch()
	c.touchAgent(b, agentID, &total, now)
	var abandon []agent.AttemptRef
	for _, ref := range running {
		t := c.lookup(ref)
		if t == nil || t.rec.State != state.TaskRunning || t.rec.Attempt != ref.Attempt ||
			t.rec.Agent != agentID || now.After(t.rec.LeaseUntil) {
			abandon = append(abandon, ref)
			continue
		}
		t.rec.LeaseUntil = now.Add(c.opts.Lease)
		if t.storedLease.Sub(now) < c.opts.Lease/2 {
			b.task(t)
		}
	}
	if err := c.commit(ctx, b); err != nil {
		return nil, fmt.Errorf("heartbeat of agent %s: %w", agentID, err)
	}
	return abandon, nil
}

// touchAgent records a sign of life of agentID, registering it if it is
// new, and its capacity if known. The agent's record is written when it
// is new, changes, comes back from the dead, or its stored heartbeat is
// half an agent timeout old.
func (c *Controller) touchAgent(b *batch, agentID string, total *agent.Capacity, now time.Time) *agentState {
	a := c.agents[agentID]
	if a == nil {
		a = &agentState{rec: state.Agent{ID: agentID, State: state.AgentAlive, Registered: now}}
		c.agents[agentID] = a
		b.agent(a)
	}
	if a.rec.State != state.AgentAlive {
		c.logger.Info("agent is back", "agent", agentID)
		a.rec.State = state.AgentAlive
		b.agent(a)
	}
	if total != nil && (a.rec.Slots != total.Slots || a.rec.CPU != total.CPU || a.rec.Memory != total.Memory) {
		a.rec.Slots, a.rec.CPU, a.rec.Memory = total.Slots, total.CPU, total.Memory
		b.agent(a)
	}
	a.rec.LastHeartbeat = now
	if now.Sub(a.storedHeartbeat) >= c.opts.AgentTimeout/2 {
		b.agent(a)
	}
	return a
}

// lookup returns the task instance of an attempt reference, or nil if its
// run is not active.
func (c *Controller) lookup(ref agent.AttemptRef) *task {
	r := c.runs[ref.RunID]
	if r == nil {
		return nil
	}
	return r.byName[ref.Task]
}

// Report records the outcome of an attempt: its usage, logs and result.
// A success may queue downstream tasks and end the run; a failure is
// retried after a backoff if its class is transient for the task and
// retries are left, and otherwise fails the task. A report of an attempt
// that is not agentID's current one is refused with ErrStaleAttempt, and
// one that comes after the lease lapsed with ErrLeaseLost, in which case
// the task is dispatched again as a new attempt.
func (c *Controller) Report(ctx context.Context, agentID string, ref agent.AttemptRef, res agent.Result) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ensureLoaded(ctx); err != nil {
		return err
	}
	now := c.now()
	t := c.lookup(ref)
	if t == nil || t.rec.State != state.TaskRunning || t.rec.Attempt != ref.Attempt || t.rec.Agent != agentID {
		return fmt.Errorf("report of attempt %d of %s/%s by %s: %w", ref.Attempt, ref.RunID, ref.Task, agentID, ErrStaleAttempt)
	}
	b := newBatch()
	c.touchAgent(b, agentID, nil, now)
	if now.After(t.rec.LeaseUntil) {
		c.loseAttempt(b, t, now)
		c.resolve(b, t.run, now)
		if err := c.commit(ctx, b); err != nil {
			return fmt.Errorf("report of attempt %d of %s/%s: %w", ref.Attempt, ref.RunID, ref.Task, err)
		}
		return fmt.Errorf("report of attempt %d of %s/%s by %s: %w", ref.Attempt, ref.RunID, ref.Task, agentID, ErrLeaseLost)
	}
	t.rec.Usage = usage(res.Usage)
	t.output = res.Output
	c.appendLogs(b, t, res.Logs)
	if res.Failed() {
		class := string(res.Class)
		if class == "" {
			class = "internal"
		}
		c.failAttempt(b, t, now, res.Error, class, res.RetryAfter)
	} else {
		c.closeAttempt(b, t, state.AttemptSuccess, now, "", "")
		t.rec.State, t.rec.Ended, t.rec.LeaseUntil = state.TaskSuccess, now, time.Time{}
		b.task(t)
		c.wrote(t, now)
	}
	c.resolve(b, t.run, now)
	if err := c.commit(ctx, b); err != nil {
		return fmt.Errorf("report of attempt %d of %s/%s: %w", ref.Attempt, ref.RunID, ref.Task, err)
	}
	return nil
}

// wrote records that t's outputs were written at now.
func (c *Controller) wrote(t *task, now time.Time) {
	for _, d := range t.spec.Outputs {
		if ds := c.datasets[d]; ds != nil {
			ds.lastWrite, ds.logical = now, t.run.rec.LogicalTime
		}
	}
}

// usage converts an agent's usage to the store's.
func usage(u agent.Usage) state.Usage {
	return state.Usage{RowsIn: u.RowsIn, RowsOut: u.RowsOut, Bytes: u.Bytes, CPU: u.CPU, Wall: u.Wall, PeakMemory: u.PeakMemory}
}

// appendLogs stores an attempt's log lines, keeping the first and last
// halves of MaxLogLines when there are more, with a line saying how many
// were left out.
func (c *Controller) appendLogs(b *batch, t *task, lines []agent.LogLine) {
	limit := c.opts.MaxLogLines
	if len(lines) > limit {
		head, tail := lines[:limit/2], lines[len(lines)-(limit-limit/2-1):]
		omitted := agent.LogLine{At: tail[0].At, Level: "warn",
			Line: fmt.Sprintf("… %d lines omitted …", len(lines)-len(head)-len(tail))}
		lines = slices.Concat(head, []agent.LogLine{omitted}, tail)
	}
	for i, l := range lines {
		b.logs = append(b.logs, state.LogLine{
			RunID: t.rec.RunID, Task: t.rec.Task, Attempt: t.rec.Attempt, Seq: i,
			At: l.At, Level: l.Level, Line: l.Line,
		})
	}
}

// closeAttempt ends t's current attempt record in state st, with t's
// usage.
func (c *Controller) closeAttempt(b *batch, t *task, st state.AttemptState, now time.Time, msg, class string) {
	if st == state.AttemptSuccess && !t.rec.Started.IsZero() {
		c.learnDuration(t, now.Sub(t.rec.Started))
	}
	b.attempt(state.Attempt{
		RunID: t.rec.RunID, Task: t.rec.Task, Attempt: t.rec.Attempt, Agent: t.rec.Agent,
		State: st, Started: t.rec.Started, Ended: now, Usage: t.rec.Usage, Error: msg, ErrorClass: class,
	})
	c.emitAttemptEnd(b, t, st, now, msg)
	c.recordAttemptMetrics(b, t, st, class, now)
}

// expireAgents marks dead the agents not heard from for AgentTimeout; the
// attempts they hold are lost.
func (c *Controller) expireAgents(b *batch, now time.Time) {
	for _, id := range sortedKeys(c.agents) {
		a := c.agents[id]
		if a.rec.State != state.AgentAlive || now.Sub(a.rec.LastHeartbeat) <= c.opts.AgentTimeout {
			continue
		}
		c.logger.Warn("agent missed its heartbeats; marking it dead", "agent", id, "last_heartbeat", a.rec.LastHeartbeat)
		a.rec.State = state.AgentDead
		b.agent(a)
		c.forEachTask(func(t *task) {
			if t.rec.State == state.TaskRunning && t.rec.Agent == id {
				c.loseAttempt(b, t, now)
			}
		})
	}
}

// expireAttempts ends the running attempts whose lease lapsed (lost) or
// which ran past their timeout and its grace without the agent reporting
// (timeout).
func (c *Controller) expireAttempts(b *batch, now time.Time) {
	c.forEachTask(func(t *task) {
		if t.rec.State != state.TaskRunning {
			return
		}
		switch {
		case now.After(t.rec.LeaseUntil):
			c.loseAttempt(b, t, now)
		case now.After(t.rec.Deadline.Add(c.opts.TimeoutGrace)):
			c.failAttempt(b, t, now, fmt.Sprintf("attempt exceeded its timeout of %s", t.spec.Timeout), "timeout", 0)
		}
	})
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
