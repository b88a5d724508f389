package etl

import (
	"testing"
	"time"

	"github.com/vigil-aiops/vigil/internal/etl/spec"
)

type recordedFreshness struct{ reports []FreshnessReport }

func (r *recordedFreshness) Freshness(f FreshnessReport) { r.reports = append(r.reports, f) }

type recordedAttempts struct{ reports []AttemptReport }

func (r *recordedAttempts) Attempt(a AttemptReport) { r.reports = append(r.reports, a) }

// TestFreshness runs an hourly pipeline once and then starves it: its
// output must be reported stale once older than the derived budget (an
// hour plus half of one), once, and fresh again after the next run.
func TestFreshness(t *testing.T) {
	a := testTask("a", nil, func(t *spec.Task) { t.Outputs = []string{"w.a"} })
	h := newHarness(t, testPipeline("p", []spec.Task{a}))
	fresh, attempts := &recordedFreshness{}, &recordedAttempts{}
	h.opts.Freshness, h.opts.Attempts = fresh, attempts
	h.restart()
	h.tick()
	h.heartbeat("w")
	h.advance(3 * time.Second)
	h.succeed(h.claim("w", 1)[0])
	written := h.clock.Now()
	if len(attempts.reports) != 1 {
		t.Fatalf("attempt reports: %+v", attempts.reports)
	}
	if r := attempts.reports[0]; r.Pipeline != "p" || r.Task != "a" || r.RowsOut != 10 || r.Ended.IsZero() {
		t.Fatalf("attempt report %+v", r)
	}
	for range 100 { // 100 minutes without another successful run.
		h.advance(time.Minute)
		h.tick()
	}
	if len(fresh.reports) != 1 {
		t.Fatalf("freshness reports: %+v", fresh.reports)
	}
	r := fresh.reports[0]
	if !r.Stale || r.Dataset != "w.a" || r.Pipeline != "p" || r.Budget != 90*time.Minute || !r.LastWrite.Equal(written) ||
		r.Age <= r.Budget || r.Age > r.Budget+2*time.Minute {
		t.Fatalf("stale report %+v", r)
	}
	// The runs queued meanwhile catch up; the dataset is fresh again.
	for {
		as := h.claim("w", 4)
		if len(as) == 0 {
			break
		}
		for _, a := range as {
			h.succeed(a)
		}
	}
	h.advance(time.Minute)
	h.tick()
	if len(fresh.reports) != 2 || fresh.reports[1].Stale {
		t.Fatalf("freshness reports after the catch-up: %+v", fresh.reports)
	}
}

func TestFreshnessBudget(t *testing.T) {
	p := testPipeline("p", nil)
	now := t0.Add(10 * time.Minute)
	if got := p.FreshnessBudget(now); got != 90*time.Minute {
		t.Fatalf("hourly without SLA: %v", got)
	}
	p.SLA = spec.Duration(2 * time.Hour)
	if got := p.FreshnessBudget(now); got != 3*time.Hour {
		t.Fatalf("hourly with a 2h SLA: %v", got)
	}
	p.Freshness = spec.Duration(5 * time.Hour)
	if got := p.FreshnessBudget(now); got != 5*time.Hour {
		t.Fatalf("explicit: %v", got)
	}
	p.Freshness = 0
	p.Schedule = spec.Schedule{After: []spec.NodeID{"pipeline:q"}}
	if got := p.FreshnessBudget(now); got != 0 {
		t.Fatalf("after: %v", got)
	}
}
