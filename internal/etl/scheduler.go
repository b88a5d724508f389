package etl

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/spec"
	"github.com/vigil-aiops/vigil/internal/state"
)

// latestSlotWindows are the spans, growing, in which latestSlot looks for
// the last slot before now, so that it never enumerates a long outage's
// slots one by one.
var latestSlotWindows = [...]time.Duration{
	time.Hour, 24 * time.Hour, 32 * 24 * time.Hour, 367 * 24 * time.Hour, 5 * 367 * 24 * time.Hour,
}

// schedule creates the runs of the clock schedules' due slots, by each
// pipeline's catch-up policy. A pipeline seen for the first time starts
// with the first slot after now (less the schedule grace): catch-up covers
// slots missed while the controller was down or the pipeline paused, not
// the time before the pipeline existed. The caller holds c.mu.
func (c *Controller) schedule(ctx context.Context, b *batch, now time.Time) error {
	for _, p := range c.pipelines {
		sched := p.spec.Schedule
		if k := sched.Kind(); k != spec.ScheduleCron && k != spec.ScheduleInterval {
			continue
		}
		if p.st.NextSlot.IsZero() {
			p.st.NextSlot, p.st.Updated = sched.Next(now.Add(-c.opts.ScheduleGrace)), now
			b.pipeline(p)
		}
		if p.st.Paused || p.st.NextSlot.IsZero() || p.st.NextSlot.After(now) {
			continue
		}
		slots, next, err := c.dueSlots(p, now)
		if err != nil {
			return fmt.Errorf("schedule pipeline %s: %w", p.spec.Name, err)
		}
		for _, slot := range slots {
			if _, err := c.createRun(ctx, b, p, slot, TriggerSchedule, now); err != nil && !errors.Is(err, ErrRunExists) {
				return fmt.Errorf("schedule pipeline %s: %w", p.spec.Name, err)
			}
		}
		if !next.Equal(p.st.NextSlot) {
			p.st.NextSlot, p.st.Updated = next, now
			b.pipeline(p)
		}
	}
	return nil
}

// dueSlots returns the slots of p to run now, from p's next slot (which is
// due) up to now, by p's catch-up policy, and the next slot to consider:
//   - none runs only the latest due slot, and only if it is current, that
//     is, no more than the schedule grace old;
//   - latest runs the latest due slot;
//   - all runs every due slot, oldest first, but keeps no more than
//     CatchupLimit runs queued: the rest are created as those start.
func (c *Controller) dueSlots(p *pipeline, now time.Time) (slots []time.Time, next time.Time, err error) {
	sched := p.spec.Schedule
	if p.spec.Catchup == spec.CatchupAll {
		budget := c.opts.CatchupLimit
		for _, r := range p.active {
			if r.rec.State == state.RunQueued {
				budget--
			}
		}
		next = p.st.NextSlot
		for ; budget > 0 && !next.IsZero() && !next.After(now); budget-- {
			slots = append(slots, next)
			next = sched.Next(next)
		}
		return slots, next, nil
	}
	last, err := latestSlot(sched, p.st.NextSlot, now)
	if err != nil {
		return nil, time.Time{}, err
	}
	next = sched.Next(last)
	if p.spec.Catchup == spec.CatchupNone && now.Sub(last) > c.opts.ScheduleGrace {
		c.logger.Info("skipping missed schedule slots", "pipeline", p.spec.Name, "from", p.st.NextSlot, "latest", last)
		return nil, next, nil
	}
	return []time.Time{last}, next, nil
}

// latestSlot returns the last slot of sched in [from, now], where from is a
// slot no later than now.
func latestSlot(sched spec.Schedule, from, now time.Time) (time.Time, error) {
	for _, w := range latestSlotWindows {
		lo := now.Add(-w)
		if !lo.After(from) {
			break
		}
		slots, err := sched.Slots(lo, now, 1<<16)
		if err != nil {
			return time.Time{}, err
		}
		if len(slots) > 0 {
			return slots[len(slots)-1], nil
		}
	}
	slots, err := sched.Slots(from, now, 1<<20)
	if err != nil {
		return time.Time{}, err
	}
	if len(slots) > 0 {
		return slots[len(slots)-1], nil
	}
	return from, nil
}

// createRun creates p's run for a logical time unless a run with its ID
// exists, in the working set or in the store, in which case it returns an
// error wrapping ErrRunExists. The caller holds c.mu.
func (c *Controller) createRun(ctx context.Context, b *batch, p *pipeline, logical time.Time, trigger string, now time.Time) (*run, error) {
	id := runID(p.spec.Name, logical)
	if _, ok := c.runs[id]; ok {
		return nil, fmt.Errorf("%w: %s", ErrRunExists, id)
	}
	_, err := c.store.ETL().Run(ctx, id)
	switch {
	case err == nil:
		return nil, fmt.Errorf("%w: %s", ErrRunExists, id)
	case !errors.Is(err, state.ErrNotFound):
		return nil, fmt.Errorf("check run %s: %w", id, err)
	}
	return c.newRun(b, p, logical, trigger, now), nil
}

// trigger creates the runs of after: schedules whose upstream pipelines and
// datasets have all succeeded since the pipeline's last run. The run's
// logical time is the latest logical time among the upstream runs that
// triggered it, so that a chain of pipelines shares its runs' logical time.
// The caller holds c.mu.
func (c *Controller) trigger(ctx context.Context, b *batch, now time.Time) error {
	for _, p := range c.pipelines {
		if len(p.upstream) == 0 || p.st.Paused {
			continue
		}
		logical, ok := c.upstreamReady(p)
		if !ok {
			continue
		}
		_, err := c.createRun(ctx, b, p, logical, TriggerAfter, now)
		switch {
		case errors.Is(err, ErrRunExists):
			// The upstream data is that of a run already made; remember
			// that it was considered, so that it is not considered again.
			p.st.LastRun, p.st.Updated = now, now
			b.pipeline(p)
		case err != nil:
			return fmt.Errorf("trigger pipeline %s: %w", p.spec.Name, err)
		}
	}
	return nil
}

// upstreamReady reports whether every upstream node of p has succeeded
// since p's last run, and the latest logical time among them.
func (c *Controller) upstreamReady(p *pipeline) (time.Time, bool) {
	var logical time.Time
	for _, u := range p.upstream {
		var ended, lt time.Time
		switch u.Kind() {
		case spec.NodePipeline:
			if up := c.byName[u.Name()]; up != nil {
				ended, lt = up.lastSuccess, up.lastSuccessLogical
			}
		case spec.NodeDataset:
			if d := c.datasets[u.Name()]; d != nil {
				ended, lt = d.lastWrite, d.logical
			}
		}
		if ended.IsZero() || !ended.After(p.st.LastRun) {
			return time.Time{}, false
		}
		logical = later(logical, lt)
	}
	return logical, !logical.IsZero()
}

// DatasetUpdated records that a dataset no pipeline of the fleet writes
// (an external one) was written at the given time, for the data of a
// logical time, so that after: schedules waiting for it can trigger. The
// application calls it, for example, for OpenLineage events of other
// schedulers. It is kept in memory only: after a restart, external
// datasets count as not yet written.
func (c *Controller) DatasetUpdated(name string, at, logical time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.datasets[name]
	if d == nil {
		if c.datasets == nil {
			c.datasets = make(map[string]*dataset)
		}
		d = &dataset{name: name}
		c.datasets[name] = d
	}
	if d.pipeline != "" {
		return // Written by the fleet: the controller knows better.
	}
	if at.After(d.lastWrite) {
		d.lastWrite, d.logical = at, logical
	}
}
