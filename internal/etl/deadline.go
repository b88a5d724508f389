package etl

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/vigil-aiops/vigil/internal/state"
)

// DeadlineSink hears when a running run is predicted to miss its deadline
// (its logical time plus its pipeline's SLA), and when a prediction is
// withdrawn because the run sped up or ended. The controller calls it with
// its lock held, so it must not block for long nor call back into the
// controller.
type DeadlineSink interface {
	Deadline(DeadlineReport)
}

// DeadlineReport is a prediction about one run.
type DeadlineReport struct {
	Pipeline, RunID string
	Logical         time.Time
	At              time.Time
	Deadline        time.Time
	// PredictedEnd is when the run is expected to end: now plus the
	// longest chain of its unfinished tasks' typical durations.
	PredictedEnd time.Time
	// Miss is false when an earlier prediction is withdrawn.
	Miss bool
	// Remaining names the unfinished tasks on the longest chain, with
	// their expected remaining time.
	Remaining string
}

// durationModel learns a task's typical duration: the exponentially
// weighted mean of the logarithm of its successful attempts' durations,
// so that one slow attempt moves it by a factor, not by its size. It
// speaks after minDurations attempts.
type durationModel struct {
	logMean float64
	n       int
}

const (
	durationRate = 0.2
	minDurations = 3
)

func (m *durationModel) learn(d time.Duration) {
	x := math.Log(max(d.Seconds(), 1e-3))
	if m.n == 0 {
		m.logMean = x
	} else {
		m.logMean += durationRate * (x - m.logMean)
	}
	m.n++
}

func (m *durationModel) typical() (time.Duration, bool) {
	if m == nil || m.n < minDurations {
		return 0, false
	}
	return time.Duration(math.Exp(m.logMean) * float64(time.Second)), true
}

// learnDuration records a successful attempt's duration.
func (c *Controller) learnDuration(t *task, d time.Duration) {
	key := t.rec.Pipeline + "\x00" + t.rec.Task
	m := c.durations[key]
	if m == nil {
		m = &durationModel{}
		c.durations[key] = m
	}
	m.learn(d)
}

// predictDeadlines predicts, for every running or queued run of a pipeline
// with an SLA, when it will end, and reports runs newly predicted to miss their
// deadline and predictions withdrawn. A run whose tasks have too little
// history to say is not judged. The caller holds c.mu.
func (c *Controller) predictDeadlines(now time.Time) {
	sink := c.opts.Deadlines
	if sink == nil {
		return
	}
	live := map[string]bool{}
	for _, p := range c.pipelines {
		sla := p.spec.SLA.Std()
		if sla <= 0 {
			continue
		}
		for _, r := range p.active {
			// A run still queued (behind max_active_runs) is judged as
			// if it started now: it cannot start sooner.
			if r.rec.State != state.RunRunning && r.rec.State != state.RunQueued {
				continue
			}
			live[r.rec.ID] = true
			end, remaining, ok := c.predictEnd(r, now)
			if !ok {
				continue
			}
			deadline := r.rec.LogicalTime.Add(sla)
			// A miss is predicted only by a margin (a tenth of the SLA, at
			// least a minute), and withdrawn only once the run is expected
			// in time: a typical duration is no promise to the second.
			miss := c.predicted[r.rec.ID]
			switch margin := max(time.Minute, sla/10); {
			case end.After(deadline.Add(margin)):
				miss = true
			case !end.After(deadline):
				miss = false
			}
			rep := DeadlineReport{Pipeline: p.spec.Name, RunID: r.rec.ID, Logical: r.rec.LogicalTime, At: now,
				Deadline: deadline, PredictedEnd: end, Miss: miss, Remaining: remaining}
			if rep.Miss != c.predicted[r.rec.ID] && (rep.Miss || c.predicted[r.rec.ID]) {
				if rep.Miss {
					c.predicted[r.rec.ID] = true
				} else {
					delete(c.predicted, r.rec.ID)
				}
				sink.Deadline(rep)
			}
		}
	}
	// A run that ended takes its prediction with it; whether it was late
	// is then known, and said by the run's own events.
	for id := range c.predicted {
		if !live[id] {
			delete(c.predicted, id)
			pipeline, logical, _ := strings.Cut(id, "/")
			lt, _ := time.Parse(time.RFC3339, logical)
			sink.Deadline(DeadlineReport{Pipeline: pipeline, RunID: id, Logical: lt, At: now})
		}
	}
}

// predictEnd returns when r is expected to end: now plus the longest chain
// of expected remaining durations through its unfinished tasks, where a
// running task is expected to take its typical duration in all (and at
// least a tenth of it more), and a task waiting to start its typical
// duration after its upstream tasks end.
func (c *Controller) predictEnd(r *run, now time.Time) (time.Time, string, bool) {
	finish := make([]time.Duration, len(r.tasks))
	via := make([]int, len(r.tasks))
	longest, last := time.Duration(0), -1
	for pos, t := range r.tasks {
		via[pos] = -1
		switch t.rec.State {
		case state.TaskSuccess, state.TaskSkipped, state.TaskFailed, state.TaskUpstreamFailed, state.TaskCancelled:
			continue
		}
		typical, ok := c.durations[t.rec.Pipeline+"\x00"+t.rec.Task].typical()
		if !ok {
			return time.Time{}, "", false
		}
		var start time.Duration
		for _, d := range r.p.dag.deps[pos] {
			if finish[d] > start {
				start, via[pos] = finish[d], d
			}
		}
		left := typical
		if t.rec.State == state.TaskRunning && !t.rec.Started.IsZero() {
			left = max(typical-now.Sub(t.rec.Started), typical/10)
		}
		finish[pos] = start + left
		if finish[pos] > longest {
			longest, last = finish[pos], pos
		}
	}
	var chain []string
	for pos := last; pos >= 0; pos = via[pos] {
		left := finish[pos]
		if via[pos] >= 0 {
			left -= finish[via[pos]]
		}
		chain = append(chain, fmt.Sprintf("%s (%s)", r.tasks[pos].rec.Task, left.Round(time.Second)))
	}
	for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
		chain[i], chain[j] = chain[j], chain[i]
	}
	return now.Add(longest), strings.Join(chain, ", "), true
}
