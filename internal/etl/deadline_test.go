package etl

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/agent"
	"github.com/vigil-aiops/vigil/internal/etl/spec"
)

type recordedDeadlines struct{ reports []DeadlineReport }

func (r *recordedDeadlines) Deadline(d DeadlineReport) { r.reports = append(r.reports, d) }

// TestDeadlinePrediction runs an hourly two-task pipeline with a ten-minute
// SLA three times at two minutes a task, then lets its first task hang:
// the miss must be predicted while the run is still running, once it is
// expected to be over a minute late, and withdrawn when the run ends.
func TestDeadlinePrediction(t *testing.T) {
	a := testTask("a", nil)
	b := testTask("b", []string{"a"})
	h := newHarness(t, testPipeline("p", []spec.Task{a, b}, func(p *spec.Pipeline) { p.SLA = spec.Duration(10 * time.Minute) }))
	dl := &recordedDeadlines{}
	h.opts.Deadlines = dl
	h.restart()
	// step lets d pass in heartbeats of 30 s for the running attempts.
	step := func(d time.Duration, running ...agent.Assignment) {
		for d > 0 {
			h.advance(min(d, 30*time.Second))
			d -= 30 * time.Second
			h.heartbeat("w", running...)
			h.tick()
		}
		h.heartbeat("w", running...)
		h.tick()
	}
	for hour := range 3 {
		h.clock.Set(t0.Add(time.Duration(hour) * time.Hour))
		step(0)
		as := h.claim("w", 1)
		step(2*time.Minute, as...)
		h.succeed(as[0])
		step(0)
		bs := h.claim("w", 1)
		step(2*time.Minute, bs...)
		h.succeed(bs[0])
		step(0)
	}
	if len(dl.reports) != 0 {
		t.Fatalf("predictions on runs that kept their deadline: %+v", dl.reports)
	}
	// The fourth run: a hangs.
	start := t0.Add(3 * time.Hour)
	h.clock.Set(start)
	step(0)
	as := h.claim("w", 1)
	step(8*time.Minute, as...)
	if len(dl.reports) != 0 {
		t.Fatalf("predicted a miss at 8 minutes, 12 s over the deadline, within the margin of a minute: %+v", dl.reports)
	}
	step(time.Minute, as...) // 9 minutes: 12 s of a and 2 min of b end 72 s late.
	if len(dl.reports) != 1 {
		t.Fatalf("no prediction at 9 minutes: %+v", dl.reports)
	}
	r := dl.reports[0]
	if !r.Miss || r.Pipeline != "p" || !r.Deadline.Equal(start.Add(10*time.Minute)) || !r.PredictedEnd.After(r.Deadline) ||
		r.Deadline.Sub(r.At) != time.Minute || !strings.Contains(r.Remaining, "a (") || !strings.Contains(r.Remaining, "b (2m0s)") {
		t.Fatalf("prediction %+v", r)
	}
	step(30*time.Second, as...)
	h.succeed(as[0]) // At 9:30, b's two minutes end after 10.
	step(0)
	bs := h.claim("w", 1)
	step(30*time.Second, bs...)
	if len(dl.reports) != 1 {
		t.Fatalf("reported again while still predicted: %+v", dl.reports)
	}
	h.succeed(bs[0])
	step(0)
	if len(dl.reports) != 2 || dl.reports[1].Miss || dl.reports[1].RunID != r.RunID {
		t.Fatalf("prediction not withdrawn at the run's end: %+v", dl.reports)
	}
}
