package etl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-aiops/vigil/internal/state"
)

// Control actions, the values of state.Control.Action.
const (
	ActionTrigger      = "trigger"
	ActionRetry        = "retry"
	ActionCancel       = "cancel"
	ActionPause        = "pause"
	ActionResume       = "resume"
	ActionSetDegraded  = "set_degraded"
	ActionOpenCircuit  = "open_circuit"
	ActionCloseCircuit = "close_circuit"
)

// Actor says who takes a control action and why: an operator through the
// API, or an automation such as the remediation engine.
type Actor struct {
	Who string
	Why string
}

// retryListLimit bounds the task instances read back to retry a run; a
// pipeline has far fewer.
const retryListLimit = 10_000

// begin checks the actor, takes the lock and loads the working set; the
// caller must call the returned function to unlock.
func (c *Controller) begin(ctx context.Context, by Actor) (time.Time, func(), error) {
	if by.Who == "" {
		return time.Time{}, nil, fmt.Errorf("%w: a control action needs an actor", ErrInvalid)
	}
	c.mu.Lock()
	if err := c.ensureLoaded(ctx); err != nil {
		c.mu.Unlock()
		return time.Time{}, nil, err
	}
	return c.now(), c.mu.Unlock, nil
}

// record adds a control action to b.
func (c *Controller) record(b *batch, by Actor, action, target string, params map[string]any, now time.Time) {
	raw := []byte("{}")
	if len(params) > 0 {
		var err error
		if raw, err = json.Marshal(params); err != nil {
			// Params are strings, booleans and times; this cannot fail.
			raw = []byte("{}")
		}
	}
	b.controls = append(b.controls, state.Control{
		At: now, Actor: by.Who, Action: action, Target: target, Reason: by.Why, Params: string(raw),
	})
	b.after(func() {
		c.logger.Info("etl control action", "action", action, "target", target, "actor", by.Who, "reason", by.Why)
	})
}

// Trigger creates a manual run of pipeline for a logical time (now, to the
// second, if zero) and returns its ID. It returns an error wrapping
// ErrRunExists if that run exists. The run starts when max_active_runs
// allows, and not while the pipeline is paused.
func (c *Controller) Trigger(ctx context.Context, by Actor, pipelineName string, logical time.Time) (string, error) {
	now, unlock, err := c.begin(ctx, by)
	if err != nil {
		return "", fmt.Errorf("trigger %s: %w", pipelineName, err)
	}
	defer unlock()
	p, err := c.pipelineOf(pipelineName)
	if err != nil {
		return "", fmt.Errorf("trigger: %w", err)
	}
	if logical.IsZero() {
		logical = now.Truncate(time.Second)
	}
	b := newBatch()
	r, err := c.createRun(ctx, b, p, logical, TriggerManual, now)
	if err != nil {
		return "", fmt.Errorf("trigger %s: %w", pipelineName, err)
	}
	c.record(b, by, ActionTrigger, pipelineName, map[string]any{"run": r.rec.ID, "logical_time": r.rec.LogicalTime}, now)
	c.admit(b, p, now)
	if err := c.commit(ctx, b); err != nil {
		return "", fmt.Errorf("trigger %s: %w", pipelineName, err)
	}
	return r.rec.ID, nil
}

// RetryRun runs a failed or cancelled run again: its tasks that failed,
// did not run because an upstream task failed, or were cancelled become
// pending with a fresh retry budget, and the run is queued. Tasks that
// succeeded do not run again.
func (c *Controller) RetryRun(ctx context.Context, by Actor, id string) error {
	now, unlock, err := c.begin(ctx, by)
	if err != nil {
		return fmt.Errorf("retry run %s: %w", id, err)
	}
	defer unlock()
	if _, ok := c.runs[id]; ok {
		return fmt.Errorf("retry run %s: %w", id, ErrRunActive)
	}
	rec, err := c.store.ETL().Run(ctx, id)
	if errors.Is(err, state.ErrNotFound) {
		return fmt.Errorf("retry run %s: %w", id, ErrUnknownRun)
	}
	if err != nil {
		return fmt.Errorf("retry run %s: %w", id, err)
	}
	if rec.State != state.RunFailed && rec.State != state.RunCancelled {
		return fmt.Errorf("retry run %s: %w: the run is %s; only failed and cancelled runs are retried", id, ErrInvalid, rec.State)
	}
	p, err := c.pipelineOf(rec.Pipeline)
	if err != nil {
		return fmt.Errorf("retry run %s: %w", id, err)
	}
	stored, err := c.store.ETL().ListTasks(ctx, state.TaskFilter{RunID: id, Limit: retryListLimit})
	if err != nil {
		return fmt.Errorf("retry run %s: %w", id, err)
	}
	b := newBatch()
	r := c.restoreRun(b, p, rec, stored, now)
	retried := 0
	for _, t := range r.tasks {
		switch t.rec.State {
		case state.TaskFailed, state.TaskUpstreamFailed, state.TaskCancelled:
			t.rec = state.TaskInstance{
				RunID: t.rec.RunID, Task: t.rec.Task, Pipeline: t.rec.Pipeline, Position: t.rec.Position,
				State: state.TaskPending, Attempt: t.rec.Attempt, FirstAttempt: t.rec.Attempt + 1,
			}
			b.task(t)
			retried++
		}
	}
	r.rec.State, r.rec.Started, r.rec.Ended, r.rec.Error = state.RunQueued, time.Time{}, time.Time{}, ""
	b.run(r)
	p.active = append(p.active, r)
	sortRuns(p.active)
	c.runs[id] = r
	c.record(b, by, ActionRetry, id, map[string]any{"tasks": retried}, now)
	c.admit(b, p, now)
	if err := c.commit(ctx, b); err != nil {
		return fmt.Errorf("retry run %s: %w", id, err)
	}
	return nil
}

// CancelRun cancels a run that has not ended: its tasks that have not
// ended are cancelled, and agents running them are told to abandon them.
func (c *Controller) CancelRun(ctx context.Context, by Actor, id string) error {
	now, unlock, err := c.begin(ctx, by)
	if err != nil {
		return fmt.Errorf("cancel run %s: %w", id, err)
	}
	defer unlock()
	r := c.runs[id]
	if r == nil {
		_, err := c.store.ETL().Run(ctx, id)
		switch {
		case err == nil:
			return fmt.Errorf("cancel run %s: %w", id, ErrRunEnded)
		case errors.Is(err, state.ErrNotFound):
			return fmt.Errorf("cancel run %s: %w", id, ErrUnknownRun)
		}
		return fmt.Errorf("cancel run %s: %w", id, err)
	}
	b := newBatch()
	why := fmt.Sprintf("cancelled by %s", by.Who)
	if by.Why != "" {
		why += ": " + by.Why
	}
	c.cancelTasks(b, r, now, why)
	c.endRun(b, r, state.RunCancelled, now, why)
	c.record(b, by, ActionCancel, id, nil, now)
	if err := c.commit(ctx, b); err != nil {
		return fmt.Errorf("cancel run %s: %w", id, err)
	}
	return nil
}

// Pause stops a pipeline: no run is scheduled, triggered or started and no
// task dispatched until Resume; attempts already running finish. Slots
// that fall due meanwhile are handled by the catch-up policy on resume.
func (c *Controller) Pause(ctx context.Context, by Actor, pipelineName string) error {
	return c.setPipeline(ctx, by, pipelineName, ActionPause, nil, func(p *pipeline) { p.st.Paused = true })
}

// Resume undoes Pause.
func (c *Controller) Resume(ctx context.Context, by Actor, pipelineName string) error {
	return c.setPipeline(ctx, by, pipelineName, ActionResume, nil, func(p *pipeline) { p.st.Paused = false })
}

// SetDegraded sets or clears a pipeline's degraded mode, in which its
// optional tasks that have not started are skipped.
func (c *Controller) SetDegraded(ctx context.Context, by Actor, pipelineName string, degraded bool) error {
	return c.setPipeline(ctx, by, pipelineName, ActionSetDegraded, map[string]any{"degraded": degraded},
		func(p *pipeline) { p.st.Degraded = degraded })
}

// setPipeline applies a change to a pipeline's state, records it, and lets
// its runs move on under the new state.
func (c *Controller) setPipeline(ctx context.Context, by Actor, name, action string, params map[string]any, change func(*pipeline)) error {
	now, unlock, err := c.begin(ctx, by)
	if err != nil {
		return fmt.Errorf("%s %s: %w", action, name, err)
	}
	defer unlock()
	p, err := c.pipelineOf(name)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	b := newBatch()
	change(p)
	p.st.Updated = now
	b.pipeline(p)
	c.record(b, by, action, name, params, now)
	for _, r := range append([]*run(nil), p.active...) {
		c.resolve(b, r, now)
	}
	c.admit(b, p, now)
	if err := c.commit(ctx, b); err != nil {
		return fmt.Errorf("%s %s: %w", action, name, err)
	}
	return nil
}

// OpenCircuit opens the circuit on a connector endpoint (see Endpoints):
// tasks that touch it wait instead of being dispatched. Attempts already
// running go on.
func (c *Controller) OpenCircuit(ctx context.Context, by Actor, endpoint string) error {
	return c.setCircuit(ctx, by, endpoint, true)
}

// CloseCircuit closes the circuit on a connector endpoint.
func (c *Controller) CloseCircuit(ctx context.Context, by Actor, endpoint string) error {
	return c.setCircuit(ctx, by, endpoint, false)
}

func (c *Controller) setCircuit(ctx context.Context, by Actor, endpoint string, open bool) error {
	action := ActionCloseCircuit
	if open {
		action = ActionOpenCircuit
	}
	if endpoint == "" {
		return fmt.Errorf("%s: %w: empty endpoint", action, ErrInvalid)
	}
	now, unlock, err := c.begin(ctx, by)
	if err != nil {
		return fmt.Errorf("%s %s: %w", action, endpoint, err)
	}
	defer unlock()
	ci := state.Circuit{Endpoint: endpoint, Open: open, Actor: by.Who, Reason: by.Why, Updated: now}
	b := newBatch()
	b.circuits = append(b.circuits, ci)
	c.record(b, by, action, endpoint, nil, now)
	if err := c.commit(ctx, b); err != nil {
		return fmt.Errorf("%s %s: %w", action, endpoint, err)
	}
	if open {
		c.circuits[endpoint] = ci
	} else {
		delete(c.circuits, endpoint)
	}
	return nil
}
